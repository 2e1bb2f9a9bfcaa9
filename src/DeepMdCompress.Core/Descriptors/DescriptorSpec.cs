using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Core.Descriptors;

/// <summary>How the table range of a net follows from the descriptor statistics (docs/tables.md, "ranges").</summary>
public enum RangeRule
{
    /// <summary>From the s(r) column: lower = −davg/dstd, upper = (sw/min_nbor_dist − davg)/dstd (se_e2_a, se_e2_r, se_atten, se_a_ebd_v2).</summary>
    Radial,

    /// <summary>From the xyz columns: ±max (sw/(min_nbor_dist·dstd))² (se_e3).</summary>
    ThreeBody,
}

/// <summary>A reason deepmd-kit refuses to compress a model: one error id per reason (docs/descriptors.md, "refusals").</summary>
public sealed class Refusal
{
    public Refusal(string errorId, string message)
    {
        ErrorId = errorId;
        Message = message;
    }

    public string ErrorId { get; }

    public string Message { get; }

    public UnsupportedModelException ToException() => new(ErrorId, Message);

    public override string ToString() => $"{ErrorId}: {Message}";
}

/// <summary>What one environment-matrix op of a graph looks like, for the specs to recognise their family.</summary>
internal sealed class PartEvidence
{
    public PartEvidence(NodeDef envMat, string suffix, NetCatalog catalog, Graph.GraphIndex index, JsonElement? script, int? ntypes)
    {
        NTypes = ntypes;
        EnvMat = envMat;
        Suffix = suffix;
        Catalog = catalog;
        Index = index;
        Script = script;
    }

    public NodeDef EnvMat { get; }

    /// <summary>The model's number of types, when the graph says it.</summary>
    public int? NTypes { get; }

    /// <summary>The scope suffix of this descriptor's nodes ("" or <c>_k</c> in a hybrid).</summary>
    public string Suffix { get; }

    public NetCatalog Catalog { get; }

    public Graph.GraphIndex Index { get; }

    /// <summary>This descriptor's object of the training script, when the graph carries one.</summary>
    public JsonElement? Script { get; }

    /// <summary>The descriptor type the training script declares, canonicalised through the registry's aliases.</summary>
    public string? DeclaredType => Script is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
        ? DescriptorRegistry.Canonical(t.GetString())
        : null;

    public bool Has(NetNaming naming) => Catalog.Nets(Suffix, naming).Any();

    public bool HasStripNet => Catalog.StripNet(Suffix) is not null;

    /// <summary>Whether this descriptor has any embedding net left (a compressed graph's are tables).</summary>
    public bool HasNets => Catalog.Nets(Suffix, (NetNaming[])Enum.GetValues(typeof(NetNaming))).Any();

    /// <summary>Whether the graph has a type embedding (<c>t_typeebd</c>, possibly suffixed).</summary>
    public bool HasTypeEmbedding => Index.Nodes.Any(n => n.Name.StartsWith("t_typeebd", StringComparison.Ordinal));
}

/// <summary>
/// One descriptor family of deepmd-kit (docs/descriptors.md): everything every stage needs to know about it —
/// its names, how to recognise it and locate its nets in a graph, whether and why deepmd-kit refuses to compress it,
/// how its table ranges are derived and its tables laid out, and how the compressed graph is rewired. Every stage
/// asks the spec (through <see cref="DescriptorRegistry"/>); no stage switches on descriptor names.
/// </summary>
public abstract class DescriptorSpec
{
    /// <summary>deepmd-kit's descriptor type as the training script names it (se_e2_a, se_atten, ...).</summary>
    public abstract string Name { get; }

    /// <summary>Other names deepmd-kit accepts for the same family (se_a, dpa1, ...).</summary>
    public virtual IReadOnlyList<string> Aliases => Array.Empty<string>();

    /// <summary>The TabulateFusion op dp compress replaces this family's nets with (null: not compressible).</summary>
    public virtual string? TabulateOp => null;

    /// <summary>How this family's tables map inputs to rows.</summary>
    public virtual TableLayout TableLayout => TableLayout.Standard;

    /// <summary>How the table range follows from the statistics.</summary>
    public virtual RangeRule RangeRule => RangeRule.Radial;

    /// <summary>Factor on dp compress's strides (se_e3 tabulates with 10·s and 100·s).</summary>
    public virtual double StrideFactor => 1;

    /// <summary>Columns of the statistics t_avg/t_std per neighbour slot (4: s, x, y, z; se_e2_r: 1).</summary>
    internal virtual int StatisticsPerNeighbour => 4;

    /// <summary>Whether sel has one entry per type (false: one entry for all, as ProdEnvMatAMix's).</summary>
    internal virtual bool SelPerType => true;

    /// <summary>The env-matrix op's attrs holding rcut, rcut_smth and sel.</summary>
    internal virtual (string Rcut, string RcutSmth, string Sel) EnvMatAttrs => ("rcut_r", "rcut_r_smth", "sel_a");

    /// <summary>Env-matrix ops this family runs (recognition starts from them).</summary>
    internal abstract IReadOnlyCollection<string> EnvMatOps { get; }

