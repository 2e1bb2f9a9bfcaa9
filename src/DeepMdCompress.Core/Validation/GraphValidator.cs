using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Validation;

/// <summary>A graph that TensorFlow plus deepmd-kit's op library would refuse to load.</summary>
public sealed class GraphValidationException : DeepMdException
{
    public GraphValidationException(IReadOnlyList<string> problems)
        : base(ErrorIds.InvalidGraph, DeepMdErrorKind.InvalidData,
            $"The graph would not load in TensorFlow: {problems.Count} problem(s). " + string.Join(" ", problems.Take(10)) + (problems.Count > 10 ? " …" : string.Empty))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// Checks a GraphDef the way TensorFlow's importer would before running it, against TensorFlow's own op registry
/// (<see cref="TensorFlowOps"/>): known ops with the right arity, required attrs present, every attr of the kind its
/// OpDef says and within its allowed values and minimum, no unknown attrs, inputs that resolve to existing outputs and
/// carry the dtypes the ops' arguments take (per their type attrs or defaults), unique names, no cycles.
/// </summary>
public static class GraphValidator
{
    public static IReadOnlyList<string> FindProblems(GraphDef graph)
    {
        var problems = new List<string>();
        var byName = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (string.IsNullOrEmpty(node.Name))
            {
                problems.Add("A node has an empty name.");
            }
            else if (!byName.ContainsKey(node.Name))
            {
                byName.Add(node.Name, node);
            }
            else
            {
                problems.Add($"Duplicate node name '{node.Name}'.");
            }
        }

        foreach (var node in graph.Node)
        {
            CheckNode(node, byName, problems);
        }

        if (FindCycle(graph, byName) is { } cycleNode)
        {
            problems.Add($"The graph has a cycle through '{cycleNode}'.");
        }

        return problems;
    }

    public static void Validate(GraphDef graph)
    {
        var problems = FindProblems(graph);
        if (problems.Count > 0)
        {
            throw new GraphValidationException(problems);
        }
    }

    /// <summary>Number of outputs a node produces according to its OpDef (null when the op is unknown or its attrs do not say).</summary>
    public static int? OutputCount(NodeDef node) =>
        TensorFlowOps.TryGet(node.Op, out var def) ? Expand(def.OutputArg, def, node)?.Length : null;

    private static void CheckNode(NodeDef node, Dictionary<string, NodeDef> byName, List<string> problems)
    {
        string where = $"Node '{node.Name}' ({node.Op})";
        if (!TensorFlowOps.TryGet(node.Op, out var def))
        {
            problems.Add($"{where}: op type '{node.Op}' is not defined by TensorFlow or deepmd-kit's op library ({TensorFlowOps.Source}).");
            return;
        }

        foreach (var attr in def.Attr)
        {
            if (!node.Attr.TryGetValue(attr.Name, out var value))
            {
                if (attr.DefaultValue is null)
                {
                    problems.Add($"{where}: required attr '{attr.Name}' is missing (a {attr.Type}).");
                }

                continue;
            }

            if (AttrProblem(attr, value) is { } problem)
            {
                problems.Add($"{where}: attr '{attr.Name}' {problem}.");
            }
        }

        foreach (var key in node.Attr.Keys)
        {
            // Attrs starting with '_' (e.g. _class) are internal and always allowed.
            if (!key.StartsWith("_", StringComparison.Ordinal) && !def.Attr.Any(a => a.Name == key))
            {
                problems.Add($"{where}: attr '{key}' is not defined for {node.Op}.");
            }
        }

        int dataInputs = 0;
        bool seenControl = false, controlAfterData = true;
        foreach (var input in node.Input)
        {
            bool control = input.StartsWith("^", StringComparison.Ordinal);
            controlAfterData &= control || !seenControl;
            seenControl |= control;
            dataInputs += control ? 0 : 1;
        }

        if (!controlAfterData)
        {
            problems.Add($"{where}: a data input follows a control input.");
        }

        // Each data input must carry the dtype its argument takes (from the op's type attrs), as TensorFlow's importer checks.
        var wanted = Expand(def.InputArg, def, node);
        if (wanted is not null && dataInputs != wanted.Length)
        {
            problems.Add($"{where}: has {dataInputs} data inputs but the op takes {wanted.Length}.");
            wanted = null;
        }

        int dataIndex = 0;
        foreach (var input in node.Input)
        {
            var (src, port) = GraphIndex.ParseInput(input);
            int k = port >= 0 ? dataIndex++ : -1;
            if (!byName.TryGetValue(src, out var source))
            {
                problems.Add($"{where}: input '{input}' names no node.");
                continue;
            }

            if (port >= 0 && OutputCount(source) is int outputs && port >= outputs)
            {
                problems.Add($"{where}: input '{input}' asks for output {port.ToString(CultureInfo.InvariantCulture)} but {source.Op} has {outputs}.");
                continue;
            }

            if (k >= 0 && wanted is not null && wanted[k] is DataType want && OutputType(source, port) is DataType actual && actual != want)
            {
                problems.Add($"{where}: input {k.ToString(CultureInfo.InvariantCulture)} '{input}' is {TensorDecoder.Name(actual)} but the op takes {TensorDecoder.Name(want)} there.");
            }
        }
    }

