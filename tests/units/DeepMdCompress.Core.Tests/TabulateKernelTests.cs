using System.Text.Json;
using DeepMdCompress.Core.Evaluation.Kernels;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Tabulation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests;

/// <summary>The TabulateFusion* kernels against deepmd-kit's own kernel test vectors and the worked numbers of deepmd-kit's own locate/extrapolation unit test (docs/tables.md#table_info-and-the-row-locator).</summary>
public class TabulateKernelTests
{
    private readonly ITestOutputHelper _out;

    public TabulateKernelTests(ITestOutputHelper output) => _out = output;

    private static JsonElement Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Shared("kernels", name)));
        return doc.RootElement.Clone();
    }

    private static double[] D(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static int I(JsonElement e, string path)
    {
        foreach (string p in path.Split('.'))
        {
            e = e.GetProperty(p);
        }

        return e.GetInt32();
    }

    private double AssertClose(string what, double[] expected, ReadOnlySpan<double> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            worst = Math.Max(worst, d);
            Assert.True(d < tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|diff| {d:G3} ≥ {tolerance:G3})");
        }

        _out.WriteLine($"{what}: max |diff| {worst:G3} over {expected.Length} values");
        return worst;
    }

    [SkippableFact]
    public void SeAForwardAndGradReproduceDeepmdVectors()
    {
        var j = Load("tabulate_se_a.json");
        double tol = j.GetProperty("tolerance").GetProperty("value").GetDouble();
        var table = D(j, "table");
        var info = TableInfo.FromValues(D(j, "table_info"));
        var emX = D(j, "em_x");
        var em = D(j, "em");
        int nloc = I(j, "params.nloc"), nnei = I(j, "params.nnei"), L = I(j, "params.last_layer_size");
        Assert.Equal(22 * 6 * L, table.Length);

        var output = new double[nloc * 4 * L];
        TabulateKernels.SeAForward(table, info, emX, em, nloc, nnei, L, output);
        AssertClose("se_a forward", D(j.GetProperty("forward"), "expected_xyz_scatter"), output, tol);

        var dy = Enumerable.Repeat(1.0, nloc * 4 * L).ToArray();
        var dyDemX = new double[nloc * nnei];
        var dyDem = new double[nloc * nnei * 4];
        TabulateKernels.SeAGrad(table, info, emX, em, dy, nloc, nnei, L, dyDemX, dyDem);
        AssertClose("se_a grad dy_dem_x", D(j.GetProperty("grad"), "expected_dy_dem_x"), dyDemX, tol);
        AssertClose("se_a grad dy_dem", D(j.GetProperty("grad"), "expected_dy_dem"), dyDem, tol);

        // The same data through the HEAD (C¹) kernels: all inputs are inside [lower, max), so nothing may change.
        var linear = new double[output.Length];
        TabulateKernels.SeAForward(table, info, emX, em, nloc, nnei, L, linear, ExtrapolationMode.Linear);
        Assert.Equal(output, linear);
    }

    [SkippableFact]
    public void SeAttenForwardAndGradReproduceDeepmdVectors()
    {
        var j = Load("tabulate_se_a.json");
        double tol = j.GetProperty("tolerance").GetProperty("value").GetDouble();
        var table = D(j, "table");
        var info = TableInfo.FromValues(D(j, "table_info"));
        var emX = D(j, "em_x");
        var em = D(j, "em");
        var two = D(j, "two_embed");
        int nloc = I(j, "params.nloc"), nnei = I(j, "params.nnei"), L = I(j, "params.last_layer_size");

        var output = new double[nloc * 4 * L];
        TabulateKernels.SeAttenForward(table, info, emX, em, two, nloc, nnei, L, isSorted: true, output);
        AssertClose("se_atten forward", D(j.GetProperty("forward"), "expected_xyz_scatter_with_two_embed"), output, tol);

        var dy = Enumerable.Repeat(1.0, nloc * 4 * L).ToArray();
        var dyDemX = new double[nloc * nnei];
        var dyDem = new double[nloc * nnei * 4];
        var dyDtwo = new double[nloc * nnei * L];
        TabulateKernels.SeAttenGrad(table, info, emX, em, two, dy, nloc, nnei, L, true, dyDemX, dyDem, dyDtwo);
        AssertClose("se_atten grad dy_dem_x", D(j.GetProperty("grad"), "expected_dy_dem_x_with_two_embed"), dyDemX, tol);
        AssertClose("se_atten grad dy_dem", D(j.GetProperty("grad"), "expected_dy_dem_with_two_embed"), dyDem, tol);

        // dy_dtwo is not in the vectors: check it against finite differences of dot(forward(two), dy).
        var fd = FiniteDifference(two, t =>
        {
            var o = new double[nloc * 4 * L];
            TabulateKernels.SeAttenForward(table, info, emX, em, t, nloc, nnei, L, true, o);
            return o.Zip(dy, (a, b) => a * b).Sum();
        });
        AssertClose("se_atten dy_dtwo vs finite differences", fd, dyDtwo, 1e-7);
    }

    [SkippableFact]
    public void SortedPaddingTwoEmbedGradientFollowsHeadOrReleased()
    {
        var h = Load("tabulate_se_a.json").GetProperty("head_only_extra");
        var table = D(h, "table");
        var info = TableInfo.FromValues(D(h, "table_info"));
        var emX = D(h, "em_x");
        var em = D(h, "em");
        var two = D(h, "two_embed");
        var dy = D(h, "dy");
        int nnei = I(h, "params.nnei");
        Assert.True(h.GetProperty("params").GetProperty("is_sorted").GetBoolean());

        var dyDemX = new double[nnei];
        var dyDem = new double[nnei * 4];
        var head = new double[nnei];
        TabulateKernels.SeAttenGrad(table, info, emX, em, two, dy, 1, nnei, 1, true, dyDemX, dyDem, head, ExtrapolationMode.Clamp, TwoEmbedGradient.Head);

        // HEAD's checks: dy_dtwo[1] == 1 (abs 1e-12), dy_dtwo[2..5] == 0 exactly, and agreement with finite differences (1e-9).
        Assert.True(Math.Abs(head[1] - 1.0) < 1e-12, $"dy_dtwo[1] = {head[1]:R}");
        for (int s = 2; s < nnei; s++)
        {
            Assert.Equal(0.0, head[s]);
        }

        var fd = FiniteDifference(two, t =>
        {
            var o = new double[4];
            TabulateKernels.SeAttenForward(table, info, emX, em, t, 1, nnei, 1, true, o);
            return o.Zip(dy, (a, b) => a * b).Sum();
        });
        AssertClose("sorted-padding dy_dtwo (HEAD) vs finite differences", fd, head, 1e-9);

        // Released kernels add the un-multiplied value (G·em·dy = 2·0.1) to every padding slot instead.
        var released = new double[nnei];
        TabulateKernels.SeAttenGrad(table, info, emX, em, two, dy, 1, nnei, 1, true, dyDemX, dyDem, released);
        Assert.Equal(head[0], released[0]);
        for (int s = 1; s < nnei; s++)
        {
            Assert.True(Math.Abs(released[s] - 0.2) < 1e-15, $"released dy_dtwo[{s}] = {released[s]:R}");
        }
    }

    [SkippableFact]
    public void SeRForwardAndGradReproduceDeepmdVectors()
    {
        var j = Load("tabulate_se_r.json");
        double tol = j.GetProperty("tolerance").GetProperty("value").GetDouble();
        var table = D(j, "table");
        var info = TableInfo.FromValues(D(j, "table_info"));
        var em = D(j, "em");
        int nloc = I(j, "params.nloc"), nnei = I(j, "params.nnei"), L = I(j, "params.last_layer_size");

        var output = new double[nloc * nnei * L];
        TabulateKernels.SeRForward(table, info, em, nloc, nnei, L, output);
        AssertClose("se_r forward", D(j.GetProperty("forward"), "expected_xyz_scatter"), output, tol);

        var dy = Enumerable.Repeat(1.0, nloc * nnei * L).ToArray();
        var dyDem = new double[nloc * nnei];
        TabulateKernels.SeRGrad(table, info, em, dy, nloc, nnei, L, dyDem);
        AssertClose("se_r grad dy_dem", D(j.GetProperty("grad"), "expected_dy_dem"), dyDem, tol);
    }

    [SkippableFact]
    public void SeTForwardAndGradReproduceDeepmdVectors()
    {
        var j = Load("tabulate_se_t.json");
        var table = D(j, "table");
        var info = TableInfo.FromValues(D(j, "table_info"));
        var emX = D(j, "em_x");
        int nloc = I(j, "params.nloc"), ni = I(j, "params.nnei_i"), nj = I(j, "params.nnei_j"), L = I(j, "params.last_layer_size");
        Assert.Equal(58, TabulateKernels.RequiredRows(info, RowLayout.SeT, ExtrapolationMode.Clamp));

        // These expectations are printed with full double precision: hold them to 1e-10 (relative to their size).
        var output = new double[nloc * L];
        TabulateKernels.SeTForward(table, info, emX, nloc, ni, nj, L, output);
        AssertRelative("se_t forward", D(j.GetProperty("forward"), "expected_xyz_scatter"), output, 1e-10);

        var dy = D(j.GetProperty("grad"), "dy");
        var dyDemX = new double[nloc * ni * nj];
        var dyDem = new double[nloc * ni * nj];
        TabulateKernels.SeTGrad(table, info, emX, dy, nloc, ni, nj, L, dyDemX, dyDem);
        AssertRelative("se_t grad dy_dem_x", D(j.GetProperty("grad"), "expected_dy_dem_x"), dyDemX, 1e-10);
        AssertRelative("se_t grad dy_dem", D(j.GetProperty("grad"), "expected_dy_dem"), dyDem, 1e-10);
    }

    private void AssertRelative(string what, double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            worst = Math.Max(worst, d);
            Assert.True(d < tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }

        _out.WriteLine($"{what}: max relative diff {worst:G3} over {expected.Length} values");
    }

    [SkippableFact]
    public void FloatKernelsAgreeWithDoubleKernels()
    {
        var j = Load("tabulate_se_a.json");
        var table = D(j, "table");
        var info = TableInfo.FromValues(D(j, "table_info"));
        var emX = D(j, "em_x");
        var em = D(j, "em");
        int nloc = I(j, "params.nloc"), nnei = I(j, "params.nnei"), L = I(j, "params.last_layer_size");
        var expected = D(j.GetProperty("forward"), "expected_xyz_scatter");
        var outF = new float[nloc * 4 * L];
        TabulateKernels.SeAForward(F(table), info, F(emX), F(em), nloc, nnei, L, outF);
        AssertClose("se_a forward (float)", expected, outF.Select(x => (double)x).ToArray(), 2e-5);

        var dyF = Enumerable.Repeat(1f, nloc * 4 * L).ToArray();
        var dxF = new float[nloc * nnei];
        var demF = new float[nloc * nnei * 4];
        TabulateKernels.SeAGrad(F(table), info, F(emX), F(em), dyF, nloc, nnei, L, dxF, demF);
        AssertClose("se_a grad dy_dem_x (float)", D(j.GetProperty("grad"), "expected_dy_dem_x"), dxF.Select(x => (double)x).ToArray(), 2e-5);
        AssertClose("se_a grad dy_dem (float)", D(j.GetProperty("grad"), "expected_dy_dem"), demF.Select(x => (double)x).ToArray(), 2e-5);

        var r = Load("tabulate_se_r.json");
        var outR = new float[nloc * nnei * L];
        TabulateKernels.SeRForward(F(table), info, F(D(r, "em")), nloc, nnei, L, outR);
        AssertClose("se_r forward (float)", D(r.GetProperty("forward"), "expected_xyz_scatter"), outR.Select(x => (double)x).ToArray(), 2e-5);

        var t = Load("tabulate_se_t.json");
        var tTable = D(t, "table");
        var tInfo = TableInfo.FromValues(D(t, "table_info"));
        int tn = I(t, "params.nloc"), ti = I(t, "params.nnei_i"), tj = I(t, "params.nnei_j"), tl = I(t, "params.last_layer_size");
        var outT = new float[tn * tl];
        TabulateKernels.SeTForward(F(tTable), tInfo, F(D(t, "em_x")), tn, ti, tj, tl, outT);
        var expT = D(t.GetProperty("forward"), "expected_xyz_scatter");
        for (int i = 0; i < expT.Length; i++)
        {
            Assert.True(Math.Abs(outT[i] - expT[i]) <= 1e-5 * Math.Max(1, Math.Abs(expT[i])) + 1e-4, $"se_t float [{i}] {outT[i]} vs {expT[i]}");
        }
    }

    private static float[] F(double[] a) => a.Select(x => (float)x).ToArray();

    private static double[] FiniteDifference(double[] at, Func<double[], double> f, double h = 1e-6)
    {
        var g = new double[at.Length];
        for (int i = 0; i < at.Length; i++)
        {
            var p = (double[])at.Clone();
            var m = (double[])at.Clone();
            p[i] += h;
            m[i] -= h;
            g[i] = (f(p) - f(m)) / (2 * h);
        }

        return g;
    }

    // ---------------------------------------------------------------- deepmd-kit's locate/extrapolation unit-test numbers

    private static readonly double[] WorkedTable =
    {
        10, 2, 3, 0.25, -0.5, 0.1,
        20, -1, 0.5, -0.2, 0.25, -0.05,
        30, 4, -2, 1, 0.1, 0.2,
        40, -3, 1, 0.5, -0.25, 0.05,
    };

    private static readonly TableInfo WorkedInfo = new(-1, 1, 2, 1, 1, -1);

    [Theory]
    [InlineData(-1.5, 10, 9)]
    [InlineData(-0.25, 13.15849609375, 13.15849609375)]
    [InlineData(0.5, 19.6140625, 19.6140625)]
    [InlineData(1.75, 32.3759765625, 32.3759765625)]
    [InlineData(2.0, 30, 33.3)]
    [InlineData(3.0, 30, 37.7)]
    public void SeRReproducesTheWorkedNumbersInBothModes(double x, double released, double head)
    {
        var clamp = new double[1];
        var linear = new double[1];
        TabulateKernels.SeRForward(WorkedTable, WorkedInfo, new[] { x }, 1, 1, 1, clamp, ExtrapolationMode.Clamp);
        TabulateKernels.SeRForward(WorkedTable, WorkedInfo, new[] { x }, 1, 1, 1, linear, ExtrapolationMode.Linear);
        Assert.Equal(released, clamp[0], 12);
        Assert.Equal(head, linear[0], 12);
    }

    [Fact]
    public void ClampedGradientIsA1WhileLinearGradientIsTheEdgeSlope()
    {
        // Beyond max the released kernels take P′(0) = a1 of the clamp row (row 2: a1 = 4), HEAD P′(t = 1) of row 2.
        var clamp = new double[1];
        var linear = new double[1];
        TabulateKernels.SeRGrad(WorkedTable, WorkedInfo, new[] { 3.0 }, new[] { 1.0 }, 1, 1, 1, clamp, ExtrapolationMode.Clamp);
        TabulateKernels.SeRGrad(WorkedTable, WorkedInfo, new[] { 3.0 }, new[] { 1.0 }, 1, 1, 1, linear, ExtrapolationMode.Linear);
        Assert.Equal(4.0, clamp[0]);
        Assert.Equal(4 + 2 * -2 + 3 * 1 + 4 * 0.1 + 5 * 0.2, linear[0], 12);

        // HEAD's value beyond max grows linearly with that slope: G(3) − G(2) = P′(1).
        var v = new double[2];
        TabulateKernels.SeRForward(WorkedTable, WorkedInfo, new[] { 2.0, 3.0 }, 1, 2, 1, v, ExtrapolationMode.Linear);
        Assert.Equal(linear[0], v[1] - v[0], 12);
    }

    [Fact]
    public void SeAPaddingShortcutEqualsTheFullSumAndPutsTheTailGradientOnTheFirstPaddingSlot()
    {
        var info = new TableInfo(-1, 1, 2, 1, 1, -1);
        // Two real neighbours, then three identical padding slots (em = (s_pad, 0, 0, 0), em_x = s_pad).
        double pad = -0.4;
        double[] emX = { 0.3, -0.2, pad, pad, pad };
        double[] em = { 0.3, 0.1, -0.2, 0.05, -0.2, 0.3, 0.1, -0.1, pad, 0, 0, 0, pad, 0, 0, 0, pad, 0, 0, 0 };
        var sorted = new double[4];
        var full = new double[4];
        TabulateKernels.SeAttenForward(WorkedTable, info, emX, em, new double[5], 1, 5, 1, isSorted: true, sorted);
        TabulateKernels.SeAttenForward(WorkedTable, info, emX, em, new double[5], 1, 5, 1, isSorted: false, full);
        for (int m = 0; m < 4; m++)
        {
            Assert.Equal(full[m], sorted[m], 13);
        }

        var seA = new double[4];
        TabulateKernels.SeAForward(WorkedTable, info, emX, em, 1, 5, 1, seA);
        Assert.Equal(sorted, seA);

        double[] dy = { 1, 0.5, -0.25, 2 };
        var dxS = new double[5];
        var demS = new double[20];
        var dxF = new double[5];
        var demF = new double[20];
        TabulateKernels.SeAGrad(WorkedTable, info, emX, em, dy, 1, 5, 1, dxS, demS);
        TabulateKernels.SeAttenGrad(WorkedTable, info, emX, em, new double[5], dy, 1, 5, 1, false, dxF, demF, new double[5]);
        Assert.Equal(dxF[0], dxS[0], 14);
        Assert.Equal(dxF[1], dxS[1], 14);
        Assert.Equal(dxF[2] + dxF[3] + dxF[4], dxS[2], 13);
        Assert.Equal(0.0, dxS[3]);
        Assert.Equal(0.0, dxS[4]);
        for (int m = 0; m < 4; m++)
        {
            Assert.Equal(demF[8 + m] + demF[12 + m] + demF[16 + m], demS[8 + m], 13);
            Assert.Equal(0.0, demS[16 + m]);
        }
    }

    [Fact]
    public void SeTLocatesTheLowerCoarsePartFirst()
    {
        // Rows: [−2, −1) coarse (stride1 1), [−1, 1) fine (stride0 0.5, rows 1–4), [1, 2) coarse (row 5).
        var info = new TableInfo(-1, 1, 2, 0.5, 1, -1);
        int L = 1;
        var table = new double[6 * 6 * L];
        for (int r = 0; r < 6; r++)
        {
            table[r * 6] = 100 * r; // a0 = 100·row
            table[r * 6 + 1] = 1;   // a1 = 1, so G = 100·row + t
        }

        Assert.Equal(6, TabulateKernels.RequiredRows(info, RowLayout.SeT, ExtrapolationMode.Clamp));
        (double x, double g)[] cases = { (-3, 0), (-1.5, 0.5), (-1, 100), (-0.25, 200.25), (0.75, 400.25), (1.5, 500.5), (2, 500), (7, 500) };
        foreach (var (x, g) in cases)
        {
            var v = new double[1];
            TabulateKernels.Interpolate(table, info, RowLayout.SeT, x, L, v, Span<double>.Empty);
            Assert.True(Math.Abs(v[0] - g) < 1e-12, $"G({x}) = {v[0]}, expected {g}");
        }

        // HEAD: below −max linear from row 0 at t = 0 (slope 1), above max from row 5 at t = 1.
        var lo = new double[1];
        var hi = new double[1];
        TabulateKernels.Interpolate(table, info, RowLayout.SeT, -3.0, L, lo, Span<double>.Empty, ExtrapolationMode.Linear);
        TabulateKernels.Interpolate(table, info, RowLayout.SeT, 7.0, L, hi, Span<double>.Empty, ExtrapolationMode.Linear);
        Assert.Equal(-1.0, lo[0], 12);
        Assert.Equal(501 + 5, hi[0], 12);
    }

    [Fact]
    public void LinearModeRefusesADegenerateTableThatClampHandles()
    {
        // upper = 0 (e.g. deeppot with min_nbor_dist 5 Å): max = upper, so C¹ would read one row past the end.
        var info = new TableInfo(-1, 0, 0, 0.5, 5, -1);
        var table = new double[2 * 6];
        table[6] = 7;
        var output = new double[1];
        TabulateKernels.SeRForward(table, info, new[] { 0.5 }, 1, 1, 1, output, ExtrapolationMode.Clamp);
        Assert.Equal(7.0, output[0]);
        var ex = Assert.ThrowsAny<DeepMdException>(() => TabulateKernels.SeRForward(table, info, new[] { 0.5 }, 1, 1, 1, output, ExtrapolationMode.Linear));
        Assert.Equal("TableTooShort", ex.ErrorId);
        Assert.Contains("C¹", ex.Message);
        Assert.Equal(3, TabulateKernels.RequiredRows(info, RowLayout.Standard, ExtrapolationMode.Linear));
    }

    [Fact]
    public void BadTablesAndShapesAreRefused()
    {
        var output = new double[1];
        var bad = Assert.ThrowsAny<DeepMdException>(() => TabulateKernels.SeRForward(WorkedTable, new TableInfo(-1, 1, 2, 0, 1, -1), new[] { 0.0 }, 1, 1, 1, output));
        Assert.Equal("InvalidTableInfo", bad.ErrorId);
        var shortTable = Assert.ThrowsAny<DeepMdException>(() => TabulateKernels.SeRForward(WorkedTable.AsSpan(0, 12), WorkedInfo, new[] { 1.5 }, 1, 1, 1, output));
        Assert.Equal("TableTooShort", shortTable.ErrorId);
        var ragged = Assert.ThrowsAny<DeepMdException>(() => TabulateKernels.SeRForward(WorkedTable.AsSpan(0, 20), WorkedInfo, new[] { 0.0 }, 1, 1, 1, output));
        Assert.Equal("TableShapeMismatch", ragged.ErrorId);
        Assert.Throws<ArgumentException>(() => TabulateKernels.SeRForward(WorkedTable, WorkedInfo, new[] { 0.0, 1.0 }, 1, 1, 1, output));
    }

    [Fact]
    public void KernelsDoNotAllocate()
    {
        var info = WorkedInfo;
        double[] emX = { 0.3, -0.2 };
        double[] em = { 0.3, 0.1, -0.2, 0.05, -0.2, 0.3, 0.1, -0.1 };
        var output = new double[4];
        var dy = new double[] { 1, 1, 1, 1 };
        var dx = new double[2];
        var dem = new double[8];
        TabulateKernels.SeAForward(WorkedTable, info, emX, em, 1, 2, 1, output);
        TabulateKernels.SeAGrad(WorkedTable, info, emX, em, dy, 1, 2, 1, dx, dem);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            TabulateKernels.SeAForward(WorkedTable, info, emX, em, 1, 2, 1, output, ExtrapolationMode.Linear);
            TabulateKernels.SeAGrad(WorkedTable, info, emX, em, dy, 1, 2, 1, dx, dem);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
