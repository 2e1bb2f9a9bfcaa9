using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Model;

/// <summary>Derives a <see cref="FrozenModel"/> from a GraphDef (fact sheet §1.5, §5.9, §7).</summary>
public static class ModelIntrospector
{
    /// <summary>Environment-matrix ops and the descriptor family they imply.</summary>
    private static readonly Dictionary<string, string> EnvMatOps = new(StringComparer.Ordinal)
    {
        ["ProdEnvMatA"] = "se_e2_a",
        ["DescrptSeA"] = "se_e2_a",
        ["DescrptNorot"] = "se_e2_a",
        ["ProdEnvMatR"] = "se_e2_r",
        ["DescrptSeR"] = "se_e2_r",
        ["ProdEnvMatAMix"] = "se_atten",
        ["DescrptSeAMask"] = "se_a_mask",
    };

    private static readonly HashSet<string> TabulateOps = new(StringComparer.Ordinal)
    {
        "TabulateFusion", "TabulateFusionSeA", "TabulateFusionSeAtten", "TabulateFusionSeT", "TabulateFusionSeR",
    };

    private static readonly Regex TwoSideNet = new(@"^filter_type_(\d+)(_\d+)?/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex AllPairNet = new(@"^filter_type_all(_\d+)?/matrix_(\d+)_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex OneSideNet = new(@"^filter_type_all(_\d+)?/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex SharedNet = new(@"^filter_type_all(_\d+)?/matrix_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex StripTypeNet = new(@"^filter_type_all(_\d+)?/matrix_(\d+)_(one|two)_side_ebd$", RegexOptions.CultureInvariant);
    private static readonly Regex LegacyNet = new(@"^DS_layer_type_(\d+)/matrix_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex AnyIdt = new(@"^(filter_type_\w+|DS_layer_type_\d+)/idt_\d+", RegexOptions.CultureInvariant);
    private static readonly Regex FittingLayer = new(@"^layer_(\d+)(_type_(\d+))?/matrix$", RegexOptions.CultureInvariant);

    public static FrozenModel Inspect(GraphDef graph, string? path, GraphFormat format, CancellationToken cancellationToken = default)
    {
        var model = new FrozenModel(graph) { Path = path, Format = format, NodeCount = graph.Node.Count };
        var notes = new List<string>();
        var index = model.Index;

        if (graph.Node.Count == 0)
        {
            throw new ModelStructureException("NotADeePMDModel", "The graph has no nodes, so it is not a DeePMD model.");
        }

        var envMats = graph.Node.Where(n => EnvMatOps.ContainsKey(n.Op)).ToList();
        bool hasAttrs = index.Contains("descrpt_attr/rcut") || index.Contains("t_rcut") || index.Contains("model_attr/model_type");
        if (envMats.Count == 0)
        {
            string what = hasAttrs
                ? "it has DeePMD attribute nodes but no environment-matrix op (ProdEnvMatA/ProdEnvMatR/…)"
                : "it has no environment-matrix op (ProdEnvMatA, ProdEnvMatR, DescrptSeA, …) and no descrpt_attr/* nodes";
            throw new ModelStructureException("NotADeePMDModel", $"The graph ({graph.Node.Count} nodes) is not a DeePMD model: {what}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        model.ModelType = ConstString(index, "model_attr/model_type");
        model.ModelVersion = ConstString(index, "model_attr/model_version");
        model.RootModelType = ConstString(index, "model_type");
        model.IsCompressed = model.RootModelType == "compressed_model" || graph.Node.Any(n => TabulateOps.Contains(n.Op));
        if (model.ModelType is null)
        {
            notes.Add("ModelType: the graph has no model_attr/model_type node (a legacy model; energy models were the only kind then).");
        }

        if (model.ModelVersion is null)
        {
            notes.Add("ModelVersion: the graph has no model_attr/model_version node (made before deepmd-kit 1.3/2.0).");
        }

        // Training script first: several facts (activation, exclude_types, type_map) are only certain from it.
        model.TrainingScript = ConstString(index, "train_attr/training_script");
        JsonElement? script = null;
        if (model.TrainingScript is { } scriptText)
        {
            try
            {
                using var doc = JsonDocument.Parse(scriptText);
                script = doc.RootElement.Clone();
                model.TrainingScriptJson = script;
            }
            catch (JsonException ex)
            {
                notes.Add($"TrainingScript: train_attr/training_script is not valid JSON ({ex.Message}).");
            }
        }

        var descriptorScript = script is { } s1 ? Get(s1, "model", "descriptor") : null;
        model.MinNborDist = ConstDouble(index, "train_attr/min_nbor_dist");

        var envMat = envMats[0];
        model.DescriptorOp = envMat.Op;
        model.DescriptorType = envMats.Count > 1 ? "hybrid" : EnvMatOps[envMat.Op];
        if (envMats.Count > 1)
        {
            notes.Add($"DescriptorType: {envMats.Count} environment-matrix ops ({string.Join(", ", envMats.Select(n => n.Op))}), i.e. a hybrid descriptor; per-descriptor facts are those of the first.");
        }

        // ntypes, rcut
        model.NTypes = (int?)ConstLong(index, "descrpt_attr/ntypes") ?? (int?)ConstLong(index, "t_ntypes");
        model.Rcut = ConstDouble(index, "descrpt_attr/rcut") ?? ConstDouble(index, "t_rcut");
        bool isR = model.DescriptorType == "se_e2_r";
        float? rcutAttr = AttrFloat(envMat, isR ? "rcut" : "rcut_r");
        float? smthAttr = AttrFloat(envMat, isR ? "rcut_smth" : "rcut_r_smth");
        if (model.Rcut is null && rcutAttr is float rc)
        {
            model.Rcut = Widen(rc);
        }

        if (smthAttr is float rs)
        {
            model.RcutSmth = Widen(rs);
        }

        model.Sel = AttrInts(envMat, isR ? "sel" : "sel_a");
        if (model.NTypes is null)
        {
            var avg = index.TryGetConst("descrpt_attr/t_avg") ?? index.TryGetConst("t_avg");
            if (avg is { Rank: 2 })
            {
                model.NTypes = avg.Shape[0];
                notes.Add("NTypes: no descrpt_attr/ntypes node; taken from the rows of t_avg.");
            }
        }

        // type map
        string? tmap = ConstString(index, "model_attr/tmap");
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

        // fitting parameters
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

        cancellationToken.ThrowIfCancellationRequested();
        InspectEmbeddingNets(model, index, descriptorScript, notes);
        model.FittingNeuron = FittingWidths(index, notes);
        model.Notes = notes;
        Validate(model, index);
        return model;
    }

    private static void InspectEmbeddingNets(FrozenModel model, GraphIndex index, JsonElement? descriptorScript, List<string> notes)
    {
        var nets = new List<EmbeddingNetInfo>();
        var layers = new Dictionary<(string Scope, string Suffix), SortedDictionary<int, NodeDef>>();
        var kinds = new Dictionary<(string Scope, string Suffix), (string Kind, int Centre, int[] Neighbours)>();
        bool anyStrip = false, anyShared = false;
        foreach (var node in index.Nodes)
        {
            if (node.Op != "Const")
            {
                continue;
            }

            Match m;
            string scope, suffix;
            int layer, centre;
            int[] neighbours;
            string kind;
            if ((m = TwoSideNet.Match(node.Name)).Success)
            {
                scope = node.Name.Substring(0, node.Name.IndexOf('/'));
                layer = Int(m.Groups[3].Value);
                suffix = "_" + m.Groups[4].Value;
                centre = Int(m.Groups[1].Value);
                neighbours = new[] { Int(m.Groups[4].Value) };
                kind = "two";
            }
            else if ((m = AllPairNet.Match(node.Name)).Success)
            {
                scope = "filter_type_all" + m.Groups[1].Value;
                layer = Int(m.Groups[2].Value);
                suffix = "_" + m.Groups[3].Value + "_" + m.Groups[4].Value;
                centre = Int(m.Groups[3].Value);
                neighbours = new[] { Int(m.Groups[3].Value), Int(m.Groups[4].Value) };
                kind = "pair";
            }
            else if ((m = OneSideNet.Match(node.Name)).Success)
            {
                scope = "filter_type_all" + m.Groups[1].Value;
                layer = Int(m.Groups[2].Value);
                suffix = "_" + m.Groups[3].Value;
                centre = -1;
                neighbours = new[] { Int(m.Groups[3].Value) };
                kind = "one";
            }
            else if ((m = LegacyNet.Match(node.Name)).Success)
            {
                scope = node.Name.Substring(0, node.Name.IndexOf('/'));
                layer = Int(m.Groups[2].Value);
                suffix = "_" + m.Groups[3].Value;
                centre = Int(m.Groups[1].Value);
                neighbours = new[] { Int(m.Groups[3].Value) };
                kind = "two";
            }
            else if (SharedNet.IsMatch(node.Name))
            {
                anyShared = true;
                m = SharedNet.Match(node.Name);
                scope = "filter_type_all" + m.Groups[1].Value;
                layer = Int(m.Groups[2].Value);
                suffix = string.Empty;
                centre = -1;
                neighbours = Array.Empty<int>();
                kind = "shared";
            }
            else
            {
                if (StripTypeNet.IsMatch(node.Name))
                {
                    anyStrip = true;
                }

                continue;
            }

            var key = (scope, suffix);
            if (!layers.TryGetValue(key, out var dict))
            {
                layers[key] = dict = new SortedDictionary<int, NodeDef>();
                kinds[key] = (kind, centre, neighbours);
            }

            dict[layer] = node;
        }

        // Refine the descriptor family from the net layout.
        string? family = model.DescriptorType;
        if (family == "se_e2_a")
        {
            if (kinds.Values.Any(k => k.Kind == "pair"))
            {
                family = "se_e3";
            }
            else if (anyStrip)
            {
                family = "se_a_ebd_v2";
            }
            else if (anyShared && index.Contains("t_typeebd"))
            {
                family = "se_a_tpe";
            }
        }

        if (descriptorScript is { } ds && Str(ds, "type") is { } declared)
        {
            string normalized = NormalizeDescriptorName(declared);
            bool refinement = normalized == "se_e2_a" && family is "se_e3" or "se_a_ebd_v2" or "se_a_tpe";
            if (refinement)
            {
                notes.Add($"DescriptorType: the training script says '{declared}'; the graph's nets show the {family} variant of it.");
            }
            else if (family != "hybrid" && normalized != family)
            {
                notes.Add($"DescriptorType: the graph structure says {family}; the training script says '{declared}' ({normalized}); the script is used.");
                family = normalized;
            }
        }

        model.DescriptorType = family;

        int ntypes = model.NTypes ?? 0;
        foreach (var entry in layers.OrderBy(e => e.Key.Scope, StringComparer.Ordinal).ThenBy(e => e.Key.Suffix, StringComparer.Ordinal))
        {
            var (kind, centre, neighbours) = kinds[entry.Key];
            var widths = new List<int>();
            int expected = 1;
            foreach (var layer in entry.Value)
            {
                if (layer.Key != expected++)
                {
                    break;
                }

                var shape = ConstShape(layer.Value);
                widths.Add(shape is { Length: 2 } ? shape[1] : -1);
            }

            string name = kind switch
            {
                "two" => $"filter_{centre}_net_{neighbours[0]}",
                "one" => $"filter_-1_net_{neighbours[0]}",
                "pair" => $"filter_{neighbours[0]}_net_{neighbours[1]}",
                _ => "filter_net",
            };
            nets.Add(new EmbeddingNetInfo(name, entry.Key.Scope, entry.Key.Suffix, centre, neighbours, widths.ToArray()));
        }

        // Order nets as deepmd-kit's table loop does: by centre, then neighbour.
        nets = nets.OrderBy(n => n.CentreType).ThenBy(n => n.NeighbourTypes.Length > 0 ? n.NeighbourTypes[0] : 0)
            .ThenBy(n => n.NeighbourTypes.Length > 1 ? n.NeighbourTypes[1] : 0).ToList();
        model.EmbeddingNets = nets;

        if (nets.Count == 0)
        {
            notes.Add("EmbeddingNeuron: no embedding-net weights matching deepmd-kit's naming were found.");
        }
        else
        {
            var first = nets[0].Neuron;
            model.EmbeddingNeuron = first;
            if (nets.Any(n => !n.Neuron.SequenceEqual(first)))
            {
                notes.Add("EmbeddingNeuron: nets differ in width; the first net's widths are shown (see EmbeddingNets).");
            }

            model.Precision = nets.Select(n => index.Find(n.MatrixName(1))?.Attr.TryGetValue("dtype", out var a) == true ? a.Type : DataType.DtInvalid)
                .Select(PrecisionName).FirstOrDefault();
            model.ResnetDt = index.Nodes.Any(n => n.Op == "Const" && AnyIdt.IsMatch(n.Name));
            model.Activation = DetectActivation(index, nets[0], descriptorScript, notes);
        }

        bool anyTwo = nets.Any(n => n.CentreType >= 0 && n.NeighbourTypes.Length == 1);
        bool anyOne = nets.Any(n => n.CentreType < 0 && n.NeighbourTypes.Length == 1);
        if (family is "se_e2_a" or "se_e2_r")
        {
            model.TypeOneSide = anyOne ? true : anyTwo ? false : null;
        }
        else if (family is "se_e3")
        {
            model.TypeOneSide = null;
            notes.Add("TypeOneSide: not applicable to se_e3 (one net per unordered type pair).");
        }
        else if (descriptorScript is { } ds2 && ds2.TryGetProperty("type_one_side", out var tos) && tos.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            model.TypeOneSide = tos.GetBoolean();
        }
        else
        {
            model.TypeOneSide = anyStrip ? index.Nodes.Any(n => n.Name.EndsWith("_one_side_ebd", StringComparison.Ordinal)) : null;
        }

        // Exclude types: from the script when present, otherwise from missing nets (two-side only).
        if (descriptorScript is { } ds3 && ds3.TryGetProperty("exclude_types", out var ex) && ex.ValueKind == JsonValueKind.Array)
        {
            model.ExcludeTypes = NormalizePairs(ex.EnumerateArray()
                .Where(p => p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 2)
                .Select(p => new[] { p[0].GetInt32(), p[1].GetInt32() }));
        }
        else if (family is "se_e2_a" or "se_e2_r" && model.TypeOneSide == false && ntypes > 0)
        {
            var present = new HashSet<(int, int)>(nets.Select(n => (n.CentreType, n.NeighbourTypes[0])));
            var missing = new List<int[]>();
            for (int i = 0; i < ntypes; i++)
            {
                for (int j = 0; j < ntypes; j++)
                {
                    if (!present.Contains((i, j)))
                    {
                        missing.Add(new[] { i, j });
                    }
                }
            }

            model.ExcludeTypes = NormalizePairs(missing);
        }
        else if (family == "se_e3")
        {
            model.ExcludeTypes = Array.Empty<int[]>();
        }
        else
        {
            notes.Add("ExcludeTypes: with one shared net per neighbour type the excluded pairs are applied by a mask and cannot be read from the net names; no training script says them.");
        }
    }

    private static int[][] NormalizePairs(IEnumerable<int[]> pairs) => pairs
        .Select(p => p[0] <= p[1] ? p : new[] { p[1], p[0] })
        .GroupBy(p => (p[0], p[1])).Select(g => g.First())
        .OrderBy(p => p[0]).ThenBy(p => p[1]).ToArray();

    private static string NormalizeDescriptorName(string name) => name switch
    {
        "se_a" or "se_e2_a" => "se_e2_a",
        "se_r" or "se_e2_r" => "se_e2_r",
        "se_t" or "se_e3" or "se_at" or "se_a_3be" => "se_e3",
        "se_atten" or "dpa1" or "se_atten_v2" => "se_atten",
        "se_a_ebd_v2" or "se_a_tpe_v2" => "se_a_ebd_v2",
        "se_a_tpe" or "se_a_ebd" => "se_a_tpe",
        "se_a_mask" => "se_a_mask",
        "hybrid" => "hybrid",
        _ => name,
    };

    private static string? DetectActivation(GraphIndex index, EmbeddingNetInfo net, JsonElement? descriptorScript, List<string> notes)
    {
        if (descriptorScript is { } ds && Str(ds, "activation_function") is { } declared)
        {
            return declared.ToLowerInvariant();
        }

        // Follow matrix_1 -> (read) -> MatMul -> bias add -> activation.
        var consumers = new Dictionary<string, List<NodeDef>>(StringComparer.Ordinal);
        foreach (var n in index.Nodes)
        {
            foreach (var input in n.Input)
            {
                string src = GraphIndex.ParseInput(input).Node;
                if (!consumers.TryGetValue(src, out var list))
                {
                    consumers[src] = list = new List<NodeDef>();
                }

                list.Add(n);
            }
        }

        IEnumerable<NodeDef> Next(string name) => consumers.TryGetValue(name, out var l) ? l : Enumerable.Empty<NodeDef>();
        string matrix = net.MatrixName(1);
        var frontier = Next(matrix).SelectMany(n => n.Op == "Identity" ? Next(n.Name) : new[] { n }).Where(n => n.Op == "MatMul");
        foreach (var matmul in frontier)
        {
            foreach (var add in Next(matmul.Name).Where(n => n.Op is "BiasAdd" or "Add" or "AddV2"))
            {
                foreach (var act in Next(add.Name))
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

                    // TF's approximate gelu starts with x**3 (Pow) or x*x*x (Mul chain) next to a 0.044715 factor.
                    if (act.Op == "Mul" && Next(add.Name).Any(n => n.Op == "Pow"))
                    {
                        return "gelu_tf";
                    }
                }
            }
        }

        notes.Add("Activation: the op after the first embedding layer is not one deepmd-kit's tabulation knows, and no training script names it.");
        return null;
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
            throw new ModelStructureException("InvalidSel", $"The descriptor's sel [{string.Join(", ", sel)}] has a negative entry.");
        }

        if (model.Rcut is double rc && (double.IsNaN(rc) || double.IsInfinity(rc) || rc <= 0))
        {
            throw new ModelStructureException("InvalidCutoff", $"rcut = {rc.ToString(CultureInfo.InvariantCulture)} is not a positive finite number.");
        }

        if (model.Rcut is double rcut && model.RcutSmth is double smth && !(smth < rcut))
        {
            throw new ModelStructureException("InvalidCutoff",
                $"rcut_smth = {smth.ToString(CultureInfo.InvariantCulture)} must be smaller than rcut = {rcut.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (model.NTypes is int nt)
        {
            if (nt <= 0)
            {
                throw new ModelStructureException("InvalidNTypes", $"ntypes = {nt} must be positive.");
            }

            if (model.TypeMap is { } tm && tm.Length < nt)
            {
                throw new ModelStructureException("TypeMapTooShort", $"The type map ({string.Join(" ", tm)}) names {tm.Length} types but the model has {nt}.");
            }

            if (model.Sel is { } s && model.DescriptorType is "se_e2_a" or "se_e2_r" or "se_e3" && s.Length != nt)
            {
                throw new ModelStructureException("InvalidSel", $"sel has {s.Length} entries but the model has {nt} types.");
            }
        }

        foreach (string stat in new[] { "descrpt_attr/t_avg", "descrpt_attr/t_std", "t_avg", "t_std" })
        {
            var value = SafeConst(index, stat);
            if (value is null)
            {
                continue;
            }

            var data = value.AsDoubleArray();
            if (data.Any(x => double.IsNaN(x) || double.IsInfinity(x)))
            {
                throw new ModelStructureException("InvalidStatistics", $"{stat} contains NaN or infinite values.");
            }

            if (stat.EndsWith("t_std", StringComparison.Ordinal) && data.Any(x => x == 0))
            {
                throw new ModelStructureException("InvalidStatistics", $"{stat} contains zeros; the descriptor would divide by zero.");
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
                        throw new ModelStructureException("InvalidWeights", $"Embedding-net weight {name} contains NaN or infinite values.");
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
