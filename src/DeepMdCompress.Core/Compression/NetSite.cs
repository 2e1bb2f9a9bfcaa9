using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Compression;

/// <summary>Which product the embedding net feeds, i.e. which TabulateFusion op replaces it.</summary>
public enum SiteKind
{
    /// <summary>se_e2_a: net output reshaped to [natom, sel_j, L], then BatchMatMul(em, ·, adj_x) → [natom, 4, L].</summary>
    SeA,

    /// <summary>se_e2_r: net output reshaped to [natom, sel_j, L] is the product itself.</summary>
    SeR,

    /// <summary>
    /// se_e3: the net runs on env_ij = einsum("ijm,ikm->ijk") [natom, sel_i, sel_j]; its output reshaped to
    /// [natom, sel_i, sel_j, L] is contracted with env_ij by einsum("ijk,ijkm->im") → [natom, L], lowered to
    /// Reshape → BatchMatMul → Reshape as TensorFlow 1's einsum writes it.
    /// </summary>
    SeT,
}

/// <summary>
/// Where one embedding net sits in a graph: its scalar input em_x, the net's layers, the node that the
/// TabulateFusion op replaces (Product) and the tensor the op takes as <c>em</c>. Found from edges and op
/// types (weights → MatMul → bias add → activation → Reshape → residual add), not from node numbering.
/// </summary>
internal sealed class NetSite
{
    private NetSite(EmbeddingNetInfo net, SiteKind kind, NodeDef emX, NodeDef em, NodeDef product, NodeDef netOutput, NodeDef? emPath = null)
    {
        EmPath = emPath ?? em;
        Net = net;
        Kind = kind;
        EmX = emX;
        Em = em;
        Product = product;
        NetOutput = netOutput;
    }

    public EmbeddingNetInfo Net { get; }

    public SiteKind Kind { get; }

    /// <summary>The Reshape producing the net input [natom·sel_j, 1].</summary>
    public NodeDef EmX { get; }

    /// <summary>SeA: the Reshape [natom, sel_j, 4] of the env-matrix slice; SeR: the slice [natom, sel_j] itself.</summary>
    public NodeDef Em { get; }

    /// <summary>The node whose output the TabulateFusion op reproduces (BatchMatMul for SeA, the output Reshape for SeR).</summary>
    public NodeDef Product { get; }

    public NodeDef NetOutput { get; }

    /// <summary>
    /// The node through which <see cref="Em"/> reaches the product; its gradient Reshape receives dy_dem.
    /// SeA: em itself (a Reshape); SeT: the einsum's Reshape of env_ij.
    /// </summary>
    public NodeDef EmPath { get; }

