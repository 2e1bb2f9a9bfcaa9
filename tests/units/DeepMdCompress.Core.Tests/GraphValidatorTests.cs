using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
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
        Assert.Contains(problems, p => p.Contains("attr 'dtype' must be Type"));
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
}
