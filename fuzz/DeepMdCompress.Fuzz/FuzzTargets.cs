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
    };

    public static void GraphBinary(byte[] data) => Expect(() => GraphFile.Parse(data, GraphFormat.Binary, out _));

    public static void GraphText(byte[] data) => Expect(() => GraphFile.Parse(data, GraphFormat.Text, out _));

    /// <summary>Read (format detected from content) and introspect, as Import-FrozenModel does.</summary>
    public static void Import(byte[] data) => Expect(() =>
    {
        var graph = GraphFile.Parse(data, null, out var format);
        return FrozenModelReader.FromGraph(graph, null, format);
    });

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
