using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// Compare-FrozenModel's work: water_std against its compressed form over all 80 frames of the training system
/// (both models evaluated on every frame, errors accumulated). Ratio is against the baseline job.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SideBySideConfig))]
public class ComparisonBenchmarks
{
    private FrozenModel _original = null!, _compressed = null!;
    private EvaluationFrames _frames = null!;

    [GlobalSetup]
    public void Setup()
    {
        _original = WaterStd.Original();
        _compressed = WaterStd.Compressed(_original);
        _frames = EvaluationFrames.FromSystem(WaterStd.TrainingSystem, _original.TypeMap, 0, 0);
    }

    [Benchmark]
    public double Compare80Frames() => ModelComparer.Compare(_original, _compressed, _frames, 1.0).Frames;
}
