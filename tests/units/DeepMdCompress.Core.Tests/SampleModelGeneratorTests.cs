using System.Text.Json;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tests.Sample;
using DeepMdCompress.Core.Validation;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class SampleModelGeneratorTests
{
    /// <summary>Standard and deepmd-kit ops of the shipped reference models (docs/testing.md, union).</summary>
    private static readonly HashSet<string> CensusOps = new(StringComparer.Ordinal)
    {
        "Add", "AddN", "AddV2", "BatchMatMul", "BatchMatMulV2", "BiasAdd", "BroadcastGradientArgs", "Cast", "ConcatOffset",
        "ConcatV2", "Const", "DynamicStitch", "Fill", "FloorDiv", "FloorMod", "GatherV2", "GreaterEqual", "Identity", "MatMul",
        "MatrixDiag", "Maximum", "Mean", "Minimum", "Mul", "OneHot", "Pack", "Pad", "Placeholder", "Prod", "Range", "RealDiv",
        "Reshape", "Shape", "ShapeN", "Slice", "StridedSlice", "Sub", "Sum", "Tanh", "TanhGrad", "Tile", "Transpose",
        "ProdEnvMatA", "ProdEnvMatR", "ProdEnvMatAMix", "ProdForceSeA", "ProdForceSeR", "ProdVirialSeA", "ProdVirialSeR",
        "DescrptNorot", "ProdForceNorot", "ProdVirialNorot",
    };

    /// <summary>
    /// Ops an activation other than tanh adds, with the gradient op TensorFlow (or deepmd-kit, for GeluCustom) registers;
    /// Pow for TF's composite gelu (gelu_tf).
    /// </summary>
    private static readonly Dictionary<string, string[]> ActivationOps = new(StringComparer.Ordinal)
    {
        ["tanh"] = Array.Empty<string>(),
        ["gelu"] = new[] { "GeluCustom", "GeluGradCustom" },
        ["gelu_tf"] = new[] { "Pow" },
        ["relu"] = new[] { "Relu", "ReluGrad" },
        ["relu6"] = new[] { "Relu6", "Relu6Grad" },
        ["softplus"] = new[] { "Softplus", "SoftplusGrad" },
        ["sigmoid"] = new[] { "Sigmoid", "SigmoidGrad" },
    };

    public static IEnumerable<object[]> Matrix()
    {
        foreach (string d in new[] { "se_e2_a", "se_e2_r", "se_e3" })
        {
            foreach (string act in SampleModelOptions.Activations)
            {
                foreach (string prec in SampleModelOptions.Precisions)
                {
                    foreach (bool oneSide in d == "se_e3" ? new[] { false } : new[] { false, true })
                    {
                        foreach (bool exclude in d == "se_e3" ? new[] { false } : new[] { false, true })
                        {
                            yield return new object[] { d, act, prec, oneSide, exclude };
                        }
                    }
                }
            }
        }
    }

    private static SampleModelOptions Options(string d, string act, string prec, bool oneSide, bool exclude) =>
        exclude ? SampleHarness.Small(d, act, prec, oneSide, new[] { 0, 1 }) : SampleHarness.Small(d, act, prec, oneSide);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void GraphIsSoundAndIntrospectionReportsTheConfiguration(string descriptor, string activation, string precision, bool oneSide, bool exclude)
    {
        var o = Options(descriptor, activation, precision, oneSide, exclude);
        var graph = SampleModelGenerator.Generate(o);

        // Loadable by TensorFlow, and only ops of the shipped models' census plus the activation's own ops.
        Assert.Empty(GraphValidator.FindProblems(graph));
        Assert.All(graph.Node, n => Assert.True(CensusOps.Contains(n.Op) || ActivationOps[activation].Contains(n.Op), $"{n.Name}: op {n.Op}"));
        Assert.All(ActivationOps[activation], op => Assert.Contains(graph.Node, n => n.Op == op));

        var m = FrozenModelReader.FromGraph(graph, null, GraphFormat.Binary);
        Assert.Equal(descriptor, m.DescriptorType);
        Assert.Equal(descriptor == "se_e2_r" ? "ProdEnvMatR" : "ProdEnvMatA", m.DescriptorOp);
        Assert.Equal(new[] { "O", "H" }, m.TypeMap);
        Assert.Equal(2, m.NTypes);
        Assert.Equal(6.0, m.Rcut);
        Assert.Equal(0.5, m.RcutSmth);
        Assert.Equal(new[] { 3, 4 }, m.Sel);
        Assert.Equal(new[] { 4, 8, 16 }, m.EmbeddingNeuron);
        Assert.All(m.EmbeddingNets, n => Assert.Equal(new[] { 4, 8, 16 }, n.Neuron));
        Assert.Equal(activation, m.Activation);
        Assert.Equal(precision, m.Precision);
        Assert.Equal(new[] { 8, 8 }, m.FittingNeuron);
        Assert.Equal(0.9, m.MinNborDist);
        Assert.Equal("ener", m.ModelType);
        Assert.Equal("1.1", m.ModelVersion);
        Assert.Equal("original_model", m.RootModelType);
        Assert.False(m.IsCompressed);
        Assert.False(m.ResnetDt);
        Assert.Equal(0, m.DimFParam);
        Assert.Equal(0, m.DimAParam);
        Assert.Equal(SampleModelGenerator.TrainingScript(o), m.TrainingScript);
        if (descriptor == "se_e3")
        {
            Assert.Null(m.TypeOneSide);
            Assert.Empty(m.ExcludeTypes!);
            Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_1" }, m.EmbeddingNets.Select(n => n.Name));
        }
        else
        {
            Assert.Equal(oneSide, m.TypeOneSide);
            Assert.Equal(exclude ? new[] { new[] { 0, 1 } } : Array.Empty<int[]>(), m.ExcludeTypes);
            var expectedNets = oneSide ? new[] { "filter_-1_net_0", "filter_-1_net_1" }
                : exclude ? new[] { "filter_0_net_0", "filter_1_net_1" }
                : new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" };
            Assert.Equal(expectedNets, m.EmbeddingNets.Select(n => n.Name));
        }

        Assert.DoesNotContain(m.Notes, n => !n.StartsWith("TypeOneSide: not applicable", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("se_e2_a", "relu", false, false)]
    [InlineData("se_e2_a", "gelu_tf", true, false)]
    [InlineData("se_e2_a", "gelu", false, true)]
    [InlineData("se_e2_r", "sigmoid", false, true)]
    [InlineData("se_e2_r", "relu6", true, false)]
    [InlineData("se_e3", "softplus", false, false)]
    public void GraphAloneTellsTheConfigurationWithoutTheTrainingScript(string descriptor, string activation, bool oneSide, bool exclude)
    {
        var o = Options(descriptor, activation, "float32", oneSide, exclude);
        var graph = SampleModelGenerator.Generate(o);
        var stripped = graph.Clone();
        stripped.Node.Remove(stripped.Node.Single(n => n.Name == "train_attr/training_script"));
        var m = FrozenModelReader.FromGraph(stripped, null, GraphFormat.Binary);
        Assert.Null(m.TrainingScript);
        Assert.Equal(descriptor, m.DescriptorType);
        Assert.Equal(activation, m.Activation);
        Assert.Equal("float32", m.Precision);
        Assert.Equal(new[] { "O", "H" }, m.TypeMap);
        if (descriptor != "se_e3")
        {
            Assert.Equal(oneSide, m.TypeOneSide);
        }

        if (exclude && !oneSide)
        {
            // Two-side exclusion leaves the excluded pair's nets out of the graph.
            Assert.Equal(new[] { new[] { 0, 1 } }, m.ExcludeTypes);
        }
    }

    [Fact]
    public void AttributeNodesAreWhatTheCppInferenceReads()
    {
        var o = SampleHarness.Small("se_e2_a");
        var index = new GraphIndex(SampleModelGenerator.Generate(o));
        void Scalar(string name, DataType dtype, object value)
        {
            var t = index.TryGetConst(name) ?? throw new Xunit.Sdk.XunitException("missing " + name);
            Assert.Equal(dtype, t.DType);
            Assert.Empty(t.Shape);
            object actual = dtype switch { DataType.DtString => t.ScalarString(), DataType.DtInt32 => (int)t.ScalarInt64(), _ => t.ScalarDouble() };
            Assert.Equal(value, actual);
        }

        Scalar("model_type", DataType.DtString, "original_model");
        Scalar("model_attr/model_version", DataType.DtString, "1.1");
        Scalar("model_attr/model_type", DataType.DtString, "ener");
        Scalar("model_attr/tmap", DataType.DtString, "O H");
        Scalar("descrpt_attr/rcut", DataType.DtDouble, 6.0);
        Scalar("descrpt_attr/ntypes", DataType.DtInt32, 2);
        Scalar("fitting_attr/dfparam", DataType.DtInt32, 0);
        Scalar("fitting_attr/daparam", DataType.DtInt32, 0);
        Scalar("train_attr/min_nbor_dist", DataType.DtDouble, 0.9);

        var avg = index.TryGetConst("descrpt_attr/t_avg")!;
        var std = index.TryGetConst("descrpt_attr/t_std")!;
        Assert.Equal(new[] { 2, 28 }, avg.Shape);
        Assert.Equal(new[] { 2, 28 }, std.Shape);
        Assert.All(std.AsDoubleArray(), v => Assert.True(v > 0));
        // Statistics are tiled over slots; x/y/z averages are 0 (what ranges and kernels assume).
        var a = avg.AsDoubleArray();
        Assert.All(Enumerable.Range(0, 56).Where(i => i % 4 != 0), i => Assert.Equal(0.0, a[i]));
        Assert.All(Enumerable.Range(0, 28).Where(i => i % 4 == 0), i => Assert.Equal(a[0], a[i]));

        var env = index.Get("ProdEnvMatA");
        Assert.Equal(new[] { "Reshape_2", "Reshape_4", "t_natoms", "Reshape_3", "t_mesh", "descrpt_attr/t_avg/read", "descrpt_attr/t_std/read" }, env.Input);
        Assert.Equal(6.0f, env.Attr["rcut_r"].F);
        Assert.Equal(0.5f, env.Attr["rcut_r_smth"].F);
        Assert.Equal(-1.0f, env.Attr["rcut_a"].F);
        Assert.Equal(new long[] { 3, 4 }, env.Attr["sel_a"].List.I);
        Assert.Equal(new long[] { 0, 0 }, env.Attr["sel_r"].List.I);
        Assert.Equal(DataType.DtDouble, env.Attr["T"].Type);

        var force = index.Get("ProdForceSeA");
        Assert.Equal(new[] { "o_rmat_deriv", "o_nlist", "t_natoms" }, force.Input.Skip(1));
        Assert.Equal(7, force.Attr["n_a_sel"].I);
        Assert.Equal(new[] { "o_rmat_deriv", "o_rij", "o_nlist", "t_natoms" }, index.Get("ProdVirialSeA").Input.Skip(1));
        var forceReshape = index.Get(index.Get("o_force").Input[0]);
        Assert.Equal("Reshape", forceReshape.Op);
        Assert.Equal("ProdForceSeA", forceReshape.Input[0]);
        Assert.Equal("ProdVirialSeA", index.Get(index.Get("o_virial").Input[0]).Op);
        Assert.Equal("ProdVirialSeA:1", index.Get("o_atom_virial").Input[0]);
        Assert.Equal("Sum", index.Get("o_energy").Op);
        Assert.Equal("o_atom_energy", index.Get("o_energy").Input[0]);

        // The inputs the C++ side feeds.
        Assert.Equal(DataType.DtDouble, index.Get("t_coord").Attr["dtype"].Type);
        Assert.Equal(DataType.DtDouble, index.Get("t_box").Attr["dtype"].Type);
        Assert.Equal(DataType.DtInt32, index.Get("t_type").Attr["dtype"].Type);
        Assert.Equal(4, index.Get("t_natoms").Attr["shape"].Shape.Dim.Single().Size);
        Assert.Equal(-1, index.Get("t_mesh").Attr["shape"].Shape.Dim.Single().Size);
    }

    [Fact]
    public void SeRUsesProdEnvMatRAndItsForceOps()
    {
        var index = new GraphIndex(SampleModelGenerator.Generate(SampleHarness.Small("se_e2_r")));
        var env = index.Get("ProdEnvMatR");
        Assert.Equal(6.0f, env.Attr["rcut"].F);
        Assert.Equal(0.5f, env.Attr["rcut_smth"].F);
        Assert.Equal(new long[] { 3, 4 }, env.Attr["sel"].List.I);
        Assert.Equal(new[] { 2, 7 }, index.TryGetConst("descrpt_attr/t_avg")!.Shape);
        Assert.NotNull(index.Find("ProdForceSeR"));
        Assert.NotNull(index.Find("ProdVirialSeR"));
        Assert.Equal("Mean", index.Get("filter_type_0/Mean").Op);
        Assert.Equal(0.2, index.TryGetConst("filter_type_0/mul/y")!.ScalarDouble());
    }

    [SkippableFact]
    public void TheCensusCoversTheShippedEnergyModels()
    {
        foreach (string name in new[] { "deeppot.pbtxt", "deeppot-r.pbtxt", "dp-original.pbtxt", "fparam_aparam.pbtxt", "sea_012.pbtxt" })
        {
            Assert.All(GraphFile.Read(TestData.Model(name), out _).Node, n => Assert.True(CensusOps.Contains(n.Op), $"{name}: {n.Op}"));
        }
    }

    [Fact]
    public void Float32GraphsCastAroundTheNets()
    {
        var g = SampleModelGenerator.Generate(SampleHarness.Small("se_e3", "gelu_tf", "float32"));
        Assert.Empty(GraphValidator.FindProblems(g));
        var casts = g.Node.Where(n => n.Op == "Cast").ToList();
        Assert.Contains(casts, c => c.Attr["SrcT"].Type == DataType.DtDouble && c.Attr["DstT"].Type == DataType.DtFloat);
        Assert.Contains(casts, c => c.Attr["SrcT"].Type == DataType.DtFloat && c.Attr["DstT"].Type == DataType.DtDouble);
        Assert.Equal(DataType.DtFloat, g.Node.Single(n => n.Name == "filter_type_all/matrix_1_0_0").Attr["dtype"].Type);
        Assert.Equal(DataType.DtDouble, g.Node.Single(n => n.Name == "descrpt_attr/rcut").Attr["dtype"].Type);
    }

    [Fact]
    public void TrainingScriptIsCompactDeepmdInput()
    {
        var o = SampleHarness.Small("se_e2_a", "gelu", "float32", true, new[] { 1, 0 });
        string script = SampleModelGenerator.TrainingScript(o);
        Assert.DoesNotContain(" ", script);
        using var doc = JsonDocument.Parse(script);
        var model = doc.RootElement.GetProperty("model");
        var d = model.GetProperty("descriptor");
        Assert.Equal("se_e2_a", d.GetProperty("type").GetString());
        Assert.Equal(new[] { 3, 4 }, d.GetProperty("sel").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("6.0", d.GetProperty("rcut").GetRawText());
        Assert.Equal(0.5, d.GetProperty("rcut_smth").GetDouble());
        Assert.Equal(new[] { 4, 8, 16 }, d.GetProperty("neuron").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(4, d.GetProperty("axis_neuron").GetInt32());
        Assert.Equal("gelu", d.GetProperty("activation_function").GetString());
        Assert.Equal("float32", d.GetProperty("precision").GetString());
        Assert.True(d.GetProperty("type_one_side").GetBoolean());
        Assert.False(d.GetProperty("resnet_dt").GetBoolean());
        Assert.Equal("[[0,1]]", d.GetProperty("exclude_types").GetRawText());
        Assert.Equal(7, d.GetProperty("seed").GetInt32());
        Assert.Equal(new[] { "O", "H" }, model.GetProperty("type_map").EnumerateArray().Select(e => e.GetString()));
        var fit = model.GetProperty("fitting_net");
        Assert.Equal(new[] { 8, 8 }, fit.GetProperty("neuron").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("float32", fit.GetProperty("precision").GetString());
        Assert.True(fit.GetProperty("resnet_dt").GetBoolean());
        Assert.Equal(0, doc.RootElement.GetProperty("training").GetProperty("numb_steps").GetInt32());

        var e3 = JsonDocument.Parse(SampleModelGenerator.TrainingScript(SampleHarness.Small("se_e3"))).RootElement.GetProperty("model").GetProperty("descriptor");
        Assert.Equal("se_e3", e3.GetProperty("type").GetString());
        Assert.False(e3.TryGetProperty("type_one_side", out _));
        Assert.False(e3.TryGetProperty("exclude_types", out _));
        Assert.False(e3.TryGetProperty("axis_neuron", out _));
    }

    [Fact]
    public void SameSeedGivesTheSameGraphAndAnotherSeedOtherWeights()
    {
        var a = SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a"));
        var b = SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a"));
        Assert.Equal(a.ToByteArrayForTest(), b.ToByteArrayForTest());

        var o = SampleHarness.Small("se_e2_a");
        o.Seed = 8;
        var c = SampleModelGenerator.Generate(o);
        Assert.Equal(a.Node.Select(n => (n.Name, n.Op)), c.Node.Select(n => (n.Name, n.Op)));
        var wa = new GraphIndex(a).TryGetConst("filter_type_0/matrix_2_1")!.AsDoubleArray();
        var wc = new GraphIndex(c).TryGetConst("filter_type_0/matrix_2_1")!.AsDoubleArray();
        Assert.NotEqual(wa, wc);

        // A net's weights depend on the seed and its name only, not on the rest of the model.
        var wide = SampleHarness.Small("se_e2_a");
        wide.FittingNeuron = new List<int> { 30 };
        var d = SampleModelGenerator.Generate(wide);
        Assert.Equal(wa.Length, new GraphIndex(d).TryGetConst("filter_type_0/matrix_2_1")!.AsDoubleArray().Length);
        Assert.Equal(new GraphIndex(a).TryGetConst("filter_type_1/matrix_3_0")!.AsDoubleArray(), new GraphIndex(d).TryGetConst("filter_type_1/matrix_3_0")!.AsDoubleArray());
    }

    [Fact]
    public void WeightsHaveDeepmdInitialisationScale()
    {
        var o = SampleHarness.Small("se_e2_a");
        o.Neuron = new List<int> { 25, 50, 100 };
        var index = new GraphIndex(SampleModelGenerator.Generate(o));
        // network.py: W ~ N(0, 1/sqrt(d_in + d_out)), b ~ N(0, 1); the sample std is checked loosely.
        var w = index.TryGetConst("filter_type_0/matrix_3_0")!.AsDoubleArray();
        double sd = Math.Sqrt(w.Select(x => x * x).Average());
        Assert.InRange(sd, 0.8 / Math.Sqrt(150), 1.2 / Math.Sqrt(150));
        Assert.InRange(Math.Abs(w.Average()), 0, 0.02);
        var idt = index.TryGetConst("layer_1_type_0/idt")!.AsDoubleArray();
        Assert.All(idt, v => Assert.InRange(v, 0.09, 0.11));
    }

    [SkippableFact]
    public void FilterScopeAndItsGradientMatchAReal2xGraphNodeForNode()
    {
        // fparam_aparam.pbtxt (deepmd-kit 2.x, TF 2.x) has one type, sel 60, neuron [5,10,20], axis_neuron 8.
        var real = GraphFile.Read(TestData.Model("fparam_aparam.pbtxt"), out _);
        var o = new SampleModelOptions
        {
            TypeMap = new List<string> { "A" }, Sel = new List<int> { 60 }, RcutSmth = 1.8, Neuron = new List<int> { 5, 10, 20 },
            AxisNeuron = 8, FittingNeuron = new List<int> { 5, 5, 5 },
        };
        var mine = new GraphIndex(SampleModelGenerator.Generate(o));
        var realIndex = new GraphIndex(real);
        static bool InScope(string name) => name.StartsWith("filter_type_0/", StringComparison.Ordinal) || name.StartsWith("gradients/filter_type_0/", StringComparison.Ordinal);
        var scoped = real.Node.Where(n => InScope(n.Name)).ToList();
        Assert.True(scoped.Count > 150, $"only {scoped.Count} scoped nodes in the reference graph");
        foreach (var r in scoped)
        {
            var m = mine.Find(r.Name);
            Assert.True(m is not null, $"missing {r.Name} ({r.Op})");
            Assert.Equal(r.Op, m!.Op);
            Assert.Equal(r.Input.Count, m.Input.Count);
            for (int k = 0; k < r.Input.Count; k++)
            {
                // Inside the scope names must agree; outside it (root counters differ between 2.x releases) the op must.
                if (InScope(r.Input[k]))
                {
                    Assert.Equal(r.Input[k], m.Input[k]);
                }
                else
                {
                    Assert.Equal(realIndex.Get(GraphIndex.ParseInput(r.Input[k]).Node).Op, mine.Get(GraphIndex.ParseInput(m.Input[k]).Node).Op);
                }
            }

            foreach (var attr in r.Attr.Where(a => a.Key is not "value" and not "_class"))
            {
                Assert.True(m.Attr.ContainsKey(attr.Key) && m.Attr[attr.Key].Equals(attr.Value), $"{r.Name}: attr {attr.Key}");
            }
        }

        Assert.Equal(scoped.Count, mine.Nodes.Count(n => InScope(n.Name)));
    }

    [SkippableFact]
    public void InputsAndAttributeNodesHaveTheDtypesAndShapesOfDeepPot()
    {
        var real = new GraphIndex(GraphFile.Read(TestData.Model("deeppot.pbtxt"), out _));
        var o = SampleHarness.Small("se_e2_a");
        o.Sel = new List<int> { 46, 92 };
        var mine = new GraphIndex(SampleModelGenerator.Generate(o));
        foreach (string name in new[] { "t_coord", "t_type", "t_natoms", "t_box", "t_mesh" })
        {
            Assert.Equal(real.Get(name).Attr["dtype"], mine.Get(name).Attr["dtype"]);
            Assert.Equal(real.Get(name).Attr["shape"], mine.Get(name).Attr["shape"]);
        }

        foreach (string name in new[] { "descrpt_attr/rcut", "descrpt_attr/ntypes", "model_attr/tmap", "model_attr/model_type", "model_attr/model_version",
            "fitting_attr/dfparam", "fitting_attr/daparam", "descrpt_attr/t_avg", "descrpt_attr/t_std" })
        {
            var r = real.TryGetConst(name)!;
            var m = mine.TryGetConst(name)!;
            Assert.Equal(r.DType, m.DType);
            Assert.Equal(r.Shape, m.Shape);
        }

        foreach (string name in new[] { "o_energy", "o_force", "o_virial", "o_atom_energy", "o_atom_virial", "o_rmat", "o_rmat_deriv", "o_rij", "o_nlist", "o_descriptor" })
        {
            Assert.Equal(real.Get(name).Op, mine.Get(name).Op);
        }
    }

    [Fact]
    public void CompressionSurgeryNamesOfFactSheetExist()
    {
        // docs/descriptors.md#rewiring (dp-original, neuron [4,8,16]): em, net output, their BatchMatMul and the two gradient ends.
        var index = new GraphIndex(SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a")));
        var mm = index.Get("filter_type_0/MatMul_3");
        Assert.Equal("BatchMatMulV2", mm.Op);
        Assert.Equal(new[] { "filter_type_0/Reshape_6", "filter_type_0/Reshape_5" }, mm.Input);
        Assert.True(mm.Attr["adj_x"].B);
        Assert.Equal("gradients/filter_type_0/MatMul_3_grad/Reshape", index.Get("gradients/filter_type_0/Reshape_6_grad/Reshape").Input[0]);
        Assert.Equal("gradients/filter_type_0/MatMul_grad/MatMul", index.Get("gradients/filter_type_0/Reshape_1_grad/Reshape").Input[0]);
        Assert.Equal("filter_type_0/matrix_1_0/read", index.Get("gradients/filter_type_0/MatMul_grad/MatMul").Input[1]);
    }

    [Fact]
    public void ExclusionLayoutsFollowDeepmd()
    {
        // Two-side: no net for the excluded pair (both orders) and no term in the AddN.
        var two = new GraphIndex(SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a", exclude: new[] { 0, 1 })));
        Assert.Null(two.Find("filter_type_0/matrix_1_1"));
        Assert.Null(two.Find("filter_type_1/matrix_1_0"));
        Assert.NotNull(two.Find("filter_type_0/matrix_1_0"));
        Assert.Null(two.Find("filter_type_0/AddN"));

        // One-side: a 0/1 type mask multiplies the env matrix before the shared nets.
        var one = new GraphIndex(SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a", typeOneSide: true, exclude: new[] { 0, 1 })));
        Assert.NotNull(one.Find("filter_type_all/matrix_1_0"));
        Assert.NotNull(one.Find("filter_type_all/matrix_1_1"));
        var mask = one.Nodes.Single(n => n.Op == "GatherV2" && n.Input[0].StartsWith("Reshape", StringComparison.Ordinal));
        var table = one.TryGetConst(one.Get(GraphIndex.ParseInput(mask.Input[0]).Node).Input[0])!.AsDoubleArray();
        Assert.Equal(new[] { 1.0, 0.0, 0.0, 1.0 }, table);
        Assert.Equal("Mul", one.Get(one.Get("filter_type_all/Slice").Input[0]).Op);
    }

    [Fact]
    public void WaterSizeModelHasTheRequestedShape()
    {
        var m = SampleModelGenerator.Create(SampleModelOptions.Water());
        Assert.Equal(new[] { 25, 50, 100 }, m.EmbeddingNeuron);
        Assert.Equal(new[] { 240, 240, 240 }, m.FittingNeuron);
        var index = new GraphIndex(m.GetGraphDef());
        Assert.Equal(new[] { 1600, 240 }, index.TryGetConst("layer_0_type_1/matrix")!.Shape);
        Assert.Equal(new[] { 2, 552 }, index.TryGetConst("descrpt_attr/t_std")!.Shape);
        Assert.Equal(new[] { 46, 92 }, m.Sel);
        Assert.Equal(0.9, m.MinNborDist);
        Assert.Empty(GraphValidator.FindProblems(m.GetGraphDef()));
        Assert.All(m.GetGraphDef().Node, n => Assert.Contains(n.Op, CensusOps));
    }

    public static IEnumerable<object[]> BadOptions()
    {
        object[] Case(string id, Action<SampleModelOptions> change) => new object[] { id, change };
        yield return Case("UnknownDescriptor", o => o.Descriptor = "se_a_mask");
        yield return Case("SelCountMismatch", o => { o.Descriptor = "se_atten"; o.Sel = new List<int> { 46, 92 }; });
        yield return Case("TypeOneSideNotSupported", o => { o.Descriptor = "se_a_ebd_v2"; o.TypeOneSide = true; });
        yield return Case("InvalidHybrid", o => { o.Descriptor = "hybrid"; o.Members = new List<SampleModelOptions> { new() { Descriptor = "se_e2_a", Sel = new List<int> { 4, 4 } } }; });
        yield return Case("InvalidHybrid", o =>
        {
            o.Descriptor = "hybrid";
            o.Members = new List<SampleModelOptions> { new() { Descriptor = "se_atten", Sel = new List<int> { 8 } }, new() { Descriptor = "se_e2_r", Sel = new List<int> { 4, 4 } } };
        });
        yield return Case("TypeMapEmpty", o => o.TypeMap = new List<string>());
        yield return Case("DuplicateTypeName", o => o.TypeMap = new List<string> { "O", "O" });
        yield return Case("InvalidTypeName", o => o.TypeMap = new List<string> { "O", "H 2" });
        yield return Case("SelCountMismatch", o => o.Sel = new List<int> { 46 });
        yield return Case("InvalidSel", o => o.Sel = new List<int> { 3, -1 });
        yield return Case("InvalidSel", o => o.Sel = new List<int> { 0, 0 });
        yield return Case("InvalidCutoff", o => o.RcutSmth = 6.0);
        yield return Case("InvalidCutoff", o => o.Rcut = -1);
        yield return Case("InvalidCutoff", o => o.Rcut = double.NaN);
        yield return Case("NeuronEmpty", o => o.Neuron = new List<int>());
        yield return Case("InvalidNeuron", o => o.Neuron = new List<int> { 4, 0 });
        yield return Case("InvalidFittingNeuron", o => o.FittingNeuron = new List<int> { -3 });
        yield return Case("InvalidAxisNeuron", o => o.AxisNeuron = 17);
        yield return Case("InvalidAxisNeuron", o => o.AxisNeuron = 0);
        yield return Case("UnknownActivation", o => o.Activation = "silu");
        yield return Case("UnknownPrecision", o => o.Precision = "float16");
        yield return Case("ExcludeTypeOutOfRange", o => o.ExcludeTypes = new List<int[]> { new[] { 0, 2 } });
        yield return Case("InvalidExcludePair", o => o.ExcludeTypes = new List<int[]> { new[] { 0 } });
        yield return Case("AllPairsExcluded", o => o.ExcludeTypes = new List<int[]> { new[] { 0, 0 }, new[] { 0, 1 }, new[] { 1, 1 } });
        yield return Case("InvalidMinNborDist", o => o.MinNborDist = 6.5);
        yield return Case("InvalidMinNborDist", o => o.MinNborDist = 0);
        yield return Case("TypeOneSideNotSupported", o => { o.Descriptor = "se_e3"; o.TypeOneSide = true; });
        yield return Case("ExcludeTypesNotSupported", o => { o.Descriptor = "se_t"; o.ExcludeTypes = new List<int[]> { new[] { 0, 1 } }; });
        yield return Case("TooManyTypes", o => { o.TypeMap = Enumerable.Range(0, 17).Select(i => "T" + i).ToList(); o.Sel = Enumerable.Repeat(1, 17).ToList(); });
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadParametersAreRefusedWithSpecificIds(string errorId, Action<SampleModelOptions> change)
    {
        var o = SampleHarness.Small("se_e2_a");
        o.Neuron = new List<int> { 4, 8, 16 };
        change(o);
        var ex = Assert.ThrowsAny<DeepMdException>(() => SampleModelGenerator.Generate(o));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(DeepMdErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void HugeModelsAreRefusedBeforeAllocation()
    {
        var o = SampleHarness.Small("se_e2_a");
        o.FittingNeuron = new List<int> { 100000, 100000 };
        var ex = Assert.Throws<ResourceLimitException>(() => SampleModelGenerator.Generate(o));
        Assert.Equal("SampleModelTooLarge", ex.ErrorId);
    }

    [Theory]
    [InlineData("O-H", 0, 1)]
    [InlineData("1-0", 1, 0)]
    [InlineData("H:H", 1, 1)]
    [InlineData(" O , 1 ", 0, 1)]
    public void ExcludePairsParseByNameOrIndex(string text, int a, int b) =>
        Assert.Equal(new[] { a, b }, SampleModelOptions.ParseExcludePair(text, new List<string> { "O", "H" }));

    [Theory]
    [InlineData("O")]
    [InlineData("O-H-H")]
    [InlineData("O-X")]
    [InlineData("-")]
    public void MalformedExcludePairsAreRefused(string text)
    {
        var ex = Assert.Throws<InvalidParameterException>(() => SampleModelOptions.ParseExcludePair(text, new List<string> { "O", "H" }));
        Assert.Equal("InvalidExcludePair", ex.ErrorId);
    }

    [Fact]
    public void DescriptorAliasesAreAccepted()
    {
        Assert.Equal("se_e2_a", SampleModelGenerator.Create(SampleHarness.Small("se_a")).DescriptorType);
        Assert.Equal("se_e2_r", SampleModelGenerator.Create(SampleHarness.Small("se_r")).DescriptorType);
        Assert.Equal("se_e3", SampleModelGenerator.Create(SampleHarness.Small("se_t")).DescriptorType);
    }

    [Fact]
    public void CancellationStopsGeneration()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a"), cts.Token));
    }
}

internal static class GraphDefTestExtensions
{
    public static byte[] ToByteArrayForTest(this GraphDef g) => Google.Protobuf.MessageExtensions.ToByteArray(g);
}
