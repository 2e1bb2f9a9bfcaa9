using System;
using System.Collections.Generic;

namespace DeepMdCompress;

/// <summary>Which deepmd-kit made a model, whether today's deepmd-kit loads it, whether it can be compressed, and what to do next.</summary>
public sealed class ModelVersionInfo
{
    internal ModelVersionInfo(FrozenModel model)
    {
        Model = model;
    }

    public FrozenModel Model { get; }

    /// <summary>0.12, 1.0, 1.2 (1.1 or 1.2, see <see cref="IsAmbiguous"/>), 1.3, 2.0 or 2.1 (2.1 and later); null when unknown.</summary>
    public string? SourceVersion { get; internal set; }

    /// <summary>The graph's <c>model_attr/model_version</c>; null when the graph has none (before deepmd-kit 2.0).</summary>
    public string? ModelVersion { get; internal set; }

    /// <summary>
    /// Whether the C++ inference of deepmd-kit 2.2.9 … 3.x would load the graph: its model-version check passes
    /// (exactly "major.minor", major 1, minor ≤ 1; a missing version counts as "0.0") and every node it reads
    /// is there with the dtype it reads (<see cref="MissingForLoading"/>).
    /// </summary>
    public bool IsLoadable { get; internal set; }

    /// <summary>The 2.0.0-alpha.0 layout or later (detected 2.0 or 2.1) and not compressed yet.</summary>
    public bool IsCompressible { get; internal set; }

    /// <summary>Why deepmd-kit would refuse to compress the model (the compressor's own check), or null.</summary>
    public DeepMdCompress.Core.Descriptors.Refusal? Refusal { get; internal set; }

    /// <summary>What the answer rests on and the next step.</summary>
    public string Reason { get; internal set; } = string.Empty;

    /// <summary>True when the graph reads as 1.2, which deepmd-kit cannot tell from 1.1 (they convert the same way).</summary>
    public bool IsAmbiguous { get; internal set; }

    /// <summary>A legacy graph (0.12 … 1.3): neither loadable nor compressible until Convert-LegacyModel upgrades it.</summary>
    public bool NeedsConversion { get; internal set; }

    /// <summary>The detection rule that decided and what it saw.</summary>
    public string Evidence { get; internal set; } = string.Empty;

    /// <summary>Nodes deepmd-kit's C++ loader reads that the graph lacks (or holds with another dtype).</summary>
    public IReadOnlyList<string> MissingForLoading { get; internal set; } = Array.Empty<string>();

    /// <summary>
    /// Of <c>train_attr/min_nbor_dist</c> and <c>train_attr/training_script</c> (what <c>dp compress</c> reads), those
    /// the graph lacks. Without min_nbor_dist, compression needs -MinNborDist or training data.
    /// </summary>
    public IReadOnlyList<string> MissingForCompression { get; internal set; } = Array.Empty<string>();

    public override string ToString() => $"{SourceVersion ?? "unknown"}: {Reason}";
}