    public static NetSite Locate(GraphIndex index, Consumers consumers, EmbeddingNetInfo net, SiteKind kind)
    {
        NodeDef? x = null;
        int dIn = 1;
        NodeDef? emX = null;
        for (int l = 1; l <= net.Neuron.Length; l++)
        {
            var matmul = FindLayerMatMul(index, consumers, net.MatrixName(l), net.Name, l);
            var input = index.Find(GraphIndex.ParseInput(matmul.Input[0]).Node)
                ?? throw Broken(net.Name, $"layer {l}'s MatMul input '{matmul.Input[0]}' does not exist");
            if (l == 1)
            {
                emX = input;
                if (emX.Op != "Reshape")
                {
                    throw Broken(net.Name, $"the net input '{emX.Name}' is a {emX.Op}, not the Reshape of the env-matrix column deepmd-kit builds");
                }
            }
            else if (input.Name != x!.Name)
            {
                throw Broken(net.Name, $"layer {l} reads '{input.Name}' but layer {l - 1} ends at '{x.Name}'");
            }

            int dOut = net.Neuron[l - 1];
            var biasAdd = consumers.Of(matmul).FirstOrDefault(n => n.Op is "BiasAdd" or "Add" or "AddV2")
                ?? throw Broken(net.Name, $"layer {l}'s MatMul '{matmul.Name}' has no bias add");
            var hidden = FirstForward(consumers, biasAdd, n => n.Op == "Reshape", 8)
                ?? throw Broken(net.Name, $"layer {l}: no Reshape after the activation of '{biasAdd.Name}'");
            bool residual = dOut == dIn || dOut == 2 * dIn;
            if (residual)
            {
                x = consumers.Of(hidden).FirstOrDefault(n => n.Op is "Add" or "AddV2")
                    ?? throw Broken(net.Name, $"layer {l} is residual ({dIn}→{dOut}) but '{hidden.Name}' feeds no add");
            }
            else
            {
                x = hidden;
            }

            dIn = dOut;
        }

        var output = x!;
        var outReshape = consumers.Of(output).FirstOrDefault(n => n.Op == "Reshape" && GraphIndex.ParseInput(n.Input[0]).Node == output.Name)
            ?? throw Broken(net.Name, $"the net output '{output.Name}' is not reshaped to [natom, sel, L]");
        if (kind == SiteKind.SeT)
        {
            var envIj = index.Find(GraphIndex.ParseInput(emX!.Input[0]).Node)
                ?? throw Broken(net.Name, "the net input's source does not exist");
            var netSide = consumers.Of(outReshape).FirstOrDefault(n => n.Op == "Reshape")
                ?? throw Broken(net.Name, $"'{outReshape.Name}' does not feed the einsum with env_ij");
            var contraction = consumers.Of(netSide).FirstOrDefault(n => n.Op is "BatchMatMul" or "BatchMatMulV2")
                ?? throw Broken(net.Name, $"'{netSide.Name}' does not feed the einsum's product");
            var envSide = index.Find(GraphIndex.ParseInput(contraction.Input[0]).Node);
            if (envSide is not { Op: "Reshape" } || GraphIndex.ParseInput(envSide.Input[0]).Node != envIj.Name)
            {
                throw Broken(net.Name, $"'{contraction.Name}' does not contract the net with env_ij '{envIj.Name}'");
            }

            var result = consumers.Of(contraction).FirstOrDefault(n => n.Op == "Reshape")
                ?? throw Broken(net.Name, $"'{contraction.Name}' is not reshaped to [natom, L]");
            return new NetSite(net, kind, emX, envIj, result, output, envSide);
        }

        if (kind == SiteKind.SeR)
        {
            var slice = index.Find(GraphIndex.ParseInput(emX!.Input[0]).Node)
                ?? throw Broken(net.Name, "the net input's source does not exist");
            return new NetSite(net, kind, emX, slice, outReshape, output);
        }

        var product = consumers.Of(outReshape).FirstOrDefault(n => n.Op is "BatchMatMul" or "BatchMatMulV2"
                && n.Input.Count >= 2 && GraphIndex.ParseInput(n.Input[1]).Node == outReshape.Name)
            ?? throw Broken(net.Name, $"'{outReshape.Name}' does not feed the BatchMatMul with the environment matrix");
        if (!(product.Attr.TryGetValue("adj_x", out var adj) && adj.B))
        {
            throw Broken(net.Name, $"'{product.Name}' is not the transposed product emᵀ·G deepmd-kit builds (adj_x is not set)");
        }

        var em = index.Find(GraphIndex.ParseInput(product.Input[0]).Node)
            ?? throw Broken(net.Name, $"'{product.Name}' reads a missing node");
        return new NetSite(net, kind, emX!, em, product, output);
    }

    private static NodeDef FindLayerMatMul(GraphIndex index, Consumers consumers, string matrixName, string net, int layer)
    {
        var weight = index.Find(matrixName) ?? throw Broken(net, $"weight {matrixName} is missing");
        foreach (var c in consumers.Of(weight))
        {
            if (c.Op == "MatMul")
            {
                return c;
            }

            if (c.Op == "Identity")
            {
                var mm = consumers.Of(c).FirstOrDefault(n => n.Op == "MatMul");
                if (mm is not null)
                {
                    return mm;
                }
            }
        }

        throw Broken(net, $"no MatMul uses layer {layer}'s weight {matrixName}");
    }

    private static NodeDef? FirstForward(Consumers consumers, NodeDef start, Func<NodeDef, bool> match, int depth)
    {
        var frontier = new List<NodeDef> { start };
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.Name };
        for (int d = 0; d < depth && frontier.Count > 0; d++)
        {
            var next = new List<NodeDef>();
            foreach (var n in frontier)
            {
                foreach (var c in consumers.Of(n))
                {
                    if (Consumers.IsGradient(c.Name) || !seen.Add(c.Name))
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

    private static UnsupportedModelException Broken(string net, string why) =>
        new("UnrecognisedNetLayout", $"Embedding net {net}: {why}; the graph does not have the layout deepmd-kit writes, so it cannot be compressed.");
}

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
