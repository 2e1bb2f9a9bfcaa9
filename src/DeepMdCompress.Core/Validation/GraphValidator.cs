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
        : base("InvalidGraph", DeepMdErrorKind.InvalidData,
            $"The graph would not load in TensorFlow: {problems.Count} problem(s). " + string.Join(" ", problems.Take(10)) + (problems.Count > 10 ? " …" : string.Empty))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// Checks a GraphDef the way TensorFlow's importer would before running it: known ops with the right
/// arity, required attrs of the right kind and no unknown attrs, inputs that resolve to existing outputs and
/// carry the dtypes the ops' arguments take (per their T/Tidx/… attrs), unique names, no cycles.
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

    /// <summary>Number of outputs a node produces according to its OpDef (null when the op is unknown).</summary>
    public static int? OutputCount(NodeDef node)
    {
        if (!OpDefTable.TryGet(node.Op, out var spec))
        {
            return null;
        }

        if (!spec.OutputsPerLength)
        {
            return spec.Outputs;
        }

        return spec.LengthAttr is { } la && node.Attr.TryGetValue(la, out var v) && v.ValueCase == AttrValue.ValueOneofCase.I
            ? (int)Math.Min(int.MaxValue, v.I) * spec.Outputs
            : null;
    }

    private static void CheckNode(NodeDef node, Dictionary<string, NodeDef> byName, List<string> problems)
    {
        string where = $"Node '{node.Name}' ({node.Op})";
        if (!OpDefTable.TryGet(node.Op, out var spec))
        {
            problems.Add($"{where}: op type '{node.Op}' is not defined by TensorFlow or deepmd-kit's op library.");
            return;
        }

        foreach (var attr in spec.Attrs.Values)
        {
            if (!node.Attr.TryGetValue(attr.Name, out var value))
            {
                if (!attr.HasDefault)
                {
                    problems.Add($"{where}: required attr '{attr.Name}' is missing.");
                }

                continue;
            }

            if (!KindMatches(attr.Kind, value))
            {
                problems.Add($"{where}: attr '{attr.Name}' must be {attr.Kind} but is {value.ValueCase}.");
            }
        }

        foreach (var key in node.Attr.Keys)
        {
            // Attrs starting with '_' (e.g. _class) are internal and always allowed.
            if (!key.StartsWith("_", StringComparison.Ordinal) && !spec.Attrs.ContainsKey(key))
            {
                problems.Add($"{where}: attr '{key}' is not defined for {node.Op}.");
            }
        }

        int dataInputs = node.Input.Count(i => !i.StartsWith("^", StringComparison.Ordinal));
        bool controlAfterData = true;
        bool seenControl = false;
        foreach (var input in node.Input)
        {
            bool control = input.StartsWith("^", StringComparison.Ordinal);
            if (!control && seenControl)
            {
                controlAfterData = false;
            }

            seenControl |= control;
        }

        if (!controlAfterData)
        {
            problems.Add($"{where}: a data input follows a control input.");
        }

        int expected = spec.FixedInputs;
        if (spec.LengthAttr is { } lengthAttr)
        {
            if (node.Attr.TryGetValue(lengthAttr, out var n) && n.ValueCase == AttrValue.ValueOneofCase.I && n.I >= 0)
            {
                expected += (int)Math.Min(1 << 20, n.I) * spec.InputsPerLength;
            }
            else
            {
                expected = -1;
            }
        }

        if (expected >= 0 && dataInputs != expected)
        {
            problems.Add($"{where}: has {dataInputs} data inputs but the op takes {expected}.");
        }

        // Each data input must carry the dtype the op's argument takes (from its type attrs), as TensorFlow's importer checks.
        var wanted = expected >= 0 && dataInputs == expected ? spec.InputTypes(node) : null;
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

            if (k >= 0 && wanted is not null && k < wanted.Length && wanted[k] is DataType want && OutputType(source, port) is DataType actual && actual != want)
            {
                problems.Add($"{where}: input {k.ToString(CultureInfo.InvariantCulture)} '{input}' is {TensorDecoder.Name(actual)} but the op takes {TensorDecoder.Name(want)} there.");
            }
        }
    }

    /// <summary>The dtype of output <paramref name="port"/> of a node (null when its op or attrs do not tell).</summary>
    private static DataType? OutputType(NodeDef node, int port) =>
        OpDefTable.TryGet(node.Op, out var spec) && spec.OutputTypes(node) is { } types && port < types.Length ? types[port] : null;

    private static bool KindMatches(AttrKind kind, AttrValue value) => kind switch
    {
        AttrKind.Type => value.ValueCase == AttrValue.ValueOneofCase.Type,
        AttrKind.Int => value.ValueCase == AttrValue.ValueOneofCase.I,
        AttrKind.Float => value.ValueCase == AttrValue.ValueOneofCase.F,
        AttrKind.Bool => value.ValueCase == AttrValue.ValueOneofCase.B,
        AttrKind.String => value.ValueCase == AttrValue.ValueOneofCase.S,
        AttrKind.Shape => value.ValueCase == AttrValue.ValueOneofCase.Shape,
        AttrKind.Tensor => value.ValueCase == AttrValue.ValueOneofCase.Tensor,
        // An empty list is stored as an empty ListValue and reads back with no case at all in text format.
        AttrKind.ListInt => value.ValueCase == AttrValue.ValueOneofCase.List && value.List.S.Count == 0 && value.List.F.Count == 0
                            && value.List.Type.Count == 0,
        AttrKind.ListType => value.ValueCase == AttrValue.ValueOneofCase.List && value.List.I.Count == 0,
        AttrKind.ListShape => value.ValueCase == AttrValue.ValueOneofCase.List,
        _ => false,
    };

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
