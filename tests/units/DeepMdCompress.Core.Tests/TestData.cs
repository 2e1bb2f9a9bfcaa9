using Xunit;
using System.Runtime.CompilerServices;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Locates the repository and deepmd-kit's reference data in ../shared/testdata. Tests that need the
/// reference data call <see cref="Require"/>, which skips them with a clear message on a fresh clone.
/// </summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SharedRoot { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata"));

    public static bool Available => Directory.Exists(Path.Combine(SharedRoot, "models"));

    public const string SkipMessage = "deepmd-kit reference data not found at ../shared/testdata (a fresh clone has none); test skipped.";

    public static void Require() => Skip.IfNot(Available, SkipMessage);

    public static string Model(string name)
    {
        Require();
        return Path.Combine(SharedRoot, "models", name);
    }

    public static string Shared(params string[] parts)
    {
        Require();
        return Path.Combine(new[] { SharedRoot }.Concat(parts).ToArray());
    }

    /// <summary>Files under tests/data (committed, small, made by us).</summary>
    public static string Local(params string[] parts) => Path.Combine(new[] { RepoRoot, "tests", "data" }.Concat(parts).ToArray());

    public static IEnumerable<object[]> SharedModels(string pattern)
    {
        if (!Available)
        {
            // A theory needs at least one row; the row skips itself.
            yield return new object[] { "(none)" };
            yield break;
        }

        foreach (var f in Directory.GetFiles(Path.Combine(SharedRoot, "models"), pattern).OrderBy(f => f, StringComparer.Ordinal))
        {
            yield return new object[] { Path.GetFileName(f) };
        }
    }

    public static string TempDir([CallerMemberName] string name = "")
    {
        string dir = Path.Combine(Path.GetTempPath(), "deepmdcompress-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepMdCompress.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (DeepMdCompress.psd1) above " + AppContext.BaseDirectory);
    }
}
