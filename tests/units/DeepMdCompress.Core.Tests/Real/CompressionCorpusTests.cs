using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;
using DeepMdCompress.Core.Versioning;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// Compression of every real deepmd-kit model (docs/testing.md): our verdict is dp's; what dp compresses we compress,
/// and our evaluator on our file gives dp-compressed's outputs; our tables, evaluated, are dp's.
/// </summary>
public sealed class CompressionCorpusTests
{
    private readonly ITestOutputHelper _out;

    public CompressionCorpusTests(ITestOutputHelper output) => _out = output;

    private static readonly Dictionary<string, CompressedModel> Compressed = new(StringComparer.Ordinal);

    /// <summary>Our compression of a corpus model as <c>dp compress -i original.pb -o … -t input.json</c> (defaults), done once per folder.</summary>
    internal static CompressedModel Compress(CorpusModel corpus)
    {
        lock (Compressed)
        {
            if (!Compressed.TryGetValue(corpus.Id, out var result))
            {
                var model = FrozenModelReader.Load(corpus.OriginalPb);
                var input = new MinNborDistInput { TrainingScript = corpus.InputJson, WorkingDirectory = corpus.Directory };
                Compressed[corpus.Id] = result = ModelCompressor.Compress(model, input, new TabulationSettings(), "original.pb");
            }

            return result;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.Models), MemberType = typeof(RealCorpus))]
    public void Verdict_is_dps(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var model = FrozenModelReader.Load(corpus.OriginalPb);
        var info = ModelVersionInspector.Inspect(model);
        _out.WriteLine($"{folder}: dp {(corpus.Accepted ? "accepted" : "refused")}; ours: compressible {info.IsCompressible} — {info.Reason}");
        Assert.Equal(corpus.Accepted, info.IsCompressible);
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.RefusedModels), MemberType = typeof(RealCorpus))]
    public void Refusal_names_dps_reason(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var model = FrozenModelReader.Load(corpus.OriginalPb);
        var ex = Assert.ThrowsAny<Errors.DeepMdException>(() => Compress(corpus));
        _out.WriteLine($"{folder}: {ex.ErrorId}: {ex.Message}");
        _out.WriteLine("dp: " + corpus.Refusal.LastOrDefault());
        Assert.IsType<Errors.UnsupportedModelException>(ex);
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.AcceptedModels), MemberType = typeof(RealCorpus))]
    public void Our_compressed_model_gives_dp_compressed_outputs(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var ours = Compress(corpus).Model;
        foreach (string c in corpus.CaseNames)
        {
            var dp = corpus.Expected(c, "dp_compressed");
            var original = corpus.Expected(c, "original");
            var actual = CorpusEvaluation.Evaluate(ours, corpus, c);
            CorpusEvaluation.AssertClose(dp, actual, (q, r) =>
            {
                double tol = RealCorpus.Tolerance(r, corpus.IsFloat32);
                // A compressed float32 model may also differ from dp's by twice dp's own compressed-vs-original difference.
                return corpus.IsFloat32 ? Math.Max(tol, 2 * RealCorpus.MaxAbsDiff(r, original[q])) : tol;
            }, _out, $"{folder}/{c} ours vs dp-compressed");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.AcceptedModels), MemberType = typeof(RealCorpus))]
    public void Our_tables_evaluate_to_dps(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var digest = new DpDigest(corpus.DigestJson);
        var graph = new GraphIndex(Compress(corpus).Model.GetGraphDef());
        double relative = corpus.IsFloat32 ? 1e-5 : 1e-12;
        var failures = new List<string>();
        foreach (var tab in digest.TabulateNodes)
        {
            var table = digest.TableOf(tab);
            double[] info = digest.TableInfoOf(tab);
            var node = graph.Find(tab.Name);
            if (node is null || node.Op != tab.Op)
            {
                failures.Add($"{tab.Name}: our graph has {(node is null ? "no such node" : "a " + node.Op)}");
                continue;
            }

            var ourTable = graph.TryGetConst(GraphIndex.ParseInput(node.Input[0]).Node)!;
            var ourInfo = graph.TryGetConst(GraphIndex.ParseInput(node.Input[1]).Node)!.AsDoubleArray();
            Assert.Equal(info, ourInfo);
            Assert.Equal(table.Shape, ourTable.Shape);
            var ours = ourTable.AsDoubleArray();
            int columns = table.Shape![1];
            double worst = 0, scale = 1;
            foreach (var (row, coefficients) in table.SampledRows)
            {
                double h = RowLength(tab.Op, info, row);
                for (int k = 0; k < columns / 6; k++)
                {
                    for (int p = 0; p <= 10; p++)
                    {
                        double t = h * p / 10;
                        double dp = Horner(coefficients, 6 * k, t), mine = Horner(ours, (long)row * columns + 6 * k, t);
                        worst = Math.Max(worst, Math.Abs(dp - mine));
                        scale = Math.Max(scale, Math.Abs(dp));
                    }
                }
            }

            _out.WriteLine($"{folder} {tab.Name}: [{string.Join(", ", info)}] {table.Shape[0]}×{columns}, sampled rows evaluated: max |Δ| {worst:G3} (scale {scale:G3})");
            if (!(worst <= relative * scale))
            {
                failures.Add($"{tab.Name}: evaluated rows differ by {worst:G3} > {relative * scale:G3}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    /// <summary>The length of table row <paramref name="row"/>: stride0 in the fine part, stride1 in the coarse parts.</summary>
    private static double RowLength(string op, double[] info, int row)
    {
        double lower = info[0], upper = info[1], max = info[2], s0 = info[3], s1 = info[4];
        int fine = (int)((upper - lower) / s0);
        int front = op == "TabulateFusionSeT" ? (int)((lower + max) / s1) : 0;
        return row >= front && row < front + fine ? s0 : s1;
    }

    private static double Horner(IReadOnlyList<double> c, long o, double t)
    {
        int i = (int)o;
        return c[i] + (c[i + 1] + (c[i + 2] + (c[i + 3] + (c[i + 4] + c[i + 5] * t) * t) * t) * t) * t;
    }
}
