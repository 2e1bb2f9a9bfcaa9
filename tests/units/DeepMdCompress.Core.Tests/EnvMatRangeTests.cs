using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Ranges;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests;

public class EnvMatRangeTests
{
    private readonly ITestOutputHelper _out;

    public EnvMatRangeTests(ITestOutputHelper output) => _out = output;

    // deepmd-kit's formulas (docs/tables.md#ranges), written out here independently of the library.
    private static double Sw(double x, double rmin, double rmax)
    {
        if (x >= rmax) return 0;
        if (x < rmin) return 1;
        double u = (x - rmin) / (rmax - rmin);
        return u * u * u * (-6 * u * u + 15 * u - 10) + 1;
    }

    private static (double[] Lo, double[] Up) Expected(GraphDef g, double mnd, double rcut, double smth, bool se3 = false)
    {
        var idx = new GraphIndex(g);
        var avg = idx.TryGetConst("descrpt_attr/t_avg")!;
        var std = idx.TryGetConst("descrpt_attr/t_std")!;
        int nt = avg.Shape[0], cols = avg.Shape[1];
        var a = avg.AsDoubleArray();
        var s = std.AsDoubleArray();
        double sw = Sw(mnd, smth, rcut);
        var lo = new double[nt];
        var up = new double[nt];
        for (int t = 0; t < nt; t++)
        {
            if (se3)
            {
                var v = Enumerable.Range(1, 3).Select(c => Math.Pow(sw / (mnd * s[t * cols + c]), 2)).ToArray();
                lo[t] = Math.Floor(v.Select(x => -x).Min());
                up[t] = Math.Ceiling(v.Max());
            }
            else
            {
                lo[t] = Math.Floor(-a[t * cols] / s[t * cols]);
                up[t] = Math.Ceiling(((1 / mnd) * sw - a[t * cols]) / s[t * cols]);
            }
        }

        return (lo, up);
    }

    private static GraphDef Graph(string model) => GraphFile.Read(TestData.Model(model), out _);

    private static FrozenModel Inspect(GraphDef g) => FrozenModelReader.FromGraph(g, null, GraphFormat.Text);

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    [InlineData(0.9)]
    [InlineData(2.7)]
    [InlineData(3.5)]
    [InlineData(5.9)]
    public void DeepPotMatchesDeepmdFormula(double mnd)
    {
        var g = Graph("deeppot.pbtxt");
        var r = EnvMatRange.Measure(Inspect(g), mnd, MinNborDistSource.Parameter);
        var (lo, up) = Expected(g, mnd, 6.0, 0.5);
        Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" }, r.Nets.Select(n => n.Name));
        foreach (var n in r.Nets)
        {
            int i = n.Name[7] - '0';
            Assert.Equal(lo[i], n.Lower);
            Assert.Equal(up[i], n.Upper);
            Assert.Equal(new[] { i }, n.CentreTypes);
            Assert.Equal(n.Name, n.Net!.Name);
            Assert.True(n.RawLower >= n.Lower && n.RawLower < n.Lower + 1);
            Assert.True(n.RawUpper <= n.Upper && n.RawUpper > n.Upper - 1);
        }

        Assert.Equal(6.0, r.Rcut);
        Assert.Equal(0.5, r.RcutSmth);
        Assert.Equal("se_e2_a", r.DescriptorType);
    }

