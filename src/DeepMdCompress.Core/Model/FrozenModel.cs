using System;
using System.Collections.Generic;
using System.Text.Json;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress;

/// <summary>One embedding net of the descriptor as found in the graph.</summary>
public sealed class EmbeddingNetInfo
{
    public EmbeddingNetInfo(string name, string scope, string suffix, int centreType, int[] neighbourTypes, int[] neuron)
    {
        Name = name;
        Scope = scope;
        Suffix = suffix;
        CentreType = centreType;
        NeighbourTypes = neighbourTypes;
        Neuron = neuron;
    }

    /// <summary>deepmd-kit's table key: <c>filter_{i}_net_{j}</c>, <c>filter_-1_net_{j}</c> (type_one_side) or <c>filter_net</c>.</summary>
    public string Name { get; }

    /// <summary>Variable scope of the net's weights, e.g. <c>filter_type_0</c> or <c>filter_type_all</c>.</summary>
    public string Scope { get; }

    /// <summary>Suffix of the weight names after the layer index, e.g. <c>_1</c> for <c>matrix_{l}_1</c>.</summary>
    public string Suffix { get; }

    /// <summary>Centre type, or -1 for nets shared by all centre types.</summary>
    public int CentreType { get; }

    /// <summary>Neighbour type(s) the net serves: one for se_e2_a/se_e2_r, the pair (i, j) for se_e3.</summary>
    public int[] NeighbourTypes { get; }

    /// <summary>Layer widths (deepmd-kit's <c>neuron</c> list).</summary>
    public int[] Neuron { get; }

    /// <summary>Const node name of layer <paramref name="layer"/>'s weight matrix (1-based).</summary>
    public string MatrixName(int layer) => $"{Scope}/matrix_{layer}{Suffix}";

    public string BiasName(int layer) => $"{Scope}/bias_{layer}{Suffix}";

    public string IdtName(int layer) => $"{Scope}/idt_{layer}{Suffix}";

    /// <summary>The descriptor (or hybrid member) the net belongs to; null for a net described by hand.</summary>
    public DescriptorPart? Descriptor { get; internal set; }

    public override string ToString() => Name;
}

/// <summary>
/// A DeePMD frozen model: the parsed GraphDef plus the facts derived from it. A fact the graph does not
/// determine is null, and <see cref="Notes"/> says why.
/// </summary>
public sealed class FrozenModel
{
    private readonly GraphDef _graph;
    private GraphIndex? _index;

    internal FrozenModel(GraphDef graph)
    {
        _graph = graph;
    }

    /// <summary>Full path of the file the model was read from (null for a model built in memory).</summary>
    public string? Path { get; internal set; }

    public GraphFormat Format { get; internal set; }

    public int NodeCount { get; internal set; }

    /// <summary><c>model_attr/model_type</c>: ener, dipole, polar, ...</summary>
    public string? ModelType { get; internal set; }

    /// <summary><c>model_attr/model_version</c> (e.g. "1.1"); null for graphs that predate it.</summary>
    public string? ModelVersion { get; internal set; }

    /// <summary>Root <c>model_type</c> node: original_model or compressed_model; null when absent (older graphs).</summary>
    public string? RootModelType { get; internal set; }

    public bool IsCompressed { get; internal set; }

    /// <summary>se_e2_a, se_e2_r, se_e3, se_atten, se_atten_v2, se_a_ebd_v2, se_a_tpe, se_a_mask or hybrid.</summary>
    public string? DescriptorType { get; internal set; }

    /// <summary>The descriptor, or the members of a hybrid, each with its family's spec and its nets (docs/descriptors.md).</summary>
    public IReadOnlyList<DescriptorPart> Descriptors { get; internal set; } = Array.Empty<DescriptorPart>();

    /// <summary>Name of the environment-matrix op (ProdEnvMatA, ProdEnvMatR, DescrptNorot, ...).</summary>
    public string? DescriptorOp { get; internal set; }

    public string[]? TypeMap { get; internal set; }

    public int? NTypes { get; internal set; }

    public double? Rcut { get; internal set; }

    public double? RcutSmth { get; internal set; }

    public int[]? Sel { get; internal set; }

    public int[]? EmbeddingNeuron { get; internal set; }

    public string? Activation { get; internal set; }

    /// <summary>float64, float32 or float16: dtype of the embedding-net weights.</summary>
    public string? Precision { get; internal set; }

    public bool? TypeOneSide { get; internal set; }

    /// <summary>Excluded (centre, neighbour) type pairs, each with the smaller type first.</summary>
    public int[][]? ExcludeTypes { get; internal set; }

    public int[]? FittingNeuron { get; internal set; }

    public int? DimFParam { get; internal set; }

    public int? DimAParam { get; internal set; }

    /// <summary>The embedded <c>train_attr/training_script</c> JSON text.</summary>
    public string? TrainingScript { get; internal set; }

    /// <summary>The training script parsed (null when absent or not valid JSON).</summary>
    internal JsonElement? TrainingScriptJson { get; set; }

    /// <summary><c>train_attr/min_nbor_dist</c> when the graph carries it.</summary>
    public double? MinNborDist { get; internal set; }

    /// <summary>Whether any embedding layer has a resnet timestep (<c>idt</c>) variable.</summary>
    public bool? ResnetDt { get; internal set; }

    public IReadOnlyList<EmbeddingNetInfo> EmbeddingNets { get; internal set; } = Array.Empty<EmbeddingNetInfo>();

    /// <summary>Why a property is null, and anything else worth knowing about how the facts were found.</summary>
    public IReadOnlyList<string> Notes { get; internal set; } = Array.Empty<string>();

    /// <summary>The underlying GraphDef. Callers must not modify it; conversions work on a copy.</summary>
    public GraphDef GetGraphDef() => _graph;

    internal GraphIndex Index => _index ??= new GraphIndex(_graph);

    public override string ToString() => Path ?? $"FrozenModel ({NodeCount} nodes)";
}
