using System.Globalization;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// Where a frame's time goes, per op type, original against compressed (not a benchmark: one process, wall time of
/// each kernel through GraphInterpreter.NodeTimed, averaged over a few frames after warm-up). It explains the
/// ratios EvaluatorBenchmarks measures on water_std: what compression removes and what both graphs still share.
///   dotnet run -c Release --project bench/DeepMdCompress.Benchmarks -- --profile [atoms]
/// </summary>
internal static class OpProfile
{
    private const int Warmup = 3, Top = 14;
    private static readonly int Frames = int.TryParse(Environment.GetEnvironmentVariable("PROFILE_FRAMES"), out int f) ? f : 5;
    private static readonly int Threads = int.TryParse(Environment.GetEnvironmentVariable("PROFILE_THREADS"), out int t) ? t : 1;

    public static void Run(int atoms)
    {
        foreach (string model in new[] { "original", "compressed" })
        {
            var original = WaterStd.Original();
            var evaluator = new DeepMdCompress.Core.Evaluation.DeepPotEvaluator(model == "original" ? original : WaterStd.Compressed(original)) { MaxDegreeOfParallelism = Threads };
            var frames = WaterStd.Frame(atoms);
            for (int i = 0; i < Warmup; i++)
            {
                evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box);
            }

            var byOp = new Dictionary<string, (double Seconds, int Nodes)>();
            var byNode = new Dictionary<string, double>();
            var allocatedBy = new Dictionary<string, long>();
            long before = GC.GetAllocatedBytesForCurrentThread();
            evaluator.Interpreter.NodeTimed = (NodeDef node, TimeSpan t) =>
            {
                long now = GC.GetAllocatedBytesForCurrentThread();
                allocatedBy[node.Op] = allocatedBy.GetValueOrDefault(node.Op) + now - before;
                before = now;
                byOp.TryGetValue(node.Op, out var s);
                byOp[node.Op] = (s.Seconds + t.TotalSeconds, s.Nodes + 1);
                string key = node.Op + " " + node.Name;
                byNode[key] = byNode.TryGetValue(key, out double n) ? Math.Min(n, t.TotalSeconds) : t.TotalSeconds;
            };
            long allocated = GC.GetTotalAllocatedBytes(true);
            int[] collections = { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
            var wall = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < Frames; i++)
            {
                evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box);
            }

            wall.Stop();
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  allocated {0:F1} MB/frame; collections gen0 {1}, gen1 {2}, gen2 {3}",
                (GC.GetTotalAllocatedBytes(true) - allocated) / 1e6 / Frames, GC.CollectionCount(0) - collections[0], GC.CollectionCount(1) - collections[1], GC.CollectionCount(2) - collections[2]));
            evaluator.Interpreter.NodeTimed = null;
            double total = byOp.Values.Sum(v => v.Seconds);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}, {1} atoms: {2:F1} ms/frame wall, {3:F1} ms/frame in kernels",
                model, atoms, wall.Elapsed.TotalMilliseconds / Frames, 1000 * total / Frames));
            foreach (var (op, (seconds, nodes)) in byOp.OrderByDescending(kv => kv.Value.Seconds).Take(Top).Select(kv => (kv.Key, kv.Value)))
            {
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-28} {1,8:F1} ms/frame {2,5:P0}  ({3} nodes)",
                    op, 1000 * seconds / Frames, seconds / total, nodes / Frames));
            }

            if (Threads == 1)
            {
                // On one thread every allocation between two kernels' reports is the later kernel's (or the interpreter's).
                Console.WriteLine("  allocated per frame, largest: " + string.Join(", ", allocatedBy.OrderByDescending(kv => kv.Value).Take(6)
                    .Select(kv => string.Format(CultureInfo.InvariantCulture, "{0} {1:F0} KB", kv.Key, kv.Value / 1e3 / Frames))));
            }

            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  fastest frame of each node, summed: {0:F1} ms", 1000 * byNode.Values.Sum()));
            if (Environment.GetEnvironmentVariable("PROFILE_NODES") is string top)
            {
                foreach (var kv in byNode.OrderByDescending(kv => kv.Value).Take(int.Parse(top, CultureInfo.InvariantCulture)))
                {
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "    {0,8:F2} ms  {1}", 1000 * kv.Value, kv.Key));
                }
            }
        }
    }
}
