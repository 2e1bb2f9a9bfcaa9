using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// min_nbor_dist on a 101 614-atom periodic frame (cell list, 27 images) — first with deepmd-kit's initial 10 Å bound,
/// then with a bound already near the answer, as for every frame after the first — plus the 80-frame shared
/// water system and the per-net ranges of deeppot.pbtxt.
/// </summary>
[MemoryDiagnoser]
public class RangeBenchmarks
{
    private static readonly string Shared = Path.GetFullPath(Path.Combine(ImportBenchmarks.FindRoot(), "..", "shared", "testdata"));
    private double[] _coord = Array.Empty<double>();
    private double[] _box = Array.Empty<double>();
    private FrozenModel? _deeppot;

    [GlobalSetup]
    public void Setup()
    {
        (_coord, _box) = LargeFrame();
        _deeppot = FrozenModelReader.Load(Path.Combine(Shared, "models", "deeppot.pbtxt"));
    }

    [Benchmark(Baseline = true)]
    public double Frame100kFirst() => MinNborDist.Frame(_coord, null, _box, MinNborDist.InitialSquared).DistanceSquared;

    [Benchmark]
    public double Frame100kLater() => MinNborDist.Frame(_coord, null, _box, 1.3 * 1.3).DistanceSquared;

    [Benchmark]
    public double SharedWater80Frames() => MinNborDist.Compute(new[] { Path.Combine(Shared, "systems", "model_compression", "data") }).MinNborDist;

    [Benchmark]
    public int DeepPotRanges() => EnvMatRange.Measure(_deeppot!, 1.0, MinNborDistSource.Parameter).Nets.Count;

    /// <summary>47×47×46 simple-cubic lattice, 2 Å spacing, jitter ≤ 0.2 Å, with one pair moved to 1.1 Å.</summary>
    private static (double[] Coord, double[] Box) LargeFrame()
    {
        const int nx = 47, ny = 47, nz = 46;
        var rng = new Random(11);
        var coord = new double[nx * ny * nz * 3];
        int k = 0;
        for (int x = 0; x < nx; x++)
        for (int y = 0; y < ny; y++)
        for (int z = 0; z < nz; z++)
        {
            coord[k++] = 2.0 * x + (rng.NextDouble() - 0.5) * 0.4;
            coord[k++] = 2.0 * y + (rng.NextDouble() - 0.5) * 0.4;
            coord[k++] = 2.0 * z + (rng.NextDouble() - 0.5) * 0.4;
        }

        int i = (20 * ny + 20) * nz + 20, j = (21 * ny + 20) * nz + 20;
        coord[3 * j] = coord[3 * i] + 1.1;
        coord[3 * j + 1] = coord[3 * i + 1];
        coord[3 * j + 2] = coord[3 * i + 2];
        return (coord, new[] { 2.0 * nx, 0, 0, 0, 2.0 * ny, 0, 0, 0, 2.0 * nz });
    }
}
