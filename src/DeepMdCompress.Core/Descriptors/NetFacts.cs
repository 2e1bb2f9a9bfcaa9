using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>Facts about a descriptor's nets that every family reads the same way (activation, precision, script options).</summary>
internal static class NetFacts
{
    /// <summary>Builds the nets of <paramref name="part"/> from catalogue candidates, named by <paramref name="name"/>, in deepmd-kit's order.</summary>
    public static IReadOnlyList<EmbeddingNetInfo> Build(DescriptorPart part, IEnumerable<NetCandidate> candidates, Func<NetCandidate, string> name)
    {
        var nets = candidates
            .Select(c => new EmbeddingNetInfo(name(c) + part.Suffix, c.Scope, c.Suffix, c.Centre, c.Neighbours, c.Widths()) { Descriptor = part })
            .OrderBy(n => n.CentreType)
            .ThenBy(n => n.NeighbourTypes.Length > 0 ? n.NeighbourTypes[0] : 0)
            .ThenBy(n => n.NeighbourTypes.Length > 1 ? n.NeighbourTypes[1] : 0)
            .ToList();
        return nets;
    }

    /// <summary>Fills the facts every family shares: neuron, precision, resnet_dt, activation.</summary>
    public static void Describe(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        var index = evidence.Index;
        if (part.Nets.Count == 0)
        {
            notes.Add($"EmbeddingNeuron: no embedding-net weights of the {part.Type} descriptor matching deepmd-kit's naming were found.");
            return;
        }

        var first = part.Nets[0].Neuron;
        part.Neuron = first;
        if (part.Nets.Any(n => !n.Neuron.SequenceEqual(first)))
        {
            notes.Add("EmbeddingNeuron: nets differ in width; the first net's widths are shown (see EmbeddingNets).");
        }

        part.Precision = part.Nets.Select(n => index.Find(n.MatrixName(1))?.Attr.TryGetValue("dtype", out var a) == true ? a.Type : DataType.DtInvalid)
            .Select(PrecisionName).FirstOrDefault();
        part.ResnetDt = part.Nets.Any(n => Enumerable.Range(1, n.Neuron.Length).Any(l => index.Contains(n.IdtName(l))))
            || (part.TypeNet is { } tn && Enumerable.Range(1, tn.Neuron.Length).Any(l => index.Contains(tn.IdtName(l))));
        part.Activation = Activation(index, part.Nets[0], evidence.Script, notes);
    }

    internal static string? PrecisionName(DataType type) => type switch
    {
        DataType.DtDouble => "float64",
        DataType.DtFloat => "float32",
        DataType.DtHalf => "float16",
        DataType.DtBfloat16 => "bfloat16",
        _ => null,
    };

    /// <summary>The activation the training script names, else the op after the first layer's bias add.</summary>
    public static string? Activation(GraphIndex index, EmbeddingNetInfo net, JsonElement? script, List<string> notes)
    {
        if (Str(script, "activation_function") is { } declared)
        {
            return declared.ToLowerInvariant();
        }

        var consumers = new Compression.Consumers(index.Nodes);
        IEnumerable<NodeDef> Next(NodeDef n) => consumers.Of(n);
        var weight = index.Find(net.MatrixName(1));
        if (weight is not null)
        {
            var matmuls = Next(weight).SelectMany(n => n.Op == "Identity" ? Next(n) : new[] { n }).Where(n => n.Op == "MatMul");
            foreach (var matmul in matmuls)
            {
                foreach (var add in Next(matmul).Where(n => n.Op is "BiasAdd" or "Add" or "AddV2"))
                {
                    var after = Next(add).ToList();
                    foreach (var act in after)
                    {
                        string? name = act.Op switch
                        {
                            "Tanh" => "tanh",
                            "Relu" => "relu",
                            "Relu6" => "relu6",
                            "Softplus" => "softplus",
                            "Sigmoid" => "sigmoid",
                            "Gelu" or "GeluCustom" => "gelu",
                            "Pow" => "gelu_tf",
                            _ => null,
                        };
                        if (name is not null)
                        {
                            return name;
                        }
                    }

                    // TF's approximate gelu starts with x**3 (Pow) next to the 0.5·x factor.
                    if (after.Any(n => n.Op == "Mul") && after.Any(n => n.Op == "Pow"))
                    {
                        return "gelu_tf";
                    }
                }
            }
        }

        notes.Add("Activation: the op after the first embedding layer is not one deepmd-kit's tabulation knows, and no training script names it.");
        return null;
    }

    public static string? Str(JsonElement? e, string prop) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool? Bool(JsonElement? e, string prop) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(prop, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static int? Int(JsonElement? e, string prop) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    public static int[][]? Pairs(JsonElement? e, string prop)
    {
        if (e is not { ValueKind: JsonValueKind.Object } o || !o.TryGetProperty(prop, out var v) || v.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return NormalizePairs(v.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 2 && p[0].ValueKind == JsonValueKind.Number && p[1].ValueKind == JsonValueKind.Number)
            .Select(p => new[] { p[0].GetInt32(), p[1].GetInt32() }));
    }

    public static int[][] NormalizePairs(IEnumerable<int[]> pairs) => pairs
        .Select(p => p[0] <= p[1] ? p : new[] { p[1], p[0] })
        .GroupBy(p => (p[0], p[1])).Select(g => g.First())
        .OrderBy(p => p[0]).ThenBy(p => p[1]).ToArray();

    /// <summary>A float32 attr as the decimal a user wrote (0.5, 1.8), not its binary expansion (1.7999999523…).</summary>
    public static double Widen(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static float? AttrFloat(NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.F ? v.F : null;

    public static int[]? AttrInts(NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.List
            ? v.List.I.Select(x => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, x))).ToArray()
            : null;
}
