using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Validation;

namespace DeepMdCompress.Core.Compression;

/// <summary>One net's table as the graph writer needs it.</summary>
public sealed class TableTensor
{
    public TableTensor(string name, TensorProto table, double[] tableInfo, int lastLayerSize)
    {
        if (tableInfo.Length != 6)
        {
            throw new ArgumentException("table_info has six numbers: lower, upper, upper·extrapolate, stride0, stride1, frequency.", nameof(tableInfo));
        }

        Name = name;
        Table = table;
        TableInfo = tableInfo;
        LastLayerSize = lastLayerSize;
    }

    /// <summary>deepmd-kit's table key (filter_{i}_net_{j}, filter_-1_net_{j}).</summary>
    public string Name { get; }

    /// <summary>Coefficients [rows, 6·L] in the net's precision.</summary>
    public TensorProto Table { get; }

    /// <summary>[lower, upper, upper·extrapolate, stride0, stride1, check frequency].</summary>
    public double[] TableInfo { get; }

    public int LastLayerSize { get; }
}

/// <summary>The result of rewriting a graph: the compressed GraphDef and what was done.</summary>
public sealed class CompressedGraph
{
    internal CompressedGraph(GraphDef graph, IReadOnlyList<string> notes, int removedNodes, int addedNodes)
    {
        Graph = graph;
        Notes = notes;
        RemovedNodes = removedNodes;
        AddedNodes = addedNodes;
    }

    public GraphDef Graph { get; }

    public IReadOnlyList<string> Notes { get; }

    public int RemovedNodes { get; }

    public int AddedNodes { get; }
}

/// <summary>
/// Graph surgery that turns an original frozen model into a compressed one (docs/descriptors.md#rewiring): each embedding
/// net and the product it feeds becomes one TabulateFusionSe* node, and in the gradient part one
/// TabulateFusionSe*Grad node feeds the gradients of em_x and em, exactly where TensorFlow's own gradient of
/// the op would (docs/descriptors.md#rewiring). What becomes unreachable is removed; every other node is kept byte for byte.
/// </summary>
public static class GraphCompressor
{
    /// <summary>Largest graph we write: protobuf's 2 GB message limit, minus headroom for framing.</summary>
    public const long MaxGraphBytes = int.MaxValue - (1 << 20);

    public static CompressedGraph Compress(FrozenModel model, IReadOnlyList<TableTensor> tables, CompressionMetadata metadata, CancellationToken cancellationToken = default)
    {
        CompressionCapability.EnsureDescriptors(model);
        long tableBytes = tables.Sum(t => (long)t.Table.CalculateSize());
        long estimate = model.GetGraphDef().CalculateSize() + tableBytes;
        if (estimate > MaxGraphBytes)
        {
            throw new ResourceLimitException(ErrorIds.GraphTooLarge,
                $"The compressed graph would be about {estimate / (1 << 20)} MB, above protobuf's 2 GB limit; use a larger step.");
        }

        foreach (var table in tables)
        {
            if (!model.EmbeddingNets.Any(n => n.Name == table.Name))
            {
                throw new InvalidParameterException(ErrorIds.NetNotFound, $"The model has no embedding net named {table.Name}.");
            }
        }

        // Each descriptor (hybrid member) rewires its own nets, as its spec says (docs/descriptors.md).
        var rewrite = new GraphRewrite(model.GetGraphDef().Clone());
        var notes = new List<string>();
        foreach (var part in model.Descriptors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var own = tables.Where(t => part.Nets.Any(n => n.Name == t.Name)).ToList();
            if (own.Count > 0)
            {
                part.Spec.Rewire(rewrite, part, own);
            }
        }

        var graph = rewrite.Finish();
        int beforeMeta = graph.Node.Count;
        metadata.Apply(graph, notes);
        int metaAdded = graph.Node.Count - beforeMeta;
        var metaSinks = graph.Node.Skip(beforeMeta).Select(n => n.Name);
        int removed = Prune(graph, rewrite.OriginalSinks.Concat(metaSinks).Concat(CompressionMetadata.AttributeNodes));
        GraphValidator.Validate(graph);
        return new CompressedGraph(graph, notes, removed, rewrite.AddedNodes + metaAdded);
    }

    /// <summary>TensorFlow's naming rule: name, then name_1, name_2, … until unused.</summary>
    internal static string Unique(HashSet<string> names, string name)
    {
        string candidate = name;
        for (int k = 1; !names.Add(candidate); k++)
        {
            candidate = name + "_" + k.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    internal static NodeDef Const(string name, TensorProto value)
    {
        var node = new NodeDef { Name = name, Op = "Const" };
        node.Attr["dtype"] = new AttrValue { Type = value.Dtype };
        node.Attr["value"] = new AttrValue { Tensor = value };
        return node;
    }

    /// <summary>Keeps what the roots still reach (data and control edges); returns how many nodes were dropped.</summary>
    private static int Prune(GraphDef graph, IEnumerable<string> roots)
    {
        var byName = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            byName[n.Name] = n;
        }

        var keep = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(roots.Where(byName.ContainsKey));
        while (stack.Count > 0)
        {
            string name = stack.Pop();
            if (!keep.Add(name))
            {
                continue;
            }

            foreach (var input in byName[name].Input)
            {
                string src = GraphIndex.ParseInput(input).Node;
                if (byName.ContainsKey(src) && !keep.Contains(src))
                {
                    stack.Push(src);
                }
            }
        }

        int before = graph.Node.Count;
        var kept = graph.Node.Where(n => keep.Contains(n.Name)).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        return before - kept.Count;
    }
}