    /// <summary>The dtype of output <paramref name="port"/> of a node (null when its op or attrs do not tell).</summary>
    private static DataType? OutputType(NodeDef node, int port) =>
        TensorFlowOps.TryGet(node.Op, out var def) && Expand(def.OutputArg, def, node) is { } types && port < types.Length ? types[port] : null;

    /// <summary>
    /// The arguments of a node, one entry per tensor: a list argument repeats its type <c>number_attr</c> times or takes
    /// the types of its <c>type_list_attr</c>; an entry is null where the dtype is not known. Null when a list length
    /// cannot be read from the node's attrs.
    /// </summary>
    private static DataType?[]? Expand(IEnumerable<OpDef.Types.ArgDef> args, OpDef def, NodeDef node)
    {
        var types = new List<DataType?>();
        foreach (var arg in args)
        {
            if (arg.TypeListAttr.Length > 0)
            {
                if (Effective(def, node, arg.TypeListAttr) is not { ValueCase: AttrValue.ValueOneofCase.List } list)
                {
                    return null;
                }

                types.AddRange(list.List.Type.Select(t => (DataType?)t));
                continue;
            }

            DataType? type = arg.TypeAttr.Length > 0
                ? Effective(def, node, arg.TypeAttr) is { ValueCase: AttrValue.ValueOneofCase.Type } t ? t.Type : null
                : arg.Type;
            int count = 1;
            if (arg.NumberAttr.Length > 0)
            {
                if (Effective(def, node, arg.NumberAttr) is not { ValueCase: AttrValue.ValueOneofCase.I } n || n.I < 0 || n.I > 1 << 20)
                {
                    return null;
                }

                count = (int)n.I;
            }

            types.AddRange(Enumerable.Repeat(type, count));
        }

        return types.ToArray();
    }

    /// <summary>The node's value of attr <paramref name="name"/>, else the OpDef's default.</summary>
    private static AttrValue? Effective(OpDef def, NodeDef node, string name) =>
        node.Attr.TryGetValue(name, out var v) ? v : def.Attr.FirstOrDefault(a => a.Name == name)?.DefaultValue;

