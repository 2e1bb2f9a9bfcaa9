using System.Text.Json;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Validation;
using Google.Protobuf;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// The graph surgery's structure, independent of table values: what is removed, added and kept byte for byte.
/// (Numerical equivalence with the original is tested through the evaluator.)
/// </summary>
public class GraphCompressorStructureTests
{
    private static IReadOnlyList<TableTensor> FlatTables(FrozenModel model, int rows = 3) => model.EmbeddingNets
        .Select(n => new TableTensor(n.Name, TensorEncoder.Doubles(new double[rows * 6 * n.Neuron[^1]], rows, 6 * n.Neuron[^1]),
            new[] { -1.0, 7.0, 35.0, 0.01, 0.1, -1.0 }, n.Neuron[^1]))
        .ToList();

    [SkippableTheory]
    [InlineData("deeppot.pbtxt", "TabulateFusionSeA")]
    [InlineData("dp-original.pbtxt", "TabulateFusionSeA")]
    [InlineData("graph.000.pb", "TabulateFusionSeA")]
    [InlineData("deeppot-r.pbtxt", "TabulateFusionSeR")]
    public void EachNetBecomesOneTabulateNodeAndOneGradNode(string file, string op)
    {
        var model = FrozenModelReader.Load(TestData.Model(file));
        var meta = new CompressionMetadata(model, 1.0, 0.01, 5, -1, file);
        var result = GraphCompressor.Compress(model, FlatTables(model), meta);
        var g = result.Graph;

        Assert.Empty(GraphValidator.FindProblems(g));
        Assert.Equal(model.EmbeddingNets.Count, g.Node.Count(n => n.Op == op));
        Assert.Equal(model.EmbeddingNets.Count, g.Node.Count(n => n.Op == op + "Grad"));
        // No embedding-net weight survives, no BatchMatMul of the nets, nothing else from the nets.
        Assert.DoesNotContain(g.Node, n => n.Name.StartsWith("filter_type_", StringComparison.Ordinal) && (n.Name.Contains("/matrix_") || n.Name.Contains("/bias_")));
        foreach (var node in g.Node.Where(n => n.Op == op))
        {
            Assert.Equal(model.EmbeddingNets[0].Neuron[^1], node.Attr["last_layer_size"].I);
            Assert.Equal(DataType.DtDouble, node.Attr["T"].Type);
        }

        // Every node kept from the original is byte-identical, except the four metadata nodes.
        var original = model.GetGraphDef().Node.ToDictionary(n => n.Name);
        var changedAllowed = new HashSet<string> { "model_type", "train_attr/min_nbor_dist", "train_attr/training_script", "model_attr/model_version" };
        int rewired = 0;
        foreach (var node in g.Node)
        {
            if (!original.TryGetValue(node.Name, out var before) || changedAllowed.Contains(node.Name))
            {
                continue;
            }

            if (!before.ToByteString().Equals(node.ToByteString()))
            {
                // Only input references may change (to the tabulate/grad nodes), never op or attrs.
                Assert.Equal(before.Op, node.Op);
                Assert.Equal(before.Attr, node.Attr);
                Assert.Contains(node.Input, i => i.Contains("TabulateFusion"));
                rewired++;
            }
        }

        Assert.True(rewired > 0);
        Assert.True(result.RemovedNodes > 0);
        var outputs = new[] { "o_energy", "o_force", "o_virial", "o_atom_energy", "o_atom_virial", "descrpt_attr/rcut", "descrpt_attr/ntypes", "model_attr/tmap" };
        Assert.All(outputs, o => Assert.Contains(g.Node, n => n.Name == o));
    }

    [SkippableFact]
    public void MetadataIsWhatDpCompressWrites()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var result = GraphCompressor.Compress(model, FlatTables(model), new CompressionMetadata(model, 0.9, 0.01, 5, -1, "deeppot.pbtxt"));
        var compressed = FrozenModelReader.FromGraph(result.Graph, null, GraphFormat.Binary);
        Assert.True(compressed.IsCompressed);
        Assert.Equal("compressed_model", compressed.RootModelType);
        Assert.Equal("1.1", compressed.ModelVersion);
        Assert.Equal(0.9, compressed.MinNborDist);
        var index = new GraphIndex(result.Graph);
        Assert.Equal(DataType.DtDouble, index.Get("train_attr/min_nbor_dist").Attr["dtype"].Type);
        using var script = JsonDocument.Parse(compressed.TrainingScript!);
        var compress = script.RootElement.GetProperty("model").GetProperty("compress");
        Assert.Equal("deeppot.pbtxt", compress.GetProperty("model_file").GetString());
        Assert.Equal(0.9, compress.GetProperty("min_nbor_dist").GetDouble());
        Assert.Equal(new[] { 5.0, 0.01, 0.1, -1.0 }, compress.GetProperty("table_config").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Contains(result.Notes, n => n.Contains("no training script"));
        Assert.Equal(new[] { "O", "H" }, script.RootElement.GetProperty("model").GetProperty("type_map").EnumerateArray().Select(e => e.GetString()));
        // The original embedded nothing, so the descriptor facts come from the graph.
        Assert.Equal(new[] { 46, 92 }, script.RootElement.GetProperty("model").GetProperty("descriptor").GetProperty("sel").EnumerateArray().Select(e => e.GetInt32()));
    }

    [SkippableFact]
    public void AnExistingTrainingScriptIsKeptAndExtended()
    {
        var model = FrozenModelReader.Load(TestData.Model("fparam_aparam.pbtxt"));
        var result = GraphCompressor.Compress(model, FlatTables(model), new CompressionMetadata(model, 1.2, 0.02, 4, 10, "in.pb"));
        using var script = JsonDocument.Parse(FrozenModelReader.FromGraph(result.Graph, null, GraphFormat.Binary).TrainingScript!);
        using var before = JsonDocument.Parse(model.TrainingScript!);
        Assert.Equal(before.RootElement.GetProperty("model").GetProperty("descriptor").GetRawText(),
            script.RootElement.GetProperty("model").GetProperty("descriptor").GetRawText());
        Assert.Equal(new[] { 4.0, 0.02, 0.2, 10.0 }, script.RootElement.GetProperty("model").GetProperty("compress").GetProperty("table_config").EnumerateArray().Select(e => e.GetDouble()));
        Assert.DoesNotContain(result.Notes, n => n.Contains("no training script"));
    }

    [SkippableFact]
    public void RecompressionIsRefused()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var result = GraphCompressor.Compress(model, FlatTables(model), new CompressionMetadata(model, 1.0, 0.01, 5, -1, "x"));
        var compressed = FrozenModelReader.FromGraph(result.Graph, null, GraphFormat.Binary);
        var ex = Assert.Throws<UnsupportedModelException>(() => GraphCompressor.Compress(compressed, FlatTables(model), new CompressionMetadata(compressed, 1.0, 0.01, 5, -1, "x")));
        Assert.Equal("AlreadyCompressed", ex.ErrorId);
        Assert.Contains("compress the original", ex.Message);
    }

    [SkippableFact]
    public void TheInputModelIsNotModified()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        byte[] before = model.GetGraphDef().ToByteArray();
        GraphCompressor.Compress(model, FlatTables(model), new CompressionMetadata(model, 1.0, 0.01, 5, -1, "x"));
        Assert.Equal(before, model.GetGraphDef().ToByteArray());
    }
}
