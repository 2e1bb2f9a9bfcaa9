using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class IntrospectionTests
{
    [SkippableFact]
    public void DeepPotIsSeE2A()
    {
        var m = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        Assert.Equal("se_e2_a", m.DescriptorType);
        Assert.Equal(new[] { "O", "H" }, m.TypeMap);
        Assert.Equal(2, m.NTypes);
        Assert.Equal(6.0, m.Rcut);
        Assert.Equal(0.5, m.RcutSmth);
        Assert.Equal(new[] { 46, 92 }, m.Sel);
        Assert.Equal(new[] { 2, 4, 8 }, m.EmbeddingNeuron);
        Assert.Equal("tanh", m.Activation);
        Assert.Equal("float64", m.Precision);
        Assert.False(m.TypeOneSide);
        Assert.Empty(m.ExcludeTypes!);
        Assert.Equal(new[] { 6, 6, 6 }, m.FittingNeuron);
        Assert.Equal("ener", m.ModelType);
        Assert.Equal("1.1", m.ModelVersion);
        Assert.False(m.IsCompressed);
        Assert.Null(m.RootModelType);
        Assert.Equal(0, m.DimFParam);
        Assert.Equal(0, m.DimAParam);
        Assert.Null(m.TrainingScript);
        Assert.Null(m.MinNborDist);
        Assert.Equal(1211, m.NodeCount);
        Assert.Equal(GraphFormat.Text, m.Format);
        Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" }, m.EmbeddingNets.Select(n => n.Name));
        Assert.Equal("filter_type_1/matrix_2_0", m.EmbeddingNets[2].MatrixName(2));
        Assert.False(m.ResnetDt);
    }

    [SkippableFact]
    public void DeepPotRIsSeE2R()
    {
        var m = FrozenModelReader.Load(TestData.Model("deeppot-r.pbtxt"));
        Assert.Equal("se_e2_r", m.DescriptorType);
        Assert.Equal(1.0, m.RcutSmth);
        Assert.Equal(new[] { 46, 92 }, m.Sel);
        Assert.Equal(new[] { 2, 4, 8 }, m.EmbeddingNeuron);
        Assert.Equal(new[] { 4, 4, 4 }, m.FittingNeuron);
    }

    [SkippableFact]
    public void Sea012IsLegacyWithoutVersion()
    {
        var m = FrozenModelReader.Load(TestData.Model("sea_012.pbtxt"));
        Assert.Null(m.ModelVersion);
        Assert.Null(m.ModelType);
        Assert.Equal("se_e2_a", m.DescriptorType);
        Assert.Equal("DescrptNorot", m.DescriptorOp);
        Assert.Equal(6.0, m.Rcut);
        Assert.Equal(5.8, m.RcutSmth);
        Assert.Equal(2, m.NTypes);
        Assert.Equal(new[] { 1, 1 }, m.Sel);
        Assert.Null(m.TypeMap);
        Assert.Contains(m.Notes, n => n.StartsWith("ModelVersion:", StringComparison.Ordinal));
        Assert.Contains(m.Notes, n => n.StartsWith("TypeMap:", StringComparison.Ordinal));
        Assert.Equal(new[] { 1 }, m.EmbeddingNeuron);
    }

    [SkippableFact]
    public void GraphPbAndDpOriginalAreOldSeE2A()
    {
        var g = FrozenModelReader.Load(TestData.Model("graph.000.pb"));
        Assert.Equal(GraphFormat.Binary, g.Format);
        Assert.Equal("1.0", g.ModelVersion);
        Assert.Equal(new[] { 20, 40, 80 }, g.EmbeddingNeuron);
        Assert.Equal(new[] { 60, 60, 60 }, g.FittingNeuron);
        Assert.Equal("tanh", g.Activation);

        var d = FrozenModelReader.Load(TestData.Model("dp-original.pbtxt"));
        Assert.Equal(new[] { 4, 8, 16 }, d.EmbeddingNeuron);
        Assert.Equal(new[] { 20, 20, 20 }, d.FittingNeuron);
        Assert.Equal("tanh", d.Activation);
        Assert.Null(d.MinNborDist);
    }

    [SkippableFact]
    public void FParamAParamTakesTypeMapFromScript()
    {
        var m = FrozenModelReader.Load(TestData.Model("fparam_aparam.pbtxt"));
        Assert.Equal(1, m.DimFParam);
        Assert.Equal(1, m.DimAParam);
        Assert.Equal(new[] { "O" }, m.TypeMap);
        Assert.Contains(m.Notes, n => n.Contains("model_attr/tmap is empty"));
        Assert.Equal(1.8, m.RcutSmth);
        Assert.Equal(new[] { 5, 10, 20 }, m.EmbeddingNeuron);
        Assert.NotNull(m.TrainingScript);
        Assert.NotNull(m.TrainingScriptJson);
        Assert.NotNull(m.MinNborDist);
        Assert.Equal("original_model", m.RootModelType);
    }

    [SkippableFact]
    public void TypeEmbeddingAndAttentionModelsAreRecognised()
    {
        var atten = FrozenModelReader.Load(TestData.Model("se_atten_no_atten_1.pbtxt"));
        Assert.Equal("se_atten", atten.DescriptorType);
        Assert.Equal(new[] { 10 }, atten.Sel);
        var tebd = FrozenModelReader.Load(TestData.Model("se_e2_a_tebd.pbtxt"));
        Assert.Equal("se_a_tpe", tebd.DescriptorType);
        Assert.Contains(tebd.Notes, n => n.StartsWith("DescriptorType:", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void TensorModelsHaveTheirType()
    {
        Assert.Equal("dipole", FrozenModelReader.Load(TestData.Model("deepdipole.pbtxt")).ModelType);
        var polar = FrozenModelReader.Load(TestData.Model("deeppolar.pbtxt"));
        Assert.Equal("polar", polar.ModelType);
        Assert.Equal(6.0, polar.Rcut);
        Assert.Equal(4.0, FrozenModelReader.Load(TestData.Model("deepdipole.pbtxt")).Rcut);
    }

    [Fact]
    public void TinyModelFacts()
    {
        var m = FrozenModelReader.Load(TestData.Local("tiny_se_a.pbtxt"));
        Assert.Equal("se_e2_a", m.DescriptorType);
        Assert.Equal(new[] { "A", "B" }, m.TypeMap);
        Assert.Equal(4.0, m.Rcut);
        Assert.Equal(1.5, m.RcutSmth);
        Assert.Equal(new[] { 2, 4 }, m.EmbeddingNeuron);
        Assert.Equal(new[] { 1, 1 }, m.Sel);
        Assert.Equal(4, m.EmbeddingNets.Count);
        Assert.Equal(new[] { 3 }, m.FittingNeuron);
        Assert.Equal("tanh", m.Activation);
    }
}
