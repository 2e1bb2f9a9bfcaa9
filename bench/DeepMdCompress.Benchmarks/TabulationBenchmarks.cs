using BenchmarkDotNet.Attributes;
using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Benchmarks;

/// <summary>
/// Time and allocations to tabulate a water-size se_e2_a model the way dp compress does: 2 types (4 two-side nets),
/// neuron [25, 50, 100], tanh, range [−1, 15], step 0.01, extrapolate 5 (2200 rows × 600 columns per table),
/// including the error measurement at the quarter points of every row. Weights are seeded random numbers.
/// </summary>
[MemoryDiagnoser]
public class TabulationBenchmarks
{
    private IReadOnlyList<Tabulator.NetJob> _jobs = Array.Empty<Tabulator.NetJob>();

    [GlobalSetup]
    public void Setup()
    {
        _jobs = Enumerable.Range(0, 4)
            .Select(i => new Tabulator.NetJob(RandomNet(new[] { 25, 50, 100 }, 1000 + i), $"filter_{i / 2}_net_{i % 2}", -1, 15))
            .ToList();
    }

    [Benchmark]
    public long TabulateWaterSizeSeA()
    {
        var result = Tabulator.TabulateNets(_jobs, TableLayout.Standard, new TabulationSettings { Step = 0.01, Extrapolate = 5 }, 0, null, default);
        return result.Tables.Sum(t => t.Bytes);
    }

    private static EmbeddingNet RandomNet(int[] neuron, int seed)
    {
        var rng = new Random(seed);
        var layers = new List<EmbeddingLayer>();
        int dIn = 1;
        foreach (int dOut in neuron)
        {
            // deepmd-kit's embedding init: weights N(0, 1/√(d_in + d_out)), biases N(0, 1).
            double scale = 1.0 / Math.Sqrt(dIn + dOut);
            layers.Add(new EmbeddingLayer(dIn, dOut,
                Enumerable.Range(0, dIn * dOut).Select(_ => Normal(rng) * scale).ToArray(),
                Enumerable.Range(0, dOut).Select(_ => Normal(rng)).ToArray()));
            dIn = dOut;
        }

        return new EmbeddingNet($"net_{seed}", EmbeddingActivation.Tanh, DataType.DtDouble, layers);
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
