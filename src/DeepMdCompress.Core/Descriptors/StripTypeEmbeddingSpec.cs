using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// The type-embedding families in strip mode (se_atten/DPA-1, se_atten_v2, se_a_ebd_v2; docs/descriptors.md): one radial
/// net <c>filter_type_all{s}/matrix_{l}</c> on s(r) for every neighbour slot gives G, a type net
/// (<c>…_two_side_ebd</c> or <c>…_one_side_ebd</c>) on the type embedding gives t per slot (gathered by type, for
/// se_atten_v2 times the switch), and the product is emᵀ·(G·t + G). Compressed: one TabulateFusionSeAtten(table,
/// table_info, em_x, em, two_embed = t) with the type net precomputed into the constant the gather reads.
/// </summary>
public abstract class StripTypeEmbeddingSpec : DescriptorSpec
{
    public override string? TabulateOp => "TabulateFusionSeAtten";

    /// <summary>The op's is_sorted attr: whether padding slots are all at the end of each centre's list.</summary>
    internal abstract bool IsSorted(DescriptorPart part);

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        part.Nets = NetFacts.Build(part, evidence.Catalog.Nets(part.Suffix, NetNaming.Shared), _ => "filter_net");
        if (evidence.Catalog.StripNet(part.Suffix) is { } strip)
        {
            var widths = new NetCandidate(NetNaming.Shared, "filter_type_all" + part.Suffix, part.Suffix, string.Empty, -1, Array.Empty<int>());
            foreach (var layer in strip.Layers)
            {
                widths.Layers[layer.Key] = layer.Value;
            }

            part.TypeNet = new TypeEmbeddingNetInfo("filter_type_all" + part.Suffix, strip.TwoSide, widths.Widths());
        }

