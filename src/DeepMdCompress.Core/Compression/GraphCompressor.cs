using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
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
/// Graph surgery that turns an original frozen model into a compressed one (fact sheet §5): each embedding
/// net and the product it feeds becomes one TabulateFusionSe* node, and in the gradient part one
/// TabulateFusionSe*Grad node feeds the gradients of em_x and em, exactly where TensorFlow's own gradient of
/// the op would (§4.8, §5.7). What becomes unreachable is removed; every other node is kept byte for byte.
/// </summary>
public static class GraphCompressor
{
    /// <summary>Largest graph we write: protobuf's 2 GB message limit, minus headroom for framing.</summary>
    public const long MaxGraphBytes = int.MaxValue - (1 << 20);

    public static CompressedGraph Compress(FrozenModel model, IReadOnlyList<TableTensor> tables, CompressionMetadata metadata, CancellationToken cancellationToken = default)
    {
        if (model.IsCompressed)
        {
            throw new UnsupportedModelException("AlreadyCompressed",
                "The input frozen model has already been compressed; compress the original model instead (deepmd-kit refuses to compress a model repeatedly).");
        }

        var kind = model.DescriptorType switch
        {
            "se_e2_a" => SiteKind.SeA,
            "se_e2_r" => SiteKind.SeR,
            "se_e3" => SiteKind.SeT,
            _ => throw new UnsupportedModelException("DescriptorNotCompressible",
                $"Writing a compressed graph for descriptor '{model.DescriptorType}' is not supported (se_e2_a, se_e2_r and se_e3 are)."),
        };

        long tableBytes = tables.Sum(t => (long)t.Table.CalculateSize());
        long estimate = model.GetGraphDef().CalculateSize() + tableBytes;
        if (estimate > MaxGraphBytes)
        {
            throw new ResourceLimitException("GraphTooLarge",
                $"The compressed graph would be about {estimate / (1 << 20)} MB, above protobuf's 2 GB limit; use a larger step.");
        }

        var graph = model.GetGraphDef().Clone();
        var index = new GraphIndex(graph);
        var consumers = new Consumers(graph.Node);
        var originalSinks = graph.Node.Where(n => !consumers.HasConsumers(n.Name)).Select(n => n.Name).ToList();
        var names = new HashSet<string>(graph.Node.Select(n => n.Name), StringComparer.Ordinal);
        var notes = new List<string>();
        var added = new List<(NodeDef Before, NodeDef Node)>();
        var rewires = new List<(NodeDef Node, int Input, string NewSource)>();
        var productReplacement = new Dictionary<string, string>(StringComparer.Ordinal);
        string opName = kind switch
        {
            SiteKind.SeA => "TabulateFusionSeA",
            SiteKind.SeT => "TabulateFusionSeT",
            _ => "TabulateFusionSeR",
        };
        bool takesEmX = kind != SiteKind.SeR;

        foreach (var table in tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var net = model.EmbeddingNets.FirstOrDefault(n => n.Name == table.Name)
                ?? throw new InvalidParameterException("UnknownNet", $"The model has no embedding net named {table.Name}.");
            var site = NetSite.Locate(index, consumers, net, kind);
            var dtype = site.Product.Attr.TryGetValue("T", out var tAttr) ? tAttr.Type : DataType.DtDouble;
            if (table.Table.Dtype != dtype)
            {
                throw new InvalidParameterException("TableTypeMismatch",
                    $"Table {table.Name} is {TensorDecoder.Name(table.Table.Dtype)} but the net computes in {TensorDecoder.Name(dtype)}.");
            }

            string scope = Scope(site.Product.Name);
            string tabName = Unique(names, scope + opName);
            var tableConst = Const(Unique(names, tabName + "/table"), table.Table);
            var infoConst = Const(Unique(names, tabName + "/table_info"), dtype == DataType.DtFloat
                ? TensorEncoder.Floats(table.TableInfo.Select(v => (float)v).ToArray(), 6)
                : TensorEncoder.Doubles(table.TableInfo, 6));
            var tab = new NodeDef { Name = tabName, Op = opName };
            tab.Input.Add(tableConst.Name);
            tab.Input.Add(infoConst.Name);
            if (takesEmX)
            {
                tab.Input.Add(site.EmX.Name);
            }

            tab.Input.Add(site.Em.Name);
            tab.Attr["T"] = new AttrValue { Type = dtype };
            tab.Attr["last_layer_size"] = new AttrValue { I = table.LastLayerSize };
            added.Add((site.Product, tableConst));
            added.Add((site.Product, infoConst));
            added.Add((site.Product, tab));
            productReplacement[site.Product.Name] = tabName;

            foreach (string gs in GradientScopes(graph, site.Product.Name))
            {
                string prefix = $"{gs}/{site.Product.Name}_grad/";
                var upstream = graph.Node.Where(n => n.Name.StartsWith(prefix, StringComparison.Ordinal))
                    .SelectMany(n => n.Input)
                    .Where(i => !i.StartsWith("^", StringComparison.Ordinal))
                    .Select(i => i)
                    .Where(i => !GraphIndex.ParseInput(i).Node.StartsWith(prefix, StringComparison.Ordinal) && Consumers.IsGradient(GraphIndex.ParseInput(i).Node))
                    .Distinct(StringComparer.Ordinal).ToList();
                if (upstream.Count != 1)
                {
                    throw new UnsupportedModelException("UnrecognisedGradientLayout",
                        $"Embedding net {net.Name}: expected one upstream gradient into {prefix} but found {upstream.Count}.");
                }

                var emXGrad = index.Find($"{gs}/{site.EmX.Name}_grad/Reshape")
                    ?? throw new UnsupportedModelException("UnrecognisedGradientLayout", $"Embedding net {net.Name}: no gradient Reshape for '{site.EmX.Name}' in {gs}.");
                var grad = new NodeDef { Name = Unique(names, $"{gs}/{tabName}_grad/{opName}Grad"), Op = opName + "Grad" };
                grad.Input.Add(tableConst.Name);
                grad.Input.Add(infoConst.Name);
                if (takesEmX)
                {
                    grad.Input.Add(site.EmX.Name);
                }

                grad.Input.Add(site.Em.Name);
                grad.Input.Add(upstream[0]);
                grad.Input.Add(tabName);
                grad.Attr["T"] = new AttrValue { Type = dtype };
                added.Add((emXGrad, grad));
                rewires.Add((emXGrad, 0, grad.Name));
                if (takesEmX)
                {
                    // dy_dem has em's shape; it replaces the gradient that reached em through the product.
                    var emGrad = index.Find($"{gs}/{site.EmPath.Name}_grad/Reshape")
                        ?? throw new UnsupportedModelException("UnrecognisedGradientLayout", $"Embedding net {net.Name}: no gradient Reshape for '{site.EmPath.Name}' in {gs}.");
                    rewires.Add((emGrad, 0, grad.Name + ":1"));
                }
            }
        }

        // Consumers of each replaced product now read the tabulate node (same shape, same values).
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                var (src, port) = GraphIndex.ParseInput(node.Input[i]);
                if (port >= 0 && productReplacement.TryGetValue(src, out var tab))
                {
                    node.Input[i] = port == 0 ? tab : $"{tab}:{port}";
                }
            }
        }

        foreach (var (node, input, source) in rewires)
        {
            node.Input[input] = source;
        }

        InsertBefore(graph, added);
        int beforeMeta = graph.Node.Count;
        metadata.Apply(graph, notes);
        int metaAdded = graph.Node.Count - beforeMeta;
        var metaSinks = graph.Node.Skip(beforeMeta).Select(n => n.Name);
        int removed = Prune(graph, originalSinks.Concat(metaSinks).Concat(CompressionMetadata.AttributeNodes));
        GraphValidator.Validate(graph);
        return new CompressedGraph(graph, notes, removed, added.Count + metaAdded);
    }

    /// <summary>Names of the gradient scopes (gradients, gradients_1, …) that hold a gradient of <paramref name="node"/>.</summary>
    private static IEnumerable<string> GradientScopes(GraphDef graph, string node)
    {
        var pattern = new Regex("^(gradients(?:_\\d+)?)/" + Regex.Escape(node) + "_grad/", RegexOptions.CultureInvariant);
        return graph.Node.Select(n => pattern.Match(n.Name)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
    }

    private static string Scope(string name)
    {
        int slash = name.LastIndexOf('/');
        return slash < 0 ? string.Empty : name.Substring(0, slash + 1);
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

    private static void InsertBefore(GraphDef graph, List<(NodeDef Before, NodeDef Node)> added)
    {
        var byAnchor = added.GroupBy(a => a.Before.Name).ToDictionary(g => g.Key, g => g.Select(a => a.Node).ToList(), StringComparer.Ordinal);
        var result = new List<NodeDef>(graph.Node.Count + added.Count);
        foreach (var node in graph.Node)
        {
            if (byAnchor.TryGetValue(node.Name, out var list))
            {
                result.AddRange(list);
            }

            result.Add(node);
        }

        graph.Node.Clear();
        graph.Node.AddRange(result);
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