    [SkippableFact]
    public void DeepPotAtOneAngstromGivesTheFactSheetRange()
    {
        // An independent numpy re-implementation of deepmd-kit's rule: filter_0_net_0 is [-1, 7] at min_nbor_dist 1.0.
        var r = EnvMatRange.Measure(FrozenModelReader.Load(TestData.Model("deeppot.pbtxt")), 1.0, MinNborDistSource.Parameter);
        Assert.Equal(-1, r.Nets[0].Lower);
        Assert.Equal(7, r.Nets[0].Upper);
        foreach (var n in r.Nets)
        {
            _out.WriteLine($"{n.Name} [{n.Lower}, {n.Upper}] raw [{n.RawLower:R}, {n.RawUpper:R}]");
        }
    }

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(6.5)]
    public void DeepPotRMatchesDeepmdFormula(double mnd)
    {
        var g = Graph("deeppot-r.pbtxt");
        var r = EnvMatRange.Measure(Inspect(g), mnd, MinNborDistSource.Parameter);
        var (lo, up) = Expected(g, mnd, 6.0, 1.0);
        Assert.Equal("se_e2_r", r.DescriptorType);
        Assert.Equal(4, r.Nets.Count);
        foreach (var n in r.Nets)
        {
            int i = n.Name[7] - '0';
            Assert.Equal((lo[i], up[i]), (n.Lower, n.Upper));
        }

        if (mnd >= 6.0)
        {
            Assert.Contains(r.Notes, x => x.Contains("not below rcut"));
        }
    }

    /// <summary>deeppot with its centre-type-0 nets renamed to filter_type_all (type_one_side) and the type-1 nets dropped.</summary>
    private static GraphDef OneSide(GraphDef source)
    {
        var g = source.Clone();
        foreach (var node in g.Node.Where(n => n.Op == "Const" && n.Name.StartsWith("filter_type_0/", StringComparison.Ordinal) && (n.Name.Contains("/matrix_") || n.Name.Contains("/bias_"))).ToList())
        {
            node.Name = node.Name.Replace("filter_type_0/", "filter_type_all/");
        }

        Drop(g, n => n.Name.StartsWith("filter_type_1/matrix_", StringComparison.Ordinal) || n.Name.StartsWith("filter_type_1/bias_", StringComparison.Ordinal));
        return g;
    }

    private static void Drop(GraphDef g, Func<NodeDef, bool> which)
    {
        foreach (var node in g.Node.Where(n => n.Op == "Const" && which(n)).ToList())
        {
            g.Node.Remove(node);
        }
    }

    private static void AddScript(GraphDef g, string json) => g.Node.Add(new NodeDef
    {
        Name = "train_attr/training_script",
        Op = "Const",
        Attr = { ["dtype"] = new AttrValue { Type = DataType.DtString }, ["value"] = new AttrValue { Tensor = TensorEncoder.ScalarString(json) } },
    });

    [SkippableFact]
    public void TypeOneSideTakesTheWidestRangeOverCentreTypes()
    {
        var src = Graph("deeppot.pbtxt");
        var g = OneSide(src);
        var model = Inspect(g);
        Assert.True(model.TypeOneSide);
        var r = EnvMatRange.Measure(model, 1.0, MinNborDistSource.Parameter);
        var (lo, up) = Expected(src, 1.0, 6.0, 0.5);
        Assert.Equal(new[] { "filter_-1_net_0", "filter_-1_net_1" }, r.Nets.Select(n => n.Name));
        foreach (var n in r.Nets)
        {
            Assert.Equal(lo.Min(), n.Lower);
            Assert.Equal(up.Max(), n.Upper);
            Assert.Equal(new[] { 0, 1 }, n.CentreTypes);
        }

        Assert.Contains(r.Notes, x => x.Contains("exclude_types is not known"));
    }

    [SkippableFact]
    public void TypeOneSideWithExcludeTypesUsesOnlyIncludedCentres()
    {
        var src = Graph("deeppot.pbtxt");
        var g = OneSide(src);
        AddScript(g, """{"model": {"descriptor": {"type": "se_e2_a", "rcut": 6.0, "rcut_smth": 0.5, "type_one_side": true, "exclude_types": [[0, 1]]}}}""");
        var r = EnvMatRange.Measure(Inspect(g), 1.0, MinNborDistSource.Parameter);
        var (lo, up) = Expected(src, 1.0, 6.0, 0.5);
        // (0,1) and (1,0) excluded: net 0 (neighbour type 0) serves centre 0 only, net 1 centre 1 only.
        Assert.Equal(new[] { 0 }, r.Nets[0].CentreTypes);
        Assert.Equal((lo[0], up[0]), (r.Nets[0].Lower, r.Nets[0].Upper));
        Assert.Equal(new[] { 1 }, r.Nets[1].CentreTypes);
        Assert.Equal((lo[1], up[1]), (r.Nets[1].Lower, r.Nets[1].Upper));

        // A neighbour type excluded with every centre type has no table at all.
        var g2 = OneSide(src);
        AddScript(g2, """{"model": {"descriptor": {"type": "se_e2_a", "rcut": 6.0, "rcut_smth": 0.5, "exclude_types": [[0, 0], [0, 1]]}}}""");
        var r2 = EnvMatRange.Measure(Inspect(g2), 1.0, MinNborDistSource.Parameter);
        Assert.Equal(new[] { "filter_-1_net_1" }, r2.Nets.Select(n => n.Name));
        Assert.Equal(new[] { 1 }, r2.Nets[0].CentreTypes);
        Assert.Contains(r2.Notes, x => x.Contains("filter_-1_net_0"));
    }

    [SkippableFact]
    public void TypeOneSideSkipsCentreTypesWithZeroSel()
    {
        var src = Graph("deeppot.pbtxt");
        var g = OneSide(src);
        var env = g.Node.First(n => n.Op == "ProdEnvMatA");
        env.Attr["sel_a"].List.I[1] = 0;
        var r = EnvMatRange.Measure(Inspect(g), 1.0, MinNborDistSource.Parameter);
        var (lo, up) = Expected(src, 1.0, 6.0, 0.5);
        // deepmd-kit indexes sel by the centre type: type 1 (sel 0) drops out of every one-side range.
        Assert.All(r.Nets, n =>
        {
            Assert.Equal(new[] { 0 }, n.CentreTypes);
            Assert.Equal((lo[0], up[0]), (n.Lower, n.Upper));
        });
        Assert.NotEqual(up[0], up[1]);
    }

    [SkippableFact]
    public void TwoSideExcludedPairsHaveNoTable()
    {
        var src = Graph("deeppot.pbtxt");
        var g = src.Clone();
        Drop(g, n => n.Name.StartsWith("filter_type_0/", StringComparison.Ordinal) && n.Name.EndsWith("_1", StringComparison.Ordinal));
        Drop(g, n => n.Name.StartsWith("filter_type_1/", StringComparison.Ordinal) && n.Name.EndsWith("_0", StringComparison.Ordinal));
        var r = EnvMatRange.Measure(Inspect(g), 1.0, MinNborDistSource.Parameter);
        Assert.Equal(new[] { "filter_0_net_0", "filter_1_net_1" }, r.Nets.Select(n => n.Name));

        // Only one direction dropped: exclude_types is symmetric, so filter_1_net_0 is not tabulated either.
        var g2 = src.Clone();
        Drop(g2, n => n.Name.StartsWith("filter_type_0/", StringComparison.Ordinal) && n.Name.EndsWith("_1", StringComparison.Ordinal));
        var r2 = EnvMatRange.Measure(Inspect(g2), 1.0, MinNborDistSource.Parameter);
        Assert.Equal(new[] { "filter_0_net_0", "filter_1_net_1" }, r2.Nets.Select(n => n.Name));
        Assert.Contains(r2.Notes, x => x.Contains("filter_1_net_0"));
    }

    [SkippableFact]
    public void MissingNetIsAnError()
    {
        var g = Graph("deeppot.pbtxt");
        Drop(g, n => n.Name.StartsWith("filter_type_0/", StringComparison.Ordinal) && n.Name.EndsWith("_1", StringComparison.Ordinal));
        AddScript(g, """{"model": {"descriptor": {"type": "se_e2_a", "exclude_types": []}}}""");
        var ex = Assert.Throws<ModelStructureException>(() => EnvMatRange.Measure(Inspect(g), 1.0, MinNborDistSource.Parameter));
        Assert.Equal("MissingEmbeddingNet", ex.ErrorId);
        Assert.Contains("filter_0_net_1", ex.Message);
    }

    [SkippableFact]
    public void SeE3UsesTheSquaredAngularFormula()
    {
        var src = Graph("deeppot.pbtxt");
        var g = src.Clone();
        foreach (var (i, j) in new[] { (0, 0), (0, 1), (1, 1) })
        {
            foreach (var node in g.Node.Where(n => n.Op == "Const" && n.Name.StartsWith($"filter_type_{i}/", StringComparison.Ordinal) && n.Name.EndsWith($"_{j}", StringComparison.Ordinal)).ToList())
            {
                string rest = node.Name.Substring(node.Name.IndexOf('/') + 1);
                node.Name = $"filter_type_all/{rest.Substring(0, rest.LastIndexOf('_'))}_{i}_{j}";
            }
        }

        Drop(g, n => n.Name.StartsWith("filter_type_1/", StringComparison.Ordinal) && n.Name.EndsWith("_0", StringComparison.Ordinal));
        var model = Inspect(g);
        Assert.Equal("se_e3", model.DescriptorType);
        foreach (double mnd in new[] { 0.4, 1.0, 2.3 })
        {
            var r = EnvMatRange.Measure(model, mnd, MinNborDistSource.Parameter);
            var (lo, up) = Expected(src, mnd, 6.0, 0.5, se3: true);
            Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_1" }, r.Nets.Select(n => n.Name));
            foreach (var n in r.Nets)
            {
                int i = n.Name[7] - '0';
                Assert.Equal((lo[i], up[i]), (n.Lower, n.Upper));
                Assert.Equal(-n.Upper, n.Lower);
            }
        }
    }

    [SkippableFact]
    public void Float32StatisticsAreCombinedInFloat32()
    {
        var g = Graph("deeppot.pbtxt");
        var idx = new GraphIndex(g);
        var avg = idx.TryGetConst("descrpt_attr/t_avg")!;
        var std = idx.TryGetConst("descrpt_attr/t_std")!;
        var a32 = avg.AsDoubleArray().Select(x => (float)x).ToArray();
        var s32 = std.AsDoubleArray().Select(x => (float)x).ToArray();
        foreach (var (name, data) in new[] { ("descrpt_attr/t_avg", a32), ("descrpt_attr/t_std", s32) })
        {
            var node = idx.Find(name)!;
            node.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
            node.Attr["value"] = new AttrValue { Tensor = TensorEncoder.Floats(data, avg.Shape.Select(d => (long)d).ToArray()) };
        }

        int cols = avg.Shape[1];
        // A min_nbor_dist whose float32 and float64 uppers straddle no integer is not a test; scan for range values.
        foreach (double mnd in new[] { 0.7, 1.0, 1.3 })
        {
            var r = EnvMatRange.Measure(Inspect(g), mnd, MinNborDistSource.Parameter);
            float c = (float)((1 / mnd) * Sw(mnd, 0.5, 6.0));
            for (int t = 0; t < 2; t++)
            {
                float lo = -a32[t * cols] / s32[t * cols];
                float up = (c - a32[t * cols]) / s32[t * cols];
                var n = r.Nets.First(x => x.CentreTypes[0] == t);
                Assert.Equal((double)lo, n.RawLower);
                Assert.Equal((double)up, n.RawUpper);
                Assert.Equal(Math.Floor(lo), n.Lower);
                Assert.Equal(Math.Ceiling(up), n.Upper);
            }
        }
    }

    [SkippableTheory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RefusesInvalidMinNborDist(double mnd)
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var ex = Assert.Throws<InvalidParameterException>(() => EnvMatRange.Measure(model, mnd, MinNborDistSource.Parameter));
        Assert.Equal("InvalidMinNborDist", ex.ErrorId);
        var ex2 = Assert.Throws<InvalidParameterException>(() => RangeMeasurement.Measure(model, new MinNborDistInput { Value = mnd }, out _));
        Assert.Equal("InvalidMinNborDist", ex2.ErrorId);
    }

    [SkippableTheory]
    [InlineData("se_atten_no_atten_1.pbtxt", "TypeNetMissing")]
    [InlineData("se_e2_a_tebd.pbtxt", "TypeEmbeddingConcatNotCompressible")]
    public void RefusesDescriptorsWithoutTables(string file, string id)
    {
        var model = FrozenModelReader.Load(TestData.Model(file));
        var ex = Assert.Throws<UnsupportedModelException>(() => EnvMatRange.Measure(model, 1.0, MinNborDistSource.Parameter));
        Assert.Equal(id, ex.ErrorId);
        _out.WriteLine($"{file}: {model.DescriptorType}: {ex.Message}");
    }

    [SkippableFact]
    public void RefusesCompressedModels()
    {
        var g = Graph("deeppot.pbtxt");
        g.Node.Add(new NodeDef { Name = "tab", Op = "TabulateFusionSeA" });
        var ex = Assert.Throws<UnsupportedModelException>(() => EnvMatRange.Measure(Inspect(g), 1.0, MinNborDistSource.Parameter));
        Assert.Equal("AlreadyCompressed", ex.ErrorId);
    }
}

