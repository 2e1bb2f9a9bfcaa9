using System;
using System.Collections.Generic;
using System.Text.Json;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>
/// One descriptor of a model as found in its graph: the whole descriptor, or one member of a <c>hybrid</c>
/// (docs/descriptors.md). Its family (<see cref="Spec"/>) decides how every stage treats it; the nets are located
/// once, at import, and kept with the names of their layer nodes for reading and rewriting.
/// </summary>
public sealed class DescriptorPart
{
    internal DescriptorPart(DescriptorSpec spec, int index, NodeDef envMat)
    {
        Spec = spec;
        Index = index;
        EnvMat = envMat;
    }

    /// <summary>The family's spec: names, capability, nets, ranges, table layout, rewiring.</summary>
    public DescriptorSpec Spec { get; internal set; }

    /// <summary>deepmd-kit's descriptor type (se_e2_a, se_atten_v2, ...).</summary>
    public string Type => Spec.Name;

    /// <summary>Position in a hybrid descriptor's list, or -1 for a descriptor that is not part of a hybrid.</summary>
    public int Index { get; }

    /// <summary>The scope suffix deepmd-kit gives this member's nodes: "" alone, <c>_k</c> as the k-th member of a hybrid.</summary>
    public string Suffix => Index < 0 ? string.Empty : "_" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Scope of the descriptor's attribute constants (<c>descrpt_attr</c>, <c>descrpt_attr_k</c>).</summary>
    public string AttrScope => "descrpt_attr" + Suffix;

    /// <summary>Name of the environment-matrix op this descriptor runs (ProdEnvMatA, ProdEnvMatR, ProdEnvMatAMix, ...).</summary>
    public string EnvMatOp => EnvMat.Op;

    internal NodeDef EnvMat { get; }

    public double? Rcut { get; internal set; }

    public double? RcutSmth { get; internal set; }

    public int[]? Sel { get; internal set; }

    public bool? TypeOneSide { get; internal set; }

    /// <summary>Excluded (centre, neighbour) type pairs, each with the smaller type first.</summary>
    public int[][]? ExcludeTypes { get; internal set; }

    /// <summary>Widths of the (first) embedding net.</summary>
    public int[]? Neuron { get; internal set; }

    public string? Activation { get; internal set; }

    /// <summary>float64, float32 or float16: dtype of the embedding-net weights.</summary>
    public string? Precision { get; internal set; }

    /// <summary>Whether any embedding layer has a resnet timestep (<c>idt</c>) variable.</summary>
    public bool? ResnetDt { get; internal set; }

    /// <summary>se_atten: the number of attention layers (compression needs 0); null when the graph does not say.</summary>
    public int? AttentionLayers { get; internal set; }

    /// <summary>The scalar-input embedding nets this descriptor runs (the ones compression tabulates), in deepmd-kit's order.</summary>
    public IReadOnlyList<EmbeddingNetInfo> Nets { get; internal set; } = Array.Empty<EmbeddingNetInfo>();

    /// <summary>Strip-mode type-embedding net (se_atten, se_atten_v2, se_a_ebd_v2), when the graph has one.</summary>
    public TypeEmbeddingNetInfo? TypeNet { get; internal set; }

    /// <summary>This descriptor's object of the training script (for a hybrid member, its entry of <c>list</c>).</summary>
    internal JsonElement? Script { get; set; }

    public override string ToString() => Index < 0 ? Type : $"{Type} (hybrid member {Index})";
}

/// <summary>
/// The strip-mode type-embedding net of se_atten/se_a_ebd_v2 (<c>filter_type_all{s}/matrix_{l}_two_side_ebd</c> or
/// <c>_one_side_ebd</c>): it maps the type embedding of a neighbour (one side) or of a (neighbour, centre) pair (two
/// side) to L numbers that multiply the radial net's output. Compression precomputes it for every type (pair).
/// </summary>
public sealed class TypeEmbeddingNetInfo
{
    internal TypeEmbeddingNetInfo(string scope, bool twoSide, int[] neuron)
    {
        Scope = scope;
        TwoSide = twoSide;
        Neuron = neuron;
    }

    public string Scope { get; }

    /// <summary>Two-side nets take concat(embedding of neighbour, embedding of centre); one-side nets the neighbour's only.</summary>
    public bool TwoSide { get; }

    public int[] Neuron { get; }

    private string Tail => TwoSide ? "_two_side_ebd" : "_one_side_ebd";

    public string MatrixName(int layer) => $"{Scope}/matrix_{layer}{Tail}";

    public string BiasName(int layer) => $"{Scope}/bias_{layer}{Tail}";

    public string IdtName(int layer) => $"{Scope}/idt_{layer}{Tail}";
}