    /// <summary>Why <paramref name="value"/> is not a valid value of <paramref name="attr"/> (its kind, allowed values, minimum), or null.</summary>
    private static string? AttrProblem(OpDef.Types.AttrDef attr, AttrValue value)
    {
        string kind = attr.Type;
        bool isList = kind.StartsWith("list(", StringComparison.Ordinal);
        string element = isList ? kind.Substring(5, kind.Length - 6) : kind;
        if (isList)
        {
            // An empty list may come back with no case at all from text format.
            if (value.ValueCase is not (AttrValue.ValueOneofCase.List or AttrValue.ValueOneofCase.None))
            {
                return $"must be {Article(kind)} but is {Describe(value)}";
            }

            var list = value.List ?? new AttrValue.Types.ListValue();
            int count = element switch
            {
                "int" => list.I.Count,
                "float" => list.F.Count,
                "bool" => list.B.Count,
                "string" => list.S.Count,
                "type" => list.Type.Count,
                "shape" => list.Shape.Count,
                "tensor" => list.Tensor.Count,
                "func" => list.Func.Count,
                _ => -1,
            };
            int all = list.I.Count + list.F.Count + list.B.Count + list.S.Count + list.Type.Count + list.Shape.Count + list.Tensor.Count + list.Func.Count;
            if (count < 0 || count != all)
            {
                return $"must be a {kind} but holds other values";
            }

            if (attr.HasMinimum && count < attr.Minimum)
            {
                return $"has {count} entries but {attr.Name} needs at least {attr.Minimum}";
            }

            if (element == "type" && Allowed(attr) is { } allowedTypes && list.Type.FirstOrDefault(t => !allowedTypes.Contains(t)) is var bad && list.Type.Any(t => !allowedTypes.Contains(t)))
            {
                return $"holds {TypeName(bad)}, which is not one of {string.Join(", ", allowedTypes.Select(TypeName))}";
            }

            return null;
        }

        var expected = element switch
        {
            "int" => AttrValue.ValueOneofCase.I,
            "float" => AttrValue.ValueOneofCase.F,
            "bool" => AttrValue.ValueOneofCase.B,
            "string" => AttrValue.ValueOneofCase.S,
            "type" => AttrValue.ValueOneofCase.Type,
            "shape" => AttrValue.ValueOneofCase.Shape,
            "tensor" => AttrValue.ValueOneofCase.Tensor,
            "func" => AttrValue.ValueOneofCase.Func,
            _ => AttrValue.ValueOneofCase.None,
        };

        // proto3 drops zero scalars: an int 0, false or DT_INVALID arrives without a case in some writers.
        if (value.ValueCase != expected && !(value.ValueCase == AttrValue.ValueOneofCase.None && element is "int" or "bool" or "float"))
        {
            return $"must be {Article(kind)} but is {Describe(value)}";
        }

        if (element == "int" && attr.HasMinimum && value.I < attr.Minimum)
        {
            return $"is {value.I} but must be at least {attr.Minimum}";
        }

        if (element == "type" && Allowed(attr) is { } types && !types.Contains(value.Type))
        {
            return $"is {TypeName(value.Type)}, which is not one of {string.Join(", ", types.Select(TypeName))}";
        }

        if (element == "string" && attr.AllowedValues?.List is { S.Count: > 0 } strings && !strings.S.Contains(value.S))
        {
            return $"is \"{value.S.ToStringUtf8()}\", which is not one of {string.Join(", ", strings.S.Select(x => "\"" + x.ToStringUtf8() + "\""))}";
        }

        return null;
    }

    private static string Article(string kind) => (kind.Length > 0 && "aeiou".IndexOf(kind[0]) >= 0 ? "an " : "a ") + kind;

    private static HashSet<DataType>? Allowed(OpDef.Types.AttrDef attr) =>
        attr.AllowedValues?.List is { Type.Count: > 0 } list ? new HashSet<DataType>(list.Type) : null;

    private static string Describe(AttrValue value) => value.ValueCase switch
    {
        AttrValue.ValueOneofCase.Type => "a type",
        AttrValue.ValueOneofCase.I => "an int",
        AttrValue.ValueOneofCase.F => "a float",
        AttrValue.ValueOneofCase.B => "a bool",
        AttrValue.ValueOneofCase.S => "a string",
        AttrValue.ValueOneofCase.Shape => "a shape",
        AttrValue.ValueOneofCase.Tensor => "a tensor",
        AttrValue.ValueOneofCase.List => "a list",
        AttrValue.ValueOneofCase.Func => "a function",
        _ => "empty",
    };

    private static string TypeName(DataType type) => TensorDecoder.Name(type);

    /// <summary>Kahn's algorithm over data and control edges; returns a node on a cycle, or null.</summary>
    private static string? FindCycle(GraphDef graph, Dictionary<string, NodeDef> byName)
    {
        var indegree = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var node in byName.Values)
        {
            indegree[node.Name] = 0;
        }

        foreach (var node in byName.Values)
        {
            foreach (var input in node.Input)
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
        int done = 0;
        while (ready.Count > 0)
        {
            string n = ready.Dequeue();
            done++;
            if (consumers.TryGetValue(n, out var list))
            {
                foreach (string c in list)
                {
                    if (--indegree[c] == 0)
                    {
                        ready.Enqueue(c);
                    }
                }
            }
        }

        return done == indegree.Count ? null : indegree.First(kv => kv.Value > 0).Key;
    }
}
