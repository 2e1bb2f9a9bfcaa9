using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Versioning;
using Xunit;
using static DeepMdCompress.Core.Tests.Versioning.VersionDetectionTests;

namespace DeepMdCompress.Core.Tests.Versioning;

public class ModelVersionInfoTests
{
    [SkippableFact]
    public void Sea012NeedsConversionAndThenOnlyMinNborDist()
    {
        var model = FrozenModelReader.Load(TestData.Model("sea_012.pbtxt"));
        var info = ModelVersionInspector.Inspect(model);
        Assert.Same(model, info.Model);
        Assert.Equal("0.12", info.SourceVersion);
        Assert.Null(info.ModelVersion);
        Assert.False(info.IsLoadable); // no version: the loader uses "0.0"
        Assert.False(info.IsCompressible);
        Assert.True(info.NeedsConversion);
        Assert.Contains("upgrade with Convert-LegacyModel -From 0.12", info.Reason);
        Assert.Contains("model_attr/model_version", info.MissingForLoading);
        Assert.Contains("o_energy", info.MissingForLoading);

        // Converted, it loads; but deepmd-kit 0.12's nets have one layer each, which dp compress cannot tabulate.
        var after = ModelVersionInspector.Inspect(LegacyModelConverter.Convert(model).Model);
        Assert.Equal(("2.1", "1.1", true, false, false), (after.SourceVersion, after.ModelVersion, after.IsLoadable, after.IsCompressible, after.NeedsConversion));
        Assert.Equal("SingleLayerNet", after.Refusal?.ErrorId);
        Assert.Empty(after.MissingForLoading);
        Assert.Equal(new[] { "train_attr/min_nbor_dist", "train_attr/training_script" }, after.MissingForCompression);
    }

    [SkippableFact]
    public void AModelWithMinNborDistNeedsNothingMore()
    {
        var info = ModelVersionInspector.Inspect(FrozenModelReader.Load(TestData.Model("fparam_aparam.pbtxt")));
        Assert.True(info.IsLoadable);
        Assert.True(info.IsCompressible);
        Assert.DoesNotContain("MinNborDist", info.Reason);
        Assert.Empty(info.MissingForCompression);
        Assert.Empty(info.MissingForLoading); // dfparam = daparam = 1: t_fparam and t_aparam are there too
    }

    [SkippableFact]
    public void TwoPointZeroModelLoadsAndCompresses()
    {
        var info = ModelVersionInspector.Inspect(FrozenModelReader.Load(TestData.Model("dp-original.pbtxt")));
        Assert.Equal(("2.0", "1.0", true, true, false), (info.SourceVersion, info.ModelVersion, info.IsLoadable, info.IsCompressible, info.NeedsConversion));
        Assert.Contains("Convert-LegacyModel -From 2.0", info.Reason);
        Assert.Contains("-MinNborDist", info.Reason);
    }

    [Fact]
    public void AmbiguousGraphSaysSo()
    {
        var graph = LegacyConversionTests.Legacy13Tiny();
        graph.Node.Single(n => n.Op == "DescrptSeA").Attr.Remove("T");
        var info = ModelVersionInspector.Inspect(InMemory(graph));
        Assert.Equal("1.2", info.SourceVersion);
        Assert.True(info.IsAmbiguous);
        Assert.Contains("1.1/1.2 ambiguous", info.Reason);
        Assert.Contains("Convert-LegacyModel -From 1.2", info.Reason);
    }

    [Fact]
    public void CompressedModelIsNotCompressible()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        graph.Node.Add(Const("model_type", TensorEncoder.ScalarString("compressed_model")));
        var info = ModelVersionInspector.Inspect(InMemory(graph));
        Assert.Equal("2.1", info.SourceVersion);
        Assert.False(info.IsCompressible);
        Assert.Contains("already compressed; compress the original", info.Reason);
    }

    [Fact]
    public void TinyModelLacksTheOutputsTheLoaderFetches()
    {
        var info = ModelVersionInspector.Inspect(FrozenModelReader.Load(TestData.Local("tiny_se_a.pbtxt")));
        Assert.Equal("2.1", info.SourceVersion);
        Assert.True(info.IsCompressible, info.Reason);
        Assert.False(info.IsLoadable);
        Assert.Equal(new[] { "o_energy", "o_force", "o_atom_energy", "o_atom_virial" }, info.MissingForLoading);
        Assert.Contains("would not find o_energy", info.Reason);
    }

    [Fact]
    public void WrongDtypeOfALoaderScalarIsReported()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        var node = graph.Node.Single(n => n.Name == "descrpt_attr/ntypes");
        node.Attr["value"] = new Proto.AttrValue { Tensor = TensorEncoder.ScalarDouble(2.0) };
        node.Attr["dtype"] = new Proto.AttrValue { Type = Proto.DataType.DtDouble };
        var missing = CppLoaderNodes.Missing(InMemory(graph));
        Assert.Contains("descrpt_attr/ntypes (DT_DOUBLE, read as DT_INT32)", missing);
    }

    [Theory]
    [InlineData("1.2", false)]
    [InlineData("2.0", false)]
    public void UnknownVersionIsNeitherLoadableNorCompressible(string version, bool loadable)
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        graph.Node.Single(n => n.Name == "model_attr/model_version").Attr["value"].Tensor.StringVal[0] = Google.Protobuf.ByteString.CopyFromUtf8(version);
        var info = ModelVersionInspector.Inspect(InMemory(graph));
        Assert.Null(info.SourceVersion);
        Assert.Equal(version, info.ModelVersion);
        Assert.Equal(loadable, info.IsLoadable);
        Assert.False(info.IsCompressible);
        Assert.False(info.NeedsConversion);
        Assert.Contains("unknown deepmd-kit version", info.Reason);
        Assert.Contains($"incompatible model: version {version} in graph", info.Reason);
    }
}
