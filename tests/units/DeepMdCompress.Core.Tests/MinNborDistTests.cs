using DeepMdCompress.TestSupport;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Ranges;
using Xunit;
using Xunit.Abstractions;
using static DeepMdCompress.Core.Tests.NpyTestFiles;

namespace DeepMdCompress.Core.Tests;

public class MinNborDistTests
{
    private readonly string _dir = TestData.TempDir();
    private readonly ITestOutputHelper _out;

    public MinNborDistTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// deepmd-kit 3.x's statistic written out naively (docs/tables.md#ranges): every local atom against every atom of the
    /// 27 images (only the unshifted copy without pbc), except itself unshifted; negative types skipped; start at 100.
    /// </summary>
    private static double BruteForceSquared(double[] c, int[]? types, double[]? box, double start = 100.0)
    {
        int n = c.Length / 3;
        double best = start;
        int r = box is null ? 0 : 1;
        for (int a = -r; a <= r; a++)
        for (int b = -r; b <= r; b++)
        for (int k = -r; k <= r; k++)
        {
            double sx = 0, sy = 0, sz = 0;
            if (box is not null)
            {
                sx = a * box[0] + b * box[3] + k * box[6];
                sy = a * box[1] + b * box[4] + k * box[7];
                sz = a * box[2] + b * box[5] + k * box[8];
            }

            for (int i = 0; i < n; i++)
            {
                if (types is not null && types[i] < 0) continue;
                for (int j = 0; j < n; j++)
                {
                    if ((types is not null && types[j] < 0) || (i == j && a == 0 && b == 0 && k == 0)) continue;
                    double dx = c[3 * j] + sx - c[3 * i], dy = c[3 * j + 1] + sy - c[3 * i + 1], dz = c[3 * j + 2] + sz - c[3 * i + 2];
                    best = Math.Min(best, dx * dx + dy * dy + dz * dz);
                }
            }
        }

        return best;
    }

    private string OneFrameSystem(string name, int[] types, double[] coord, double[]? box, bool nopbc = false) =>
        NpyTestFiles.System(Path.Combine(_dir, name), types, new (double[][], double[][]?)[] { (new[] { coord }, box is null ? null : new[] { box }) }, nopbc: nopbc);

