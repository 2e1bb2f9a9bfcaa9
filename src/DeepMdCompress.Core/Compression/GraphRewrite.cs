using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Compression;

/// <summary>An embedding net's forward path in a graph: the Reshape feeding it (em_x) and the node ending its last layer.</summary>
internal sealed class NetPath
{
    public NetPath(NodeDef input, NodeDef output)
    {
        Input = input;
        Output = output;
    }

    /// <summary>The node whose output is the net's [n, 1] input (em_x).</summary>
    public NodeDef Input { get; }

    /// <summary>The last layer's output (its residual add, or the Reshape after its activation).</summary>
    public NodeDef Output { get; }
}

/// <summary>One input of a TabulateFusion op that the gradient flows back into.</summary>
internal sealed class TabulateInput
{
    public TabulateInput(NodeDef node, int gradOutput, bool gradRequired = true)
    {
        Node = node;
        GradOutput = gradOutput;
        GradRequired = gradRequired;
    }

    /// <summary>The node whose (first) output the op reads: em_x, em or two_embed.</summary>
    public NodeDef Node { get; }

    /// <summary>Output of the Grad op that carries the gradient with respect to this input.</summary>
    public int GradOutput { get; }

    /// <summary>
    /// Whether the original graph must carry a gradient into this input. TensorFlow builds gradients only along paths from
    /// the energy to the env matrix, so a two_embed that depends on constants alone (strip se_atten) has none.
    /// </summary>
    public bool GradRequired { get; }
}

/// <summary>
/// The graph surgery of compression (docs/architecture.md, "rewriting"): on a copy of the original GraphDef, each
/// region "embedding net → … → product" is replaced by one TabulateFusion node, and in every gradient scope the
/// region's gradient by its Grad node, exactly where TensorFlow's own gradient of the op would be. The region is found
/// from edges: every forward node reachable from the op's inputs that reaches the product. Its gradient's
/// contributions to each input are the gradient tensors computed in the region's gradient scopes
/// (<c>gradients/{node}_grad/…</c>) that flow, directly or through AddN, into that input's own gradient.
/// </summary>
internal sealed class GraphRewrite
{
    private readonly HashSet<string> _names;
    private readonly List<(string Before, NodeDef Node)> _added = new();
    private readonly Dictionary<string, string> _tensorMap = new(StringComparer.Ordinal);
    private readonly List<string> _gradientScopes;

    public GraphRewrite(GraphDef graph)
    {
        Graph = graph;
        Index = new GraphIndex(graph);
        Consumers = new Consumers(graph.Node);
        OriginalSinks = graph.Node.Where(n => !Consumers.HasConsumers(n.Name)).Select(n => n.Name).ToList();
        _names = new HashSet<string>(graph.Node.Select(n => n.Name), StringComparer.Ordinal);
        _gradientScopes = graph.Node.Select(n => GradientScope(n.Name)).Where(s => s is not null).Distinct().ToList()!;
    }

    public GraphDef Graph { get; }

    public GraphIndex Index { get; }

    public Consumers Consumers { get; }

    /// <summary>Nodes nothing reads in the original graph: what the compressed graph must still compute.</summary>
    public IReadOnlyList<string> OriginalSinks { get; }

    public int AddedNodes => _added.Count;

    public NodeDef Node(string input) =>
        Index.Find(GraphIndex.ParseInput(input).Node) ?? throw Broken("graph", $"'{input}' does not exist");

    /// <summary>Forward (non-gradient) consumers of a node.</summary>
    public IEnumerable<NodeDef> ForwardConsumers(NodeDef node) => Consumers.Of(node).Where(c => !Consumers.IsGradient(c.Name));

    /// <summary>TensorFlow's naming rule: name, then name_1, name_2, … until unused.</summary>
    public string Unique(string name) => GraphCompressor.Unique(_names, name);

    /// <summary>Adds a node that the written graph places just before <paramref name="before"/>.</summary>
    public NodeDef Add(NodeDef node, NodeDef before)
    {
        _added.Add((before.Name, node));
        return node;
    }

