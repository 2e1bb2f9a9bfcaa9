using System.Globalization;
using System.Text.RegularExpressions;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// What compression adds or rewires is named and wired as in dp's own compressed graph (its digest), so tools that look
/// nodes up by name find them: every TabulateFusion* node and its Grad by name, op, attrs and arity; table_info by name;
/// the precomputed type-embedding constant of strip-mode descriptors by name and value.
/// </summary>
public sealed class CompressedGraphLayoutTests
{
    private readonly ITestOutputHelper _out;

    public CompressedGraphLayoutTests(ITestOutputHelper output) => _out = output;

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.AcceptedModels), MemberType = typeof(RealCorpus))]
    public void Tabulate_nodes_follow_dps_names_ops_and_attrs(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var digest = new DpDigest(corpus.DigestJson);
        var ours = new GraphIndex(CompressionCorpusTests.Compress(corpus).Model.GetGraphDef());
        var expected = digest.Nodes.Where(n => n.Op.StartsWith("TabulateFusion", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expected);
        foreach (var dp in expected)
        {
            var node = ours.Find(dp.Name);
            Assert.True(node is not null, $"{folder}: our graph has no {dp.Name} ({dp.Op}).");
            Assert.Equal(dp.Op, node!.Op);
            Assert.Equal(dp.Inputs.Count, node.Input.Count);
            Assert.Equal(dp.Attrs.OrderBy(a => a.Key), node.Attr.Select(a => KeyValuePair.Create(a.Key, Text(a.Value))).OrderBy(a => a.Key));
            if (!dp.Op.EndsWith("Grad", StringComparison.Ordinal))
            {
                Assert.Equal(DpDigest.Source(dp.Inputs[1]), GraphIndex.ParseInput(node.Input[1]).Node);
            }
        }

        // No TabulateFusion node of ours is missing from dp's graph either.
        Assert.Equal(expected.Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal),
            ours.Nodes.Where(n => n.Op.StartsWith("TabulateFusion", StringComparison.Ordinal)).Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal));
        _out.WriteLine($"{folder}: {expected.Count} TabulateFusion nodes match dp's by name, op, attrs and arity.");
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.AcceptedModels), MemberType = typeof(RealCorpus))]
    public void Precomputed_type_embedding_equals_dps(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var digest = new DpDigest(corpus.DigestJson);
        var constants = digest.Nodes.Where(n => n.Op == "Const" && n.Name.EndsWith("/params_0", StringComparison.Ordinal)).ToList();
        var ours = new GraphIndex(CompressionCorpusTests.Compress(corpus).Model.GetGraphDef());

        // Only strip-mode descriptors have one; we precompute exactly where dp does.
        Assert.Equal(constants.Select(c => c.Name), ours.Nodes.Where(n => n.Op == "Const" && n.Name.EndsWith("/params_0", StringComparison.Ordinal)).Select(n => n.Name));
        foreach (var dp in constants)
        {
            var value = ours.TryGetConst(dp.Name);
            Assert.True(value is not null, $"{folder}: our graph has no constant {dp.Name}.");
            Assert.Equal(dp.Shape, value!.Shape);
            var reference = dp.Values ?? throw new InvalidOperationException($"the digest keeps only the sha256 of {dp.Name}");
            double err = RealCorpus.MaxAbsDiff(value.AsDoubleArray(), reference);
            double scale = Math.Max(1, reference.Max(Math.Abs));
            _out.WriteLine($"{folder} {dp.Name} [{string.Join(", ", dp.Shape!)}]: max |Δ| {err:G3} (scale {scale:G3})");
            Assert.True(err <= (corpus.IsFloat32 ? 1e-5 : 1e-12) * scale, $"{dp.Name} differs from dp's by {err:G3}.");
        }
    }

    /// <summary>An attr in TensorFlow's text form, as the digest writes it.</summary>
    private static string Text(AttrValue v) => v.ValueCase switch
    {
        AttrValue.ValueOneofCase.Type => "type: " + Regex.Replace(v.Type.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToUpperInvariant(),
        AttrValue.ValueOneofCase.I => "i: " + v.I.ToString(CultureInfo.InvariantCulture),
        AttrValue.ValueOneofCase.B => "b: " + (v.B ? "true" : "false"),
        AttrValue.ValueOneofCase.F => "f: " + v.F.ToString("R", CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };
}