    [Fact]
    public void TwoAtomsAcrossThePeriodicBoundary()
    {
        var coord = new[] { 0.5, 5, 5, 9.7, 5, 5 };
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("pbc", new[] { 0, 1 }, coord, Cubic(10)) });
        Assert.Equal(0.8, stats.MinNborDist, 12);
        Assert.Equal(BruteForceSquared(coord, null, Cubic(10)), stats.MinDistanceSquared);
        Assert.Equal(new[] { 0, 1 }, stats.ClosestAtoms!.OrderBy(i => i));
        Assert.Equal(1, stats.ClosestShift!.Select(Math.Abs).Sum());
        Assert.Empty(stats.Warnings);
    }

    [Fact]
    public void SelfImageInASmallCell()
    {
        var one = new[] { 0.3, 0.2, 0.1 };
        Assert.Equal(2.5, MinNborDist.Compute(new[] { OneFrameSystem("cubic", new[] { 0 }, one, Cubic(2.5)) }).MinNborDist);
        var tri = new[] { 3.0, 0, 0, 1.5, 2.6, 0, 0.4, 0.3, 5 };
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("tri", new[] { 0 }, one, tri) });
        Assert.Equal(Math.Sqrt(BruteForceSquared(one, null, tri)), stats.MinNborDist);
        Assert.Equal(3.0, stats.MinNborDist, 12);
        Assert.Equal(new[] { 0, 0 }, stats.ClosestAtoms);
    }

    [Fact]
    public void NopbcSystemHasNoImagesEvenWithABox()
    {
        var coord = new[] { 0.5, 5, 5, 9.7, 5, 5, 5, 5, 5 };
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("open", new[] { 0, 0, 0 }, coord, Cubic(10), nopbc: true) });
        Assert.Equal(4.5, stats.MinNborDist, 12);
        Assert.Equal(BruteForceSquared(coord, null, null), stats.MinDistanceSquared);
    }

    [Fact]
    public void CapIsTenAngstrom()
    {
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("far", new[] { 0, 0 }, new[] { 0.0, 0, 0, 12, 0, 0 }, null, nopbc: true) });
        Assert.Equal(10.0, stats.MinNborDist);
        Assert.Null(stats.ClosestSet);
        Assert.Contains(stats.Warnings, w => w.Contains("10"));
        // A big empty cell: the self-images are 30 Å away.
        Assert.Equal(10.0, MinNborDist.Compute(new[] { OneFrameSystem("big", new[] { 0 }, new[] { 1.0, 1, 1 }, Cubic(30)) }).MinNborDist);
    }

    [Fact]
    public void SingleOpenAtomWarnsLikeDeepmd()
    {
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("lonely", new[] { 0 }, new[] { 1.0, 1, 1 }, null, nopbc: true) });
        Assert.Equal(10.0, stats.MinNborDist);
        Assert.Contains(stats.Warnings, w => w.StartsWith("Atoms with no neighbors found in ", StringComparison.Ordinal) && w.Contains("set.000"));
    }

    [Fact]
    public void OverlappingAtomsAreAnError()
    {
        string direct = OneFrameSystem("dup", new[] { 0, 1, 1 }, new[] { 1.0, 2, 3, 4, 4, 4, 1, 2, 3 }, Cubic(10));
        var ex = Assert.Throws<DataFileException>(() => MinNborDist.Compute(new[] { direct }));
        Assert.Equal("OverlappingAtoms", ex.ErrorId);
        Assert.Contains(Path.Combine(direct, "set.000"), ex.Message);
        Assert.Contains("Some atoms are overlapping in", ex.Message);

        // Atom 1 sits exactly one cell vector from atom 0: they overlap through the periodic image.
        string image = OneFrameSystem("dupimage", new[] { 0, 0 }, new[] { 0.0, 1, 1, 10, 1, 1 }, Cubic(10));
        Assert.Equal("OverlappingAtoms", Assert.Throws<DataFileException>(() => MinNborDist.Compute(new[] { image })).ErrorId);
    }

    [Fact]
    public void VirtualAtomsDoNotCount()
    {
        var coord = new[] { 1.0, 2, 3, 1, 2, 3, 4, 2, 3 };
        var types = new[] { 0, -1, 1 };
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("virtual", types, coord, Cubic(10)) });
        Assert.Equal(3.0, stats.MinNborDist, 12);
        Assert.Equal(BruteForceSquared(coord, types, Cubic(10)), stats.MinDistanceSquared);
    }

    [Fact]
    public void ScriptTypeMapRemapsVirtualAtomsLikeDeepmd()
    {
        // dp compress -t loads the data with the script's type_map; numpy's indexing turns type -1 into a real type.
        string dir = OneFrameSystem("remap", new[] { 0, -1, 1 }, new[] { 1.0, 2, 3, 1, 2, 3, 4, 2, 3 }, Cubic(10));
        File.WriteAllText(Path.Combine(dir, "type_map.raw"), "O H\n");
        Assert.Equal(3.0, MinNborDist.Compute(new[] { dir }).MinNborDist, 12);
        var ex = Assert.Throws<DataFileException>(() => MinNborDist.Compute(new[] { dir }, "set", default, null, new[] { "H", "O" }));
        Assert.Equal("OverlappingAtoms", ex.ErrorId);
        Assert.Equal("TypeMapMismatch", Assert.Throws<DataFileException>(() => MinNborDist.Compute(new[] { dir }, "set", default, null, new[] { "H", "C" })).ErrorId);
    }

    [Fact]
    public void LeftHandedCellGetsNoImagesLikeDeepmd3()
    {
        // det < 0: deepmd-kit's signed face distance is negative, ceil(1e-6 / d) = 0, so no periodic copies.
        var left = new[] { 0, 2.5, 0, 2.5, 0, 0, 0, 0, 2.5 };
        var stats = MinNborDist.Compute(new[] { OneFrameSystem("left", new[] { 0 }, new[] { 0.1, 0.1, 0.1 }, left) });
        Assert.Equal(10.0, stats.MinNborDist);
        Assert.Contains(stats.Warnings, w => w.Contains("left-handed"));
        var pair = MinNborDist.Frame(new[] { 0.1, 0.1, 0.1 }, null, left);
        Assert.False(pair.HasImages);
    }

    [Fact]
    public void DegenerateCellIsRefused()
    {
        var flat = new[] { 1.0, 0, 0, 0, 1, 0, 1, 1, 0 };
        var ex = Assert.Throws<DataFileException>(() => MinNborDist.Compute(new[] { OneFrameSystem("flat", new[] { 0, 0 }, new[] { 0.0, 0, 0, 0.5, 0.5, 0 }, flat) }));
        Assert.Equal("InvalidBox", ex.ErrorId);
    }

    [SkippableFact]
    public void SharedCompressionSystemMatchesBruteForce()
    {
        string path = TestData.Shared("systems", "model_compression", "data");
        var stats = MinNborDist.Compute(new[] { path });
        var sys = DataSystem.Open(path);
        double brute = 100;
        foreach (var f in sys.Sets.SelectMany(s => s.ReadFrames(sys.AtomTypes)))
        {
            brute = Math.Min(brute, BruteForceSquared(f.Coord, f.Types, f.Box, brute));
        }

        _out.WriteLine($"model_compression: {stats}");
        Assert.Equal(brute, stats.MinDistanceSquared);
        Assert.Equal(80, stats.Frames);
        // A water box: the closest pair is an O-H bond, about 1 Å.
        Assert.InRange(stats.MinNborDist, 0.8, 1.1);
        var atoms = stats.ClosestAtoms!;
        Assert.NotEqual(sys.AtomTypes[atoms[0]], sys.AtomTypes[atoms[1]]);
    }

    [SkippableTheory]
    [InlineData("model_devi")]
    [InlineData("pt_model_compression")]
    public void OtherSharedSystemsMatchBruteForce(string name)
    {
        string path = TestData.Shared("systems", name, "data");
        var stats = MinNborDist.Compute(new[] { path });
        var sys = DataSystem.Open(path);
        double brute = sys.Sets.SelectMany(s => s.ReadFrames(sys.AtomTypes)).Aggregate(100.0, (m, f) => BruteForceSquared(f.Coord, f.Types, f.Box, m));
        _out.WriteLine($"{name}: {stats}");
        Assert.Equal(brute, stats.MinDistanceSquared);
    }

    [Fact]
    public void RandomFramesMatchBruteForce()
    {
        var rng = new Random(20261126);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 1 + rng.Next(60);
            double a = 2 + rng.NextDouble() * 12;
            double[]? box = trial % 5 == 0 ? null : new[]
            {
                a, 0, 0,
                (rng.NextDouble() - 0.5) * a, a * (0.6 + 0.6 * rng.NextDouble()), 0,
                (rng.NextDouble() - 0.5) * a, (rng.NextDouble() - 0.5) * a, a * (0.6 + 0.6 * rng.NextDouble()),
            };
            // Coordinates as stored: some outside the cell.
            var coord = Enumerable.Range(0, 3 * n).Select(_ => (rng.NextDouble() * 1.6 - 0.3) * a).ToArray();
            var types = trial % 3 == 0 ? Enumerable.Range(0, n).Select(_ => rng.Next(4) - 1).ToArray() : null;
            double bound = trial % 4 == 0 ? 100 : Math.Pow(rng.NextDouble() * 4, 2) + 1e-3;
            double expected = BruteForceSquared(coord, types, box, bound);
            var pair = MinNborDist.Frame(coord, types, box, bound);
            double got = double.IsPositiveInfinity(pair.DistanceSquared) ? bound : pair.DistanceSquared;
            Assert.True(expected == got, $"trial {trial}: n={n}, brute {expected}, cell list {got}");
        }
    }

    [Fact]
    public void ClusteredAndFlatFramesMatchBruteForce()
    {
        var rng = new Random(5);
        // A dense blob far from a few outliers: the cell size must shrink for the blob.
        var blob = Enumerable.Range(0, 3 * 800).Select(_ => rng.NextDouble() * 0.5).Concat(new[] { 40.0, 40, 40, -30, 5, 5 }).ToArray();
        Assert.Equal(BruteForceSquared(blob, null, null), MinNborDist.Frame(blob, null, null).DistanceSquared);
        // Outliers a million kilometres away must not force the blob into one cell.
        var far = Enumerable.Range(0, 3 * 1500).Select(_ => rng.NextDouble()).Concat(new[] { 1e9, 0, 0, -1e9, 0, 0 }).ToArray();
        Assert.Equal(BruteForceSquared(far, null, null), MinNborDist.Frame(far, null, null).DistanceSquared);
        // A flat sheet in a tall cell and a line of atoms.
        var sheet = Enumerable.Range(0, 300).SelectMany(i => new[] { rng.NextDouble() * 20, rng.NextDouble() * 20, 7.0 }).ToArray();
        var cell = new[] { 20.0, 0, 0, 0, 20, 0, 0, 0, 30 };
        Assert.Equal(BruteForceSquared(sheet, null, cell), MinNborDist.Frame(sheet, null, cell).DistanceSquared);
        var line = Enumerable.Range(0, 200).SelectMany(i => new[] { i * 1.37, 0.0, 0.0 }).ToArray();
        Assert.Equal(BruteForceSquared(line, null, null), MinNborDist.Frame(line, null, null).DistanceSquared);
    }

    /// <summary>Correctness only: the time is measured by RangeBenchmarks. A jittered 101 614-atom lattice with one planted pair.</summary>
    [Fact]
    public void HundredThousandAtomFrame()
    {
        var (coord, box, i, j) = LatticeFrame.Build();
        double dx = coord[3 * j] - coord[3 * i], dy = coord[3 * j + 1] - coord[3 * i + 1], dz = coord[3 * j + 2] - coord[3 * i + 2];
        double planted = dx * dx + dy * dy + dz * dz;
        var pair = MinNborDist.Frame(coord, null, box);
        Assert.Equal(planted, pair.DistanceSquared);
        Assert.Equal(new[] { i, j }, new[] { pair.Atom, pair.Neighbour }.OrderBy(x => x));
        // The same frame with the planted pair split across the boundary: the image pair is the closest.
        var (c2, b2, i2, j2) = LatticeFrame.Build(acrossBoundary: true);
        var p2 = MinNborDist.Frame(c2, null, b2);
        Assert.Equal(new[] { i2, j2 }, new[] { p2.Atom, p2.Neighbour }.OrderBy(x => x));
        Assert.Equal(1, p2.Shift.Select(Math.Abs).Sum());
    }

    [Fact]
    public void ReportsProgressPerFrameAndHonoursCancellation()
    {
        string sys = NpyTestFiles.System(Path.Combine(_dir, "prog"), new[] { 0, 0 },
            new (double[][], double[][]?)[] { (Enumerable.Range(0, 5).Select(f => new[] { 0.0, 0, 0, 1.0 + f, 0, 0 }).ToArray(), Enumerable.Repeat(Cubic(20), 5).ToArray()) });
        var reports = new List<MinNborDistProgress>();
        var stats = MinNborDist.Compute(new[] { sys }, "set", default, new SyncProgress<MinNborDistProgress>(reports.Add));
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, reports.Select(r => r.FramesDone));
        Assert.All(reports, r => Assert.Equal(5, r.TotalFrames));
        Assert.Equal(1.0, stats.MinNborDist);
        Assert.Equal(0, stats.ClosestFrame);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => MinNborDist.Compute(new[] { sys }, "set", cts.Token));
    }
}

/// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to a thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
