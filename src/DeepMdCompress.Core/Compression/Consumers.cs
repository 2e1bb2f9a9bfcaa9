using System;
using System.Collections.Generic;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Compression;

/// <summary>Consumer lists of every node (forward edges), built once per graph.</summary>
internal sealed class Consumers
{
    private readonly Dictionary<string, List<NodeDef>> _consumers = new(StringComparer.Ordinal);

    public Consumers(IEnumerable<NodeDef> nodes)
    {
        foreach (var n in nodes)
        {
            foreach (var input in n.Input)
            {
                string src = GraphIndex.ParseInput(input).Node;
                if (!_consumers.TryGetValue(src, out var list))
                {
                    _consumers[src] = list = new List<NodeDef>();
                }

                list.Add(n);
            }
        }
    }

    public IReadOnlyList<NodeDef> Of(NodeDef node) => _consumers.TryGetValue(node.Name, out var l) ? l : (IReadOnlyList<NodeDef>)Array.Empty<NodeDef>();

    public bool HasConsumers(string name) => _consumers.ContainsKey(name);

    /// <summary>TensorFlow puts everything tf.gradients builds under <c>gradients</c>, <c>gradients_1</c>, …</summary>
    public static bool IsGradient(string name) =>
        name.StartsWith("gradients/", StringComparison.Ordinal) || (name.StartsWith("gradients_", StringComparison.Ordinal) && name.IndexOf('/') > 0);
}
