using System.Text;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Fuzz;

/// <summary>
/// One entry point per reader. A target returns normally for valid input and for input refused with a
/// <see cref="DeepMdException"/> (a clear, specific error is the expected outcome for garbage); any other
/// exception, a crash or a hang is a finding.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.OrdinalIgnoreCase)
    {
        ["pb"] = GraphBinary,
        ["pbtxt"] = GraphText,
        ["import"] = Import,
        ["npy"] = Npy,
        ["typeraw"] = TypeRaw,
        ["json"] = Json,
    };

    // One scratch data system per process: type.raw is rewritten per input, set.000 stays a valid 3-atom frame.
    private static readonly Lazy<string> ScratchSystem = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "deepmdcompress-fuzz-" + Environment.ProcessId);
        Directory.CreateDirectory(Path.Combine(dir, "set.000"));
        File.WriteAllBytes(Path.Combine(dir, "set.000", "coord.npy"), Seeds.Npy(new double[] { 0, 0, 0, 1, 0, 0, 0, 1.5, 0 }, 1, 9));
        File.WriteAllBytes(Path.Combine(dir, "set.000", "box.npy"), Seeds.Npy(new double[] { 10, 0, 0, 0, 10, 0, 0, 0, 10 }, 1, 9));
        File.WriteAllText(Path.Combine(dir, "type_map.raw"), "O H\n");
        return dir;
    });

    public static void GraphBinary(byte[] data) => Expect(() => GraphFile.Parse(data, GraphFormat.Binary, out _));

    public static void GraphText(byte[] data) => Expect(() => GraphFile.Parse(data, GraphFormat.Text, out _));

    /// <summary>Read (format detected from content) and introspect, as Import-FrozenModel does.</summary>
    public static void Import(byte[] data) => Expect(() =>
    {
        var graph = GraphFile.Parse(data, null, out var format);
        return FrozenModelReader.FromGraph(graph, null, format);
    });

    public static void Npy(byte[] data) => Expect(() => NpyReader.ReadDoubles(new MemoryStream(data, writable: false), "fuzz.npy", out _));

    /// <summary>type.raw through the data-system reader, then the frames, as min_nbor_dist reads them.</summary>
    public static void TypeRaw(byte[] data) => Expect(() =>
    {
        string dir = ScratchSystem.Value;
        File.WriteAllBytes(Path.Combine(dir, "type.raw"), data);
        var system = DataSystem.Open(dir);
        foreach (var set in system.Sets)
        {
            foreach (var frame in set.ReadFrames(system.AtomTypes))
            {
                _ = frame.Coord.Length;
            }
        }

        return system;
    });

    /// <summary>The training-script JSON (parsed, not resolved: resolving searches folders named by the script).</summary>
    public static void Json(byte[] data) => Expect(() => TrainingScript.Parse(Encoding.UTF8.GetString(data), Path.GetTempPath()));

    private static void Expect<T>(Func<T> action)
    {
        try
        {
            action();
        }
        catch (DeepMdException)
        {
            // The reader refused the input with a specific error: correct behaviour.
        }
    }
}
