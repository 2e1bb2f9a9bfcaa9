using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tests.Sample;
using DeepMdCompress.Core.Validation;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class GraphValidatorTests
{
    [SkippableTheory]
    [MemberData(nameof(TestData.SharedModels), "*.p*", MemberType = typeof(TestData))]
    public void EveryShippedDeepmdModelIsValid(string name)
    {
        var graph = GraphFile.Read(TestData.Model(name), out _);
        Assert.Empty(GraphValidator.FindProblems(graph));
    }

    private static GraphDef Small() => TextFormatParser.Parse("""
        node { name: "a" op: "Const" attr { key: "dtype" value { type: DT_DOUBLE } } attr { key: "value" value { tensor { dtype: DT_DOUBLE tensor_shape { } double_val: 1 } } } }
        node { name: "b" op: "AddN" input: "a" input: "a" attr { key: "N" value { i: 2 } } attr { key: "T" value { type: DT_DOUBLE } } }
        node { name: "c" op: "Identity" input: "b" attr { key: "T" value { type: DT_DOUBLE } } }
        """, GraphDef.Parser);

    [Fact]
    public void ASmallCorrectGraphPasses() => Assert.Empty(GraphValidator.FindProblems(Small()));

    [Fact]
    public void UnknownOpIsReported()
    {
        var g = Small();
        g.Node[2].Op = "TabulateFusionSeX";
        Assert.Contains(GraphValidator.FindProblems(g), p => p.Contains("op type 'TabulateFusionSeX' is not defined"));
    }

    [Fact]
    public void WrongArityMissingAttrWrongKindAndUnknownAttrAreReported()
    {
        var g = Small();
        g.Node[1].Input.Add("a");
        g.Node[2].Attr.Remove("T");
        g.Node[0].Attr["dtype"] = new AttrValue { I = 2 };
        g.Node[0].Attr["bogus"] = new AttrValue { I = 1 };
        var problems = GraphValidator.FindProblems(g);
        Assert.Contains(problems, p => p.Contains("has 3 data inputs but the op takes 2"));
        Assert.Contains(problems, p => p.Contains("required attr 'T' is missing"));
        Assert.Contains(problems, p => p.Contains("attr 'dtype' must be a type but is an int"));
        Assert.Contains(problems, p => p.Contains("attr 'bogus' is not defined"));
    }

    [Fact]
    public void DanglingInputsBadPortsDuplicatesAndCyclesAreReported()
    {
        var g = Small();
        g.Node[2].Input[0] = "nowhere";
        g.Node.Add(g.Node[2].Clone());
        g.Node[1].Input[1] = "a:3";
        var problems = GraphValidator.FindProblems(g);
        Assert.Contains(problems, p => p.Contains("input 'nowhere' names no node"));
        Assert.Contains(problems, p => p.Contains("asks for output 3"));
        Assert.Contains(problems, p => p.Contains("Duplicate node name 'c'"));

        var cyc = Small();
        cyc.Node[1].Input[1] = "c";
        Assert.Contains(GraphValidator.FindProblems(cyc), p => p.Contains("cycle"));
        Assert.Equal("InvalidGraph", Assert.Throws<GraphValidationException>(() => GraphValidator.Validate(cyc)).ErrorId);
    }

    [Fact]
    public void DtypesOfInputsMustMatchTheOpsTypeAttrs()
    {
        var g = SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a"));
        Assert.Empty(GraphValidator.FindProblems(g));
        NodeDef Node(string name) => g.Node.Single(n => n.Name == name);

        // A float64 MatMul fed an int32 tensor; a Reshape whose shape input is float64; ProdForceSeA's nlist from a float64 node.
        Node("filter_type_0/MatMul").Input[0] = "t_natoms";
        Node("o_energy").Input[1] = "descrpt_attr/rcut";
        var force = g.Node.Single(n => n.Op == "ProdForceSeA");
        force.Input[2] = "o_rmat";
        var problems = GraphValidator.FindProblems(g);
        Assert.Contains(problems, p => p.Contains("'filter_type_0/MatMul'") && p.Contains("input 0 't_natoms' is DT_INT32 but the op takes DT_DOUBLE"));
        Assert.Contains(problems, p => p.Contains("'o_energy'") && p.Contains("is DT_DOUBLE but the op takes DT_INT32"));
        Assert.Contains(problems, p => p.Contains($"'{force.Name}'") && p.Contains("input 2 'o_rmat' is DT_DOUBLE but the op takes DT_INT32"));
        Assert.Equal(3, problems.Count);

        // The dtype of a list argument follows N; a Cast's output is DstT; absent type attrs take the OpDef default.
        var cast = g.Node.First(n => n.Op == "Cast");
        cast.Attr["DstT"] = new AttrValue { Type = DataType.DtBool };
        Assert.NotEmpty(GraphValidator.FindProblems(g).Except(problems));
        var reshape = g.Node.First(n => n.Op == "Reshape");
        Assert.Equal(DataType.DtInt32, reshape.Attr["Tshape"].Type);
        reshape.Attr.Remove("Tshape");
        Assert.DoesNotContain(GraphValidator.FindProblems(g), p => p.Contains($"'{reshape.Name}'"));
    }

    [Fact]
    public void MultiOutputOpsGiveEachOutputItsType()
    {
        // BroadcastGradientArgs' outputs are T: with T int64, the Sum reading one as its Tidx (int32) input is wrong,
        // and so are its own int32 Shape inputs.
        var g = SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a", "relu6", "float32", true, new[] { 0, 1 }));
        Assert.Empty(GraphValidator.FindProblems(g));
        var args = g.Node.First(n => n.Op == "BroadcastGradientArgs");
        args.Attr["T"] = new AttrValue { Type = DataType.DtInt64 };
        var problems = GraphValidator.FindProblems(g);
        Assert.Contains(problems, p => p.Contains("(Sum): input 1 '" + args.Name) && p.EndsWith("is DT_INT64 but the op takes DT_INT32 there.", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith($"Node '{args.Name}'", StringComparison.Ordinal) && p.Contains("input 0") && p.Contains("is DT_INT32 but the op takes DT_INT64"));
    }
}
