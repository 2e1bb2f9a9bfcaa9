using System.Text.Json;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// The real deepmd-kit corpus in ../shared/testdata/real (models trained, frozen and compressed by deepmd-kit 3.2.0
/// and 2.2.11, with the numbers deepmd-kit computes for them; docs/testing.md). One test case per model folder: a
/// new folder adds cases without a code change. Where the corpus is absent (a fresh clone) each theory has one row
/// that skips with a clear message; where it is present, a file the folder should have and lacks is a failure.
/// </summary>
public static class RealCorpus
{
    public static string Root { get; } = Path.Combine(TestData.SharedRoot, "real");

    public static bool Available => Directory.Exists(Root);

    public const string SkipMessage = "real deepmd-kit corpus not found at ../shared/testdata/real (a fresh clone has none); test skipped.";

    /// <summary>Placeholder row of a theory when the corpus is absent.</summary>
    public const string None = "(corpus absent)";

    /// <summary>Model folders relative to <see cref="Root"/> ("se_e2_a", "v2.2/se_e3"): every folder holding an expected.json.</summary>
    public static IReadOnlyList<string> Folders { get; } = FindFolders();

    /// <summary>One row per model folder (or one skipping row), for <c>[MemberData]</c>.</summary>
    public static IEnumerable<object[]> Models() => Rows(_ => true);

    /// <summary>One row per model folder that deepmd-kit compressed.</summary>
    public static IEnumerable<object[]> AcceptedModels() => Rows(f => Load(f).Accepted);

    /// <summary>One row per model folder that deepmd-kit refused to compress.</summary>
    public static IEnumerable<object[]> RefusedModels() => Rows(f => !Load(f).Accepted);

    /// <summary>One row per model folder that has dp's whole compressed graph at step 0.05.</summary>
    public static IEnumerable<object[]> ModelsWithDpGraph() => Rows(f => Load(f).HasDpGraph);

    /// <summary>One row per (model folder, case) pair.</summary>
    public static IEnumerable<object[]> ModelCases()
    {
        if (!Available)
        {
            yield return new object[] { None, None };
            yield break;
        }

        foreach (string f in Folders)
        {
            foreach (string c in Load(f).CaseNames)
            {
                yield return new object[] { f, c };
            }
        }
    }

    /// <summary>Skips the calling test when the corpus is absent or the row is the placeholder.</summary>
    public static void Require(string folder)
    {
        Skip.If(!Available || folder == None, SkipMessage);
    }

    private static readonly Dictionary<string, CorpusModel> Cache = new(StringComparer.Ordinal);

    /// <summary>The model of <paramref name="folder"/>; fails (never skips) when a required file is missing.</summary>
    public static CorpusModel Load(string folder)
    {
        Require(folder);
        lock (Cache)
        {
            if (!Cache.TryGetValue(folder, out var model))
            {
                Cache[folder] = model = new CorpusModel(folder, Path.Combine(Root, folder));
            }

            return model;
        }
    }

    private static readonly Dictionary<string, CorpusFrame> Frames = new(StringComparer.Ordinal);

    /// <summary>A case of cases/ (water192_f0, …): coordinates, types, box.</summary>
    public static CorpusFrame Case(string name)
    {
        lock (Frames)
        {
            if (!Frames.TryGetValue(name, out var frame))
            {
                string path = Path.Combine(Root, "cases", name + ".json");
                Assert.True(File.Exists(path), $"The corpus names case '{name}' but {path} is missing.");
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                var r = doc.RootElement;
                Frames[name] = frame = new CorpusFrame(name, Doubles(r.GetProperty("coord")),
                    r.GetProperty("atype").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    r.TryGetProperty("pbc", out var pbc) && pbc.ValueKind == JsonValueKind.False ? null : Doubles(r.GetProperty("box")));
            }

            return frame;
        }
    }

    /// <summary>
    /// The brief's tolerance for a quantity with reference values <paramref name="reference"/>: float64
    /// 1e-12·max(1, max|r|) + 1e-10, float32 1e-6·max(1, max|r|) + 1e-6.
    /// </summary>
    public static double Tolerance(IReadOnlyList<double> reference, bool float32)
    {
        double scale = Math.Max(1.0, reference.Count == 0 ? 0.0 : reference.Max(Math.Abs));
        return float32 ? 1e-6 * scale + 1e-6 : 1e-12 * scale + 1e-10;
    }

    /// <summary>Largest |a − b| over two equally long arrays (NaN anywhere gives +∞).</summary>
    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(b.Count, a.Count);
        double worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d))
            {
                return double.PositiveInfinity;
            }

            worst = Math.Max(worst, d);
        }

        return worst;
    }

    internal static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static IEnumerable<object[]> Rows(Func<string, bool> keep)
    {
        if (!Available)
        {
            yield return new object[] { None };
            yield break;
        }

        foreach (string f in Folders.Where(keep))
        {
            yield return new object[] { f };
        }
    }

    private static IReadOnlyList<string> FindFolders()
    {
        if (!Available)
        {
            return Array.Empty<string>();
        }

        return Directory.EnumerateFiles(Root, "expected.json", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, Path.GetDirectoryName(p)!).Replace('\\', '/'))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
    }
}