    public NodeDef AddConst(string name, TensorProto value, NodeDef before) => Add(GraphCompressor.Const(Unique(name), value), before);

    /// <summary>Makes data input <paramref name="input"/> of <paramref name="node"/> read <paramref name="source"/>.</summary>
    public void SetInput(NodeDef node, int input, string source) => node.Input[input] = source;

    /// <summary>Every reader of <paramref name="tensor"/> (node or node:k) reads <paramref name="replacement"/> instead.</summary>
    public void Redirect(string tensor, string replacement) => _tensorMap[Canonical(tensor)] = replacement;

    /// <summary>
    /// The TabulateFusion node of one table, named as deepmd-kit's graph names it (<c>{scope}/{op}</c>, <c>_1</c>, … in
    /// creation order), reading its table and table_info constants (added before <paramref name="before"/>); the caller
    /// appends the op's other inputs and attrs.
    /// </summary>
    public NodeDef Tabulate(string scope, string opType, TableTensor table, DataType dtype, NodeDef before)
    {
        if (table.Table.Dtype != dtype)
        {
            throw new InvalidParameterException(ErrorIds.TableTypeMismatch,
                $"Table {table.Name} is {TensorDecoder.Name(table.Table.Dtype)} but the net computes in {TensorDecoder.Name(dtype)}.");
        }

        string name = Unique(scope + "/" + opType);
        var tableConst = AddConst(name + "/table", table.Table, before);
        var infoConst = AddConst(name + "/table_info", dtype == DataType.DtFloat
            ? TensorEncoder.Floats(table.TableInfo.Select(v => (float)v).ToArray(), 6)
            : TensorEncoder.Doubles(table.TableInfo, 6), before);
        var op = new NodeDef { Name = name, Op = opType };
        op.Input.Add(tableConst.Name);
        op.Input.Add(infoConst.Name);
        op.Attr["T"] = new AttrValue { Type = dtype };
        op.Attr["last_layer_size"] = new AttrValue { I = table.LastLayerSize };
        return op;
    }

    /// <summary>
    /// The Grad node TensorFlow's registered gradient of <paramref name="op"/> inserts in scope <paramref name="gs"/>:
    /// named <c>{gs}/{op}_grad/{Op}Grad</c>, reading the op's inputs, the upstream gradient and the op's output.
    /// </summary>
    public NodeDef Grad(string gs, NodeDef op, string dy)
    {
        var grad = new NodeDef { Name = Unique($"{gs}/{op.Name}_grad/{op.Op}Grad"), Op = op.Op + "Grad" };
        grad.Input.AddRange(op.Input);
        grad.Input.Add(dy);
        grad.Input.Add(op.Name);
        grad.Attr["T"] = op.Attr["T"];
        if (op.Attr.TryGetValue("is_sorted", out var sorted))
        {
            grad.Attr["is_sorted"] = sorted;
        }

        return grad;
    }

    /// <summary>The dtype an op computes in (its T attr), double when absent.</summary>
    public static DataType TypeOf(NodeDef node) => node.Attr.TryGetValue("T", out var t) ? t.Type : DataType.DtDouble;

    /// <summary>
    /// Walks an embedding net from its first layer's weight, as deepmd-kit builds each layer: MatMul → bias add →
    /// activation → Reshape, then for a residual layer (width equal or doubled) the add of the layer input.
    /// </summary>
    public NetPath Follow(EmbeddingNetInfo net)
    {
        NodeDef? x = null, input = null;
        int dIn = 1;
        for (int l = 1; l <= net.Neuron.Length; l++)
        {
            var matmul = LayerMatMul(net.MatrixName(l), net.Name, l);
            var layerInput = Node(matmul.Input[0]);
            if (l == 1)
            {
                input = layerInput;
            }
            else if (layerInput.Name != x!.Name)
            {
                throw Broken(net.Name, $"layer {l} reads '{layerInput.Name}' but layer {l - 1} ends at '{x.Name}'");
            }

            int dOut = net.Neuron[l - 1];
            var biasAdd = ForwardConsumers(matmul).FirstOrDefault(n => n.Op is "BiasAdd" or "Add" or "AddV2")
                ?? throw Broken(net.Name, $"layer {l}'s MatMul '{matmul.Name}' has no bias add");
            var hidden = FirstForward(biasAdd, n => n.Op == "Reshape", 16)
                ?? throw Broken(net.Name, $"layer {l}: no Reshape after the activation of '{biasAdd.Name}'");
            x = dOut == dIn || dOut == 2 * dIn
                ? ForwardConsumers(hidden).FirstOrDefault(n => n.Op is "Add" or "AddV2")
                    ?? throw Broken(net.Name, $"layer {l} is residual ({dIn}→{dOut}) but '{hidden.Name}' feeds no add")
                : hidden;
            dIn = dOut;
        }

        return new NetPath(input!, x!);
    }

