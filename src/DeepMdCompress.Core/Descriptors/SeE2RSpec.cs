using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// se_e2_r (se_r): per neighbour type j, the net on the s(r) slice [natom, sel_j] reshaped to [natom, sel_j, L] is the
/// descriptor's product itself. Compressed: TabulateFusionSeR(table, table_info, em = the slice) (docs/descriptors.md).
/// </summary>
public sealed class SeE2RSpec : PerTypeNetsSpec
{
    public override string Name => "se_e2_r";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "se_r" };

    public override string? TabulateOp => "TabulateFusionSeR";

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatR", "DescrptSeR" };

    internal override (string Rcut, string RcutSmth, string Sel) EnvMatAttrs => ("rcut", "rcut_smth", "sel");

    internal override int StatisticsPerNeighbour => 1;

    internal override bool Recognises(PartEvidence evidence) => EnvMatOps.Contains(evidence.EnvMat.Op);

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables)
    {
        foreach (var (net, table) in SeE2ASpec.Pair(part, tables))
        {
            var path = rewrite.Follow(net);
            var product = rewrite.ReshapeOf(path.Output, net.Name);
            var em = rewrite.Node(path.Input.Input[0]);
            var op = rewrite.Tabulate(net.Scope, TabulateOp!, table, GraphRewrite.TypeOf(product), product);
            op.Input.Add(em.Name);
            rewrite.ReplaceRegion(net.Name, product, new[] { new TabulateInput(em, 0) }, op, (dy, gs) => rewrite.Grad(gs, op, dy));
        }
    }
}
