using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// One frame of a periodic water box through graph.000.pb (se_e2_a, embedding 20-40-80, fitting 60-60-60),
/// original against its compressed form (step 0.01, min_nbor_dist from the model's own training system),
/// side by side in one run: 192 atoms (frame 0 of systems/model_devi) and its 2×2×2 replica of 1536 atoms.
/// Time and allocations come from BenchmarkDotNet (Ratio, Alloc Ratio of Compressed against the Original baseline
/// at the same atom count); the PeakWorking
/// column is the interpreter's largest total of intermediate tensors alive at once during a frame.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeakConfig))]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class EvaluatorBenchmarks
{
    private static readonly Dictionary<(string, int), long> PeakBytes = new();
    private DeepPotEvaluator _original = null!, _compressed = null!;
    private EvaluationFrames _frames = null!;

    [Params(192, 1536)]
    public int Atoms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_original, _frames) = Create("original", Atoms);
        (_compressed, _) = Create("compressed", Atoms);
        foreach (var (name, evaluator) in new[] { ("Original", _original), ("Compressed", _compressed) })
        {
            evaluator.Evaluate(_frames.Coordinates, _frames.AtomTypes, _frames.Box);
            PeakBytes[(name, Atoms)] = evaluator.Interpreter.LastRunPeakBytes;
        }
    }

    /// <summary>The baseline: Ratio and Alloc Ratio of the compressed model are against this, per atom count.</summary>
    [Benchmark(Baseline = true)]
    public double Original() => _original.Evaluate(_frames.Coordinates, _frames.AtomTypes, _frames.Box)[0].Energy;

    [Benchmark]
    public double Compressed() => _compressed.Evaluate(_frames.Coordinates, _frames.AtomTypes, _frames.Box)[0].Energy;

    internal static (DeepPotEvaluator, EvaluationFrames) Create(string model, int atoms)
    {
        string shared = Path.GetFullPath(Path.Combine(ImportBenchmarks.FindRoot(), "..", "shared", "testdata"));
        string system = Path.Combine(shared, "systems", "model_devi", "data");
        var original = FrozenModelReader.Load(Path.Combine(shared, "models", "graph.000.pb"));
        var frozen = model == "original"
            ? original
            : ModelCompressor.Compress(original, new MinNborDistInput { TrainingData = new[] { system } }, new TabulationSettings(), "graph.000.pb").Model;
        var frame = EvaluationFrames.FromSystem(system, original.TypeMap, 0, 0, maxFrames: 1);
        return (new DeepPotEvaluator(frozen), Replicate(frame, atoms));
    }

    /// <summary>An n×n×n replica of a periodic frame (the same box repeated, cell scaled by n).</summary>
    internal static EvaluationFrames Replicate(EvaluationFrames frame, int atoms)
    {
        int natoms = frame.AtomTypes.Length;
        int replicas = atoms / natoms;
        int n = (int)Math.Round(Math.Cbrt(replicas));
        if (n * n * n * natoms != atoms || frame.Box is null)
        {
            throw new InvalidOperationException($"{atoms} atoms is not a cubic replica of the periodic {natoms}-atom frame");
        }

        var box = frame.Box;
        var coord = new List<double>(atoms * 3);
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                for (int c = 0; c < n; c++)
                {
                    for (int i = 0; i < natoms * 3; i++)
                    {
                        int d = i % 3;
                        coord.Add(frame.Coordinates[i] + (a * box[d]) + (b * box[3 + d]) + (c * box[6 + d]));
                    }
                }
            }
        }

        return new EvaluationFrames(coord.ToArray(), Enumerable.Repeat(frame.AtomTypes, replicas).SelectMany(t => t).ToArray(),
            box.Select(v => v * n).ToArray(), null, null);
    }

    private sealed class PeakConfig : ManualConfig
    {
        public PeakConfig() => AddColumn(new PeakWorkingColumn());
    }

    /// <summary>Peak working memory of one frame, measured in the host by evaluating the case once.</summary>
    private sealed class PeakWorkingColumn : IColumn
    {
        public string Id => nameof(PeakWorkingColumn);

        public string ColumnName => "PeakWorking";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Size;

        public string Legend => "Largest total of intermediate tensors alive at once while evaluating one frame";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
            int atoms = (int)benchmarkCase.Parameters["Atoms"];
            if (!PeakBytes.TryGetValue((method, atoms), out long bytes))
            {
                var (evaluator, frames) = Create(method.ToLowerInvariant(), atoms);
                evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box);
                PeakBytes[(method, atoms)] = bytes = evaluator.Interpreter.LastRunPeakBytes;
            }

            return $"{bytes / (1024.0 * 1024.0):F1} MB";
        }
    }
}
