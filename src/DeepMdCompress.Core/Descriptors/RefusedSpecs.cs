using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>A family deepmd-kit cannot compress at all: recognised and described, always refused with one reason.</summary>
public abstract class RefusedSpec : DescriptorSpec
{
    internal abstract Refusal Reason(DescriptorPart part);

    internal override Refusal? Refuse(DescriptorPart part, GraphIndex index, int ntypes) => Reason(part);

    internal override Refusal? RefuseFamily(DescriptorPart part, int ntypes) => Reason(part);

    internal override IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes) => throw Reason(part).ToException();

    internal override void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables) => throw Reason(part).ToException();
}

/// <summary>
/// se_e2_a with a type embedding concatenated to the net input (se_a_tpe, se_a_ebd; tebd_input_mode concat): one net
/// <c>filter_type_all/matrix_{l}</c> takes [s(r), embedding]. deepmd-kit refuses it ("compression of type embedded
/// descriptor is not supported when tebd_input_mode is not set to 'strip'"); for se_e2_a + type_embedding it even
/// crashes (KeyError 'layer_0'), because the nets it looks for by type do not exist.
/// </summary>
public sealed class SeATpeSpec : RefusedSpec
{
    public override string Name => "se_a_tpe";

    public override IReadOnlyList<string> Aliases { get; } = new[] { "se_a_ebd" };

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "ProdEnvMatA" };

    internal override bool Recognises(PartEvidence evidence) =>
        EnvMatOps.Contains(evidence.EnvMat.Op) && evidence.Has(NetNaming.Shared) && !evidence.HasStripNet;

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        part.Nets = NetFacts.Build(part, evidence.Catalog.Nets(part.Suffix, NetNaming.Shared), _ => "filter_net");
        NetFacts.Describe(part, evidence, notes);
    }

    internal override Refusal Reason(DescriptorPart part) => new(ErrorIds.TypeEmbeddingConcatNotCompressible,
        "The descriptor feeds the type embedding into the embedding net (se_e2_a with type_embedding, tebd_input_mode 'concat'), so its nets are not functions of s(r) alone and cannot be tabulated; deepmd-kit refuses (\"compression of type embedded descriptor is not supported when tebd_input_mode is not set to 'strip'\") or, for se_e2_a + type_embedding, fails looking up per-type nets (KeyError 'layer_0').");
}

/// <summary>se_a_mask (DescrptSeAMask): no tabulated kernel exists for it in deepmd-kit.</summary>
public sealed class SeAMaskSpec : RefusedSpec
{
    public override string Name => "se_a_mask";

    internal override IReadOnlyCollection<string> EnvMatOps { get; } = new[] { "DescrptSeAMask" };

    internal override bool Recognises(PartEvidence evidence) => EnvMatOps.Contains(evidence.EnvMat.Op);

    internal override void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes)
    {
        part.Nets = NetFacts.Build(part, evidence.Catalog.Nets(part.Suffix, NetNaming.CentreNeighbour, NetNaming.Neighbour),
            c => c.Centre >= 0 ? $"filter_{c.Centre}_net_{c.Neighbours[0]}" : $"filter_-1_net_{c.Neighbours[0]}");
        NetFacts.Describe(part, evidence, notes);
    }

    internal override Refusal Reason(DescriptorPart part) => new(ErrorIds.UnsupportedDescriptor,
        "deepmd-kit cannot compress a se_a_mask descriptor (only se_e2_a, se_e2_r, se_e3, se_atten, se_atten_v2, se_a_ebd_v2 and hybrids of them have tabulated kernels).");
}
