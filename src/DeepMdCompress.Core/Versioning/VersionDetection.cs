namespace DeepMdCompress.Core.Versioning;

/// <summary>The deepmd-kit release a graph was made by, as deepmd-kit's <c>detect_model_version</c> decides it (docs/versions.md#detection).</summary>
public sealed class VersionDetection
{
    internal VersionDetection(string? sourceVersion, bool isAmbiguous, string evidence, string? modelVersion)
    {
        SourceVersion = sourceVersion;
        IsAmbiguous = isAmbiguous;
        Evidence = evidence;
        ModelVersion = modelVersion;
    }

    /// <summary>0.12, 1.0, 1.2, 1.3, 2.0 or 2.1 (2.1 and later); null when no rule matches.</summary>
    public string? SourceVersion { get; }

    /// <summary>True for "1.2": deepmd-kit cannot tell a 1.1 graph from a 1.2 one (both convert the same way).</summary>
    public bool IsAmbiguous { get; }

    /// <summary>The rule that decided and what it saw in the graph.</summary>
    public string Evidence { get; }

    /// <summary>The graph's <c>model_attr/model_version</c> string; null when there is no such string constant.</summary>
    public string? ModelVersion { get; }

    public override string ToString() => SourceVersion is null ? $"unknown ({Evidence})" : $"{SourceVersion} ({Evidence})";
}
