using System;

namespace DeepMdCompress.Core.Versioning;

/// <summary>
/// The model-version check of deepmd-kit's C++ inference (<c>model_compatable</c>, docs/versions.md#what-deepmd-kits-c-inference-loads), as
/// deepmd-kit 2.2.9 and every 3.x release do it against their supported version "1.1".
/// </summary>
public static class CppModelVersion
{
    /// <summary><c>source/config/MODEL_VER</c> of deepmd-kit 2.2.9 … 3.x, and the Python MODEL_VERSION (docs/versions.md#what-deepmd-kits-c-inference-loads).</summary>
    public const string Supported = "1.1";

    /// <summary>What the C++ loader uses when the graph has no <c>model_attr/model_version</c> node.</summary>
    public const string Missing = "0.0";

    /// <summary>
    /// True when the C++ loader accepts <paramref name="graphVersion"/> (null = node absent = "0.0"):
    /// split on '.', exactly two parts, atoi of each, major equal to the supported major and minor not above it.
    /// <paramref name="message"/> is the loader's complaint when it refuses, null when it accepts.
    /// </summary>
    public static bool IsCompatible(string? graphVersion, out string? message)
    {
        string version = graphVersion ?? Missing;
        string[] parts = version.Split('.');
        if (parts.Length != 2)
        {
            message = $"invalid graph model version string {version}";
            return false;
        }

        string[] supported = Supported.Split('.');
        int major = Atoi(parts[0]), minor = Atoi(parts[1]);
        if (major != Atoi(supported[0]) || minor > Atoi(supported[1]))
        {
            message = $"incompatible model: version {version} in graph, but version {Supported} supported";
            return false;
        }

        message = null;
        return true;
    }

    /// <summary>C's atoi: leading white space, an optional sign, then digits up to the first non-digit; 0 when none.</summary>
    internal static int Atoi(string s)
    {
        int i = 0;
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
        {
            i++;
        }

        bool negative = false;
        if (i < s.Length && s[i] is '+' or '-')
        {
            negative = s[i] == '-';
            i++;
        }

        long value = 0;
        for (; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++)
        {
            // atoi overflow is undefined; saturate so absurd strings stay incompatible rather than wrap.
            value = Math.Min(value * 10 + (s[i] - '0'), (long)int.MaxValue + 1);
        }

        value = negative ? -value : value;
        return (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, value));
    }
}
