using System.Globalization;
using System.Text.Json;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// deepmd-kit's compressed graph without its big constants (a corpus folder's dp-compressed.digest.json): every node
/// with op, inputs and attrs (attrs in TensorFlow's text form, e.g. "type: DT_DOUBLE", "i: 40"); every Const's dtype
/// and shape, its values when small, else sha256/min/max; for every table the TabulateFusion node it feeds and 12
/// sampled rows.
/// </summary>
public sealed class DpDigest
{
    private readonly Dictionary<string, DigestNode> _byName;

    public DpDigest(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Nodes = doc.RootElement.GetProperty("nodes").EnumerateArray().Select(n => new DigestNode(n.Clone())).ToArray();
        _byName = Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<DigestNode> Nodes { get; }

    public DigestNode? Find(string name) => _byName.TryGetValue(name, out var n) ? n : null;

    public DigestNode this[string name] => _byName[name];

    /// <summary>The TabulateFusion* forward nodes (not their Grad), in graph order.</summary>
    public IEnumerable<DigestNode> TabulateNodes => Nodes.Where(n => n.Op.StartsWith("TabulateFusion", StringComparison.Ordinal) && !n.Op.Contains("Grad"));

    /// <summary>The table Const feeding <paramref name="tabulate"/> (its first input).</summary>
    public DigestNode TableOf(DigestNode tabulate) => this[Source(tabulate.Inputs[0])];

    /// <summary>The table_info values of <paramref name="tabulate"/> (its second input).</summary>
    public double[] TableInfoOf(DigestNode tabulate) => this[Source(tabulate.Inputs[1])].Values
        ?? throw new InvalidOperationException($"table_info of {tabulate.Name} has no values in the digest.");

    public static string Source(string input)
    {
        string s = input.StartsWith('^') ? input[1..] : input;
        int colon = s.LastIndexOf(':');
        return colon > 0 && int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _) ? s[..colon] : s;
    }
}

/// <summary>One node of a <see cref="DpDigest"/>.</summary>
public sealed class DigestNode
{
    private readonly JsonElement _json;

    internal DigestNode(JsonElement json)
    {
        _json = json;
        Name = json.GetProperty("name").GetString()!;
        Op = json.GetProperty("op").GetString()!;
        Inputs = json.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Attrs = json.TryGetProperty("attr", out var a)
            ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public string Name { get; }

    public string Op { get; }

    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Attr name → TensorFlow text form of its value ("type: DT_DOUBLE", "i: 40", "b: true").</summary>
    public IReadOnlyDictionary<string, string> Attrs { get; }

    public string? DType => _json.TryGetProperty("dtype", out var d) ? d.GetString() : null;

    public int[]? Shape => _json.TryGetProperty("shape", out var s) ? s.EnumerateArray().Select(e => e.GetInt32()).ToArray() : null;

    /// <summary>A Const's values, flattened (a scalar gives one value), when the digest stores them.</summary>
    public double[]? Values => _json.TryGetProperty("value", out var v) ? Flatten(v).ToArray() : null;

    public string? Sha256 => _json.TryGetProperty("sha256", out var s) ? s.GetString() : null;

    /// <summary>For a Const stored by digest: its smallest and largest value.</summary>
    public double? Min => _json.TryGetProperty("min", out var m) ? m.GetDouble() : null;

    /// <inheritdoc cref="Min"/>
    public double? Max => _json.TryGetProperty("max", out var m) ? m.GetDouble() : null;

    /// <summary>For a table Const: the TabulateFusion node it feeds.</summary>
    public string? TableFor => _json.TryGetProperty("table_for", out var t) ? t.GetString() : null;

    /// <summary>For a table Const: row index → that row's 6·L coefficients.</summary>
    public IReadOnlyDictionary<int, double[]> SampledRows => _json.TryGetProperty("sampled_rows", out var rows)
        ? rows.EnumerateObject().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => RealCorpus.Doubles(p.Value))
        : new Dictionary<int, double[]>();

    public override string ToString() => $"{Name} ({Op})";

    private static IEnumerable<double> Flatten(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in v.EnumerateArray())
            {
                foreach (double d in Flatten(e))
                {
                    yield return d;
                }
            }
        }
        else if (v.ValueKind == JsonValueKind.Number)
        {
            yield return v.GetDouble();
        }
        else if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            yield return v.GetBoolean() ? 1 : 0;
        }
    }
}
