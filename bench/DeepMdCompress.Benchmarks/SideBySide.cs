using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// The jobs of the water suite: this checkout and, when the run was started with <c>--baseline &lt;worktree&gt;</c>,
/// the same benchmark source built against that worktree's core (6816ae0, issue 16's reference point) as the
/// baseline job. Both are measured in one run, so the Ratio column is a side-by-side figure; the benchmark
/// source uses only API that both builds have (with BASELINE marking the few calls whose signature changed).
/// </summary>
public sealed class SideBySideConfig : ManualConfig
{
    /// <summary>Root of the baseline worktree, set by Program from <c>--baseline</c>.</summary>
    public static string? BaselineRoot { get; set; }

    /// <summary>The commit the baseline worktree is expected to hold (Run-Benchmarks.ps1 checks it out).</summary>
    public const string BaselineCommit = "6816ae0";

    public SideBySideConfig()
    {
        HideColumns("Arguments", "Error");
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
        var job = Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(10);
        AddJob(job.WithId("main"));
        if (BaselineRoot is not null)
        {
            string core = Path.Combine(BaselineRoot, "src", "DeepMdCompress.Core", "DeepMdCompress.Core.csproj");
            AddJob(job.WithId(BaselineCommit).AsBaseline().WithArguments(new BenchmarkDotNet.Jobs.Argument[]
            {
                new MsBuildArgument($"/p:DeepMdCoreProject={core}"),
                new MsBuildArgument("/p:DeepMdBaseline=true"),

                // Its own obj/ and bin/: BenchmarkDotNet builds both jobs at once, from the same project file.
                new MsBuildArgument("/p:BaseIntermediateOutputPath=obj/baseline/"),
                new MsBuildArgument("/p:BaseOutputPath=bin/baseline/"),
            }));
        }
    }
}
