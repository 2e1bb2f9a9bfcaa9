using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// One frame through water_std, original and compressed, at 192 atoms (cases/water192_f0) and its 2×2×2 replica
/// of 1536 atoms, on 1 and 2 threads: the rows of issue 16's TensorFlow table. Ratio is against the baseline job
/// (the 6816ae0 build) at the same model, atoms and threads.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SideBySideConfig))]
public class EvaluatorBenchmarks
{
    private DeepPotEvaluator _original = null!, _compressed = null!;
    private EvaluationFrames _frame = null!;

    [Params(192, 1536)]
    public int Atoms { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var original = WaterStd.Original();
        _original = new DeepPotEvaluator(original) { MaxDegreeOfParallelism = Threads };
        _compressed = new DeepPotEvaluator(WaterStd.Compressed(original)) { MaxDegreeOfParallelism = Threads };
        _frame = WaterStd.Frame(Atoms);
    }

    [Benchmark]
    public double Original() => _original.Evaluate(_frame.Coordinates, _frame.AtomTypes, _frame.Box)[0].Energy;

    [Benchmark]
    public double Compressed() => _compressed.Evaluate(_frame.Coordinates, _frame.AtomTypes, _frame.Box)[0].Energy;
}
