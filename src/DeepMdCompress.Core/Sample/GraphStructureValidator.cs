using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Sample;

/// <summary>One structural defect of a GraphDef.</summary>
public sealed class GraphStructureIssue
{
    public GraphStructureIssue(string kind, string node, string message)
    {
        Kind = kind;
        Node = node;
        Message = message;
    }

    /// <summary>DuplicateName, MissingInput, BadOutputIndex, Cycle, DisallowedOp, ArityMismatch or DtypeMismatch.</summary>
    public string Kind { get; }

    public string Node { get; }

    public string Message { get; }

    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>
/// Checks that a GraphDef is well formed the way TensorFlow's importer needs it: unique names, every input
/// resolving to an existing node output, no cycles, only allowed op types, the inputs' count and dtypes agreeing
/// with each op's signature (T/Tidx/Tshape/... attributes, for the ops of deepmd-kit models).
/// </summary>
public static class GraphStructureValidator
{
    /// <summary>Standard and deepmd-kit ops of the shipped reference models (evaluator-facts §3.3, union).</summary>
    public static IReadOnlyCollection<string> CensusOps { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Add", "AddN", "AddV2", "BatchMatMul", "BatchMatMulV2", "BiasAdd", "BroadcastGradientArgs", "Cast", "ConcatOffset",
        "ConcatV2", "Const", "DynamicStitch", "Fill", "FloorDiv", "FloorMod", "GatherV2", "GreaterEqual", "Identity", "MatMul",
        "MatrixDiag", "Maximum", "Mean", "Minimum", "Mul", "OneHot", "Pack", "Pad", "Placeholder", "Prod", "Range", "RealDiv",
        "Reshape", "Shape", "ShapeN", "Slice", "StridedSlice", "Sub", "Sum", "Tanh", "TanhGrad", "Tile", "Transpose",
        "ProdEnvMatA", "ProdEnvMatR", "ProdEnvMatAMix", "ProdForceSeA", "ProdForceSeR", "ProdVirialSeA", "ProdVirialSeR",
        "DescrptNorot", "ProdForceNorot", "ProdVirialNorot",
    };

    /// <summary>
    /// Ops the non-tanh activations add, with the gradient ops TensorFlow (or deepmd-kit, for GeluCustom) registers:
    /// Relu/ReluGrad, Relu6/Relu6Grad, Softplus/SoftplusGrad, Sigmoid/SigmoidGrad, GeluCustom/GeluGradCustom, and Pow for
    /// TF's composite gelu (gelu_tf).
    /// </summary>
    public static IReadOnlyCollection<string> ActivationOps { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Relu", "ReluGrad", "Relu6", "Relu6Grad", "Softplus", "SoftplusGrad", "Sigmoid", "SigmoidGrad", "GeluCustom", "GeluGradCustom", "Pow",
    };

    /// <summary>Every op a generated sample model may contain: <see cref="CensusOps"/> ∪ <see cref="ActivationOps"/>.</summary>
    public static IReadOnlyCollection<string> SampleModelOps { get; } = new HashSet<string>(CensusOps.Concat(ActivationOps), StringComparer.Ordinal);

    /// <summary>Lists every defect (empty when the graph is sound). <paramref name="allowedOps"/> null: any op type.</summary>
    public static IReadOnlyList<GraphStructureIssue> Check(GraphDef graph, IEnumerable<string>? allowedOps = null)
    {
        if (graph is null)
        {
            throw new ArgumentNullException(nameof(graph));
        }

        var issues = new List<GraphStructureIssue>();
        var allowed = allowedOps is null ? null : new HashSet<string>(allowedOps, StringComparer.Ordinal);
        var byName = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (byName.ContainsKey(node.Name))
            {
                issues.Add(new("DuplicateName", node.Name, $"node name '{node.Name}' occurs more than once"));
            }
            else
            {
                byName[node.Name] = node;
            }

            if (allowed is not null && !allowed.Contains(node.Op))
            {
                issues.Add(new("DisallowedOp", node.Name, $"'{node.Name}' has op type {node.Op}, which is not allowed here"));
            }
        }

        // Inputs resolve to existing outputs.
        foreach (var node in graph.Node)
        {
            foreach (string input in node.Input)
            {
                var (src, index) = GraphIndex.ParseInput(input);
                if (!byName.TryGetValue(src, out var source))
                {
                    issues.Add(new("MissingInput", node.Name, $"'{node.Name}' reads '{input}', but there is no node '{src}'"));
                    continue;
                }

                int outputs = OutputCount(source);
                if (index >= 0 && outputs >= 0 && index >= outputs)
                {
                    issues.Add(new("BadOutputIndex", node.Name, $"'{node.Name}' reads output {index} of '{src}' ({source.Op}), which has {outputs}"));
                }
            }
        }

        CheckAcyclic(graph, byName, issues);
        if (issues.Count == 0)
        {
            CheckSignatures(graph, byName, issues);
        }