        part.TypeOneSide = NetFacts.Bool(part.Script, "type_one_side") ?? (part.TypeNet is { } tn ? !tn.TwoSide : null);
        part.ExcludeTypes = NetFacts.Pairs(part.Script, "exclude_types") ?? Array.Empty<int[]>();
        NetFacts.Describe(part, evidence, notes);
    }

    internal override Refusal? RefuseFamily(DescriptorPart part, int ntypes)
    {
        if (part.TypeNet is null)
        {
            return new Refusal(ErrorIds.TypeNetMissing,
                $"The {part.Type} descriptor feeds the type embedding into its embedding net (tebd_input_mode 'concat'): deepmd-kit \"can not find variables of embedding net `*_two_side_ebd` from graph_def, maybe it is not a compressible model.\"");
        }

        var typeNet = part.TypeNet;
        if (typeNet.Neuron.Length == 0 || typeNet.Neuron[0] is 1 or 2 || typeNet.Neuron.Skip(1).Select((w, i) => w != 2 * typeNet.Neuron[i]).Any(bad => bad))
        {
            return new Refusal(ErrorIds.TypeNetNotDoubling,
                $"The type-embedding net of the {part.Type} descriptor has widths [{string.Join(", ", typeNet.Neuron)}]; deepmd-kit precomputes it assuming a plain first layer (width not 1 or 2) and every deeper layer doubling, so it cannot compress this one.");
        }

        if (part.ExcludeTypes is { } ex && ntypes > 0 && ex.Length > 0)
        {
            var pairs = new HashSet<(int, int)>(ex.SelectMany(p => new[] { (p[0], p[1]), (p[1], p[0]) }));
            if (Enumerable.Range(0, ntypes * ntypes).All(k => pairs.Contains((k / ntypes, k % ntypes))))
            {
                return new Refusal(ErrorIds.EmptyNetRange, "Every type pair is excluded: deepmd-kit says \"empty embedding-net are not supported in model compression!\"");
            }
        }

        return null;
    }

    internal override Refusal? Refuse(DescriptorPart part, GraphIndex index, int ntypes)
    {
        if ((RefuseFamily(part, ntypes) ?? RefuseNets(part, index)) is { } refusal)
        {
            return refusal;
        }

        for (int l = 1; l <= part.TypeNet!.Neuron.Length; l++)
        {
            if (index.Find(part.TypeNet.BiasName(l)) is null)
            {
                return new Refusal(ErrorIds.MissingBias, $"The type-embedding net has no bias {part.TypeNet.BiasName(l)}; deepmd-kit's precomputation requires every layer to have a bias.");
            }
        }

        return RefuseTables(part, ntypes);
    }

    /// <summary>One table, <c>filter_net</c>, over the ranges of every type.</summary>
    internal override IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes)
    {
        var net = part.Nets.FirstOrDefault() ?? throw new ModelStructureException(ErrorIds.MissingEmbeddingNet,
            $"deepmd-kit would tabulate filter_net{part.Suffix}, but the graph has no embedding net filter_type_all{part.Suffix}/matrix_1.");
        return new[] { new TabulatedNet(net, Enumerable.Range(0, ntypes).ToArray()) };
    }

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables)
    {
        foreach (var (net, table) in SeE2ASpec.Pair(part, tables))
        {
            var path = rewrite.Follow(net);
            var g = path.Output;
            string Src(NodeDef n, int i) => GraphIndex.ParseInput(n.Input[i]).Node;
            var scale = rewrite.ForwardConsumers(g).FirstOrDefault(n => n.Op == "Mul" && n.Input.Count == 2)
                ?? throw GraphRewrite.Broken(net.Name, $"the net output '{g.Name}' is not multiplied by the type embedding");
            var t = rewrite.Node(scale.Input[Src(scale, 0) == g.Name ? 1 : 0]);
            var sum = rewrite.ForwardConsumers(scale).FirstOrDefault(n => n.Op is "Add" or "AddV2" && n.Input.Count == 2
                    && (Src(n, 0) == g.Name || Src(n, 1) == g.Name))
                ?? throw GraphRewrite.Broken(net.Name, $"'{scale.Name}' (G·t) is not added to G");
            var product = SeE2ASpec.EmTransposeProduct(rewrite, net, rewrite.ReshapeOf(sum, net.Name));
            var em = rewrite.Node(product.Input[0]);
            var dtype = GraphRewrite.TypeOf(product);

            PrecomputeTypeNet(rewrite, part, net, dtype);
            var op = rewrite.Tabulate(net.Scope, TabulateOp!, table, dtype, product);
            op.Input.Add(path.Input.Name);
            op.Input.Add(em.Name);
            op.Input.Add(t.Name);
            op.Attr["is_sorted"] = new AttrValue { B = IsSorted(part) };
            rewrite.ReplaceRegion(net.Name, product,
                new[] { new TabulateInput(path.Input, 0), new TabulateInput(em, 1), new TabulateInput(t, 2, gradRequired: false) }, op,
                (dy, gs) => rewrite.Grad(gs, op, dy));
        }
    }

    /// <summary>
    /// Replaces the type net's output, which the gather of t reads, by its values for every type (pair), computed from the
    /// graph's type embedding <c>t_typeebd</c> as deepmd-kit does; the constant is named as in dp's graph
    /// (<c>{gather}/params_0</c>).
    /// </summary>
    private static void PrecomputeTypeNet(GraphRewrite rewrite, DescriptorPart part, EmbeddingNetInfo net, DataType dtype)
    {
        var typeNet = part.TypeNet!;
        var output = rewrite.Follow(new EmbeddingNetInfo(net.Name + " type net", typeNet.Scope, typeNet.TwoSide ? "_two_side_ebd" : "_one_side_ebd", -1,
            Array.Empty<int>(), typeNet.Neuron)).Output;
        var gather = rewrite.ForwardConsumers(output).FirstOrDefault(n => n.Op is "GatherV2" or "Gather" or "ResourceGather"
                && GraphIndex.ParseInput(n.Input[0]).Node == output.Name)
            ?? throw GraphRewrite.Broken(net.Name, $"the type net's output '{output.Name}' is not gathered by type");

        // deepmd-kit reads t_typeebd from a TensorFlow session; it depends on constants only, so the interpreter folds it.
        string tebdName = rewrite.Index.Contains("t_typeebd" + part.Suffix) ? "t_typeebd" + part.Suffix : "t_typeebd";
        if (!rewrite.Index.Contains(tebdName))
        {
            throw GraphRewrite.Broken(net.Name, "the graph has no type embedding t_typeebd to precompute the type net from");
        }

        var tebd = new GraphInterpreter(rewrite.Graph).Run(new Dictionary<string, Graph.TensorValue>(), tebdName);
        if (tebd.Rank != 2)
        {
            throw GraphRewrite.Broken(net.Name, $"t_typeebd has shape [{string.Join(", ", tebd.Shape)}], not [types + 1, width]");
        }

        var layers = new List<(double[] W, double[] B, int In, int Out)>();
        for (int l = 1; l <= typeNet.Neuron.Length; l++)
        {
            var w = rewrite.Index.TryGetConst(typeNet.MatrixName(l)) ?? throw GraphRewrite.Broken(net.Name, $"{typeNet.MatrixName(l)} is not a constant");
            var b = rewrite.Index.TryGetConst(typeNet.BiasName(l)) ?? throw GraphRewrite.Broken(net.Name, $"{typeNet.BiasName(l)} is not a constant");
            layers.Add((w.AsDoubleArray(), b.AsDoubleArray(), w.Shape[0], w.Shape[1]));
        }

        var activation = Activations.Parse(part.Activation);
        int types = tebd.Shape[0];
        double[] values = TypeEmbeddingTable.Compute(tebd.AsDoubleArray(), types, tebd.Shape[1], typeNet.TwoSide, layers, activation, out int width);
        int rows = values.Length / width;
        var constant = dtype == DataType.DtFloat
            ? TensorEncoder.Floats(values.Select(v => (float)v).ToArray(), rows, width)
            : TensorEncoder.Doubles(values, rows, width);
        var node = rewrite.AddConst(gather.Name + "/params_0", constant, gather);
        rewrite.SetInput(gather, 0, node.Name);
    }
}

