using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// The jobs of the water suite: this checkout and, when the run was started with <c>--baseline &lt;worktree&gt;</c>,
/// the same benchmark source built against that worktree's core (by default 6816ae0, issue 16's reference point) as the
/// baseline job. Both are measured in one run, so the Ratio column is a side-by-side figure; the benchmark
/// source uses only API that both builds have (with BASELINE marking the few calls whose signature changed).
/// </summary>
public sealed class SideBySideConfig : ManualConfig
{
    /// <summary>Root of the baseline worktree, set by Program from <c>--baseline</c>.</summary>
    public static string? BaselineRoot { get; set; }

    /// <summary>The baseline job's name: the commit in the worktree's folder name (Run-Benchmarks.ps1 makes deepmdcompress-&lt;commit&gt;).</summary>
    public static string BaselineId => BaselineRoot is null ? "baseline" : Path.GetFileName(BaselineRoot.TrimEnd('/', '\\')).Replace("deepmdcompress-", string.Empty);

    public SideBySideConfig()
    {
        HideColumns("Arguments", "Error");
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
        var job = Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(10);
        AddJob(job.WithId("main"));
        if (BaselineRoot is not null)
        {
            string core = Path.Combine(BaselineRoot, "src", "DeepMdCompress.Core", "DeepMdCompress.Core.csproj");
            AddJob(job.WithId(BaselineId).AsBaseline().WithArguments(new BenchmarkDotNet.Jobs.Argument[]
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
