using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Benchmarks;

/// <summary>Time and allocations to import (read + introspect) the largest shared model, text and binary.</summary>
[MemoryDiagnoser]
public class ImportBenchmarks
{
    private static readonly string Models = Path.GetFullPath(Path.Combine(WaterStd.FindRoot(), "..", "shared", "testdata", "models"));

    [Benchmark(Baseline = true)]
    public FrozenModel ImportBinaryGraph000() => FrozenModelReader.Load(Path.Combine(Models, "graph.000.pb"));

    [Benchmark]
    public FrozenModel ImportTextDpOriginal() => FrozenModelReader.Load(Path.Combine(Models, "dp-original.pbtxt"));
}