/// <summary>se_atten (DPA-1) with attn_layer 0 in strip mode; is_sorted when no type pair is excluded (exclusion masks slots in place).</summary>
public class SeAttenSpec : StripTypeEmbeddingSpec
{
    public override string Name => "se_atten";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "dpa1" };

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatAMix" };

    internal override bool Recognises(PartEvidence evidence) => EnvMatOps.Contains(evidence.EnvMat.Op);

    internal override bool IsSorted(DescriptorPart part) => part.ExcludeTypes is not { Length: > 0 };

    internal override bool SelPerType => false;

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        base.Discover(part, evidence, notes);

        // deepmd-kit's default attn_layer is 2; without a script, the graph's attention scopes say how many there are.
        part.AttentionLayers = NetFacts.Int(part.Script, "attn_layer")
            ?? (part.Script is null
                ? evidence.Index.Nodes.Select(n => n.Name).Where(n => n.StartsWith("attention_layer_", StringComparison.Ordinal))
                    .Select(n => n.Substring(0, n.IndexOf('/') < 0 ? n.Length : n.IndexOf('/'))).Distinct().Count()
                : 2);
    }

    internal override Refusal? RefuseFamily(DescriptorPart part, int ntypes)
    {
        if (part.AttentionLayers is > 0)
        {
            return new Refusal(ErrorIds.AttentionLayersNotCompressible,
                $"The {part.Type} descriptor has {part.AttentionLayers} attention layer(s); deepmd-kit \"can not compress model when attention layer is not 0.\"");
        }

        return base.RefuseFamily(part, ntypes);
    }
}

/// <summary>se_atten_v2: se_atten in strip mode whose type embedding is multiplied by the switch (smooth_type_embedding).</summary>
public sealed class SeAttenV2Spec : SeAttenSpec
{
    public override string Name => "se_atten_v2";

    public override IReadOnlyList<string> Aliases => Array.Empty<string>();

    internal override bool Recognises(PartEvidence evidence) => base.Recognises(evidence) && evidence.DeclaredType == Name;
}

/// <summary>se_a_ebd_v2 (se_a_tpe_v2): se_e2_a with a strip-mode type net; its slots are masked by type, so never sorted.</summary>
public sealed class SeAEbdV2Spec : StripTypeEmbeddingSpec
{
    public override string Name => "se_a_ebd_v2";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "se_a_tpe_v2" };

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatA" };

    internal override bool Recognises(PartEvidence evidence) =>
        EnvMatOps.Contains(evidence.EnvMat.Op) && evidence.Has(NetNaming.Shared) && evidence.HasStripNet;

    internal override bool IsSorted(DescriptorPart part) => false;
}
