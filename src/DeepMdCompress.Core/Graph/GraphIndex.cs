using System;
using System.Collections.Generic;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Graph;

/// <summary>Name lookup and input parsing over a GraphDef's nodes.</summary>
public sealed class GraphIndex
{
    private readonly Dictionary<string, NodeDef> _byName;

    public GraphIndex(GraphDef graph)
    {
        Graph = graph;
        _byName = new Dictionary<string, NodeDef>(graph.Node.Count, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            // A duplicate name makes a graph unloadable by TensorFlow; keep the first and let validation report it.
            if (!_byName.ContainsKey(node.Name))
            {
                _byName.Add(node.Name, node);
            }
        }
    }

    public GraphDef Graph { get; }

    public IEnumerable<NodeDef> Nodes => Graph.Node;

    public bool Contains(string name) => _byName.ContainsKey(name);

    public NodeDef? Find(string name) => _byName.TryGetValue(name, out var node) ? node : null;

    public NodeDef Get(string name) => Find(name)
        ?? throw new ModelStructureException(ErrorIds.MissingNode, $"The graph has no node named '{name}'.");

    /// <summary>Splits an input reference <c>name</c>, <c>name:k</c> or <c>^name</c> (control) into node name and output index (-1 for control).</summary>
    public static (string Node, int Output) ParseInput(string input)
    {
        if (input.StartsWith("^", StringComparison.Ordinal))
        {
            return (input.Substring(1), -1);
        }

        int colon = input.LastIndexOf(':');
        if (colon > 0 && int.TryParse(input.Substring(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k))
        {
            return (input.Substring(0, colon), k);
        }

        return (input, 0);
    }

    /// <summary>The value of a <c>Const</c> node, or null when the node is absent or not a Const.</summary>
    public TensorValue? TryGetConst(string name)
    {
        var node = Find(name);
        if (node is null || node.Op != "Const" || !node.Attr.TryGetValue("value", out var attr) || attr.Tensor is null)
        {
            return null;
        }

        return TensorDecoder.Decode(attr.Tensor, $"node '{name}'");
    }

    /// <summary>Follows Identity nodes (e.g. <c>x/read</c>) back to the node that produces the value.</summary>
    public NodeDef Resolve(NodeDef node)
    {
        int guard = 0;
        while (node.Op == "Identity" && node.Input.Count > 0 && guard++ < 64)
        {
            var next = Find(ParseInput(node.Input[0]).Node);
            if (next is null)
            {
                break;
            }

            node = next;
        }

        return node;
    }
}