public class RangeMeasurementTests
{
    [SkippableFact]
    public void PrecedenceParameterThenGraphThenScriptThenData()
    {
        var withGraph = FrozenModelReader.Load(TestData.Model("fparam_aparam.pbtxt"));
        Assert.NotNull(withGraph.MinNborDist);
        string script = TestData.Shared("systems", "model_compression", "input.json");
        string data = TestData.Shared("systems", "model_compression", "data");

        var p = RangeMeasurement.Measure(withGraph, new MinNborDistInput { Value = 1.25, TrainingScript = script, TrainingData = new[] { data } }, out var ignored);
        Assert.Equal((1.25, MinNborDistSource.Parameter), (p.MinNborDist, p.MinNborDistSource));
        Assert.Equal(3, ignored.Count);

        var gr = RangeMeasurement.Measure(withGraph, new MinNborDistInput { TrainingScript = script }, out ignored);
        Assert.Equal((withGraph.MinNborDist!.Value, MinNborDistSource.Graph, "train_attr/min_nbor_dist"), (gr.MinNborDist, gr.MinNborDistSource, gr.MinNborDistOrigin));
        Assert.Single(ignored);
        // fparam_aparam embeds its script: rcut_smth 1.8 comes from it, exactly.
        Assert.Equal(1.8, gr.RcutSmth);

        var deeppot = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var input = new MinNborDistInput { TrainingScript = script, TrainingData = new[] { data } };
        var s = RangeMeasurement.Measure(deeppot, input, out ignored);
        Assert.Equal(MinNborDistSource.TrainingScript, s.MinNborDistSource);
        Assert.Equal(script, s.MinNborDistOrigin);
        Assert.Equal(0.892451513761333, s.MinNborDist, 14);
        Assert.NotNull(s.Statistics);
        Assert.Single(ignored);
        // The same input reuses its scan for the next model.
        var again = RangeMeasurement.Measure(deeppot, input, out _);
        Assert.Same(s.Statistics, again.Statistics);

        var d = RangeMeasurement.Measure(deeppot, new MinNborDistInput { TrainingData = new[] { Path.GetDirectoryName(data)! } }, out _);
        Assert.Equal(MinNborDistSource.TrainingData, d.MinNborDistSource);
        Assert.Equal(s.MinNborDist, d.MinNborDist);
        Assert.Equal(EnvMatRange.Measure(deeppot, s.MinNborDist, MinNborDistSource.Parameter).Nets.Select(n => (n.Lower, n.Upper)), d.Nets.Select(n => (n.Lower, n.Upper)));

        var ex = Assert.Throws<InvalidParameterException>(() => RangeMeasurement.Measure(deeppot, new MinNborDistInput(), out _));
        Assert.Equal("MinNborDistUnavailable", ex.ErrorId);
    }

