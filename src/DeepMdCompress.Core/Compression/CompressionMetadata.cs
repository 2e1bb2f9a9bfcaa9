using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Compression;

/// <summary>
/// The nodes <c>dp compress</c> adds or changes (docs/versions.md#the-metadata-compression-writes): root <c>model_type</c> = compressed_model,
/// <c>train_attr/min_nbor_dist</c>, <c>train_attr/training_script</c> with <c>model.compress</c>, and
/// <c>model_attr/model_version</c> = the compressing code's version "1.1".
/// </summary>
public sealed class CompressionMetadata
{
    public const string ModelVersion = "1.1";

    internal static readonly string[] AttributeNodes =
    {
        "model_type", "train_attr/min_nbor_dist", "train_attr/training_script", "model_attr/model_version",
    };

    public CompressionMetadata(FrozenModel model, double minNborDist, double step, int extrapolate, int frequency, string modelFile)
    {
        Model = model;
        MinNborDist = minNborDist;
        Step = step;
        Extrapolate = extrapolate;
        Frequency = frequency;
        ModelFile = modelFile;
    }

    public FrozenModel Model { get; }

    public double MinNborDist { get; }

    public double Step { get; }

    public int Extrapolate { get; }

    public int Frequency { get; }

    /// <summary>The input model path as the user gave it (deepmd-kit stores <c>-i</c> verbatim).</summary>
    public string ModelFile { get; }

    /// <summary>The training script JSON the compressed graph will carry.</summary>
    public string BuildTrainingScript(List<string> notes)
    {
        JsonObject root;
        if (Model.TrainingScript is { } text && TryParseObject(text) is { } parsed)
        {
            root = parsed;
        }
        else
        {
            root = ScriptFromFacts();
            notes.Add("The input graph had no training script; one was written from the model's facts (type map, descriptor, fitting net) so the compressed graph carries model.compress like a dp compress output.");
        }

        if (root["model"] is not JsonObject modelNode)
        {
            root["model"] = modelNode = new JsonObject();
        }

        modelNode["compress"] = new JsonObject
        {
            ["model_file"] = ModelFile,
            ["min_nbor_dist"] = MinNborDist,
            ["table_config"] = new JsonArray(Extrapolate, Step, 10 * Step, Frequency),
            ["type"] = "se_e2_a",
        };
        if (root["training"] is not JsonObject training)
        {
            root["training"] = training = new JsonObject { ["numb_steps"] = 0 };
        }

        training["save_ckpt"] = "model-compression/model.ckpt";
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    internal void Apply(GraphDef graph, List<string> notes)
    {
        SetConst(graph, "model_type", TensorEncoder.ScalarString("compressed_model"));
        SetConst(graph, "train_attr/min_nbor_dist", TensorEncoder.ScalarDouble(MinNborDist));
        SetConst(graph, "train_attr/training_script", TensorEncoder.ScalarString(BuildTrainingScript(notes)));
        SetConst(graph, "model_attr/model_version", TensorEncoder.ScalarString(ModelVersion));
    }

    private static void SetConst(GraphDef graph, string name, TensorProto value)
    {
        var node = graph.Node.FirstOrDefault(n => n.Name == name);
        if (node is null)
        {
            graph.Node.Add(GraphCompressor.Const(name, value));
            return;
        }

        node.Op = "Const";
        node.Attr["dtype"] = new AttrValue { Type = value.Dtype };
        node.Attr["value"] = new AttrValue { Tensor = value };
    }

    private static JsonObject? TryParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private JsonObject ScriptFromFacts()
    {
        var m = Model;
        var descriptor = new JsonObject
        {
            ["type"] = m.DescriptorType,
            ["sel"] = IntArray(m.Sel),
            ["rcut_smth"] = m.RcutSmth,
            ["rcut"] = m.Rcut,
            ["neuron"] = IntArray(m.EmbeddingNeuron),
            ["resnet_dt"] = false,
            ["activation_function"] = m.Activation,
            ["precision"] = m.Precision,
        };
        if (m.TypeOneSide is bool tos)
        {
            descriptor["type_one_side"] = tos;
        }

        if (m.ExcludeTypes is { Length: > 0 } ex)
        {
            descriptor["exclude_types"] = new JsonArray(ex.Select(p => (JsonNode)new JsonArray(p[0], p[1])).ToArray());
        }

        var model = new JsonObject { ["descriptor"] = descriptor };
        if (m.TypeMap is { } tm)
        {
            model["type_map"] = new JsonArray(tm.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        }

        if (m.FittingNeuron is { } fn)
        {
            model["fitting_net"] = new JsonObject { ["neuron"] = IntArray(fn) };
        }

        return new JsonObject { ["model"] = model, ["training"] = new JsonObject { ["numb_steps"] = 0 } };
    }

    private static JsonArray? IntArray(int[]? values) =>
        values is null ? null : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "min_nbor_dist {0}, table_config [{1}, {2}, {3}, {4}]", MinNborDist, Extrapolate, Step, 10 * Step, Frequency);
}
