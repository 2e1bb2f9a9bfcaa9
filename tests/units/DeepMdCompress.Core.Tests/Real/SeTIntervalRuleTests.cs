using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// se_e3 tables fit a few rows with the other sub-table's interval length, and which rows depends on the deepmd-kit
/// release (docs/tables.md#coefficients). The sampled rows miss them, so the whole table is checked through the extremes
/// of its coefficients that the digest records: deepmd-kit 2.2.11's tables are the Legacy rule's, 3.2.0's the Current
/// rule's, and each rule is told apart from the other (the Current rule's misfitted first coarse row reaches ~10⁵).
/// </summary>
public sealed class SeTIntervalRuleTests
{
    private readonly ITestOutputHelper _out;

    public SeTIntervalRuleTests(ITestOutputHelper output) => _out = output;

    public static IEnumerable<object[]> SeTModels() =>
        RealCorpus.AcceptedModels().Where(r => r[0] is string f && (f == RealCorpus.None || IsSeT(f)));

    private static bool IsSeT(string folder) =>
        new DpDigest(RealCorpus.Load(folder).DigestJson).TabulateNodes.Any(n => n.Op == "TabulateFusionSeT");

    [SkippableTheory]
    [MemberData(nameof(SeTModels))]
    public void Tables_have_the_coefficient_extremes_of_the_release_that_made_them(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var release = corpus.IsV3 ? SeTIntervalRule.Current : SeTIntervalRule.Legacy;
        var other = release == SeTIntervalRule.Current ? SeTIntervalRule.Legacy : SeTIntervalRule.Current;
        var digest = new DpDigest(corpus.DigestJson);
        var ours = Extremes(corpus, release);
        var wrong = Extremes(corpus, other);
        int checkedTables = 0;
        foreach (var tab in digest.TabulateNodes.Where(n => n.Op == "TabulateFusionSeT"))
        {
            var table = digest.TableOf(tab);
            double dpMin = table.Min!.Value, dpMax = table.Max!.Value, scale = Math.Max(Math.Abs(dpMin), Math.Abs(dpMax));
            var (min, max) = ours[tab.Name];
            var (otherMin, otherMax) = wrong[tab.Name];
            _out.WriteLine($"{folder} {tab.Name}: dp [{dpMin:G6}, {dpMax:G6}]; {release} [{min:G6}, {max:G6}]; {other} [{otherMin:G6}, {otherMax:G6}]");
            Assert.True(Math.Abs(min - dpMin) <= 1e-9 * scale && Math.Abs(max - dpMax) <= 1e-9 * scale,
                $"{tab.Name}: the {release} rule's extremes [{min:G17}, {max:G17}] are not dp's [{dpMin:G17}, {dpMax:G17}]");
            Assert.True(Math.Abs(otherMin - dpMin) > 1e-3 * scale || Math.Abs(otherMax - dpMax) > 1e-3 * scale,
                $"{tab.Name}: the {other} rule gives dp's extremes too, so this check cannot tell the rules apart");
            checkedTables++;
        }

        Assert.True(checkedTables > 0);
    }

    private static Dictionary<string, (double Min, double Max)> Extremes(CorpusModel corpus, SeTIntervalRule rule)
    {
        var model = FrozenModelReader.Load(corpus.OriginalPb);
        var input = new MinNborDistInput { TrainingScript = corpus.InputJson, WorkingDirectory = corpus.Directory };
        var compressed = ModelCompressor.Compress(model, input, new TabulationSettings { SeTIntervalRule = rule }, "original.pb");
        var graph = new GraphIndex(compressed.Model.GetGraphDef());
        var result = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => n.Op == "TabulateFusionSeT"))
        {
            var values = graph.TryGetConst(GraphIndex.ParseInput(node.Input[0]).Node)!.AsDoubleArray();
            result[node.Name] = (values.Min(), values.Max());
        }

        return result;
    }
}