/// <summary>A frame of the corpus's cases/ folder.</summary>
public sealed record CorpusFrame(string Name, double[] Coordinates, int[] AtomTypes, double[]? Box);

/// <summary>One model folder of the real corpus: its files and what deepmd-kit computed and decided for it.</summary>
public sealed class CorpusModel
{
    private readonly JsonElement _expected;

    internal CorpusModel(string id, string directory)
    {
        Id = id;
        Directory = directory;
        _expected = ReadJson(Require("expected.json"));
        Require("input.json");
        Require("original.pb");
        Kind = _expected.GetProperty("kind").GetString()!;
        Accepted = _expected.GetProperty("dp_compress").GetString() == "accepted";
        if (Accepted)
        {
            Require("dp-compressed.digest.json");
        }

        CaseNames = _expected.GetProperty("cases").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        HasDpGraph = CaseNames.Any(c => _expected.GetProperty("cases").GetProperty(c).TryGetProperty(DpGraphKey, out _));
        if (HasDpGraph)
        {
            Require("dp-compressed-s0.05.pb");
        }

        FrameParameters = OptionalDoubles("fparam");
        AtomParametersPerAtom = OptionalDoubles("aparam_per_atom");
        using var script = JsonDocument.Parse(File.ReadAllText(InputJson));
        IsFloat32 = script.RootElement.GetRawText().Contains("\"precision\": \"float32\"", StringComparison.Ordinal)
            || script.RootElement.GetRawText().Contains("\"precision\":\"float32\"", StringComparison.Ordinal);
    }

    /// <summary>Key of the outputs of dp's graph compressed at step 0.05 in expected.json's cases.</summary>
    public const string DpGraphKey = "dp_compressed_s0.05";

    /// <summary>Folder relative to the corpus root, e.g. "v2.2/se_e3".</summary>
    public string Id { get; }

    public string Directory { get; }

    /// <summary>"ener", "dipole" or "polar".</summary>
    public string Kind { get; }

    /// <summary>Whether <c>dp compress</c> accepted the model.</summary>
    public bool Accepted { get; }

    /// <summary>deepmd-kit's last lines when it refused.</summary>
    public IReadOnlyList<string> Refusal => _expected.TryGetProperty("dp_refusal", out var r)
        ? r.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray()
        : Array.Empty<string>();

    public IReadOnlyList<string> CaseNames { get; }

    public bool HasDpGraph { get; }

    public bool IsFloat32 { get; }

    /// <summary>deepmd-kit 3.x (true) or 2.2 (false) made this folder.</summary>
    public bool IsV3 => !Id.StartsWith("v2.2/", StringComparison.Ordinal);

    public double[]? FrameParameters { get; }

    public double[]? AtomParametersPerAtom { get; }

    public string OriginalPb => Path.Combine(Directory, "original.pb");

    public string InputJson => Path.Combine(Directory, "input.json");

    public string DigestJson => Path.Combine(Directory, "dp-compressed.digest.json");

    public string DpGraphPb => Path.Combine(Directory, "dp-compressed-s0.05.pb");

    /// <summary>
    /// What deepmd-kit computed for <paramref name="caseName"/> on the graph <paramref name="graph"/> ("original",
    /// "dp_compressed" or <see cref="DpGraphKey"/>): quantity name → flattened values.
    /// </summary>
    public IReadOnlyDictionary<string, double[]> Expected(string caseName, string graph)
    {
        var c = _expected.GetProperty("cases").GetProperty(caseName);
        Assert.True(c.TryGetProperty(graph, out var g), $"{Id}/expected.json has no cases.{caseName}.{graph}.");
        return g.EnumerateObject().ToDictionary(p => p.Name, p => RealCorpus.Doubles(p.Value), StringComparer.Ordinal);
    }

    public bool HasExpected(string caseName, string graph) =>
        _expected.GetProperty("cases").GetProperty(caseName).TryGetProperty(graph, out _);

    /// <summary>The per-atom parameters expanded to <paramref name="natoms"/> atoms (the corpus gives one value shared by all).</summary>
    public double[]? AtomParameters(int natoms) =>
        AtomParametersPerAtom is { } a ? Enumerable.Range(0, natoms).SelectMany(_ => a).ToArray() : null;

    public override string ToString() => Id;

    private string Require(string file)
    {
        string path = Path.Combine(Directory, file);
        Assert.True(File.Exists(path), $"Corpus folder {Id} lacks {file} ({path}); the corpus README says every such folder has it.");
        return path;
    }

    private double[]? OptionalDoubles(string name) =>
        _expected.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? RealCorpus.Doubles(v) : null;

    private static JsonElement ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }
}
