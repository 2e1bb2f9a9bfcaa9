using System.Globalization;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// Where a frame's time goes, per op type, original against compressed (not a benchmark: one process, wall time of
/// each kernel through GraphInterpreter.NodeTimed, averaged over a few frames after warm-up). It explains the
/// ratios EvaluatorBenchmarks measures: what compression removes and what both graphs still share.
///   dotnet run -c Release --project bench/DeepMdCompress.Benchmarks -- --profile [atoms]
/// </summary>
internal static class OpProfile
{
    private const int Warmup = 3, Frames = 5, Top = 10;

    public static void Run(int atoms)
    {
        foreach (string model in new[] { "original", "compressed" })
        {
            var (evaluator, frames) = EvaluatorBenchmarks.Create(model, atoms);
            for (int i = 0; i < Warmup; i++)
            {
                evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box);
            }

            var byOp = new Dictionary<string, (double Seconds, int Nodes)>();
            evaluator.Interpreter.NodeTimed = (NodeDef node, TimeSpan t) =>
            {
                byOp.TryGetValue(node.Op, out var s);
                byOp[node.Op] = (s.Seconds + t.TotalSeconds, s.Nodes + 1);
            };
            var wall = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < Frames; i++)
            {
                evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box);
            }

            wall.Stop();
            evaluator.Interpreter.NodeTimed = null;
            double total = byOp.Values.Sum(v => v.Seconds);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}, {1} atoms: {2:F1} ms/frame wall, {3:F1} ms/frame in kernels",
                model, atoms, wall.Elapsed.TotalMilliseconds / Frames, 1000 * total / Frames));
            foreach (var (op, (seconds, nodes)) in byOp.OrderByDescending(kv => kv.Value.Seconds).Take(Top).Select(kv => (kv.Key, kv.Value)))
            {
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-28} {1,8:F1} ms/frame {2,5:P0}  ({3} nodes)",
                    op, 1000 * seconds / Frames, seconds / total, nodes / Frames));
            }
        }
    }
}
