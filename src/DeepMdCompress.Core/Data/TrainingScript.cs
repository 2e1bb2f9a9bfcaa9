using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Data;

/// <summary>
/// The parts of a deepmd-kit training script (input.json) that range measurement needs: the training systems,
/// the set prefix, the model's type map and the descriptor's cutoffs. Reads both the current layout
/// (<c>training.training_data.systems</c>) and the older one (<c>training.systems</c>).
/// </summary>
public sealed class TrainingScript
{
    /// <summary>Largest script accepted, in bytes.</summary>
    public const long MaxBytes = 64L << 20;

    private TrainingScript(string? path, string baseDirectory, IReadOnlyList<string> systems, bool systemsIsString, string setPrefix)
    {
        Path = path;
        BaseDirectory = baseDirectory;
        Systems = systems;
        SystemsIsString = systemsIsString;
        SetPrefix = setPrefix;
    }

    /// <summary>Full path of the script file (null when parsed from text).</summary>
    public string? Path { get; }

    /// <summary>The folder relative system paths are resolved against first (the script's folder).</summary>
    public string BaseDirectory { get; }

    /// <summary>The system entries exactly as written in the script.</summary>
    public IReadOnlyList<string> Systems { get; }

    /// <summary>True when the script gives one string (a folder searched for systems) rather than a list.</summary>
    public bool SystemsIsString { get; }

    /// <summary>deepmd-kit's <c>set_prefix</c> (default "set").</summary>
    public string SetPrefix { get; }

    public string[]? TypeMap { get; private set; }

    public string? DescriptorType { get; private set; }

    public double? Rcut { get; private set; }

    public double? RcutSmth { get; private set; }

    public static TrainingScript Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new DataFileException(ErrorIds.TrainingScriptNotFound, $"The training script {path} does not exist.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".yaml" or ".yml")
        {
            throw new DataFileException(ErrorIds.TrainingScriptUnsupportedFormat,
                $"{path} is a YAML training script; only JSON scripts are read (convert it with: dp convert-input or any YAML-to-JSON tool).") { Target = path };
        }

        long length = new FileInfo(path).Length;
        if (length > MaxBytes)
        {
            throw new DataFileException(ErrorIds.TrainingScriptInvalid, $"{path} is {length} bytes (limit {MaxBytes}).", DeepMdErrorKind.LimitsExceeded) { Target = path };
        }

        return Parse(File.ReadAllText(path), System.IO.Path.GetDirectoryName(path)!, path);
    }

    /// <summary>Parses script text; <paramref name="baseDirectory"/> is where relative system paths are looked up first.</summary>
    public static TrainingScript Parse(string json, string baseDirectory, string? path = null)
    {
        string name = path ?? "the training script";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new DataFileException(ErrorIds.TrainingScriptInvalid,
                $"{name} is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}") { Target = path };
        }

        using (doc)
        {
            var root = doc.RootElement;
            var training = Get(root, "training");
            // Current layout first; deepmd-kit's update_deepmd_input maps the v1 layout (training.systems) onto it.
            var data = Get(training, "training_data");
            var systems = Get(data, "systems") ?? Get(training, "systems");
            var prefix = Get(data, "set_prefix") ?? Get(training, "set_prefix");
            if (systems is null)
            {
                string why = Get(training, "data_dict") is not null || Get(Get(root, "model"), "model_dict") is not null
                    ? " (a multi-task script; give the systems with -TrainingData instead)"
                    : string.Empty;
                throw new DataFileException(ErrorIds.TrainingScriptNoSystems, $"{name} has no training.training_data.systems (nor the older training.systems){why}.") { Target = path };
            }

            List<string> entries;
            bool isString = systems.Value.ValueKind == JsonValueKind.String;
            if (isString)
            {
                entries = new List<string> { systems.Value.GetString()! };
            }
            else if (systems.Value.ValueKind == JsonValueKind.Array && systems.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            {
                entries = systems.Value.EnumerateArray().Select(e => e.GetString()!).ToList();
            }
            else
            {
                throw new DataFileException(ErrorIds.TrainingScriptInvalid, $"{name}: training systems must be a string or a list of strings.") { Target = path };
            }

            if (entries.Count == 0 || entries.Any(string.IsNullOrWhiteSpace))
            {
                throw new DataFileException(ErrorIds.TrainingScriptNoSystems, $"{name} lists no (or an empty) training system.") { Target = path };
            }

            string setPrefix = prefix is { ValueKind: JsonValueKind.String } p && !string.IsNullOrEmpty(p.GetString()) ? p.GetString()! : "set";
            var script = new TrainingScript(path, baseDirectory, entries, isString, setPrefix);
            var model = Get(root, "model");
            if (Get(model, "type_map") is { ValueKind: JsonValueKind.Array } tm && tm.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            {
                script.TypeMap = tm.EnumerateArray().Select(e => e.GetString()!).ToArray();
            }

            var descriptor = Get(model, "descriptor");
            script.DescriptorType = Get(descriptor, "type") is { ValueKind: JsonValueKind.String } dt ? dt.GetString() : null;
            script.Rcut = Get(descriptor, "rcut") is { ValueKind: JsonValueKind.Number } rc ? rc.GetDouble() : null;
            script.RcutSmth = Get(descriptor, "rcut_smth") is { ValueKind: JsonValueKind.Number } rs ? rs.GetDouble() : null;
            return script;
        }
    }

    /// <summary>
    /// The system folders the script names, found and expanded as deepmd-kit does (see <see cref="SystemLocator"/>).
    /// A relative entry is looked up in the script's folder, then in <paramref name="workingDirectory"/> (deepmd-kit
    /// resolves against the directory it runs in), then in the parent folders of the script's folder (deepmd-kit's own
    /// test scripts name systems relative to the folder the tests run from).
    /// </summary>
    public IReadOnlyList<string> ResolveSystems(string? workingDirectory)
    {
        var result = new List<string>();
        var searched = new List<string>();
        foreach (string entry in Systems)
        {
            string folder = Locate(entry, workingDirectory);
            searched.Add(folder);
            result.AddRange(SystemLocator.Expand(folder));
        }

        if (result.Count == 0)
        {
            // The target is the folder that held no system (the script that named it is in the message).
            throw new DataFileException(ErrorIds.NoSystemFound,
                $"No data system (a folder with type.raw) was found under {string.Join(", ", searched)} named by {Path ?? "the training script"}.", DeepMdErrorKind.ObjectNotFound)
            {
                Target = searched.Count == 1 ? searched[0] : Path,
            };
        }

        return result;
    }

    private string Locate(string entry, string? workingDirectory)
    {
        if (System.IO.Path.IsPathRooted(entry))
        {
            return Directory.Exists(entry) ? System.IO.Path.GetFullPath(entry)
                : throw new DataFileException(ErrorIds.SystemNotFound, $"The training system {entry} named by {Path ?? "the training script"} does not exist.", DeepMdErrorKind.ObjectNotFound) { Target = entry };
        }

        var tried = new List<string> { System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDirectory, entry)) };
        if (workingDirectory is not null)
        {
            tried.Add(System.IO.Path.GetFullPath(System.IO.Path.Combine(workingDirectory, entry)));
        }

