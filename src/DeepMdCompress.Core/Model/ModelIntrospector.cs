using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Model;

/// <summary>Derives a <see cref="FrozenModel"/> from a GraphDef (docs/descriptors.md, docs/versions.md).</summary>
public static class ModelIntrospector
{
    private static readonly HashSet<string> TabulateOps = new(StringComparer.Ordinal)
    {
        "TabulateFusion", "TabulateFusionSeA", "TabulateFusionSeAtten", "TabulateFusionSeT", "TabulateFusionSeR",
    };

    private static readonly Regex FittingLayer = new(@"^layer_(\d+)(_type_(\d+))?/matrix$", RegexOptions.CultureInvariant);

    public static FrozenModel Inspect(GraphDef graph, string? path, GraphFormat format, CancellationToken cancellationToken = default)
    {
        var model = new FrozenModel(graph) { Path = path, Format = format, NodeCount = graph.Node.Count };
        var notes = new List<string>();
        var envMats = EnvironmentMatrixOps(graph, model.Index);
        cancellationToken.ThrowIfCancellationRequested();
        ReadModelAttributes(model, notes);

        // Training script first: several facts (activation, exclude_types, type_map) are only certain from it.
        var script = ReadTrainingScript(model, notes);
        var descriptorScript = script is { } s ? Get(s, "model", "descriptor") : null;
        ReadNTypes(model, notes);

        cancellationToken.ThrowIfCancellationRequested();
        ApplyDescriptors(model, DescriptorRegistry.Recognise(model.Index, envMats, descriptorScript, model.NTypes, notes), notes);
        if (descriptorScript is { } d)
        {
            FillFromTrainingScript(model, d, notes);
        }

        ReadTypeMap(model, script, notes);
        ReadFittingParameters(model, notes);

        cancellationToken.ThrowIfCancellationRequested();
        model.FittingNeuron = FittingWidths(model.Index, notes);
        model.Notes = notes;
        Validate(model, model.Index);
        return model;
    }

    // Every DeePMD descriptor is an environment-matrix op; a graph without one is not a DeePMD model.
    private static List<NodeDef> EnvironmentMatrixOps(GraphDef graph, GraphIndex index)
    {
        if (graph.Node.Count == 0)
        {
            throw new ModelStructureException(ErrorIds.NotADeePMDModel, "The graph has no nodes, so it is not a DeePMD model.");
        }

        var envMats = graph.Node.Where(n => DescriptorRegistry.EnvMatOps.Contains(n.Op)).ToList();
        if (envMats.Count == 0)
        {
            bool hasAttrs = index.Contains("descrpt_attr/rcut") || index.Contains("t_rcut") || index.Contains("model_attr/model_type");
            string what = hasAttrs
                ? "it has DeePMD attribute nodes but no environment-matrix op (ProdEnvMatA/ProdEnvMatR/…)"
                : "it has no environment-matrix op (ProdEnvMatA, ProdEnvMatR, DescrptSeA, …) and no descrpt_attr/* nodes";
            throw new ModelStructureException(ErrorIds.NotADeePMDModel, $"The graph ({graph.Node.Count} nodes) is not a DeePMD model: {what}.");
        }

        return envMats;
    }

    private static void ReadModelAttributes(FrozenModel model, List<string> notes)
    {
        var index = model.Index;
        model.ModelType = ConstString(index, "model_attr/model_type");
        model.ModelVersion = ConstString(index, "model_attr/model_version");
        model.RootModelType = ConstString(index, "model_type");
        model.IsCompressed = model.RootModelType == "compressed_model" || model.GetGraphDef().Node.Any(n => TabulateOps.Contains(n.Op));
        model.MinNborDist = ConstDouble(index, "train_attr/min_nbor_dist");
        if (model.ModelType is null)
        {
            notes.Add("ModelType: the graph has no model_attr/model_type node (a legacy model; energy models were the only kind then).");
        }

        if (model.ModelVersion is null)
        {
            notes.Add("ModelVersion: the graph has no model_attr/model_version node (made before deepmd-kit 1.3/2.0).");
        }
    }

