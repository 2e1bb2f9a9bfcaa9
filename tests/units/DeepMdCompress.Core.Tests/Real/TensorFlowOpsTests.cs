using System.IO.Compression;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;
using DeepMdCompress.Core.Validation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// The validator's op registry is TensorFlow 2.21's plus deepmd-kit 3.2.0's (docs/architecture.md, "validation"): the
/// embedded form equals what the generator makes from the registry dump, every real graph validates, and what
/// TensorFlow's importer refuses is refused, naming node and op.
/// </summary>
public sealed class TensorFlowOpsTests
{
    private readonly ITestOutputHelper _out;

    public TensorFlowOpsTests(ITestOutputHelper output) => _out = output;

    private static string Dump => Path.Combine(RealCorpus.Root, "ops", "tf-2.21-deepmd-3.2.0.ops.pbtxt.gz");

    [Fact]
    public void Registry_holds_tensorflow_and_deepmd_ops()
    {
        Assert.Equal(1984, TensorFlowOps.Names.Count);
        foreach (string op in new[] { "ProdEnvMatA", "ProdEnvMatAMix", "ProdEnvMatR", "ProdForceSeA", "ProdVirialSeR", "TabulateFusionSeA", "TabulateFusionSeAGrad",
                     "TabulateFusionSeAtten", "TabulateFusionSeAttenGrad", "TabulateFusionSeT", "TabulateFusionSeR", "DescrptNorot", "GeluCustom",
                     "Einsum", "BroadcastTo", "InvertPermutation", "MatrixDiagV3", "Split", "Where", "BatchMatMulV2", "Const", "Placeholder" })
        {
            Assert.True(TensorFlowOps.TryGet(op, out _), op);
        }

        Assert.True(TensorFlowOps.TryGet("TabulateFusionSeAtten", out var atten));
        Assert.Equal(new[] { "table", "table_info", "em_x", "em", "two_embed" }, atten.InputArg.Select(a => a.Name));
        Assert.Contains(atten.Attr, a => a.Name == "is_sorted" && a.DefaultValue.B);
    }

    [SkippableFact]
    public void Embedded_registry_is_the_one_generated_from_the_dump()
    {
        Skip.IfNot(RealCorpus.Available, RealCorpus.SkipMessage);
        Assert.True(File.Exists(Dump), $"the corpus lacks its op registry dump {Dump}");
        using var gzip = new GZipStream(File.OpenRead(Dump), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var generated = TensorFlowOps.Compact(reader.ReadToEnd());
        Assert.Equal(generated, TensorFlowOps.EmbeddedBytes());
    }

    [SkippableTheory]
    [MemberData(nameof(RealCorpus.Models), MemberType = typeof(RealCorpus))]
    public void Every_real_graph_validates(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var graphs = new List<string> { corpus.OriginalPb };
        if (corpus.HasDpGraph)
        {
            graphs.Add(corpus.DpGraphPb);
        }

        foreach (string path in graphs)
        {
            var graph = GraphFile.Read(path, out _);
            var problems = GraphValidator.FindProblems(graph);
            _out.WriteLine($"{folder}/{Path.GetFileName(path)}: {graph.Node.Count} nodes, {problems.Count} problems");
            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Take(5)));
        }
    }

    private static GraphDef Tabulated()
    {
        var model = FrozenModelReader.Load(TestData.Local("tiny_se_a.pbtxt"));
        return TextFormatParser.Parse("""
            node { name: "table" op: "Const" attr { key: "dtype" value { type: DT_DOUBLE } } attr { key: "value" value { tensor { dtype: DT_DOUBLE tensor_shape { dim { size: 1 } dim { size: 6 } } double_val: 0 } } } }
            node { name: "info" op: "Const" attr { key: "dtype" value { type: DT_DOUBLE } } attr { key: "value" value { tensor { dtype: DT_DOUBLE tensor_shape { dim { size: 6 } } double_val: 0 } } } }
            node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_DOUBLE } } }
            node { name: "t" op: "TabulateFusionSeA" input: "table" input: "info" input: "x" input: "x" attr { key: "T" value { type: DT_DOUBLE } } attr { key: "last_layer_size" value { i: 1 } } }
            """, GraphDef.Parser);
    }

    [Fact]
    public void What_tensorflow_refuses_is_refused_naming_node_and_op()
    {
        Assert.Empty(GraphValidator.FindProblems(Tabulated()));

        var g = Tabulated();
        g.Node[3].Attr["T"] = new AttrValue { Type = DataType.DtInt32 };
        Assert.Contains("Node 't' (TabulateFusionSeA): attr 'T' is DT_INT32, which is not one of DT_FLOAT, DT_DOUBLE.", GraphValidator.FindProblems(g));

        g = Tabulated();
        g.Node[3].Attr.Remove("last_layer_size");
        Assert.Contains(GraphValidator.FindProblems(g), p => p.StartsWith("Node 't' (TabulateFusionSeA): required attr 'last_layer_size' is missing", StringComparison.Ordinal));

        g = Tabulated();
        g.Node[3].Attr["last_layer_size"] = new AttrValue { F = 1 };
        Assert.Contains(GraphValidator.FindProblems(g), p => p.StartsWith("Node 't' (TabulateFusionSeA): attr 'last_layer_size' must be an int but is a float", StringComparison.Ordinal));

        g = Tabulated();
        g.Node[3].Attr["is_sorted"] = new AttrValue { B = true };
        Assert.Contains(GraphValidator.FindProblems(g), p => p == "Node 't' (TabulateFusionSeA): attr 'is_sorted' is not defined for TabulateFusionSeA.");

        g = Tabulated();
        g.Node[3].Input.RemoveAt(3);
        Assert.Contains(GraphValidator.FindProblems(g), p => p == "Node 't' (TabulateFusionSeA): has 3 data inputs but the op takes 4.");

        g = Tabulated();
        g.Node[3].Input[2] = "x:5";
        Assert.Contains(GraphValidator.FindProblems(g), p => p.StartsWith("Node 't' (TabulateFusionSeA): input 'x:5' asks for output 5 but Placeholder has 1", StringComparison.Ordinal));

        g = Tabulated();
        g.Node[3].Op = "TabulateFusionSeQ";
        var problem = Assert.Single(GraphValidator.FindProblems(g));
        Assert.StartsWith("Node 't' (TabulateFusionSeQ): op type 'TabulateFusionSeQ' is not defined by TensorFlow or deepmd-kit's op library", problem);
    }

    [SkippableFact]
    public void A_graph_with_an_op_tensorflow_does_not_know_is_not_compressed()
    {
        var corpus = RealCorpus.Load(RealCorpus.Folders.Contains("se_e2_a") ? "se_e2_a" : RealCorpus.None);
        var graph = GraphFile.Read(corpus.OriginalPb, out _);
        graph.Node.Add(new NodeDef { Name = "stray", Op = "NotAnOp" });
        var model = FrozenModelReader.FromGraph(graph, corpus.OriginalPb, GraphFormat.Binary);
        var ex = Assert.Throws<GraphValidationException>(() => ModelCompressor.Compress(model, new MinNborDistInput(), new TabulationSettings(), "original.pb"));
        Assert.Equal("InvalidGraph", ex.ErrorId);
        Assert.Contains("Node 'stray' (NotAnOp): op type 'NotAnOp' is not defined", ex.Message);
    }
}
