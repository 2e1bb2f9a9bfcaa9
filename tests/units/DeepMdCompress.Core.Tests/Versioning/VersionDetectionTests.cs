using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Versioning;
using Xunit;

namespace DeepMdCompress.Core.Tests.Versioning;

public class VersionDetectionTests
{
    /// <summary>What deepmd-kit reports for the reference models (testdata README, docs/testing.md).</summary>
    public static TheoryData<string, string> SharedModelVersions => new()
    {
        { "sea_012.pbtxt", "0.12" },
        { "dp-original.pbtxt", "2.0" },
        { "graph.000.pb", "2.0" },
        { "graph.001.pb", "2.0" },
        { "graph.002.pb", "2.0" },
        { "graph.003.pb", "2.0" },
        { "deeppot.pbtxt", "2.1" },
        { "deeppot-1.pbtxt", "2.1" },
        { "deeppot-r.pbtxt", "2.1" },
        { "fparam_aparam.pbtxt", "2.1" },
        { "se_e2_a_tebd.pbtxt", "2.1" },
        { "se_atten_no_atten_1.pbtxt", "2.1" },
        { "se_atten_no_atten_2.pbtxt", "2.1" },
        { "deepdipole.pbtxt", "2.1" },
        { "deeppolar.pbtxt", "2.1" },
    };

    [SkippableTheory]
    [MemberData(nameof(SharedModelVersions))]
    public void SharedModelIsDetectedAsDeepmdKitDetectsIt(string name, string expected)
    {
        string path = TestData.Model(name);
        var graph = GraphFile.Read(path, out _);
        var detected = ModelVersionDetector.Detect(graph);
        Assert.Equal(expected, detected.SourceVersion);
        Assert.Equal(DeepmdTextOracle.Detect(DeepmdTextOracle.Dump(path, graph)), detected.SourceVersion);
        Assert.False(detected.IsAmbiguous);
    }

    [SkippableFact]
    public void EverySharedModelIsCoveredByTheTable()
    {
        TestData.Require();
        var listed = SharedModelVersions.Select(row => (string)row[0]).ToHashSet();
        var present = TestData.SharedModels("*.p*").Select(row => (string)row[0]).ToHashSet();
        Assert.Subset(listed, present);
    }

