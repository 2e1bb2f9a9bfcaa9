using DeepMdCompress.Core.Evaluation.Kernels;
using DeepMdCompress.Core.Tabulation;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// The vectorised kernels on a <see cref="ChannelMajorTable"/> against the reference span kernels: every output must be
/// the same double, bit for bit, for random tables and inputs that cover every branch of locate_xx (below lower, the
/// fine and coarse parts, exact row and part boundaries, at and above max, NaN), the sorted-padding shortcut, both
/// extrapolation modes and both two_embed gradient rules, with channel counts that do and do not fill whole vectors.
/// </summary>
public class TabulateKernelVectorTests
{
    // Fine part [−0.5, 2) with stride 0.05 (50 rows), coarse part [2, 10) with stride 0.5 (16 rows), one spare row for C¹.
    private static readonly TableInfo Info = new(-0.5, 2, 10, 0.05, 0.5, -1);

    // se_e3: coarse [−10, −0.5) first, so the rows follow the SeT layout.
    private static readonly TableInfo SeTInfo = new(-0.5, 2, 10, 0.05, 0.5, -1);

    public static TheoryData<int, ExtrapolationMode> Cases()
    {
        var data = new TheoryData<int, ExtrapolationMode>();
        foreach (int l in new[] { 1, 3, 8, 13, 80 })
        {
            data.Add(l, ExtrapolationMode.Clamp);
            data.Add(l, ExtrapolationMode.Linear);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SeAForwardAndGradAreBitIdentical(int l, ExtrapolationMode mode)
    {
        var rng = new Random(17 + l);
        const int nloc = 5, nnei = 9;
        var table = Table(rng, Info, RowLayout.Standard, l);
        var cm = new ChannelMajorTable(table, l);
        var (emX, em) = Environment(rng, nloc, nnei, Inputs(rng, Info, nloc * nnei));
        var dy = Random(rng, nloc * 4 * l);

        var reference = new double[nloc * 4 * l];
        var fast = new double[nloc * 4 * l];
        TabulateKernels.SeAForward(table, Info, emX, em, nloc, nnei, l, reference, mode);
        TabulateKernels.SeAForward(cm, Info, emX, em, nloc, nnei, fast, mode);
        AssertBits(reference, fast, "forward");

        var dx = new double[nloc * nnei];
        var de = new double[nloc * nnei * 4];
        TabulateKernels.SeAGrad(table, Info, emX, em, dy, nloc, nnei, l, dx, de, mode);
        foreach (bool lanes in SumModes())
        {
            var dxFast = new double[dx.Length];
            var deFast = new double[de.Length];
            WithLaneSums(lanes, () => TabulateKernels.SeAGrad(cm, Info, emX, em, dy, nloc, nnei, dxFast, deFast, mode));
            AssertBits(dx, dxFast, $"dy_dem_x lanes={lanes}");
            AssertBits(de, deFast, $"dy_dem lanes={lanes}");
        }

        // Atoms are independent: two chunks give the same numbers as one call.
        var chunked = new double[fast.Length];
        TabulateKernels.SeAForward(cm, Info, emX.AsSpan(0, 2 * nnei), em.AsSpan(0, 2 * nnei * 4), 2, nnei, chunked.AsSpan(0, 2 * 4 * l), mode);
        TabulateKernels.SeAForward(cm, Info, emX.AsSpan(2 * nnei), em.AsSpan(2 * nnei * 4), nloc - 2, nnei, chunked.AsSpan(2 * 4 * l), mode);
        AssertBits(reference, chunked, "chunked forward");
    }

    /// <summary>
    /// The AVX-512 gradient (fused, summed in lanes) agrees with the reference to rounding, padding and extrapolation
    /// included, and serves exactly where the CPU has AVX-512 and the kernel assembly is allowed to load.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void WideSeAGradAgreesToRounding(int l, ExtrapolationMode mode)
    {
        bool expected = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Environment.GetEnvironmentVariable("DEEPMDCOMPRESS_PORTABLE_KERNELS") != "1";
        Assert.Equal(expected, TabulateKernels.HasWideSeA);
        Skip.IfNot(expected, "no AVX-512 on this CPU (or DEEPMDCOMPRESS_PORTABLE_KERNELS=1): the vectorised gradient serves");
        var rng = new Random(23 + l);
        const int nloc = 6, nnei = 9;
        var table = Table(rng, Info, RowLayout.Standard, l);
        var cm = new ChannelMajorTable(table, l);
        var (emX, em) = Environment(rng, nloc, nnei, Inputs(rng, Info, nloc * nnei));
        var dy = Random(rng, nloc * 4 * l);
        var dx = new double[nloc * nnei];
        var de = new double[nloc * nnei * 4];
        TabulateKernels.SeAGrad(table, Info, emX, em, dy, nloc, nnei, l, dx, de, mode);
        var dxWide = new double[dx.Length];
        var deWide = new double[de.Length];
        TabulateKernels.SeAGradWide(cm, Info, emX, em, dy, nloc, nnei, dxWide, deWide, mode);
        AssertClose(dx, dxWide, "dy_dem_x");
        AssertClose(de, deWide, "dy_dem");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SeAttenForwardAndGradAreBitIdentical(int l, ExtrapolationMode mode)
    {
        var rng = new Random(31 + l);
        const int nloc = 4, nnei = 8;
        var table = Table(rng, Info, RowLayout.Standard, l);
        var cm = new ChannelMajorTable(table, l);
        var (emX, em) = Environment(rng, nloc, nnei, Inputs(rng, Info, nloc * nnei));
        var two = Random(rng, nloc * nnei * l);
        var dy = Random(rng, nloc * 4 * l);
        foreach (bool sorted in new[] { true, false })
        {
            var reference = new double[nloc * 4 * l];
            var fast = new double[nloc * 4 * l];
            TabulateKernels.SeAttenForward(table, Info, emX, em, two, nloc, nnei, l, sorted, reference, mode);
            TabulateKernels.SeAttenForward(cm, Info, emX, em, two, nloc, nnei, sorted, fast, mode);
            AssertBits(reference, fast, $"forward sorted={sorted}");

            foreach (var rule in new[] { TwoEmbedGradient.Released, TwoEmbedGradient.Head })
            {
                var dx = new double[nloc * nnei];
                var de = new double[nloc * nnei * 4];
                var dt = new double[nloc * nnei * l];
                TabulateKernels.SeAttenGrad(table, Info, emX, em, two, dy, nloc, nnei, l, sorted, dx, de, dt, mode, rule);
                foreach (bool lanes in SumModes())
                {
                    var dxFast = new double[dx.Length];
                    var deFast = new double[de.Length];
                    var dtFast = new double[dt.Length];
                    WithLaneSums(lanes, () => TabulateKernels.SeAttenGrad(cm, Info, emX, em, two, dy, nloc, nnei, sorted, dxFast, deFast, dtFast, mode, rule));
                    AssertBits(dx, dxFast, $"dy_dem_x sorted={sorted} {rule} lanes={lanes}");
                    AssertBits(de, deFast, $"dy_dem sorted={sorted} {rule} lanes={lanes}");
                    AssertBits(dt, dtFast, $"dy_dtwo sorted={sorted} {rule} lanes={lanes}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SeRAndSeTAreBitIdentical(int l, ExtrapolationMode mode)
    {
        var rng = new Random(47 + l);
        const int nloc = 3, nnei = 11, ni = 4, nj = 5;
        var table = Table(rng, Info, RowLayout.Standard, l);
        var cm = new ChannelMajorTable(table, l);
        var em = Inputs(rng, Info, nloc * nnei);
        var dy = Random(rng, nloc * nnei * l);
        var reference = new double[nloc * nnei * l];
        var fast = new double[reference.Length];
        TabulateKernels.SeRForward(table, Info, em, nloc, nnei, l, reference, mode);
        TabulateKernels.SeRForward(cm, Info, em, nloc, nnei, fast, mode);
        AssertBits(reference, fast, "se_r forward");
        var de = new double[nloc * nnei];
        var deFast = new double[de.Length];
        TabulateKernels.SeRGrad(table, Info, em, dy, nloc, nnei, l, de, mode);
        TabulateKernels.SeRGrad(cm, Info, em, dy, nloc, nnei, deFast, mode);
        AssertBits(de, deFast, "se_r grad");

        var tTable = Table(rng, SeTInfo, RowLayout.SeT, l);
        var tcm = new ChannelMajorTable(tTable, l);
        var x = Inputs(rng, SeTInfo, nloc * ni * nj, seT: true);
        var tdy = Random(rng, nloc * l);
        var tOut = new double[nloc * l];
        var tFast = new double[tOut.Length];
        TabulateKernels.SeTForward(tTable, SeTInfo, x, nloc, ni, nj, l, tOut, mode);
        TabulateKernels.SeTForward(tcm, SeTInfo, x, nloc, ni, nj, tFast, mode);
        AssertBits(tOut, tFast, "se_t forward");
        var gx = new double[x.Length];
        var ge = new double[x.Length];
        var gxFast = new double[x.Length];
        var geFast = new double[x.Length];
        TabulateKernels.SeTGrad(tTable, SeTInfo, x, tdy, nloc, ni, nj, l, gx, ge, mode);
        TabulateKernels.SeTGrad(tcm, SeTInfo, x, tdy, nloc, ni, nj, gxFast, geFast, mode);
        AssertBits(gx, gxFast, "se_t grad dy_dem_x");
        AssertBits(ge, geFast, "se_t grad dy_dem");
    }

    [Fact]
    public void ChannelMajorTableRefusesARaggedTableAndReportsTooShortTables()
    {
        var ragged = Assert.ThrowsAny<Errors.DeepMdException>(() => new ChannelMajorTable(new double[20], 1));
        Assert.Equal("TableShapeMismatch", ragged.ErrorId);

        // Two rows cannot hold an input in the coarse part: the same TableTooShort as the reference kernels.
        var cm = new ChannelMajorTable(new double[2 * 6 * 2], 2);
        var output = new double[2];
        var ex = Assert.ThrowsAny<Errors.DeepMdException>(() => TabulateKernels.SeRForward(cm, Info, new[] { 5.0 }, 1, 1, output));
        Assert.Equal("TableTooShort", ex.ErrorId);
    }

    /// <summary>The gradients' two ways of summing dyDem over k: scalar chains always, vector lanes where vectors hold four doubles.</summary>
    private static bool[] SumModes() => System.Numerics.Vector<double>.Count == 4 ? new[] { false, true } : new[] { false };

    private static readonly object LaneSwitch = new();

    private static void WithLaneSums(bool lanes, Action run)
    {
        lock (LaneSwitch)
        {
            bool before = TabulateKernels.ChannelLaneSums;
            TabulateKernels.ChannelLaneSums = lanes;
            try
            {
                run();
            }
            finally
            {
                TabulateKernels.ChannelLaneSums = before;
            }
        }
    }

    /// <summary>A random table with as many rows as Linear mode may read, in the given layout.</summary>
    private static double[] Table(Random rng, TableInfo info, RowLayout layout, int l) =>
        Random(rng, TabulateKernels.RequiredRows(info, layout, ExtrapolationMode.Linear) * 6 * l);

    private static double[] Random(Random rng, int n)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (rng.NextDouble() * 2) - 1;
        }

        return a;
    }

    /// <summary>Inputs over every branch: random points of the whole range plus the edges and beyond.</summary>
    private static double[] Inputs(Random rng, TableInfo info, int n, bool seT = false)
    {
        double start = seT ? -info.Max : info.Lower;
        double[] special =
        {
            start - 3, start, info.Lower, info.Lower + info.Stride0, info.Upper, info.Upper - 1e-12, info.Upper + info.Stride1,
            info.Max, info.Max - 1e-9, info.Max + 2.5, 40, double.NaN,
        };
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = rng.Next(3) == 0 ? special[rng.Next(special.Length)] : start - 1 + (rng.NextDouble() * (info.Max + 2 - start));
        }

        return x;
    }

    /// <summary>
    /// em_x and em for nloc atoms: em_x = the given inputs, em = (em_x, random xyz); the last slots of every other atom
    /// are sorted padding (em = (s, 0, 0, 0), em_x = s with the same s) so the shortcut is taken there.
    /// </summary>
    private static (double[] EmX, double[] Em) Environment(Random rng, int nloc, int nnei, double[] inputs)
    {
        var emX = (double[])inputs.Clone();
        var em = new double[nloc * nnei * 4];
        for (int i = 0; i < nloc; i++)
        {
            int padding = i % 2 == 0 ? 1 + (i % 3) : 0;
            double pad = (rng.NextDouble() * 2) - 1;
            for (int j = 0; j < nnei; j++)
            {
                int a = (i * nnei) + j;
                bool isPad = j >= nnei - padding;
                if (isPad)
                {
                    emX[a] = pad;
                }

                em[a * 4] = emX[a];
                for (int c = 1; c < 4; c++)
                {
                    em[(a * 4) + c] = isPad ? 0 : (rng.NextDouble() * 2) - 1;
                }
            }
        }

        return (emX, em);
    }

    /// <summary>The brief's float64 tolerance without its absolute term: 1e-12·max(1, max|reference|); NaN where the reference has NaN.</summary>
    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1;
        foreach (double e in expected)
        {
            scale = double.IsNaN(e) ? scale : Math.Max(scale, Math.Abs(e));
        }

        Assert.Contains(expected, e => e != 0 && !double.IsNaN(e));
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok = double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : Math.Abs(actual[i] - expected[i]) <= 1e-12 * scale;
            Assert.True(ok, $"{what}[{i}]: reference {expected[i]:R}, wide {actual[i]:R}");
        }
    }

    private static void AssertBits(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            long e = BitConverter.DoubleToInt64Bits(expected[i]), a = BitConverter.DoubleToInt64Bits(actual[i]);
            Assert.True(e == a, $"{what}[{i}]: reference {expected[i]:R}, vectorised {actual[i]:R}");
        }
    }
}
