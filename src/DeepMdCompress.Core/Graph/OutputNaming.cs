using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Graph;

/// <summary>
/// Where each input's output goes when one command writes many: -OutputPath is a file, a folder (an existing one,
/// or a path ending in a separator) or a name template with <c>{BaseName}</c>, <c>{Name}</c>, <c>{Extension}</c>,
/// <c>{Step}</c>. In a folder the name is dp compress's default, <c>{BaseName}_compressed{Extension}</c>
/// (frozen_model.pb → frozen_model_compressed.pb).
/// </summary>
public static class OutputNaming
{
    /// <summary>dp compress's default output name, relative to the input's.</summary>
    public const string DefaultTemplate = "{BaseName}_compressed{Extension}";

    private static readonly string[] Fields = { "{BaseName}", "{Name}", "{Extension}", "{Step}" };

    /// <summary>Whether <paramref name="outputPath"/> holds a template field.</summary>
    public static bool IsTemplate(string outputPath) => Fields.Any(f => outputPath.IndexOf(f, StringComparison.Ordinal) >= 0);

    /// <summary>Whether <paramref name="outputPath"/> names a folder: it exists as one, or ends in a path separator.</summary>
    public static bool IsFolder(string outputPath) =>
        Directory.Exists(outputPath) || outputPath.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)
        || outputPath.EndsWith(Path.AltDirectorySeparatorChar.ToString(), StringComparison.Ordinal);

    /// <summary>
    /// The output of <paramref name="inputPath"/>: <paramref name="outputPath"/> itself (a file), the default name in it
    /// (a folder) or next to the input (null), or the template filled in.
    /// </summary>
    public static string For(string inputPath, string? outputPath, double step)
    {
        if (outputPath is null)
        {
            return Path.Combine(Path.GetDirectoryName(inputPath) ?? ".", Fill(DefaultTemplate, inputPath, step));
        }

        if (IsTemplate(outputPath))
        {
            return Fill(outputPath, inputPath, step);
        }

        return IsFolder(outputPath) ? Path.Combine(outputPath, Fill(DefaultTemplate, inputPath, step)) : outputPath;
    }

    /// <summary>Refuses, before any work, two inputs that would write the same file (or an input overwritten by another's output).</summary>
    public static void CheckClashes(IReadOnlyList<(string Input, string Output)> pairs)
    {
        var comparer = OperatingSystemPaths;
        var byOutput = new Dictionary<string, string>(comparer);
        var inputs = new HashSet<string>(pairs.Select(p => Path.GetFullPath(p.Input)), comparer);
        foreach (var (input, output) in pairs)
        {
            string full = Path.GetFullPath(output);
            if (byOutput.TryGetValue(full, out string? first))
            {
                throw new InvalidParameterException(ErrorIds.OutputClash,
                    $"'{input}' and '{first}' would both be written to '{full}'; give -OutputPath a folder or a template such as '{{BaseName}}_compressed.pb'.");
            }

            if (inputs.Contains(full))
            {
                throw new InvalidParameterException(ErrorIds.OutputClash, $"The output of '{input}' would be '{full}', which is an input of this command.");
            }

            byOutput[full] = input;
        }
    }

    private static string Fill(string template, string inputPath, double step)
    {
        string name = Path.GetFileName(inputPath);
        return template
            .Replace("{BaseName}", Path.GetFileNameWithoutExtension(name))
            .Replace("{Name}", name)
            .Replace("{Extension}", Path.GetExtension(name))
            .Replace("{Step}", step.ToString("R", CultureInfo.InvariantCulture));
    }

    // Windows and macOS file systems ignore case by default; Linux does not.
    private static StringComparer OperatingSystemPaths =>
        Path.DirectorySeparatorChar == '\\' || System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.OSX)
            ? StringComparer.OrdinalIgnoreCase
            : StringComparer.Ordinal;
}
