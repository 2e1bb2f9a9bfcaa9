using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// Compress-FrozenModel's stages on water_std (what the cmdlet runs, without PowerShell): import, range (the
/// min_nbor_dist scan of the 80-frame training system included), tabulation, graph surgery, export, and the whole
/// of it from file to file. Ratio is against the baseline job.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SideBySideConfig))]
public class CompressionBenchmarks
{
    private FrozenModel _model = null!;
    private EmbeddingRange _range = null!;
    private TabulatedModel _tables = null!;
    private CompressedModel _compressed = null!;
    private string _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = WaterStd.Original();
        _range = Range();
        _tables = Tabulate();
        _compressed = Build();
        _output = Path.Combine(Path.GetTempPath(), $"water_std_compressed_{Environment.ProcessId}.pb");
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_output);

    [Benchmark]
    public FrozenModel Import() => FrozenModelReader.Load(WaterStd.ModelPath);

    [Benchmark]
    public EmbeddingRange Range() => RangeMeasurement.Measure(_model, WaterStd.MinNborDist(), out _);

    [Benchmark]
    public TabulatedModel Tabulate() => Tabulator.Tabulate(_range, new TabulationSettings());

    [Benchmark]
    public CompressedModel Build() => ModelCompressor.Build(_tables, "original.pb");

    [Benchmark]
    public void Export() => GraphFile.Write(_compressed.Model.GetGraphDef(), _output, GraphFormat.Binary, overwrite: true);

    /// <summary>The cmdlet's work from input file to output file.</summary>
    [Benchmark]
    public void Whole()
    {
        var model = FrozenModelReader.Load(WaterStd.ModelPath);
        var compressed = ModelCompressor.Compress(model, WaterStd.MinNborDist(), new TabulationSettings(), WaterStd.ModelPath);
        GraphFile.Write(compressed.Model.GetGraphDef(), _output, GraphFormat.Binary, overwrite: true);
    }
}
