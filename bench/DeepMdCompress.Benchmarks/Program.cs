using BenchmarkDotNet.Running;
using DeepMdCompress.Benchmarks;

// Run with: dotnet run -c Release --project bench/DeepMdCompress.Benchmarks -- --filter '*'
// Per-op time of a frame, original vs compressed: ... -- --profile [atoms]
if (args.Length > 0 && args[0] == "--profile")
{
    OpProfile.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1536);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