        for (var dir = Directory.GetParent(BaseDirectory); dir is not null; dir = dir.Parent)
        {
            tried.Add(System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, entry)));
        }

        foreach (string candidate in tried)
        {
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DataFileException(ErrorIds.SystemNotFound,
            $"The training system '{entry}' named by {Path ?? "the training script"} was not found; looked in: {string.Join(", ", tried.Distinct())}.", DeepMdErrorKind.ObjectNotFound) { Target = entry };
    }

    private static JsonElement? Get(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;
}

/// <summary>Finds data systems below a folder the way deepmd-kit's <c>expand_sys_str</c> does.</summary>
public static class SystemLocator
{
    /// <summary>Deepest folder level searched.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most systems one folder may expand to.</summary>
    public const int MaxSystems = 100_000;

    /// <summary>
    /// Every folder at or below <paramref name="folder"/> that holds a <c>type.raw</c> file: the sub-folders in
    /// ordinal order, then the folder itself (deepmd-kit 3.x expands each entry of a system list this way; 3.0
    /// expanded only a single string). Symbolic links to folders are not followed, so link loops cannot hang the search.
    /// A folder with set.* folders but no type.raw anywhere is the MissingTypeRaw error.
    /// </summary>
    public static IReadOnlyList<string> Expand(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new DataFileException(ErrorIds.SystemNotFound, $"The data folder {folder} does not exist.", DeepMdErrorKind.ObjectNotFound) { Target = folder };
        }

        var found = new List<string>();
        Walk(folder, 0, found);
        if (File.Exists(Path.Combine(folder, "type.raw")))
        {
            found.Add(folder);
        }
        else if (found.Count == 0 && Directory.GetDirectories(folder, "set.*").Length > 0)
        {
            // It has sets, so it was meant as a system: say what is missing rather than "no system found".
            throw new DataFileException(ErrorIds.MissingTypeRaw, $"The data system {folder} has no type.raw (one integer type per atom).", DeepMdErrorKind.ObjectNotFound) { Target = folder };
        }

        return found;
    }

    private static void Walk(string dir, int depth, List<string> found)
    {
        if (depth >= MaxDepth)
        {
            return;
        }

        string[] children;
        try
        {
            children = Directory.GetDirectories(dir);
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        Array.Sort(children, StringComparer.Ordinal);
        foreach (string child in children)
        {
            if ((File.GetAttributes(child) & FileAttributes.ReparsePoint) != 0)
            {
                continue;
            }

            if (File.Exists(Path.Combine(child, "type.raw")))
            {
                found.Add(child);
                if (found.Count > MaxSystems)
                {
                    throw new DataFileException(ErrorIds.TooManySystems, $"More than {MaxSystems} data systems were found below {dir}.", DeepMdErrorKind.LimitsExceeded) { Target = dir };
                }
            }

            Walk(child, depth + 1, found);
        }
    }
}