    [Fact]
    public void LocalTinyModelIs21()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        var detected = ModelVersionDetector.Detect(graph);
        Assert.Equal("2.1", detected.SourceVersion);
        Assert.Equal("1.1", detected.ModelVersion);
        Assert.Contains("rule 5", detected.Evidence);
    }

    [SkippableTheory]
    [InlineData("1.3", "1.3", false)]
    [InlineData("1.2", "1.2", true)]
    [InlineData("1.0", "1.0", false)]
    [InlineData("0.12", "0.12", false)]
    public void DeeppotTakenBackToAnOlderLayoutIsDetected(string built, string expected, bool ambiguous)
    {
        string text = DeepmdTextOracle.LegacyDeeppot(built);
        var detected = ModelVersionDetector.Detect(DeepmdTextOracle.Parse(text));
        Assert.Equal(expected, detected.SourceVersion);
        Assert.Equal(DeepmdTextOracle.Detect(text), detected.SourceVersion);
        Assert.Equal(ambiguous, detected.IsAmbiguous);
        if (ambiguous)
        {
            Assert.Contains("1.1/1.2 ambiguous", detected.Evidence);
        }

        Assert.Null(detected.ModelVersion);
    }

    [SkippableFact]
    public void Float32T13GraphIs13HereAnd12ForDeepmdKitAndConvertsTheSame()
    {
        // A float32 1.3 graph: T = DT_FLOAT on DescrptSeA. deepmd-kit's text rule finds no DT_DOUBLE and says 1.2.
        string text = DeepmdTextOracle.LegacyDeeppot("1.3");
        const string tDouble = "  name: \"DescrptSeA\"\n  op: \"DescrptSeA\"\n";
        int at = text.IndexOf(tDouble, StringComparison.Ordinal);
        int t = text.IndexOf("type: DT_DOUBLE", at, StringComparison.Ordinal);
        text = text.Remove(t, "type: DT_DOUBLE".Length).Insert(t, "type: DT_FLOAT");

        var graph = DeepmdTextOracle.Parse(text);
        Assert.Equal("1.3", ModelVersionDetector.Detect(graph).SourceVersion);
        Assert.Equal("1.2", DeepmdTextOracle.Detect(text));

        var ours = LegacyModelConverter.ConvertGraph(graph, "1.3", out _);
        var theirs = DeepmdTextOracle.Parse(DeepmdTextOracle.Convert(text, "1.2"));
        Assert.Equal(theirs, ours);
        Assert.Equal(DataType.DtFloat, ours.Node.Single(n => n.Name == "ProdEnvMatA").Attr["T"].Type);
    }

    [Fact]
    public void RulesApplyInDeepmdKitsOrder()
    {
        // Rule 1 wins even over a version node; rule 2 wins over rule 3.
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "d", Op = "DescrptNorot" });
        g.Node.Add(Const("model_attr/model_version", TensorEncoder.ScalarString("1.1")));
        Assert.Equal("0.12", ModelVersionDetector.Detect(g).SourceVersion);

        var g2 = new GraphDef();
        g2.Node.Add(Const("fitting_attr/dfparam", TensorEncoder.ScalarInt32(0)));
        g2.Node.Add(new NodeDef { Name = "DescrptSeA", Op = "DescrptSeA", Attr = { ["T"] = new AttrValue { Type = DataType.DtDouble } } });
        Assert.Equal("1.0", ModelVersionDetector.Detect(g2).SourceVersion);
        g2.Node.Add(Const("fitting_attr/daparam", TensorEncoder.ScalarInt32(0)));
        Assert.Equal("1.3", ModelVersionDetector.Detect(g2).SourceVersion);
    }

    [Fact]
    public void WithoutVersionNodeOrDescrptSeANodeItReadsAs12LikeDeepmdKit()
    {
        // deepmd-kit's find() of name: "DescrptSeA" fails and the empty piece has no DT_DOUBLE.
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "DescrptSeR", Op = "DescrptSeR", Attr = { ["T"] = new AttrValue { Type = DataType.DtDouble } } });
        var detected = ModelVersionDetector.Detect(g);
        Assert.Equal("1.2", detected.SourceVersion);
        Assert.True(detected.IsAmbiguous);
    }

    [Theory]
    [InlineData("1.2")]
    [InlineData("2.0")]
    [InlineData("abc")]
    public void AnUnknownVersionStringIsNotGuessed(string version)
    {
        var g = new GraphDef();
        g.Node.Add(Const("model_attr/model_version", TensorEncoder.ScalarString(version)));
        var detected = ModelVersionDetector.Detect(g);
        Assert.Null(detected.SourceVersion);
        Assert.Equal(version, detected.ModelVersion);
        Assert.Contains(version, detected.Evidence);
    }

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.1", true)]
    [InlineData("1.1 ", true)] // atoi ignores the trailing space (MODEL_VER's newline becomes one)
    [InlineData(" 1.0", true)]
    [InlineData("1.2", false)]
    [InlineData("2.0", false)]
    [InlineData("0.9", false)]
    [InlineData("0.0", false)]
    [InlineData(null, false)] // absent: the loader uses "0.0"
    [InlineData("1.1.0", false)] // three parts: invalid graph model version string
    [InlineData("1", false)]
    [InlineData("", false)]
    [InlineData("1.x", true)] // atoi("x") = 0 ≤ 1
    [InlineData("x.1", false)] // atoi("x") = 0 ≠ 1
    public void CppVersionCheckIsDeepmdKits(string? version, bool compatible)
    {
        Assert.Equal(compatible, CppModelVersion.IsCompatible(version, out string? message));
        Assert.Equal(compatible, message is null);
        if (version is "1.1.0" or "1" or "")
        {
            Assert.StartsWith("invalid graph model version string", message);
        }
        else if (!compatible)
        {
            Assert.Equal($"incompatible model: version {version ?? "0.0"} in graph, but version 1.1 supported", message);
        }
    }

    internal static NodeDef Const(string name, TensorProto value) => new()
    {
        Name = name,
        Op = "Const",
        Attr = { ["dtype"] = new AttrValue { Type = value.Dtype }, ["value"] = new AttrValue { Tensor = value } },
    };

    internal static FrozenModel InMemory(GraphDef graph, string? path = null) => FrozenModelReader.FromGraph(graph, path, GraphFormat.Text);
}
