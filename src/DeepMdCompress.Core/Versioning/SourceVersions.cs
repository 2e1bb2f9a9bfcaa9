using System;
using System.Collections.Generic;
using System.Linq;

namespace DeepMdCompress.Core.Versioning;

/// <summary>The deepmd-kit releases whose frozen-graph layouts differ (docs/versions.md).</summary>
public static class SourceVersions
{
    public const string V0_12 = "0.12";
    public const string V1_0 = "1.0";
    public const string V1_1 = "1.1";
    public const string V1_2 = "1.2";
    public const string V1_3 = "1.3";
    public const string V2_0 = "2.0";

    /// <summary>2.1 and every later release (2.2.x, 3.x): model version "1.1", the layout conversion produces.</summary>
    public const string V2_1 = "2.1";

    /// <summary>
    /// What <c>dp convert-from</c> converts from (without its <c>auto</c> and <c>pbtxt</c>), i.e. the values
    /// Convert-LegacyModel's -From accepts. 1.1 and 1.2 are converted identically.
    /// </summary>
    public static IReadOnlyList<string> ConvertibleFrom { get; } = new[] { V0_12, V1_0, V1_1, V1_2, V1_3, V2_0 };

    /// <summary>Detected versions that neither deepmd-kit 2.2.9 … 3.x nor compression accept without conversion.</summary>
    public static bool IsLegacy(string? version) => version is V0_12 or V1_0 or V1_1 or V1_2 or V1_3;

    /// <summary>The 2.0.0-alpha.0 layout or later: what <c>dp compress</c> needs.</summary>
    public static bool IsCompressibleLayout(string? version) => version is V2_0 or V2_1;

    internal static bool IsKnown(string version) => ConvertibleFrom.Contains(version, StringComparer.Ordinal) || version == V2_1;

    /// <summary>deepmd-kit's "version in SpecifierSet('&lt;bound')" for the versions above.</summary>
    internal static bool IsBelow(string version, string bound) => Version.Parse(version) < Version.Parse(bound);

    /// <summary>Whether a -From value describes a graph detected as <paramref name="detected"/>; 1.1 and 1.2 look alike.</summary>
    internal static bool Agree(string from, string? detected) =>
        from == detected || (from is V1_1 or V1_2 && detected is (V1_1 or V1_2));
}