    /// <summary>Whether the graph evidence of one env-matrix op is this family's (specs are asked in registry order).</summary>
    internal abstract bool Recognises(PartEvidence evidence);

    /// <summary>Locates the nets (once, at import) and reads what the graph says of the descriptor's options.</summary>
    internal abstract void Discover(DescriptorPart part, PartEvidence evidence, List<string> notes);

    /// <summary>Why deepmd-kit would refuse to compress this descriptor, or null: the family's reasons, then the nets', then the tables'.</summary>
    internal virtual Refusal? Refuse(DescriptorPart part, Graph.GraphIndex index, int ntypes) =>
        RefuseFamily(part, ntypes) ?? RefuseNets(part, index) ?? RefuseTables(part, ntypes);

    /// <summary>Reasons of the descriptor's options or layout alone (not of its nets' weights), or null.</summary>
    internal virtual Refusal? RefuseFamily(DescriptorPart part, int ntypes) => null;

    /// <summary>The tables deepmd-kit builds, in its loop order: each net with the centre types whose ranges it takes.</summary>
    internal abstract IReadOnlyList<TabulatedNet> TabulatedNets(DescriptorPart part, int ntypes, List<string> notes);

    /// <summary>Replaces each tabulated net (and the product it feeds) by the TabulateFusion op, forward and gradient.</summary>
    internal abstract void Rewire(GraphRewrite rewrite, DescriptorPart part, IReadOnlyList<TableTensor> tables);

    public override string ToString() => Name;

    /// <summary>The refusal deepmd-kit's table loop makes (a net it would tabulate is missing, an empty shared range), or null.</summary>
    internal Refusal? RefuseTables(DescriptorPart part, int ntypes)
    {
        try
        {
            TabulatedNets(part, ntypes, new List<string>());
            return null;
        }
        catch (DeepMdException ex) when (ex is UnsupportedModelException or ModelStructureException)
        {
            return new Refusal(ex.ErrorId, ex.Message);
        }
    }

    /// <summary>A net-level refusal common to every family with scalar-input nets (resnet_dt, activation, layers, bias).</summary>
    internal static Refusal? RefuseNets(DescriptorPart part, Graph.GraphIndex index)
    {
        if (part.ResnetDt == true)
        {
            return new Refusal(ErrorIds.ResnetDtNotCompressible,
                "The embedding nets have resnet timestep (idt) variables; deepmd-kit refuses to compress them (\"descriptor resnet_dt must be false!\").");
        }

        if (part.Nets.Count == 0)
        {
            return new Refusal(ErrorIds.MissingEmbeddingNet, $"No embedding net of the {part.Type} descriptor was found in the graph (its weights are missing or named unexpectedly).");
        }

        if (!Embedding.Activations.TryParse(part.Activation, out _))
        {
            return part.Activation is null
                ? new Refusal(ErrorIds.UnknownActivation,
                    "The embedding activation could not be determined (no training script names it and the graph shows no known activation op), so the nets cannot be tabulated.")
                : new Refusal(ErrorIds.UnsupportedActivation,
                    $"The embedding activation '{part.Activation}' cannot be tabulated: deepmd-kit's TF compression knows only tanh, gelu, gelu_tf, relu, relu6, softplus and sigmoid (\"Unknown activation function type!\").");
        }

        foreach (var net in part.Nets)
        {
            if (net.Neuron.Length == 1)
            {
                return new Refusal(ErrorIds.SingleLayerNet,
                    $"Net {net.Name} has a single layer; deepmd-kit's TF tabulation cannot tabulate a one-layer embedding net (its _make_data needs a second layer).");
            }

            if (index.Find(net.MatrixName(1)) is { } first && NetCatalog.ConstShape(first) is { Length: 2 } shape && shape[0] != 1)
            {
                return new Refusal(ErrorIds.TypeEmbeddingConcatNotCompressible,
                    $"Net {net.Name} takes {shape[0]} inputs ({net.MatrixName(1)} is [{shape[0]}, {shape[1]}]); only nets of the scalar s(r) can be tabulated, not nets fed with a type embedding (concat mode).");
            }

            for (int l = 1; l <= net.Neuron.Length; l++)
            {
                if (index.Find(net.BiasName(l)) is null)
                {
                    return new Refusal(ErrorIds.MissingBias,
                        $"Net {net.Name} has no bias {net.BiasName(l)} (a bias-free layer); deepmd-kit's tabulation requires every layer to have a bias.");
                }

                if (index.Find(net.MatrixName(l)) is { } w && w.Attr.TryGetValue("dtype", out var dt) && dt.Type is DataType.DtHalf or DataType.DtBfloat16)
                {
                    return new Refusal(ErrorIds.HalfPrecisionNotSupported,
                        $"Net {net.Name}: {net.MatrixName(l)} is half precision; deepmd-kit's compression does not support half precision.");
                }
            }
        }

        return null;
    }
}

/// <summary>A net deepmd-kit tabulates, with the centre types whose ranges make its table's range.</summary>
internal sealed class TabulatedNet
{
    public TabulatedNet(EmbeddingNetInfo net, int[] centres)
    {
        Net = net;
        Centres = centres;
    }

    public EmbeddingNetInfo Net { get; }

    public int[] Centres { get; }
}
