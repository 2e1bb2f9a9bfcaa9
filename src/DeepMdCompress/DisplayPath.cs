using System;
using System.IO;

namespace DeepMdCompress;

/// <summary>
/// How the format views show a file: relative to the current location when it lies below it, so paths fit an
/// 80-column console; the objects' properties keep the full path.
/// </summary>
public static class DisplayPath
{
    public static string Relative(string? path, string? location)
    {
        if (string.IsNullOrEmpty(path) || string.IsNullOrEmpty(location) || !System.IO.Path.IsPathRooted(path))
        {
            return path ?? string.Empty;
        }

        string root = location!.EndsWith(System.IO.Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)
            ? location
            : location + System.IO.Path.DirectorySeparatorChar;
        var comparison = System.IO.Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path!.StartsWith(root, comparison)
            ? "." + System.IO.Path.DirectorySeparatorChar + path.Substring(root.Length)
            : path;
    }
}