    /// <summary>The node that reshapes <paramref name="node"/>'s output (its first forward Reshape consumer reading it as data).</summary>
    public NodeDef ReshapeOf(NodeDef node, string net) =>
        ForwardConsumers(node).FirstOrDefault(n => n.Op == "Reshape" && GraphIndex.ParseInput(n.Input[0]).Node == node.Name)
        ?? throw Broken(net, $"'{node.Name}' is not reshaped");

    /// <summary>
    /// Replaces the region between <paramref name="inputs"/> and <paramref name="product"/> by the forward node
    /// <paramref name="forward"/> (already built, reading the inputs), and, in every gradient scope holding the product's
    /// gradient, the region's gradient by a node from <paramref name="makeGrad"/> (given the gradient arriving at the
    /// product and the scope), whose outputs feed the inputs' gradients.
    /// </summary>
    public void ReplaceRegion(string net, NodeDef product, IReadOnlyList<TabulateInput> inputs, NodeDef forward, Func<string, string, NodeDef> makeGrad)
    {
        var region = Region(net, product, inputs.Select(i => i.Node).ToList());
        Add(forward, product);
        Redirect(product.Name, forward.Name);
        foreach (string gs in _gradientScopes.Where(s => HasGradient(s, product.Name)))
        {
            string dy = Upstream(net, gs, product.Name);
            var grad = makeGrad(dy, gs);
            var anchor = Graph.Node.First(n => Owner(gs, n.Name) == product.Name);
            Add(grad, anchor);
            foreach (var input in inputs)
            {
                string output = input.GradOutput == 0 ? grad.Name : $"{grad.Name}:{input.GradOutput.ToString(CultureInfo.InvariantCulture)}";
                if (!RedirectContributions(gs, region, input.Node, output) && input.GradRequired)
                {
                    throw new UnsupportedModelException(ErrorIds.UnrecognisedGradientLayout,
                        $"Embedding net {net}: no gradient of '{input.Node.Name}' comes from the region it feeds in {gs}; the gradient graph is not laid out as TensorFlow writes it.");
                }
            }
        }
    }

    /// <summary>Applies the redirections and inserts the added nodes; returns the graph.</summary>
    public GraphDef Finish()
    {
        foreach (var node in Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                string input = node.Input[i];
                if (input.StartsWith("^", StringComparison.Ordinal))
                {
                    continue;
                }

                if (_tensorMap.TryGetValue(Canonical(input), out var to) && to != node.Name && !to.StartsWith(node.Name + ":", StringComparison.Ordinal))
                {
                    node.Input[i] = to;
                }
            }
        }

        var byAnchor = _added.GroupBy(a => a.Before).ToDictionary(g => g.Key, g => g.Select(a => a.Node).ToList(), StringComparer.Ordinal);
        var result = new List<NodeDef>(Graph.Node.Count + _added.Count);
        foreach (var node in Graph.Node)
        {
            if (byAnchor.TryGetValue(node.Name, out var list))
            {
                result.AddRange(list);
            }

            result.Add(node);
        }

