using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tests.Sample;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class GraphStructureValidatorTests
{
    private static GraphDef Sample() => SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a"));

    private static NodeDef Node(GraphDef g, string name) => g.Node.Single(n => n.Name == name);

    [Fact]
    public void GeneratedGraphIsClean() => Assert.Empty(GraphStructureValidator.Check(Sample(), GraphStructureValidator.CensusOps));

    [SkippableFact]
    public void ShippedReferenceModelsPassTheirOwnCensus()
    {
        foreach (string name in new[] { "deeppot.pbtxt", "deeppot-r.pbtxt", "dp-original.pbtxt", "fparam_aparam.pbtxt" })
        {
            var g = GraphFile.Read(TestData.Model(name), out _);
            Assert.Empty(GraphStructureValidator.Check(g, GraphStructureValidator.CensusOps));
        }
    }

    [Fact]
    public void DuplicateNamesAreReported()
    {
        var g = Sample();
        g.Node.Add(Node(g, "o_energy").Clone());
        Assert.Contains(GraphStructureValidator.Check(g), i => i.Kind == "DuplicateName" && i.Node == "o_energy");
    }

    [Fact]
    public void MissingInputsAndBadOutputIndicesAreReported()
    {
        var g = Sample();
        Node(g, "o_energy").Input[0] = "no_such_node";
        Node(g, "o_virial").Input[0] = "ProdVirialSeA:2";
        var issues = GraphStructureValidator.Check(g);
        Assert.Contains(issues, i => i.Kind == "MissingInput" && i.Node == "o_energy");
        Assert.Contains(issues, i => i.Kind == "BadOutputIndex" && i.Node == "o_virial");
    }

    [Fact]
    public void CyclesAreReported()
    {
        var g = Sample();
        Node(g, "o_rmat").Input[0] = "o_descriptor";
        Assert.Contains(GraphStructureValidator.Check(g), i => i.Kind == "Cycle");
    }

    [Fact]
    public void OpsOutsideTheAllowedSetAreReported()
    {
        var g = SampleModelGenerator.Generate(SampleHarness.Small("se_e2_a", "gelu"));
        var issues = GraphStructureValidator.Check(g, GraphStructureValidator.CensusOps);
        Assert.Contains(issues, i => i.Kind == "DisallowedOp" && i.Message.Contains("GeluCustom", StringComparison.Ordinal));
        Assert.Contains(issues, i => i.Kind == "DisallowedOp" && i.Message.Contains("GeluGradCustom", StringComparison.Ordinal));
        Assert.Empty(GraphStructureValidator.Check(g, GraphStructureValidator.SampleModelOps));
    }

    [Fact]
    public void DtypeAndArityMismatchesAreReported()
    {
        var g = Sample();
        // A float64 matmul fed by an int32 tensor, and a Reshape with its shape input dropped.
        Node(g, "filter_type_0/MatMul").Input[0] = "t_natoms";
        Node(g, "o_atom_virial").Input.RemoveAt(1);
        var issues = GraphStructureValidator.Check(g);
        Assert.Contains(issues, i => i.Kind == "DtypeMismatch" && i.Node == "filter_type_0/MatMul");
        Assert.Contains(issues, i => i.Kind == "ArityMismatch" && i.Node == "o_atom_virial");
        var ex = Assert.Throws<ModelStructureException>(() => GraphStructureValidator.Validate(g));
        Assert.Equal("InvalidGraphStructure", ex.ErrorId);
    }

    [Fact]
    public void Float32GraphsKeepDtypesConsistent()
    {
        var g = SampleModelGenerator.Generate(SampleHarness.Small("se_e3", "gelu_tf", "float32"));
        Assert.Empty(GraphStructureValidator.Check(g, GraphStructureValidator.SampleModelOps));
        var casts = g.Node.Where(n => n.Op == "Cast").ToList();
        Assert.Contains(casts, c => c.Attr["SrcT"].Type == DataType.DtDouble && c.Attr["DstT"].Type == DataType.DtFloat);
        Assert.Contains(casts, c => c.Attr["SrcT"].Type == DataType.DtFloat && c.Attr["DstT"].Type == DataType.DtDouble);
        Assert.Equal(DataType.DtFloat, Node(g, "filter_type_all/matrix_1_0_0").Attr["dtype"].Type);
        Assert.Equal(DataType.DtDouble, Node(g, "descrpt_attr/rcut").Attr["dtype"].Type);
    }
}