        return issues;
    }

    /// <summary>Throws <see cref="ModelStructureException"/> (InvalidGraphStructure) listing the first defects.</summary>
    public static void Validate(GraphDef graph, IEnumerable<string>? allowedOps = null)
    {
        var issues = Check(graph, allowedOps);
        if (issues.Count > 0)
        {
            throw new ModelStructureException("InvalidGraphStructure",
                $"The graph has {issues.Count} structural defect(s): " + string.Join("; ", issues.Take(5)) + (issues.Count > 5 ? "; ..." : string.Empty));
        }
    }

    private static void CheckAcyclic(GraphDef graph, Dictionary<string, NodeDef> byName, List<GraphStructureIssue> issues)
    {
        var indegree = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var node in byName.Values)
        {
            indegree[node.Name] = 0;
        }

        foreach (var node in byName.Values)
        {
            foreach (string input in node.Input)
            {
                string src = GraphIndex.ParseInput(input).Node;
                if (!byName.ContainsKey(src))
                {
                    continue;
                }

                indegree[node.Name]++;
                if (!consumers.TryGetValue(src, out var list))
                {
                    consumers[src] = list = new List<string>();
                }

                list.Add(node.Name);
            }
        }

        var ready = new Queue<string>(indegree.Where(kv => kv.Value == 0).Select(kv => kv.Key));
        int visited = 0;
        while (ready.Count > 0)
        {
            string n = ready.Dequeue();
            visited++;
            if (consumers.TryGetValue(n, out var cs))
            {
                foreach (string c in cs)
                {
                    if (--indegree[c] == 0)
                    {
                        ready.Enqueue(c);
                    }
                }
            }
        }

