using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Tests;

/// <summary>Small embedding nets built by the tests, and deepmd-kit's table ranges computed independently of the module.</summary>
internal static class TestNets
{
    /// <summary>A net with seeded random weights (deepmd-kit-like scale: std 1/√(d_in + d_out), biases of order 1).</summary>
    public static EmbeddingNet Random(int[] neuron, EmbeddingActivation activation, int seed, bool float32 = false, string name = "test_net")
    {
        var rng = new Random(seed);
        var layers = new List<EmbeddingLayer>();
        int dIn = 1;
        foreach (int dOut in neuron)
        {
            double scale = 1.0 / Math.Sqrt(dIn + dOut);
            var w = Enumerable.Range(0, dIn * dOut).Select(_ => Round(Normal(rng) * scale, float32)).ToArray();
            var b = Enumerable.Range(0, dOut).Select(_ => Round(Normal(rng), float32)).ToArray();
            layers.Add(new EmbeddingLayer(dIn, dOut, w, b));
            dIn = dOut;
        }

        return new EmbeddingNet(name, activation, float32 ? DataType.DtFloat : DataType.DtDouble, layers);
    }

    /// <summary>The same net with every weight rounded to float32 (a float32 model's net).</summary>
    public static EmbeddingNet ToFloat32(EmbeddingNet net) => new(net.Name, net.Activation, DataType.DtFloat,
        net.Layers.Select(l => new EmbeddingLayer(l.InputWidth, l.OutputWidth,
            l.GetWeights().Select(x => (double)(float)x).ToArray(), l.GetBias().Select(x => (double)(float)x).ToArray())).ToList(), net.Info);

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Round(double x, bool float32) => float32 ? (float)x : x;

    /// <summary>
    /// deepmd-kit's per-net range for two-side se_e2_a/se_e2_r (docs/tables.md#ranges), computed here from
    /// descrpt_attr/t_avg, t_std, rcut_smth and rcut: lower = floor(−davg/dstd), upper = ceil((sw/r − davg)/dstd) of the centre type.
    /// </summary>
    public static EmbeddingRange Ranges(FrozenModel model, double minNborDist)
    {
        var index = new GraphIndex(model.GetGraphDef());
        var avg = index.TryGetConst("descrpt_attr/t_avg")!;
        var std = index.TryGetConst("descrpt_attr/t_std")!.AsDoubleArray();
        var a = avg.AsDoubleArray();
        int nd = avg.Shape[1];
        double rmin = model.RcutSmth!.Value, rmax = model.Rcut!.Value;
        double u = (minNborDist - rmin) / (rmax - rmin);
        double sw = minNborDist < rmin ? 1 : minNborDist < rmax ? u * u * u * (-6 * u * u + 15 * u - 10) + 1 : 0;
        var nets = model.EmbeddingNets.Select(n =>
        {
            int i = n.CentreType;
            return new NetRange(n.Name, Math.Floor(-a[i * nd] / std[i * nd]), Math.Ceiling((sw / minNborDist - a[i * nd]) / std[i * nd]), n);
        }).ToList();
        return new EmbeddingRange(model, minNborDist, MinNborDistSource.Parameter, null, nets);
    }
}
