using DeepMdCompress.TestSupport;
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
    private static readonly string Shared = Path.GetFullPath(Path.Combine(WaterStd.FindRoot(), "..", "shared", "testdata"));
    private double[] _coord = Array.Empty<double>();
    private double[] _box = Array.Empty<double>();
    private FrozenModel? _deeppot;

    [GlobalSetup]
    public void Setup()
    {
        (_coord, _box, _, _) = LatticeFrame.Build();
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
}
