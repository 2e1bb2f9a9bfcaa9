using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Model;
using Xunit;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// The evaluator's results are the same bits whatever the thread count and whether its fused kernels run
/// (docs/evaluator.md#speed): every corpus graph, original and (where the corpus has it) dp-compressed, on one
/// thread and two, and on one thread with the fusions disabled.
/// </summary>
public sealed class EvaluatorDeterminismTests
{
    [SkippableTheory]
    [MemberData(nameof(RealCorpus.Models), MemberType = typeof(RealCorpus))]
    public void Same_bits_on_one_or_two_threads_fused_or_not(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        string caseName = corpus.CaseNames[0];
        var graphs = new List<string> { corpus.OriginalPb };
        if (corpus.HasDpGraph)
        {
            graphs.Add(corpus.DpGraphPb);
        }

        foreach (string graph in graphs)
        {
            var model = FrozenModelReader.Load(graph);
            var serial = CorpusEvaluation.Evaluate(model, corpus, caseName, threads: 1);
            var parallel = CorpusEvaluation.Evaluate(model, corpus, caseName, threads: 2);
            var unfused = CorpusEvaluation.Evaluate(model, corpus, caseName, WithoutFusions(), threads: 1);
            foreach (var (quantity, values) in serial)
            {
                AssertSameBits(values, parallel[quantity], $"{folder} {Path.GetFileName(graph)} {quantity}, 2 threads");
                AssertSameBits(values, unfused[quantity], $"{folder} {Path.GetFileName(graph)} {quantity}, unfused");
            }
        }
    }

    /// <summary>
    /// Many frames on two threads run side by side in runs of a few frames; every frame's outputs are the bits of
    /// the serial evaluation of all frames in one run.
    /// </summary>
    [SkippableFact]
    public void Frames_in_parallel_give_the_serial_bits()
    {
        var corpus = RealCorpus.Load("water_std");
        var model = FrozenModelReader.Load(corpus.OriginalPb);
        var frames = EvaluationFrames.FromSystem(Path.Combine(TestData.SharedRoot, "systems", "model_compression", "data"), model.TypeMap, 0, 0, maxFrames: 12);
        IReadOnlyList<ModelOutput> Run(int threads) => new DeepPotEvaluator(model) { MaxDegreeOfParallelism = threads }
            .Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box, frames: frames.Frames);
        var serial = Run(1);
        var parallel = Run(2);
        Assert.Equal(12, parallel.Count);
        for (int f = 0; f < serial.Count; f++)
        {
            Assert.Equal(serial[f].Frame, parallel[f].Frame);
            AssertSameBits(new[] { serial[f].Energy }, new[] { parallel[f].Energy }, $"frame {f} energy");
            AssertSameBits(serial[f].Force!, parallel[f].Force!, $"frame {f} force");
            AssertSameBits(serial[f].Virial!, parallel[f].Virial!, $"frame {f} virial");
            AssertSameBits(serial[f].AtomVirial!, parallel[f].AtomVirial!, $"frame {f} atom virial");
        }
    }

    /// <summary>The default kernels, but the fused ops' wrapped, so the interpreter fuses nothing.</summary>
    internal static OpRegistry WithoutFusions()
    {
        var registry = OpRegistry.CreateDefault();
        foreach (string op in new[] { "MatMul", "Tanh", "TanhGrad", "Pad", "AddN", "ConcatV2", "Slice", "Reshape" })
        {
            Assert.True(registry.TryGet(op, out var kernel));
            registry.Register(op, (ctx, x) => kernel(ctx, x));
        }

        return registry;
    }

    private static void AssertSameBits(double[] expected, double[] actual, string label)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
            {
                Assert.Fail($"{label}: element {i} is {actual[i]:R}, not {expected[i]:R}");
            }
        }
    }
}
