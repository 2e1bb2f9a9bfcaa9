using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// se_e2_a (se_a): per neighbour type j, the net on s(r) gives G [natom·sel_j, L], reshaped to [natom, sel_j, L] and
/// contracted with the env matrix em [natom, sel_j, 4] as emᵀ·G (BatchMatMul, adj_x) → [natom, 4, L]. Compressed:
/// TabulateFusionSeA(table, table_info, em_x, em) replaces net, reshape and product (docs/descriptors.md).
/// </summary>
public sealed class SeE2ASpec : PerTypeNetsSpec
{
    public override string Name => "se_e2_a";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "se_a" };

    public override string? TabulateOp => "TabulateFusionSeA";

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatA", "DescrptSeA", "DescrptNorot" };

    internal override bool HasLegacyNets => true;

    internal override bool Recognises(PartEvidence evidence) =>
        EnvMatOps.Contains(evidence.EnvMat.Op) && !evidence.Has(NetNaming.Pair) && !evidence.Has(NetNaming.Shared);

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables)
    {
        foreach (var (net, table) in Pair(part, tables))
        {
            var path = rewrite.Follow(net);
            var product = EmTransposeProduct(rewrite, net, rewrite.ReshapeOf(path.Output, net.Name));
            var em = rewrite.Node(product.Input[0]);
            var op = rewrite.Tabulate(net.Scope, TabulateOp!, table, GraphRewrite.TypeOf(product), product);
            op.Input.Add(path.Input.Name);
            op.Input.Add(em.Name);
            rewrite.ReplaceRegion(net.Name, product, new[] { new TabulateInput(path.Input, 0), new TabulateInput(em, 1) }, op,
                (dy, gs) => rewrite.Grad(gs, op, dy));
        }
    }

    /// <summary>The BatchMatMul(em, G, adj_x) that contracts the reshaped net output with the env matrix.</summary>
    internal static Proto.NodeDef EmTransposeProduct(GraphRewrite rewrite, EmbeddingNetInfo net, Proto.NodeDef g)
    {
        var product = rewrite.ForwardConsumers(g).FirstOrDefault(n => n.Op is "BatchMatMul" or "BatchMatMulV2"
                && n.Input.Count >= 2 && Graph.GraphIndex.ParseInput(n.Input[1]).Node == g.Name)
            ?? throw GraphRewrite.Broken(net.Name, $"'{g.Name}' does not feed the BatchMatMul with the environment matrix");
        if (!(product.Attr.TryGetValue("adj_x", out var adj) && adj.B))
        {
            throw GraphRewrite.Broken(net.Name, $"'{product.Name}' is not the transposed product emᵀ·G deepmd-kit builds (adj_x is not set)");
        }

        return product;
    }

    /// <summary>Each table with its net, in the tables' (deepmd-kit's) order.</summary>
    internal static IEnumerable<(EmbeddingNetInfo Net, TableTensor Table)> Pair(DescriptorPart part, IReadOnlyList<TableTensor> tables) =>
        tables.Select(t => (part.Nets.FirstOrDefault(n => n.Name == t.Name)
            ?? throw new Errors.InvalidParameterException(ErrorIds.NetNotFound, $"The {part.Type} descriptor has no embedding net named {t.Name}."), t));
}
