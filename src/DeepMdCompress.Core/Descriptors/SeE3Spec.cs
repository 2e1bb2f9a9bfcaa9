using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// se_e3 (se_t): per unordered type pair i ≤ j, the net runs on env_ij = einsum("ijm,ikm->ijk") [natom, sel_i, sel_j]
/// of the two xyz blocks; its output reshaped to [natom, sel_i, sel_j, L] is contracted with env_ij by
/// einsum("ijk,ijkm->im") → [natom, L]. TensorFlow 2 keeps the Einsum ops; TensorFlow 1 lowered the contraction to
/// Reshape → BatchMatMul → Reshape. Compressed: TabulateFusionSeT(table, table_info, em_x, em = env_ij), with strides
/// ×10 and a table that also covers [−max, lower) (docs/descriptors.md, docs/tables.md).
/// </summary>
public sealed class SeE3Spec : DescriptorSpec
{
    public override string Name => "se_e3";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "se_t", "se_at", "se_a_3be" };

    public override string? TabulateOp => "TabulateFusionSeT";

    public override TableLayout TableLayout => TableLayout.SeT;

    public override RangeRule RangeRule => RangeRule.ThreeBody;

    public override double StrideFactor => 10;

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatA", "DescrptSeA" };

    internal override bool Recognises(PartEvidence evidence) => EnvMatOps.Contains(evidence.EnvMat.Op) && evidence.Has(NetNaming.Pair);

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        part.Nets = NetFacts.Build(part, evidence.Catalog.Nets(part.Suffix, NetNaming.Pair), c => $"filter_{c.Neighbours[0]}_net_{c.Neighbours[1]}");
        notes.Add("TypeOneSide: not applicable to se_e3 (one net per unordered type pair).");
        part.ExcludeTypes = System.Array.Empty<int[]>();
        NetFacts.Describe(part, evidence, notes);
    }

    /// <summary>deepmd-kit's loop i = 0…ntypes−1, j = i…ntypes−1, each table taking type i's range.</summary>
    internal override IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes)
    {
        var result = new List<TabulatedNet>();
        for (int i = 0; i < ntypes; i++)
        {
            for (int j = i; j < ntypes; j++)
            {
                var net = part.Nets.FirstOrDefault(n => n.NeighbourTypes.Length == 2 && n.NeighbourTypes[0] == i && n.NeighbourTypes[1] == j)
                    ?? throw new Errors.ModelStructureException(Errors.ErrorIds.MissingEmbeddingNet,
                        $"deepmd-kit would tabulate filter_{i}_net_{j}{part.Suffix}, but the graph has no such embedding net (its weights are missing or named unexpectedly).");
                result.Add(new TabulatedNet(net, new[] { i }));
            }
        }

        return result;
    }

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables)
    {
        foreach (var (net, table) in SeE2ASpec.Pair(part, tables))
        {
            var path = rewrite.Follow(net);
            var envIj = rewrite.Node(path.Input.Input[0]);
            var g = rewrite.ReshapeOf(path.Output, net.Name);
            var product = Contraction(rewrite, net, g, envIj);
            var op = rewrite.Tabulate(net.Scope, TabulateOp!, table, GraphRewrite.TypeOf(product), product);
            op.Input.Add(path.Input.Name);
            op.Input.Add(envIj.Name);
            rewrite.ReplaceRegion(net.Name, product, new[] { new TabulateInput(path.Input, 0), new TabulateInput(envIj, 1) }, op,
                (dy, gs) => rewrite.Grad(gs, op, dy));
        }
    }

    /// <summary>einsum("ijk,ijkm->im")(env_ij, G): the Einsum node itself, or TensorFlow 1's Reshape → BatchMatMul → Reshape.</summary>
    private static Proto.NodeDef Contraction(GraphRewrite rewrite, EmbeddingNetInfo net, Proto.NodeDef g, Proto.NodeDef envIj)
    {
        string Src(Proto.NodeDef n, int i) => Graph.GraphIndex.ParseInput(n.Input[i]).Node;
        var einsum = rewrite.ForwardConsumers(g).FirstOrDefault(n => n.Op == "Einsum" && n.Input.Count == 2 && Src(n, 1) == g.Name);
        if (einsum is not null)
        {
            if (Src(einsum, 0) != envIj.Name)
            {
                throw GraphRewrite.Broken(net.Name, $"'{einsum.Name}' does not contract the net with env_ij '{envIj.Name}'");
            }

            return einsum;
        }

        var netSide = rewrite.ForwardConsumers(g).FirstOrDefault(n => n.Op == "Reshape")
            ?? throw GraphRewrite.Broken(net.Name, $"'{g.Name}' feeds neither an Einsum with env_ij nor TensorFlow 1's lowered einsum");
        var product = rewrite.ForwardConsumers(netSide).FirstOrDefault(n => n.Op is "BatchMatMul" or "BatchMatMulV2")
            ?? throw GraphRewrite.Broken(net.Name, $"'{netSide.Name}' does not feed the einsum's product");
        var envSide = rewrite.Node(product.Input[0]);
        if (envSide.Op != "Reshape" || Src(envSide, 0) != envIj.Name)
        {
            throw GraphRewrite.Broken(net.Name, $"'{product.Name}' does not contract the net with env_ij '{envIj.Name}'");
        }

        return rewrite.ForwardConsumers(product).FirstOrDefault(n => n.Op == "Reshape")
            ?? throw GraphRewrite.Broken(net.Name, $"'{product.Name}' is not reshaped to [natom, L]");
    }
}