    private static JsonElement? ReadTrainingScript(FrozenModel model, List<string> notes)
    {
        model.TrainingScript = ConstString(model.Index, "train_attr/training_script");
        if (model.TrainingScript is not { } text)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            model.TrainingScriptJson = doc.RootElement.Clone();
            return model.TrainingScriptJson;
        }
        catch (JsonException ex)
        {
            notes.Add($"TrainingScript: train_attr/training_script is not valid JSON ({ex.Message}).");
            return null;
        }
    }

    private static void ReadNTypes(FrozenModel model, List<string> notes)
    {
        var index = model.Index;
        model.NTypes = (int?)ConstLong(index, "descrpt_attr/ntypes") ?? (int?)ConstLong(index, "t_ntypes");
        if (model.NTypes is null)
        {
            var avg = index.TryGetConst("descrpt_attr/t_avg") ?? index.TryGetConst("t_avg") ?? index.TryGetConst("descrpt_attr_0/t_avg");
            if (avg is { Rank: 2 })
            {
                model.NTypes = avg.Shape[0];
                notes.Add("NTypes: no descrpt_attr/ntypes node; taken from the rows of t_avg.");
            }
        }
    }

    // The model-level descriptor facts: those of the only part, or of a hybrid's first part.
    private static void ApplyDescriptors(FrozenModel model, IReadOnlyList<DescriptorPart> parts, List<string> notes)
    {
        var first = parts[0];
        model.Descriptors = parts;
        model.DescriptorOp = first.EnvMatOp;
        model.DescriptorType = parts.Count > 1 ? DescriptorRegistry.Hybrid.Name : first.Type;
        if (parts.Count > 1)
        {
            notes.Add($"DescriptorType: {parts.Count} environment-matrix ops ({string.Join(", ", parts.Select(p => p.EnvMatOp))}), i.e. a hybrid of {string.Join(" + ", parts.Select(p => p.Type))}; per-descriptor facts are those of the first (see Descriptors).");
        }

        model.Rcut = ConstDouble(model.Index, "descrpt_attr/rcut") ?? ConstDouble(model.Index, "t_rcut") ?? first.Rcut;
        model.RcutSmth = first.RcutSmth;
        model.Sel = first.Sel;
        model.EmbeddingNets = parts.SelectMany(p => p.Nets).ToList();
        model.EmbeddingNeuron = first.Neuron;
        model.Precision = first.Precision;
        model.ResnetDt = parts.Any(p => p.ResnetDt == true) ? true : first.ResnetDt;
        model.Activation = first.Activation;
        model.TypeOneSide = first.TypeOneSide;
        model.ExcludeTypes = first.ExcludeTypes;
    }

    // A compressed graph has no embedding nets left to read; its training script still says how they were built.
    private static void FillFromTrainingScript(FrozenModel model, JsonElement descriptor, List<string> notes)
    {
        if (model.Descriptors.Count > 1 && descriptor.TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array
            && list.GetArrayLength() > 0)
        {
            descriptor = list[0];
        }

        var filled = new List<string>();
        if (model.EmbeddingNeuron is null && Get(descriptor, "neuron") is { ValueKind: JsonValueKind.Array } neuron
            && neuron.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
        {
            model.EmbeddingNeuron = neuron.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            filled.Add("EmbeddingNeuron");
        }

        if (model.Activation is null && Str(descriptor, "activation_function") is { } activation)
        {
            model.Activation = activation;
            filled.Add("Activation");
        }

        if (model.Precision is null && Str(descriptor, "precision") is { } precision)
        {
            // deepmd-kit's "default" precision is float64.
            model.Precision = precision == "default" ? "float64" : precision;
            filled.Add("Precision");
        }

        if (model.TypeOneSide is null && Get(descriptor, "type_one_side") is { } oneSide
            && oneSide.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            model.TypeOneSide = oneSide.ValueKind == JsonValueKind.True;
            filled.Add("TypeOneSide");
        }

        if (filled.Count > 0)
        {
            notes.Add($"{string.Join(", ", filled)}: not in the graph's nets{(model.IsCompressed ? " (they are tabulated)" : string.Empty)}; taken from the training script's model.descriptor.");
        }
    }

    private static void ReadTypeMap(FrozenModel model, JsonElement? script, List<string> notes)
    {
        string? tmap = ConstString(model.Index, "model_attr/tmap");
        if (!string.IsNullOrWhiteSpace(tmap))
        {
            model.TypeMap = tmap!.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        }
        else if (script is { } sc && Get(sc, "model", "type_map") is { ValueKind: JsonValueKind.Array } tm)
        {
            model.TypeMap = tm.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray();
            notes.Add(tmap is null
                ? "TypeMap: no model_attr/tmap node; taken from the training script's model.type_map."
                : "TypeMap: model_attr/tmap is empty; taken from the training script's model.type_map.");
        }
        else
        {
            notes.Add(tmap is null ? "TypeMap: the graph has no model_attr/tmap node and no training script." : "TypeMap: model_attr/tmap is empty and there is no training script to name the types.");
        }
    }

    private static void ReadFittingParameters(FrozenModel model, List<string> notes)
    {
        var index = model.Index;
        model.DimFParam = (int?)ConstLong(index, "fitting_attr/dfparam");
        model.DimAParam = (int?)ConstLong(index, "fitting_attr/daparam");
        if (model.DimFParam is null)
        {
            model.DimFParam = index.Contains("t_fparam") ? null : 0;
            notes.Add("DimFParam: no fitting_attr/dfparam node" + (model.DimFParam == 0 ? "; the graph has no t_fparam input, so 0." : "."));
        }

        if (model.DimAParam is null)
        {
            model.DimAParam = index.Contains("t_aparam") ? null : 0;
            notes.Add("DimAParam: no fitting_attr/daparam node" + (model.DimAParam == 0 ? "; the graph has no t_aparam input, so 0." : "."));
        }
    }

    private static int[]? FittingWidths(GraphIndex index, List<string> notes)
    {
        var widths = new SortedDictionary<int, int>();
        foreach (var node in index.Nodes)
        {
            if (node.Op != "Const")
            {
                continue;
            }

            var m = FittingLayer.Match(node.Name);
            if (!m.Success || (m.Groups[3].Success && m.Groups[3].Value != FirstFittingType(index)))
            {
                continue;
            }

            var shape = ConstShape(node);
            if (shape is { Length: 2 })
            {
                widths[Int(m.Groups[1].Value)] = shape[1];
            }
        }

        if (widths.Count == 0)
        {
            bool finalOnly = index.Contains("final_layer/matrix") || index.Contains("final_layer_type_0/matrix");
            if (finalOnly)
            {
                return Array.Empty<int>();
            }

            notes.Add("FittingNeuron: no fitting-net weights (layer_{k}[_type_{t}]/matrix) were found.");
            return null;
        }

        return widths.Values.ToArray();
    }

    private static string FirstFittingType(GraphIndex index)
    {
        for (int t = 0; t < 64; t++)
        {
            if (index.Contains($"layer_0_type_{t}/matrix"))
            {
                return t.ToString(CultureInfo.InvariantCulture);
            }
        }

        return "0";
    }

    /// <summary>Numbers that would make tables or evaluation meaningless are refused here, at import.</summary>
    private static void Validate(FrozenModel model, GraphIndex index)
    {
        if (model.Sel is { } sel && sel.Any(s => s < 0))
        {
            throw new ModelStructureException(ErrorIds.InvalidSel, $"The descriptor's sel [{string.Join(", ", sel)}] has a negative entry.");
        }

        if (model.Rcut is double rc && (double.IsNaN(rc) || double.IsInfinity(rc) || rc <= 0))
        {
            throw new ModelStructureException(ErrorIds.InvalidCutoff, $"rcut = {rc.ToString(CultureInfo.InvariantCulture)} is not a positive finite number.");
        }

        if (model.Rcut is double rcut && model.RcutSmth is double smth && !(smth < rcut))
        {
            throw new ModelStructureException(ErrorIds.InvalidCutoff,
                $"rcut_smth = {smth.ToString(CultureInfo.InvariantCulture)} must be smaller than rcut = {rcut.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (model.NTypes is int nt)
        {
            if (nt <= 0)
            {
                throw new ModelStructureException(ErrorIds.InvalidNTypes, $"ntypes = {nt} must be positive.");
            }

            if (model.TypeMap is { } tm && tm.Length < nt)
            {
                throw new ModelStructureException(ErrorIds.TypeMapTooShort, $"The type map ({string.Join(" ", tm)}) names {tm.Length} types but the model has {nt}.");
            }

            foreach (var part in model.Descriptors)
            {
                if (part.Sel is { } s && part.Spec.SelPerType && s.Length != nt)
                {
                    throw new ModelStructureException(ErrorIds.InvalidSel, $"sel of the {part} descriptor has {s.Length} entries but the model has {nt} types.");
                }
            }
        }

        foreach (string stat in new[] { "t_avg", "t_std" }.Concat(model.Descriptors.SelectMany(p => new[] { p.AttrScope + "/t_avg", p.AttrScope + "/t_std" })))
        {
            var value = SafeConst(index, stat);
            if (value is null)
            {
                continue;
            }

            var data = value.AsDoubleArray();
            if (data.Any(x => double.IsNaN(x) || double.IsInfinity(x)))
            {
                throw new ModelStructureException(ErrorIds.InvalidStatistics, $"{stat} contains NaN or infinite values.");
            }

            if (stat.EndsWith("t_std", StringComparison.Ordinal) && data.Any(x => x == 0))
            {
                throw new ModelStructureException(ErrorIds.InvalidStatistics, $"{stat} contains zeros; the descriptor would divide by zero.");
            }
        }

        foreach (var net in model.EmbeddingNets)
        {
            for (int l = 1; l <= net.Neuron.Length; l++)
            {
                foreach (string name in new[] { net.MatrixName(l), net.BiasName(l) })
                {
                    var w = SafeConst(index, name);
                    if (w is not null && w.AsDoubleArray().Any(x => double.IsNaN(x) || double.IsInfinity(x)))
                    {
                        throw new ModelStructureException(ErrorIds.InvalidWeights, $"Embedding-net weight {name} contains NaN or infinite values.");
                    }
                }
            }
        }
    }

    private static TensorValue? SafeConst(GraphIndex index, string name)
    {
        var node = index.Find(name);
        if (node is null || node.Op != "Const")
        {
            return null;
        }

        var v = index.TryGetConst(name);
        return v is { DType: DataType.DtDouble or DataType.DtFloat } ? v : null;
    }

    internal static string? PrecisionName(DataType type) => type switch
    {
        DataType.DtDouble => "float64",
        DataType.DtFloat => "float32",
        DataType.DtHalf => "float16",
        DataType.DtBfloat16 => "bfloat16",
        _ => null,
    };

    private static int[]? ConstShape(NodeDef node) =>
        node.Attr.TryGetValue("value", out var v) && v.Tensor?.TensorShape is { } shape
            ? shape.Dim.Select(d => (int)Math.Max(-1, Math.Min(int.MaxValue, d.Size))).ToArray()
            : null;

    internal static string? ConstString(GraphIndex index, string name)
    {
        var t = index.TryGetConst(name);
        return t is { DType: DataType.DtString, Count: 1 } ? t.ScalarString() : null;
    }

    internal static double? ConstDouble(GraphIndex index, string name)
    {
        var t = index.TryGetConst(name);
        return t is { Count: 1 } && t.DType is DataType.DtDouble or DataType.DtFloat or DataType.DtInt32 or DataType.DtInt64
            ? (t.DType == DataType.DtFloat ? Widen((float)t.ScalarDouble()) : t.ScalarDouble())
            : null;
    }

    internal static long? ConstLong(GraphIndex index, string name)
    {
        var t = index.TryGetConst(name);
        return t is { Count: 1 } && t.DType is DataType.DtInt32 or DataType.DtInt64 ? t.ScalarInt64() : null;
    }

    private static float? AttrFloat(NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.F ? v.F : null;

    private static int[]? AttrInts(NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.List
            ? v.List.I.Select(x => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, x))).ToArray()
            : null;

    /// <summary>A float32 attr as the decimal a user wrote (0.5, 1.8), not its binary expansion (1.7999999523…).</summary>
    internal static double Widen(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    // Names come from untrusted files: an index too large for int maps to -1 instead of throwing.
    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;

    private static JsonElement? Get(JsonElement root, params string[] path)
    {
        var e = root;
        foreach (string p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return null;
            }
        }

        return e;
    }

    private static string? Str(JsonElement e, string prop) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
