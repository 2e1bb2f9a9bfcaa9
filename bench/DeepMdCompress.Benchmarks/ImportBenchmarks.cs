using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Benchmarks;

/// <summary>Time and allocations to import (read + introspect) the largest shared model, text and binary.</summary>
[MemoryDiagnoser]
public class ImportBenchmarks
{
    private static readonly string Models = Path.GetFullPath(Path.Combine(FindRoot(), "..", "shared", "testdata", "models"));

    [Benchmark(Baseline = true)]
    public FrozenModel ImportBinaryGraph000() => FrozenModelReader.Load(Path.Combine(Models, "graph.000.pb"));

    [Benchmark]
    public FrozenModel ImportTextDpOriginal() => FrozenModelReader.Load(Path.Combine(Models, "dp-original.pbtxt"));

    internal static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepMdCompress.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
