using System.Text.Json;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// The evaluator runs every graph of the real corpus — originals and dp's whole compressed graphs — and gives
/// deepmd-kit's numbers (docs/testing.md), one case per (model folder, frame).
/// </summary>
public sealed class EvaluatorCorpusTests
{
    private readonly ITestOutputHelper _out;

    public EvaluatorCorpusTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public void Evaluator_implements_every_op_the_corpus_uses()
    {
        Skip.IfNot(RealCorpus.Available, RealCorpus.SkipMessage);
        string path = Path.Combine(RealCorpus.Root, "ops", "ops-in-corpus.json");
        Assert.True(File.Exists(path), $"the corpus lacks {path}");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var registry = OpRegistry.CreateDefault();
        var missing = doc.RootElement.GetProperty("all").EnumerateArray().Select(e => e.GetString()!).Where(op => !registry.Contains(op)).ToList();
        Assert.True(missing.Count == 0, "not implemented: " + string.Join(", ", missing));
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.ModelCases), MemberType = typeof(RealCorpus))]
    public void Original_gives_deepmd_kits_numbers(string folder, string caseName)
    {
        var corpus = RealCorpus.Load(folder);
        var model = FrozenModelReader.Load(corpus.OriginalPb);
        Compare(corpus, model, caseName, "original");
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.ModelCases), MemberType = typeof(RealCorpus))]
    public void Dp_compressed_graph_gives_deepmd_kits_numbers(string folder, string caseName)
    {
        var corpus = RealCorpus.Load(folder);
        if (!corpus.HasDpGraph)
        {
            // Only some folders carry dp's whole compressed graph; their absence is the corpus's layout, not a gap.
            Assert.False(corpus.HasExpected(caseName, CorpusModel.DpGraphKey));
            return;
        }

        var model = FrozenModelReader.Load(corpus.DpGraphPb);
        Assert.True(model.IsCompressed);
        Compare(corpus, model, caseName, CorpusModel.DpGraphKey);
    }

    private void Compare(CorpusModel corpus, FrozenModel model, string caseName, string graph)
    {
        var expected = corpus.Expected(caseName, graph);
        var actual = CorpusEvaluation.Evaluate(model, corpus, caseName);
        CorpusEvaluation.AssertClose(expected, actual, (q, r) => RealCorpus.Tolerance(r, corpus.IsFloat32), _out, $"{corpus.Id}/{caseName} {graph}");
    }
}