        if (visited < byName.Count)
        {
            var onCycle = indegree.Where(kv => kv.Value > 0).Select(kv => kv.Key).OrderBy(s => s, StringComparer.Ordinal).ToList();
            issues.Add(new("Cycle", onCycle[0], $"{onCycle.Count} node(s) lie on or behind a cycle, e.g. '{string.Join("', '", onCycle.Take(3))}'"));
        }
    }

    /// <summary>Number of outputs of an op (from its OpDef), or -1 when unknown.</summary>
    private static int OutputCount(NodeDef node) => node.Op switch
    {
        "ShapeN" or "ConcatOffset" => (int)AttrI(node, "N", -1),
        "BroadcastGradientArgs" or "ProdVirialSeA" or "ProdVirialSeR" or "ProdVirialNorot" => 2,
        "ProdEnvMatA" or "ProdEnvMatR" or "DescrptNorot" or "DescrptSeA" or "DescrptSeR" => 4,
        "ProdEnvMatAMix" => 6,
        _ when SingleOutput.Contains(node.Op) => 1,
        _ => -1,
    };

    private static readonly HashSet<string> SingleOutput = new(StringComparer.Ordinal)
    {
        "Add", "AddN", "AddV2", "BatchMatMul", "BatchMatMulV2", "BiasAdd", "Cast", "ConcatV2", "Const", "DynamicStitch", "Fill",
        "FloorDiv", "FloorMod", "GatherV2", "GreaterEqual", "Identity", "MatMul", "MatrixDiag", "Maximum", "Mean", "Minimum", "Mul",
        "Neg", "OneHot", "Pack", "Pad", "Placeholder", "Pow", "Prod", "Range", "RealDiv", "Reshape", "Shape", "Slice", "StridedSlice",
        "Sub", "Sum", "Tanh", "TanhGrad", "Tile", "Transpose", "Relu", "ReluGrad", "Relu6", "Relu6Grad", "Softplus", "SoftplusGrad",
        "Sigmoid", "SigmoidGrad", "GeluCustom", "GeluGradCustom", "ProdForceSeA", "ProdForceSeR", "ProdForceNorot",
    };

    private static long AttrI(NodeDef node, string name, long fallback) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.I ? v.I : fallback;

    private static DataType? AttrT(NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type ? v.Type : null;

    /// <summary>Input dtypes expected by an op and the dtypes of its outputs, from its attributes (null: op not known here).</summary>
    private static (DataType?[] Inputs, DataType?[] Outputs)? Signature(NodeDef n)
    {
        int count = n.Input.Count(i => !i.StartsWith("^", StringComparison.Ordinal));
        DataType? t = AttrT(n, "T");
        DataType?[] All(DataType? d, int k) => Enumerable.Repeat(d, k).ToArray();
        const DataType I32 = DataType.DtInt32;
        switch (n.Op)
        {
            case "Const":
            case "Placeholder":
                return (Array.Empty<DataType?>(), new[] { AttrT(n, "dtype") });
            case "Identity" or "Tanh" or "Relu" or "Relu6" or "Softplus" or "Sigmoid" or "GeluCustom" or "Neg":
                return (new[] { t }, new[] { t });
            case "AddV2" or "Add" or "Sub" or "Mul" or "RealDiv" or "Maximum" or "Minimum" or "FloorMod" or "FloorDiv" or "Pow"
                or "BiasAdd" or "MatMul" or "BatchMatMul" or "BatchMatMulV2" or "TanhGrad" or "SigmoidGrad" or "ReluGrad"
                or "Relu6Grad" or "SoftplusGrad" or "GeluGradCustom":
                return (All(t, 2), new[] { t });
            case "GreaterEqual":
                return (All(t, 2), new DataType?[] { DataType.DtBool });
            case "AddN":
                return (All(t, (int)AttrI(n, "N", count)), new[] { t });
            case "Pack":
                return (All(t, (int)AttrI(n, "N", count)), new[] { t });
            case "ConcatV2":
                return (All(t, (int)AttrI(n, "N", count - 1)).Concat(new[] { AttrT(n, "Tidx") }).ToArray(), new[] { t });
            case "Reshape":
                return (new[] { t, AttrT(n, "Tshape") }, new[] { t });
            case "Slice":
                return (new[] { t, AttrT(n, "Index"), AttrT(n, "Index") }, new[] { t });
            case "StridedSlice":
                return (new[] { t, AttrT(n, "Index"), AttrT(n, "Index"), AttrT(n, "Index") }, new[] { t });
            case "Sum" or "Mean" or "Prod":
                return (new[] { t, AttrT(n, "Tidx") }, new[] { t });
            case "Tile":
                return (new[] { t, AttrT(n, "Tmultiples") }, new[] { t });
            case "Pad":
                return (new[] { t, AttrT(n, "Tpaddings") }, new[] { t });
            case "Transpose":
                return (new[] { t, AttrT(n, "Tperm") }, new[] { t });
            case "Fill":
                return (new[] { AttrT(n, "index_type"), t }, new[] { t });
            case "GatherV2":
                return (new[] { AttrT(n, "Tparams"), AttrT(n, "Tindices"), AttrT(n, "Taxis") }, new[] { AttrT(n, "Tparams") });
            case "Cast":
                return (new[] { AttrT(n, "SrcT") }, new[] { AttrT(n, "DstT") });
            case "Shape":
                return (new[] { t }, new[] { AttrT(n, "out_type") });
            case "ShapeN":
            {
                int k = (int)AttrI(n, "N", count);
                return (All(t, k), All(AttrT(n, "out_type"), k));
            }

            case "ConcatOffset":
            {
                int k = (int)AttrI(n, "N", count - 1);
                return (All(I32, k + 1), All(I32, k));
            }

            case "BroadcastGradientArgs":
                return (All(t, 2), All(t, 2));
            case "Range":
                return (All(AttrT(n, "Tidx"), 3), new[] { AttrT(n, "Tidx") });
            case "DynamicStitch":
            {
                int k = (int)AttrI(n, "N", count / 2);
                return (All(I32, k).Concat(All(t, k)).ToArray(), new[] { t });
            }

            case "ProdEnvMatA" or "ProdEnvMatR":
                return (new DataType?[] { t, I32, I32, t, I32, t, t }, new DataType?[] { t, t, t, I32 });
            case "ProdForceSeA" or "ProdForceSeR":
                return (new DataType?[] { t, t, I32, I32 }, new[] { t });
            case "ProdVirialSeA" or "ProdVirialSeR":
                return (new DataType?[] { t, t, t, I32, I32 }, new[] { t, t });
            default:
                return null;
        }
    }

    private static void CheckSignatures(GraphDef graph, Dictionary<string, NodeDef> byName, List<GraphStructureIssue> issues)
    {
        var signatures = new Dictionary<string, (DataType?[] Inputs, DataType?[] Outputs)?>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            signatures[node.Name] = Signature(node);
        }

        foreach (var node in graph.Node)
        {
            if (signatures[node.Name] is not { } sig)
            {
                continue;
            }

            var data = node.Input.Where(i => !i.StartsWith("^", StringComparison.Ordinal)).ToList();
            if (data.Count != sig.Inputs.Length)
            {
                issues.Add(new("ArityMismatch", node.Name, $"'{node.Name}' ({node.Op}) has {data.Count} inputs; its signature expects {sig.Inputs.Length}"));
                continue;
            }

            for (int k = 0; k < data.Count; k++)
            {
                var (src, index) = GraphIndex.ParseInput(data[k]);
                if (signatures[src] is not { } srcSig || index >= srcSig.Outputs.Length)
                {
                    continue;
                }

                var actual = srcSig.Outputs[index];
                var expected = sig.Inputs[k];
                if (actual is { } a && expected is { } e && a != e)
                {
                    issues.Add(new("DtypeMismatch", node.Name,
                        $"input {k} of '{node.Name}' ({node.Op}) is {TensorDecoder.Name(a)} from '{data[k]}', but the op expects {TensorDecoder.Name(e)}"));
                }
            }
        }
    }
}