        Graph.Node.Clear();
        Graph.Node.AddRange(result);
        return Graph;
    }

    public static UnsupportedModelException Broken(string net, string why) =>
        new(ErrorIds.UnrecognisedNetLayout, $"Embedding net {net}: {why}; the graph does not have the layout deepmd-kit writes, so it cannot be compressed.");

    /// <summary>Forward nodes reachable from the inputs (not the inputs themselves) that reach the product, product included.</summary>
    private HashSet<string> Region(string net, NodeDef product, IReadOnlyList<NodeDef> inputs)
    {
        var stops = new HashSet<string>(inputs.Select(i => i.Name), StringComparer.Ordinal);
        var ancestors = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<NodeDef>();
        stack.Push(product);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!ancestors.Add(n.Name) || stops.Contains(n.Name))
            {
                continue;
            }

            foreach (var input in n.Input)
            {
                if (!input.StartsWith("^", StringComparison.Ordinal) && Index.Find(GraphIndex.ParseInput(input).Node) is { } src)
                {
                    stack.Push(src);
                }
            }
        }

        var region = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in inputs)
        {
            stack.Push(start);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n.Name))
            {
                continue;
            }

            // Shape-like ops read only metadata: what they feed (reshape targets) is not the region's data.
            foreach (var c in ForwardConsumers(n).Where(c => c.Op is not ("Shape" or "ShapeN" or "Size" or "Rank")))
            {
                if (ancestors.Contains(c.Name) && !stops.Contains(c.Name))
                {
                    region.Add(c.Name);
                    stack.Push(c);
                }
            }
        }

        if (!region.Contains(product.Name))
        {
            throw Broken(net, $"'{product.Name}' does not depend on the op's inputs {string.Join(", ", inputs.Select(i => i.Name))}");
        }

        // Nothing outside the region may read what is inside it but the product: those nodes are about to disappear.
        foreach (string r in region.Where(r => r != product.Name))
        {
            var outside = ForwardConsumers(Index.Find(r)!).FirstOrDefault(c => !region.Contains(c.Name));
            if (outside is not null)
            {
                throw Broken(net, $"'{outside.Name}' reads '{r}' inside the part that the tabulated op replaces");
            }
        }

        return region;
    }

    /// <summary>The gradient arriving at the product in scope <paramref name="gs"/>: the one gradient tensor its gradient nodes read from outside.</summary>
    private string Upstream(string net, string gs, string product)
    {
        var upstream = Graph.Node.Where(n => Owner(gs, n.Name) == product)
            .SelectMany(n => n.Input)
            .Where(i => !i.StartsWith("^", StringComparison.Ordinal))
            .Where(i => GradientScope(GraphIndex.ParseInput(i).Node) == gs && Owner(gs, GraphIndex.ParseInput(i).Node) != product)
            .Distinct(StringComparer.Ordinal).ToList();
        if (upstream.Count != 1)
        {
            throw new UnsupportedModelException(ErrorIds.UnrecognisedGradientLayout,
                $"Embedding net {net}: expected one gradient arriving at '{product}' in {gs} but found {upstream.Count} ({string.Join(", ", upstream)}).");
        }

        return upstream[0];
    }

    /// <summary>
    /// Redirects the region's gradient contributions to <paramref name="input"/> in scope <paramref name="gs"/> to
    /// <paramref name="replacement"/>: one contribution is replaced; several (an input the region reads twice, as a
    /// residual first layer does) are summed by an AddN, which is replaced, or trimmed when it also sums gradients from
    /// outside the region. Returns whether any contribution was found.
    /// </summary>
    private bool RedirectContributions(string gs, HashSet<string> region, NodeDef input, string replacement)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        for (var n = input; n is not null; n = n.Op == "Identity" && n.Input.Count > 0 ? Index.Find(GraphIndex.ParseInput(n.Input[0]).Node) : null)
        {
            owners.Add(n.Name);
        }

        bool InRegionGradient(string name) => Owner(gs, name) is { } o && region.Contains(o);
        var contributions = new List<string>();
        var sums = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Graph.Node)
        {
            if (!InRegionGradient(node.Name))
            {
                continue;
            }

            foreach (var consumer in Consumers.Of(node).Where(c => !InRegionGradient(c.Name)))
            {
                var target = consumer;
                string? sum = null;
                while (target.Op == "AddN" && Owner(gs, target.Name) is null)
                {
                    sum = target.Name;
                    target = Consumers.Of(target).FirstOrDefault() ?? target;
                    if (target.Name == sum)
                    {
                        break;
                    }
                }

                if (Owner(gs, target.Name) is { } owner && owners.Contains(owner))
                {
                    foreach (string i in consumer.Input.Where(i => GraphIndex.ParseInput(i).Node == node.Name))
                    {
                        if (!contributions.Contains(i))
                        {
                            contributions.Add(i);
                        }
                    }

                    if (sum is not null)
                    {
                        sums.Add(sum);
                    }
                }
            }
        }

        if (contributions.Count == 0)
        {
            return false;
        }

        if (sums.Count == 0)
        {
            foreach (string c in contributions)
            {
                Redirect(c, replacement);
            }

            return true;
        }

        var addN = Index.Find(sums.Single())!;
        var data = addN.Input.Where(i => !i.StartsWith("^", StringComparison.Ordinal)).ToList();
        if (data.All(contributions.Contains))
        {
            Redirect(addN.Name, replacement);
            return true;
        }

        // The input has consumers outside the region too: keep their gradients, replace the region's by one term.
        var kept = data.Where(i => !contributions.Contains(i)).ToList();
        kept.Add(replacement);
        var control = addN.Input.Where(i => i.StartsWith("^", StringComparison.Ordinal)).ToList();
        addN.Input.Clear();
        addN.Input.AddRange(kept);
        addN.Input.AddRange(control);
        addN.Attr["N"] = new AttrValue { I = kept.Count };
        return true;
    }

    private bool HasGradient(string gs, string node)
    {
        string prefix = $"{gs}/{node}_grad/";
        return Graph.Node.Any(n => n.Name.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>TensorFlow puts what tf.gradients builds under <c>gradients</c>, <c>gradients_1</c>, …; the scope of a node, or null.</summary>
    private static string? GradientScope(string name)
    {
        if (!Consumers.IsGradient(name))
        {
            return null;
        }

        return name.Substring(0, name.IndexOf('/'));
    }

    /// <summary>The forward node whose gradient <paramref name="name"/> belongs to (<c>{gs}/{node}_grad/…</c>), or null.</summary>
    private static string? Owner(string gs, string name)
    {
        if (!name.StartsWith(gs + "/", StringComparison.Ordinal))
        {
            return null;
        }

        int at = name.IndexOf("_grad/", gs.Length + 1, StringComparison.Ordinal);
        return at < 0 ? null : name.Substring(gs.Length + 1, at - gs.Length - 1);
    }

    private static string Canonical(string tensor) => tensor.EndsWith(":0", StringComparison.Ordinal) ? tensor.Substring(0, tensor.Length - 2) : tensor;

    private NodeDef LayerMatMul(string matrixName, string net, int layer)
    {
        var weight = Index.Find(matrixName) ?? throw Broken(net, $"weight {matrixName} is missing");
        foreach (var c in ForwardConsumers(weight))
        {
            if (c.Op == "MatMul")
            {
                return c;
            }

            if (c.Op == "Identity" && ForwardConsumers(c).FirstOrDefault(n => n.Op == "MatMul") is { } mm)
            {
                return mm;
            }
        }

        throw Broken(net, $"no MatMul uses layer {layer}'s weight {matrixName}");
    }

    private NodeDef? FirstForward(NodeDef start, Func<NodeDef, bool> match, int depth)
    {
        var frontier = new List<NodeDef> { start };
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.Name };
        for (int d = 0; d < depth && frontier.Count > 0; d++)
        {
            var next = new List<NodeDef>();
            foreach (var n in frontier)
            {
                foreach (var c in ForwardConsumers(n))
                {
                    if (!seen.Add(c.Name))
                    {
                        continue;
                    }

                    if (match(c))
                    {
                        return c;
                    }

                    next.Add(c);
                }
            }

            frontier = next;
        }

        return null;
    }
}
