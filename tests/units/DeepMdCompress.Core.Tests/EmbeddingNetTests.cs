using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>Embedding nets: activations, layer kinds, values and derivatives (docs/tables.md#embedding-nets), reading from graphs, refusals.</summary>
public class EmbeddingNetTests
{
    public static IEnumerable<object[]> Activations() =>
        Enum.GetValues<EmbeddingActivation>().Select(a => new object[] { a });

    // ---------------------------------------------------------------- docs/tables.md#embedding-nets literally, as the test's own reference

    private static double Phi(EmbeddingActivation a, double x) => a switch
    {
        EmbeddingActivation.Tanh => Math.Tanh(x),
        EmbeddingActivation.Gelu or EmbeddingActivation.GeluTf => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * Math.Pow(x, 3)))),
        EmbeddingActivation.Relu => Math.Max(0, x),
        EmbeddingActivation.Relu6 => Math.Min(6, Math.Max(0, x)),
        EmbeddingActivation.Softplus => Math.Log(1 + Math.Exp(x)),
        EmbeddingActivation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>The first and second derivatives of each activation as deepmd-kit's derivative ops define them, written out literally (docs/tables.md#embedding-nets).</summary>
    private static (double G, double GG) Table(EmbeddingActivation a, double x, double y)
    {
        const double c = 0.7978845608028654, ga = 0.044715;
        switch (a)
        {
            case EmbeddingActivation.Tanh:
                return (1 - y * y, -2 * y * (1 - y * y));
            case EmbeddingActivation.Gelu:
            case EmbeddingActivation.GeluTf:
            {
                double v = Math.Tanh(c * (x + ga * x * x * x));
                double q = c * (1 - v * v) * (3 * ga * x * x + 1);
                return (0.5 * c * x * (1 - v * v) * (3 * ga * x * x + 1) + 0.5 * v + 0.5,
                    3 * ga * c * x * x * (1 - v * v) - c * x * q * (3 * ga * x * x + 1) * v + q);
            }

            case EmbeddingActivation.Relu:
                return (x <= 0 ? 0 : 1, 0);
            case EmbeddingActivation.Relu6:
                return (x <= 0 || x >= 6 ? 0 : 1, 0);
            case EmbeddingActivation.Softplus:
                return (1 - 1 / (1 + Math.Exp(x)), Math.Exp(x) / Math.Pow(1 + Math.Exp(x), 2));
            case EmbeddingActivation.Sigmoid:
                return (y * (1 - y), y * (1 - y) * (1 - 2 * y));
            default:
                throw new ArgumentOutOfRangeException(nameof(a));
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationValuesAndDerivativesMatchTheClosedFormsAndFiniteDifferences(EmbeddingActivation a)
    {
        foreach (double x in new[] { -7.3, -2.5, -1.1, -0.3, 0.2, 0.9, 1.7, 3.2, 5.5, 6.8 })
        {
            double y = DeepMdCompress.Core.Embedding.Activations.Value(a, x);
            Assert.Equal(Phi(a, x), y, 14);
            DeepMdCompress.Core.Embedding.Activations.Derivatives(a, x, y, out double g, out double gg);
            var (tg, tgg) = Table(a, x, y);
            Assert.True(Math.Abs(g - tg) < 1e-14, $"{a} g({x}) = {g:R}, table {tg:R}");
            Assert.True(Math.Abs(gg - tgg) < 1e-14, $"{a} gg({x}) = {gg:R}, table {tgg:R}");

            const double h = 1e-5;
            double fdG = (Phi(a, x + h) - Phi(a, x - h)) / (2 * h);
            double fdGG = (Table(a, x + h, Phi(a, x + h)).G - Table(a, x - h, Phi(a, x - h)).G) / (2 * h);
            Assert.True(Math.Abs(g - fdG) < 1e-8, $"{a} g({x}) = {g:R}, finite difference {fdG:R}");
            Assert.True(Math.Abs(gg - fdGG) < 1e-7, $"{a} gg({x}) = {gg:R}, finite difference {fdGG:R}");
        }
    }

    [Fact]
    public void FastTanhStaysWithinTwoUlpOfMathTanh()
    {
        double worst = 0;
        for (int i = -200000; i <= 200000; i++)
        {
            double x = i * 1e-4 + 1e-9 * (i % 7);
            worst = Math.Max(worst, Math.Abs(DeepMdCompress.Core.Embedding.Activations.Tanh(x) - Math.Tanh(x)));
        }

        Assert.True(worst <= 2.3e-16, $"max |Tanh − Math.Tanh| = {worst:G3}");
        Assert.Equal(1.0, DeepMdCompress.Core.Embedding.Activations.Tanh(double.PositiveInfinity));
        Assert.Equal(-1.0, DeepMdCompress.Core.Embedding.Activations.Tanh(-800));
        Assert.True(double.IsNaN(DeepMdCompress.Core.Embedding.Activations.Tanh(double.NaN)));
    }

    /// <summary>The span tanh (vectors) gives the scalar's bits on every element, within 4.5e-16 of Math.Tanh over 24 decades.</summary>
    [Fact]
    public void SpanTanhEqualsTheScalarBitForBit()
    {
        var x = TanhArguments.Spread(5, 200_003, -12, 14);
        x[0] = 0;
        x[1] = double.NaN;
        x[2] = double.NegativeInfinity;
        x[3] = 1e-300;
        var y = new double[x.Length];
        DeepMdCompress.Core.Embedding.Activations.Tanh(x, y);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(DeepMdCompress.Core.Embedding.Activations.Tanh(x[i])), BitConverter.DoubleToInt64Bits(y[i]));
            if (!double.IsNaN(x[i]))
            {
                worst = Math.Max(worst, Math.Abs(y[i] - Math.Tanh(x[i])));
            }
        }

        Assert.True(worst <= 4.5e-16, $"max |Tanh − Math.Tanh| = {worst:G3}");
        Assert.True(double.IsNaN(y[1]));
        Assert.Equal(-1.0, y[2]);
        Assert.Equal(1e-300, y[3]);
    }

    [Fact]
    public void SoftplusAndSigmoidStayFiniteFarOut()
    {
        foreach (var a in new[] { EmbeddingActivation.Softplus, EmbeddingActivation.Sigmoid })
        {
            foreach (double x in new[] { -800.0, 800.0 })
            {
                double y = DeepMdCompress.Core.Embedding.Activations.Value(a, x);
                DeepMdCompress.Core.Embedding.Activations.Derivatives(a, x, y, out double g, out double gg);
                Assert.True(double.IsFinite(y) && double.IsFinite(g) && double.IsFinite(gg), $"{a}({x}) = {y}, {g}, {gg}");
            }
        }
    }

    [Theory]
    [InlineData("tanh", EmbeddingActivation.Tanh, 1)]
    [InlineData("GELU", EmbeddingActivation.Gelu, 2)]
    [InlineData("gelu_tf", EmbeddingActivation.GeluTf, 2)]
    [InlineData("relu", EmbeddingActivation.Relu, 3)]
    [InlineData("relu6", EmbeddingActivation.Relu6, 4)]
    [InlineData("softplus", EmbeddingActivation.Softplus, 5)]
    [InlineData("sigmoid", EmbeddingActivation.Sigmoid, 6)]
    public void ActivationNamesMapToDeepmdFunctypes(string name, EmbeddingActivation expected, int functype)
    {
        var a = DeepMdCompress.Core.Embedding.Activations.Parse(name);
        Assert.Equal(expected, a);
        Assert.Equal(functype, DeepMdCompress.Core.Embedding.Activations.FuncType(a));
    }

    [Theory]
    [InlineData("silu", "UnsupportedActivation")]
    [InlineData("linear", "UnsupportedActivation")]
    [InlineData("none", "UnsupportedActivation")]
    [InlineData(null, "UnknownActivation")]
    public void UntabulatableActivationsAreRefused(string? name, string id)
    {
        var ex = Assert.Throws<UnsupportedModelException>(() => DeepMdCompress.Core.Embedding.Activations.Parse(name));
        Assert.Equal(id, ex.ErrorId);
    }

    // ---------------------------------------------------------------- docs/tables.md#embedding-nets literally

    /// <summary>
    /// deepmd-kit's _make_data with its UnaggregatedDy(2)Dx(S) ops, written out from its definition: returns value, dy, d2y
    /// [n, L] and the smallest distance of any pre-activation from a relu/relu6 kink.
    /// </summary>
    private static (double[,] V, double[,] D, double[,] D2, double Kink) MakeData(EmbeddingNet net, double[] xs)
    {
        var a = net.Activation;
        int n = xs.Length;
        double kink = double.PositiveInfinity;
        void Track(double pre) => kink = Math.Min(kink, Math.Min(Math.Abs(pre), Math.Abs(pre - 6)));
        var l1 = net.Layers[0];
        var w1 = l1.GetWeights();
        var b1 = l1.GetBias();
        int n0 = l1.OutputWidth;
        var y = new double[n, n0];
        var dy = new double[n, n0];
        var d2y = new double[n, n0];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n0; j++)
            {
                double xbar = xs[i] * w1[j] + b1[j];
                Track(xbar);
                double act = Phi(a, xbar);
                double t = n0 == 1 || n0 == 2 ? xs[i] : 0;
                y[i, j] = act + t;
                var (g, gg) = Table(a, xbar, y[i, j] - t);
                dy[i, j] = g * w1[j] + (n0 <= 2 ? 1 : 0);      // DyDxS (+ 1 for the residual x or concat(x, x))
                d2y[i, j] = gg * w1[j] * w1[j];                 // Dy2DxS
            }
        }

        for (int l = 1; l < net.Layers.Count; l++)
        {
            var layer = net.Layers[l];
            var w = layer.GetWeights();
            var b = layer.GetBias();
            int inW = layer.InputWidth, outW = layer.OutputWidth;
            bool residual = outW == inW || outW == 2 * inW;
            var z = new double[n, outW];
            var dz = new double[n, outW];
            var d2z = new double[n, outW];
            for (int k = 0; k < n; k++)
            {
                for (int i = 0; i < outW; i++)
                {
                    double ybar = b[i], a1 = 0, a2 = 0;
                    double sum = 0;
                    for (int j = 0; j < inW; j++)
                    {
                        sum += y[k, j] * w[j * outW + i];
                        a1 += w[j * outW + i] * d2y[k, j];
                        a2 += w[j * outW + i] * dy[k, j];
                    }

                    ybar += sum;
                    Track(ybar);
                    double act = Phi(a, ybar);
                    double t = residual ? y[k, i % inW] : 0;
                    z[k, i] = act + t;
                    var (g, gg) = Table(a, ybar, z[k, i] - t);
                    dz[k, i] = g * a2 + (residual ? dy[k, i % inW] : 0);                    // DyDx
                    d2z[k, i] = g * a1 + gg * a2 * a2 + (residual ? d2y[k, i % inW] : 0);   // Dy2Dx
                }
            }

            (y, dy, d2y) = (z, dz, d2z);
        }

        return (y, dy, d2y, kink);
    }

    public static IEnumerable<object[]> LayerKindCases()
    {
        // first layer of width 1 (x + φ), of width 2 (concat(x, x) + φ), plain first layer with same-width and doubled
        // residual layers, and all-plain widths.
        int[][] shapes = { new[] { 1, 2, 4 }, new[] { 2, 4, 8 }, new[] { 3, 3, 6 }, new[] { 4, 5, 3 } };
        foreach (var a in Enum.GetValues<EmbeddingActivation>())
        {
            foreach (var s in shapes)
            {
                yield return new object[] { a, string.Join(",", s) };
            }
        }
    }

    [Theory]
    [MemberData(nameof(LayerKindCases))]
    public void NetDerivativesMatchDeepmdClosedFormsAndFiniteDifferences(EmbeddingActivation a, string shape)
    {
        int[] neuron = shape.Split(',').Select(int.Parse).ToArray();
        var net = TestNets.Random(neuron, a, seed: 11 * neuron.Sum() + (int)a);
        var expectedKinds = new List<EmbeddingLayerKind>();
        int w = 1;
        foreach (int d in neuron)
        {
            expectedKinds.Add(d == w ? EmbeddingLayerKind.Residual : d == 2 * w ? EmbeddingLayerKind.ResidualDoubled : EmbeddingLayerKind.Plain);
            w = d;
        }

        Assert.Equal(expectedKinds, net.Layers.Select(l => l.Kind));
        int L = net.LastLayerSize;
        double[] xs = Enumerable.Range(0, 23).Select(i => -2.0 + 0.43 * i + 0.0137 * i * i).ToArray();
        var v = new double[xs.Length * L];
        var d1 = new double[xs.Length * L];
        var d2 = new double[xs.Length * L];
        net.Evaluate(xs, v, d1, d2);
        var (rv, rd, rd2, _) = MakeData(net, xs);
        for (int i = 0; i < xs.Length; i++)
        {
            for (int k = 0; k < L; k++)
            {
                Close(rv[i, k], v[i * L + k], 1e-13, $"value x={xs[i]} k={k}");
                Close(rd[i, k], d1[i * L + k], 1e-13, $"dy/dx x={xs[i]} k={k}");
                Close(rd2[i, k], d2[i * L + k], 1e-12, $"d2y/dx2 x={xs[i]} k={k}");
            }
        }

        // Finite differences: of the value for dy/dx, of dy/dx for d²y/dx² (away from relu kinks).
        const double h = 1e-6;
        var vp = new double[L];
        var vm = new double[L];
        var dp = new double[L];
        var dm = new double[L];
        int checkedPoints = 0;
        foreach (double x in xs)
        {
            if (MakeData(net, new[] { x - 10 * h, x, x + 10 * h }).Kink < 1e-3)
            {
                continue;
            }

            checkedPoints++;
            net.Evaluate(x + h, vp, dp, Span<double>.Empty);
            net.Evaluate(x - h, vm, dm, Span<double>.Empty);
            var v0 = new double[L];
            var g0 = new double[L];
            var s0 = new double[L];
            net.Evaluate(x, v0, g0, s0);
            for (int k = 0; k < L; k++)
            {
                Close((vp[k] - vm[k]) / (2 * h), g0[k], 1e-7, $"dy/dx vs finite difference x={x} k={k}");
                Close((dp[k] - dm[k]) / (2 * h), s0[k], 1e-6, $"d2y/dx2 vs finite difference x={x} k={k}");
            }
        }

        Assert.True(checkedPoints >= xs.Length / 2, $"only {checkedPoints} points away from kinks");
    }

    private static void Close(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void SecondDerivativeCanBeSkippedAndBatchesMatchSinglePoints()
    {
        var net = TestNets.Random(new[] { 5, 10, 20 }, EmbeddingActivation.Tanh, 3);
        double[] xs = Enumerable.Range(0, 150).Select(i => -1 + 0.07 * i).ToArray(); // more than one internal chunk
        var v = new double[xs.Length * 20];
        var d = new double[xs.Length * 20];
        net.Evaluate(xs, v, d, Span<double>.Empty);
        var one = new double[20];
        var oneD = new double[20];
        net.Evaluate(xs[137], one, oneD, Span<double>.Empty);
        Assert.Equal(one, v.AsSpan(137 * 20, 20).ToArray());
        Assert.Equal(oneD, d.AsSpan(137 * 20, 20).ToArray());
        Assert.Throws<ArgumentException>(() => net.Evaluate(xs, new double[3], d, Span<double>.Empty));
    }

    // ---------------------------------------------------------------- nets from graphs

    [SkippableFact]
    public void DeepPotNetsAreReadWithTheirLayerKinds()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var nets = EmbeddingNetReader.ReadAll(model);
        Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" }, nets.Select(n => n.Name));
        var net = nets[2];
        Assert.Equal(EmbeddingActivation.Tanh, net.Activation);
        Assert.Equal(DataType.DtDouble, net.Precision);
        Assert.Equal(8, net.LastLayerSize);
        // neuron [2, 4, 8] on a scalar input: concat(x, x) + φ, then two doubling layers.
        Assert.Equal(new[] { EmbeddingLayerKind.ResidualDoubled, EmbeddingLayerKind.ResidualDoubled, EmbeddingLayerKind.ResidualDoubled }, net.Layers.Select(l => l.Kind));
        var graphW = new GraphIndex(model.GetGraphDef()).TryGetConst("filter_type_1/matrix_2_0")!;
        Assert.Equal(graphW.AsDoubleArray(), net.Layers[1].GetWeights());
        Assert.Same(model.EmbeddingNets[2], net.Info);

        var original = FrozenModelReader.Load(TestData.Model("dp-original.pbtxt"));
        var first = EmbeddingNetReader.Read(original, original.EmbeddingNets[0]);
        Assert.Equal(new[] { EmbeddingLayerKind.Plain, EmbeddingLayerKind.ResidualDoubled, EmbeddingLayerKind.ResidualDoubled }, first.Layers.Select(l => l.Kind));
    }

    [SkippableTheory]
    [InlineData("sea_012.pbtxt", "SingleLayerNet")]
    [InlineData("se_e2_a_tebd.pbtxt", "TypeEmbeddingConcatNotCompressible")]
    [InlineData("se_atten_no_atten_1.pbtxt", "TypeNetMissing")]
    public void SharedModelsThatCannotBeTabulatedAreRefused(string file, string id)
    {
        var model = FrozenModelReader.Load(TestData.Model(file));
        var ex = Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(model));
        Assert.Equal(id, ex.ErrorId);
    }

    private static FrozenModel Edit(Action<GraphDef> edit)
    {
        var graph = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt")).GetGraphDef().Clone();
        edit(graph);
        return FrozenModelReader.FromGraph(graph, null, GraphFormat.Binary);
    }

    private static NodeDef Const(string name, DataType type, double value) => new()
    {
        Name = name,
        Op = "Const",
        Attr =
        {
            ["dtype"] = new AttrValue { Type = type },
            ["value"] = new AttrValue { Tensor = new TensorProto { Dtype = type, TensorShape = new TensorShapeProto(), DoubleVal = { value } } },
        },
    };

    [SkippableFact]
    public void EditedModelsAreRefusedWithSpecificIds()
    {
        TestData.Require();
        var noBias = Edit(g => g.Node.Remove(g.Node.First(n => n.Name == "filter_type_0/bias_2_1")));
        Assert.Equal("MissingBias", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(noBias)).ErrorId);

        var idt = Edit(g => g.Node.Add(Const("filter_type_0/idt_2_0", DataType.DtDouble, 1.0)));
        Assert.Equal("ResnetDtNotCompressible", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(idt)).ErrorId);

        var unknown = Edit(g =>
        {
            foreach (var n in g.Node.Where(n => n.Op == "Tanh" && n.Name.StartsWith("filter_type_", StringComparison.Ordinal)))
            {
                n.Op = "Selu";
            }
        });
        Assert.Null(unknown.Activation);
        Assert.Equal("UnknownActivation", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(unknown)).ErrorId);

        var silu = Edit(g =>
        {
            var node = Const("train_attr/training_script", DataType.DtString, 0);
            node.Attr["value"].Tensor.DoubleVal.Clear();
            node.Attr["value"].Tensor.StringVal.Add(ByteString.CopyFromUtf8("{\"model\":{\"descriptor\":{\"type\":\"se_e2_a\",\"activation_function\":\"silu\"}}}"));
            g.Node.Add(node);
        });
        Assert.Equal("UnsupportedActivation", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(silu)).ErrorId);

        var compressed = Edit(g => g.Node.Add(new NodeDef { Name = "filter_type_0/TabulateFusionSeA", Op = "TabulateFusionSeA" }));
        Assert.Equal("AlreadyCompressed", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(compressed)).ErrorId);

        var concat = Edit(g =>
        {
            // A first layer fed with more than s(r) (type embedding concat mode): matrix_1 is [3, 2].
            var t = g.Node.First(n => n.Name == "filter_type_1/matrix_1_1").Attr["value"].Tensor;
            var values = new double[6];
            t.TensorShape.Dim[0].Size = 3;
            t.TensorContent = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        });
        Assert.Equal("TypeEmbeddingConcatNotCompressible", Assert.ThrowsAny<DeepMdException>(() => EmbeddingNetReader.ReadAll(concat)).ErrorId);
    }

    [SkippableFact]
    public void Float32WeightsGiveAFloat32Net()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var f32 = Float32Copy(model);
        Assert.Equal("float32", f32.Precision);
        var net64 = EmbeddingNetReader.Read(model, model.EmbeddingNets[0]);
        var net32 = EmbeddingNetReader.Read(f32, f32.EmbeddingNets[0]);
        Assert.Equal(DataType.DtFloat, net32.Precision);
        Assert.True(net32.IsFloat32);
        Assert.Equal(net64.Layers[2].GetWeights().Select(x => (double)(float)x), net32.Layers[2].GetWeights());
    }

    /// <summary>deeppot.pbtxt with every embedding-net weight and bias stored as DT_FLOAT (a float32 model).</summary>
    internal static FrozenModel Float32Copy(FrozenModel model)
    {
        var graph = model.GetGraphDef().Clone();
        foreach (var node in graph.Node.Where(n => n.Op == "Const" && n.Name.StartsWith("filter_type_", StringComparison.Ordinal)))
        {
            var t = node.Attr["value"].Tensor;
            if (t.Dtype != DataType.DtDouble)
            {
                continue;
            }

            var values = TensorDecoder.Decode(t).AsDoubleArray();
            t.Dtype = DataType.DtFloat;
            t.DoubleVal.Clear();
            t.TensorContent = ByteString.CopyFrom(values.SelectMany(v => BitConverter.GetBytes((float)v)).ToArray());
            node.Attr["dtype"].Type = DataType.DtFloat;
        }

        return FrozenModelReader.FromGraph(graph, null, GraphFormat.Binary);
    }
}
