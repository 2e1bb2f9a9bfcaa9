using System.Diagnostics;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Fuzz;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Bounded, seeded mutation fuzzing of every reader (the CI half of the fuzzing; the coverage-guided
/// campaign is fuzz/run-campaign.sh). Every mutated input must either parse or be refused with a
/// DeepMdException — no other exception, no hang (10 s per case), no unbounded memory.
/// </summary>
[Collection(FuzzCollection.Name)]
public class FuzzTests
{
    private const int Cases = 2500;
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Targets() => new[] { "pb", "pbtxt", "import", "npy", "typeraw", "json" }.Select(t => new object[] { t });

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task MutatedInputsAreParsedOrRefusedCleanly(string target)
    {
        var run = FuzzTargets.All[target];
        var seeds = Seeds(target);
        var mutator = new Mutator(StableSeed(target));
        bool text = target is not ("pb" or "npy");
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        long peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
        for (int i = 0; i < Cases && failures.Count < 5; i++)
        {
            byte[] input = mutator.Mutate(seeds, text);
            var watch = Stopwatch.StartNew();
            var task = Task.Run(() => run(input));
            bool finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10))) == task;
            if (finished && task.Exception is { } ex)
            {
                failures.Add($"case {i}: {ex.InnerException!.GetType().Name}: {ex.InnerException.Message}");
                Save(target, i, input);
                continue;
            }

            watch.Stop();
            if (!finished)
            {
                failures.Add($"case {i}: no result after 10 s (hang)");
                Save(target, i, input);
            }

            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        long peakGrowth = Process.GetCurrentProcess().PeakWorkingSet64 - peakBefore;
        _output.WriteLine($"{target}: {Cases} cases, slowest {slowest.TotalMilliseconds:F0} ms, peak working set grew {peakGrowth >> 20} MiB");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // string.GetHashCode is randomised per process; the cases must be the same in every run.
    private static int StableSeed(string target)
    {
        int h = 20261126;
        foreach (char ch in target)
        {
            h = unchecked((h * 31) + ch);
        }

        return h;
    }

    private static void Save(string target, int i, byte[] input)
    {
        string dir = Path.Combine(TestData.RepoRoot, "out", "fuzz-failures");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, $"{target}-{i}.bin"), input);
    }

    /// <summary>The campaign's own seeds (fuzz/…/Seeds.cs), plus for graph targets a slice of a real legacy model.</summary>
    private static List<byte[]> Seeds(string target)
    {
        string dir = TestData.TempDir("seeds-" + target);
        DeepMdCompress.Fuzz.Seeds.Write(target, dir);
        var seeds = Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Directory.Delete(dir, true);
        if (TestData.Available && target is "pb" or "pbtxt" or "import")
        {
            // Cut at a node boundary so each case stays fast.
            string sea = File.ReadAllText(Path.Combine(TestData.SharedRoot, "models", "sea_012.pbtxt"));
            int cut = sea.IndexOf("\nnode {", 30_000, StringComparison.Ordinal);
            byte[] slice = System.Text.Encoding.UTF8.GetBytes(sea[..(cut + 1)]);
            seeds.Add(target == "pb" ? GraphFile.ParseText(slice).ToByteArray() : slice);
        }

        return seeds;
    }
}

/// <summary>
/// The fuzz cases time themselves (a hang is a case without a result after 10 s), so they run alone rather than next to
/// the corpus tests that load and evaluate whole models on both cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzzing (runs alone)";
}
