namespace DeepMdCompress.Core.Errors;

/// <summary>
/// The error ids of the module: one per condition, used by every stage (an ErrorRecord's FullyQualifiedErrorId starts
/// with it). The help topic about_DeepMdCompress_Errors lists them.
/// </summary>
public static class ErrorIds
{
    // --- what deepmd-kit refuses to compress (docs/descriptors.md, "refusals")

    /// <summary>The model is already compressed (TabulateFusion ops or root model_type "compressed_model").</summary>
    public const string AlreadyCompressed = "AlreadyCompressed";

    /// <summary>A model made before deepmd-kit 2.0 must be upgraded (Convert-LegacyModel) first.</summary>
    public const string LegacyModel = "LegacyModel";

    /// <summary>The deepmd-kit version (hence the graph layout) of the model cannot be detected.</summary>
    public const string UnknownModelVersion = "UnknownModelVersion";

    /// <summary>The descriptor family has no tabulated kernels in deepmd-kit (se_a_mask, unknown families).</summary>
    public const string UnsupportedDescriptor = "UnsupportedDescriptor";

    /// <summary>The embedding nets have resnet timestep (idt) variables ("descriptor resnet_dt must be false!").</summary>
    public const string ResnetDtNotCompressible = "ResnetDtNotCompressible";

    /// <summary>The type embedding is concatenated to the net input (tebd_input_mode concat); only strip mode compresses.</summary>
    public const string TypeEmbeddingConcatNotCompressible = "TypeEmbeddingConcatNotCompressible";

    /// <summary>se_atten without its strip-mode type net (<c>*_two_side_ebd</c>): "maybe it is not a compressible model".</summary>
    public const string TypeNetMissing = "TypeNetMissing";

    /// <summary>se_atten with attention layers ("can not compress model when attention layer is not 0").</summary>
    public const string AttentionLayersNotCompressible = "AttentionLayersNotCompressible";

    /// <summary>A strip-mode type net whose deeper layers do not double in width (deepmd-kit precomputes it as if they did).</summary>
    public const string TypeNetNotDoubling = "TypeNetNotDoubling";

    /// <summary>The embedding activation is not one deepmd-kit's tabulation knows.</summary>
    public const string UnsupportedActivation = "UnsupportedActivation";

    /// <summary>The embedding activation cannot be determined from the graph or its training script.</summary>
    public const string UnknownActivation = "UnknownActivation";

    /// <summary>A one-layer embedding net (deepmd-kit's TF tabulation needs two).</summary>
    public const string SingleLayerNet = "SingleLayerNet";

    /// <summary>An embedding layer without bias.</summary>
    public const string MissingBias = "MissingBias";

    /// <summary>Half-precision embedding weights.</summary>
    public const string HalfPrecisionNotSupported = "HalfPrecisionNotSupported";

    /// <summary>A net deepmd-kit would tabulate is missing from the graph, or the descriptor has no nets at all.</summary>
    public const string MissingEmbeddingNet = "MissingEmbeddingNet";

    /// <summary>No centre type contributes to a shared net's range (all excluded or sel 0).</summary>
    public const string EmptyNetRange = "EmptyNetRange";

    // --- graph layouts the rewriter does not recognise

    /// <summary>An embedding net's forward subgraph is not laid out as deepmd-kit writes it.</summary>
    public const string UnrecognisedNetLayout = "UnrecognisedNetLayout";

    /// <summary>The gradient subgraph around an embedding net is not laid out as TensorFlow writes it.</summary>
    public const string UnrecognisedGradientLayout = "UnrecognisedGradientLayout";
}
