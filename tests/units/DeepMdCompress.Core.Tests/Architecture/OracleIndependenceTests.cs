using System.Text.RegularExpressions;
using Xunit;

namespace DeepMdCompress.Core.Tests.Architecture;

/// <summary>
/// The evaluator is the oracle (docs/architecture.md): it executes whatever graph it is given and shares no logic with
/// the code that builds tables or rewrites graphs, so a table-builder mistake cannot be checked by itself. These tests
/// read the source tree and fail on any namespace reference that crosses that line.
/// </summary>
public class OracleIndependenceTests
{
    private static readonly string CoreRoot = Path.Combine(TestData.RepoRoot, "src", "DeepMdCompress.Core");

    // What the evaluator may use: file and tensor I/O, the protobuf schema, the error catalogue, training-data readers.
    private static readonly string[] EvaluatorMayUse = { "Evaluation", "Graph", "Proto", "Errors", "Data" };

    // The code that measures ranges, builds tables and writes compressed graphs.
    private static readonly string[] BuilderFolders = { "Tabulation", "Compression", "Embedding", "Ranges", "Descriptors", "Sample" };

    // Builder files allowed to run the interpreter, and why that does not let the evaluator vouch for itself.
    private static readonly Dictionary<string, string> BuilderExceptions = new()
    {
        // Folds the type-embedding net's constant input (t_typeebd) as the graph computes it; the folded constant is
        // compared with dp's own constant (CompressedGraphLayoutTests), not with our evaluator.
        ["Descriptors/StripTypeEmbeddingSpec.cs"] = "folds t_typeebd",
    };

    private static readonly Regex CoreReference = new(@"\bDeepMdCompress\.Core\.(?<ns>[A-Za-z]+)\b", RegexOptions.Compiled);

    public static TheoryData<string> EvaluatorFiles() => Files("Evaluation");

    public static TheoryData<string> BuilderFiles()
    {
        var data = new TheoryData<string>();
        foreach (string folder in BuilderFolders)
        {
            foreach (string file in Paths(folder))
            {
                data.Add(file);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EvaluatorFiles))]
    public void EvaluatorUsesNoBuilderCode(string file)
    {
        var foreign = References(file).Where(ns => !EvaluatorMayUse.Contains(ns)).Distinct().ToList();
        Assert.True(foreign.Count == 0, $"{file} references DeepMdCompress.Core.{string.Join(", ", foreign)}");
    }

    [Theory]
    [MemberData(nameof(BuilderFiles))]
    public void BuilderUsesNoEvaluatorCode(string file)
    {
        bool usesEvaluator = References(file).Contains("Evaluation");
        Assert.True(!usesEvaluator || BuilderExceptions.ContainsKey(file), $"{file} references DeepMdCompress.Core.Evaluation");
    }

    [Fact]
    public void ExceptionsAreStillNeeded()
    {
        foreach (string file in BuilderExceptions.Keys)
        {
            Assert.Contains("Evaluation", References(file));
        }
    }

    [Fact]
    public void TheScanSeesTheEvaluatorAndTheBuilder()
    {
        // Guards the theories against an empty tree (a moved folder would otherwise pass vacuously).
        Assert.Contains("Evaluation/Kernels/TabulateKernels.cs", Paths("Evaluation"));
        Assert.Contains("Tabulation/TableBuilder.cs", Paths("Tabulation"));
        Assert.Contains("Graph", References("Evaluation/GraphInterpreter.cs"));
    }

    private static TheoryData<string> Files(string folder)
    {
        var data = new TheoryData<string>();
        foreach (string file in Paths(folder))
        {
            data.Add(file);
        }

        return data;
    }

    private static List<string> Paths(string folder) =>
        Directory.EnumerateFiles(Path.Combine(CoreRoot, folder), "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(CoreRoot, path).Replace('\\', '/'))
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToList();

    private static IEnumerable<string> References(string file) =>
        CoreReference.Matches(File.ReadAllText(Path.Combine(CoreRoot, file))).Select(m => m.Groups["ns"].Value).ToList();
}
