using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Tests.Real;
using Xunit;
using static DeepMdCompress.Core.Tests.TestGraph;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// A resnet layer, concat([x, x]) + Reshape(tanh(x·W + b)), and its input gradient, AddN(Slices of dy,
/// MatMul(TanhGrad(y, dz), Wᵀ)), run as fused kernels with the bits of the nodes run one by one
/// (docs/evaluator.md#speed), on graphs of our own, so without the real corpus.
/// </summary>
public sealed class EvaluatorFusionTests
{
    public static IEnumerable<object[]> Cases()
    {
        // 37 rows: the few-row path; 700: blocks of 256 rows and a partial one. The product first or last among
        // the AddN's terms; with and without its TanhGrad; one thread and two.
        foreach (int m in new[] { 37, 700 })
        {
            foreach (int position in new[] { 0, 2 })
            {
                foreach (bool tanhGrad in new[] { true, false })
                {
                    foreach (int threads in new[] { 1, 2 })
                    {
                        yield return new object[] { m, position, tanhGrad, threads };
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DenseGradientSumHasTheBitsOfItsNodes(int m, int position, bool tanhGrad, int threads)
    {
        const int k = 9, n = 13; // neither a multiple of the vector width nor of a 12-column strip
        var rng = new Random((m * 7) + position + (tanhGrad ? 1 : 0));
        double[] Values(int count, int width)
        {
            var v = new double[count];
            for (int i = 0; i < count; i++)
            {
                // Runs of repeated rows, as an atom's padding neighbours give, exercise the repeated-row shortcut.
                int row = i / width;
                v[i] = row % 5 >= 3 ? v[i - width] : (rng.NextDouble() * 2) - 1;
            }

            return v;
        }

        var g = new TestGraph();
        g.Placeholder("y", DataType.DtDouble);
        g.Placeholder("dz", DataType.DtDouble);
        g.Placeholder("dy", DataType.DtDouble);
        g.D("w", Values(n * k, k), n, k);
        g.I("b0", new[] { 0, 0 }, 2);
        g.I("b1", new[] { 0, n }, 2);
        g.I("size", new[] { -1, n }, 2);
        if (tanhGrad)
        {
            g.Op("tg", "TanhGrad", new[] { "y", "dz" });
        }

        g.Op("mm", "MatMul", new[] { tanhGrad ? "tg" : "y", "w" }, B("transpose_b", true));
        g.Op("s0", "Slice", new[] { "dy", "b0", "size" });
        g.Op("s1", "Slice", new[] { "dy", "b1", "size" });
        g.Op("sum", "AddN", position == 0 ? new[] { "mm", "s0", "s1" } : new[] { "s0", "s1", "mm" });
        var feeds = new Dictionary<string, TensorValue>
        {
            ["y"] = Shapes.Of(Values(m * k, k), m, k),
            ["dz"] = Shapes.Of(Values(m * k, k), m, k),
            ["dy"] = Shapes.Of(Values(m * 2 * n, 2 * n), m, 2 * n),
        };

        var ran = new List<string>();
        var fused = new GraphInterpreter(g.Def) { MaxDegreeOfParallelism = threads, NodeTimed = (node, _) => ran.Add(node.Name) };
        var f = (double[])fused.Run(feeds, new[] { "sum" })[0].Data;
        Assert.Equal(new[] { "sum" }, ran.Where(name => name is "tg" or "mm" or "s0" or "s1" or "sum")); // all inside the AddN's kernel
        var plain = (double[])new GraphInterpreter(g.Def, EvaluatorDeterminismTests.WithoutFusions()) { MaxDegreeOfParallelism = 1 }
            .Run(feeds, new[] { "sum" })[0].Data;
        Assert.Equal(plain.Select(BitConverter.DoubleToInt64Bits), f.Select(BitConverter.DoubleToInt64Bits));

        // And the value itself, from the definitions.
        double[] y = (double[])feeds["y"].Data, dz = (double[])feeds["dz"].Data, dy = (double[])feeds["dy"].Data;
        var w = (double[])TensorDecoder.Decode(g.Def.Node.First(node => node.Name == "w").Attr["value"].Tensor).Data;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double a = tanhGrad ? dz[(i * k) + p] * (1 - (y[(i * k) + p] * y[(i * k) + p])) : y[(i * k) + p];
                    s += a * w[(j * k) + p];
                }

                double expected = dy[(i * 2 * n) + j] + dy[(i * 2 * n) + n + j] + s;
                Assert.True(Math.Abs(expected - f[(i * n) + j]) <= 1e-12, $"row {i} column {j}: {f[(i * n) + j]:R}, expected {expected:R}");
            }
        }
    }

    public static IEnumerable<object[]> ResnetCases() =>
        from m in new[] { 37, 700 } from threads in new[] { 1, 2 } select new object[] { m, threads };

    [Theory]
    [MemberData(nameof(ResnetCases))]
    public void ResnetSumHasTheBitsOfItsNodes(int m, int threads)
    {
        const int k = 7, n = 2 * k;
        var rng = new Random(m);
        double[] Values(int count, int width)
        {
            var v = new double[count];
            for (int i = 0; i < count; i++)
            {
                v[i] = (i / width) % 5 >= 3 ? v[i - width] : (rng.NextDouble() * 2) - 1;
            }

            return v;
        }

        var g = ResnetLayer(Values(k * n, n), Values(n, n), k, n);
        g.Op("c", "ConcatV2", new[] { "x", "x", "axis" });
        g.Op("s", "AddV2", new[] { "c", "r" });
        g.Op("cshape", "Shape", new[] { "c" }); // TF's Add gradient reads the concatenation's shape
        g.Op("o", "Identity", new[] { "s" }); // the next layer reads the sum
        var feeds = new Dictionary<string, TensorValue> { ["x"] = Shapes.Of(Values(m * k, k), m, k) };

        var ran = new List<string>();
        var fused = new GraphInterpreter(g.Def) { MaxDegreeOfParallelism = threads, NodeTimed = (node, _) => ran.Add(node.Name) };
        var f = fused.Run(feeds, new[] { "o", "cshape", "t" });
        Assert.Equal(new[] { "t" }, ran.Where(name => name is "mm" or "ba" or "t" or "c" or "s")); // all inside the layer's kernel
        var plain = new GraphInterpreter(g.Def, EvaluatorDeterminismTests.WithoutFusions()) { MaxDegreeOfParallelism = 1 }
            .Run(feeds, new[] { "o", "cshape", "t" });
        Assert.Equal(((double[])plain[0].Data).Select(BitConverter.DoubleToInt64Bits), ((double[])f[0].Data).Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(((double[])plain[2].Data).Select(BitConverter.DoubleToInt64Bits), ((double[])f[2].Data).Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(new[] { m, n }, f[1].Data is int[] s1 ? s1 : ((long[])f[1].Data).Select(v => (int)v).ToArray());

        var x = (double[])feeds["x"].Data;
        var w = (double[])TensorDecoder.Decode(g.Def.Node.First(node => node.Name == "w").Attr["value"].Tensor).Data;
        var b = (double[])TensorDecoder.Decode(g.Def.Node.First(node => node.Name == "b").Attr["value"].Tensor).Data;
        var sum = (double[])f[0].Data;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double pre = b[j];
                for (int p = 0; p < k; p++)
                {
                    pre += x[(i * k) + p] * w[(p * n) + j];
                }

                double expected = x[(i * k) + (j % k)] + Math.Tanh(pre);
                Assert.True(Math.Abs(expected - sum[(i * n) + j]) <= 1e-12, $"row {i} column {j}: {sum[(i * n) + j]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void TwoResnetSumsOfOneLayerKeepTheirBits()
    {
        // Two concatenations of the layer's input each added to the layer (the second with the layer first): one joins
        // the layer's kernel, the other stays a concat-sum of its own, and the result keeps the nodes' bits.
        const int m = 300, k = 4, n = 8;
        var rng = new Random(5);
        double[] Values(int count) => Enumerable.Range(0, count).Select(_ => (rng.NextDouble() * 2) - 1).ToArray();
        var g = ResnetLayer(Values(k * n), Values(n), k, n);
        g.Op("c1", "ConcatV2", new[] { "x", "x", "axis" });
        g.Op("s1", "AddV2", new[] { "c1", "r" });
        g.Op("c2", "ConcatV2", new[] { "x", "x", "axis" });
        g.Op("s2", "AddV2", new[] { "r", "c2" });
        g.Op("o", "Mul", new[] { "s1", "s2" });
        var feeds = new Dictionary<string, TensorValue> { ["x"] = Shapes.Of(Values(m * k), m, k) };
        var fused = (double[])new GraphInterpreter(g.Def).Run(feeds, new[] { "o" })[0].Data;
        var plain = (double[])new GraphInterpreter(g.Def, EvaluatorDeterminismTests.WithoutFusions()).Run(feeds, new[] { "o" })[0].Data;
        Assert.Equal(plain.Select(BitConverter.DoubleToInt64Bits), fused.Select(BitConverter.DoubleToInt64Bits));
    }

    /// <summary>
    /// An embedding net's layer as TensorFlow writes it: r = Reshape(tanh(x·w + b), [−1, n]) with x a placeholder
    /// [m, k], and the constant axis 1 for the resnet's concatenation.
    /// </summary>
    private static TestGraph ResnetLayer(double[] w, double[] b, int k, int n)
    {
        var g = new TestGraph();
        g.Placeholder("x", DataType.DtDouble);
        g.D("w", w, k, n);
        g.D("b", b, n);
        g.Op("mm", "MatMul", new[] { "x", "w" });
        g.Op("ba", "BiasAdd", new[] { "mm", "b" });
        g.Op("t", "Tanh", new[] { "ba" });
        g.I("shape", new[] { -1, n }, 2);
        g.Op("r", "Reshape", new[] { "t", "shape" });
        g.I("axis", new[] { 1 });
        return g;
    }
}