    [SkippableFact]
    public void ScriptThatDisagreesWithTheGraphIsNoted()
    {
        string dir = TestData.TempDir();
        NpyTestFiles.System(Path.Combine(dir, "sys"), new[] { 0, 1 }, new (double[][], double[][]?)[] { (new[] { new[] { 0.0, 0, 0, 1.5, 0, 0 } }, new[] { NpyTestFiles.Cubic(20) }) });
        string script = Path.Combine(dir, "input.json");
        File.WriteAllText(script, """{"model": {"type_map": ["H", "O"], "descriptor": {"rcut": 5.0, "rcut_smth": 1.0}}, "training": {"training_data": {"systems": ["sys"]}}}""");
        var r = RangeMeasurement.Measure(FrozenModelReader.Load(TestData.Model("deeppot.pbtxt")), new MinNborDistInput { TrainingScript = script }, out _);
        Assert.Equal(1.5, r.MinNborDist);
        Assert.Equal((6.0, 0.5), (r.Rcut, r.RcutSmth));
        Assert.Contains(r.Notes, n => n.Contains("rcut 5"));
        Assert.Contains(r.Notes, n => n.Contains("rcut_smth 1"));
        Assert.Contains(r.Notes, n => n.Contains("type_map (H O)"));
    }

    [SkippableFact]
    public void InvalidGraphMinNborDistIsReported()
    {
        var g = GraphFile.Read(TestData.Model("fparam_aparam.pbtxt"), out _);
        var node = new GraphIndex(g).Find("train_attr/min_nbor_dist")!;
        node.Attr["value"] = new AttrValue { Tensor = TensorEncoder.ScalarDouble(0.0) };
        var model = FrozenModelReader.FromGraph(g, null, GraphFormat.Text);
        var ex = Assert.Throws<ModelStructureException>(() => RangeMeasurement.Measure(model, new MinNborDistInput(), out _));
        Assert.Equal("InvalidGraphMinNborDist", ex.ErrorId);
    }

    [SkippableFact]
    public void DpOriginalWithItsTrainingScript()
    {
        var model = FrozenModelReader.Load(TestData.Model("dp-original.pbtxt"));
        var r = RangeMeasurement.Measure(model, new MinNborDistInput { TrainingScript = TestData.Shared("systems", "model_compression", "input.json") }, out _);
        Assert.Equal(0.892451513761333, r.MinNborDist, 14);
        Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" }, r.Nets.Select(n => n.Name));
        Assert.Equal(EnvMatRange.Measure(model, r.MinNborDist, MinNborDistSource.Parameter).Nets.Select(n => (n.Lower, n.Upper)), r.Nets.Select(n => (n.Lower, n.Upper)));
    }
}
