using BenchmarkDotNet.Running;
using DeepMdCompress.Benchmarks;

// Run with: dotnet run -c Release --project bench/DeepMdCompress.Benchmarks -- --filter '*'
// Side by side with 6816ae0: ./bench/Run-Benchmarks.ps1 -Baseline (adds --baseline <worktree>).
// Per-op time of a frame, original vs compressed: ... -- --profile [atoms]
int at = Array.IndexOf(args, "--baseline");
if (at >= 0)
{
    SideBySideConfig.BaselineRoot = Path.GetFullPath(args[at + 1]);
    args = args.Where((_, i) => i != at && i != at + 1).ToArray();
}

#if !BASELINE
if (args.Length > 0 && args[0] == "--profile")
{
    OpProfile.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1536);
    return;
}
#endif

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
