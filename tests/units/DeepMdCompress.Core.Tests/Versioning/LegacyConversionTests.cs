using System.Security.Cryptography;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Versioning;
using Google.Protobuf;
using Xunit;
using static DeepMdCompress.Core.Tests.Versioning.VersionDetectionTests;

namespace DeepMdCompress.Core.Tests.Versioning;

public class LegacyConversionTests
{
    private static readonly string[] VersionConstants =
    {
        "fitting_attr/dfparam", "model_attr/model_type", "model_attr/tmap", "fitting_attr/daparam", "model_attr/model_version",
    };

    /// <summary>
    /// deeppot taken back to 1.3/1.2/1.0/0.12 converts to deeppot again: every node equal and in place, except the
    /// constants the steps append (in deepmd-kit's order, with its values), and equal to deepmd-kit's text conversion.
    /// </summary>
    [SkippableTheory]
    [InlineData("1.3", new[] { "model_attr/model_version" })]
    [InlineData("1.2", new[] { "model_attr/model_version" })]
    [InlineData("1.0", new[] { "fitting_attr/daparam", "model_attr/model_version" })]
    [InlineData("0.12", new[] { "fitting_attr/dfparam", "model_attr/model_type", "model_attr/tmap", "fitting_attr/daparam", "model_attr/model_version" })]
    public void LegacyDeeppotConvertsBackToTheOriginal(string version, string[] appended)
    {
        var original = GraphFile.Read(TestData.Model("deeppot.pbtxt"), out _);
        string text = DeepmdTextOracle.LegacyDeeppot(version);
        var legacy = DeepmdTextOracle.Parse(text);
        var converted = LegacyModelConverter.ConvertGraph(legacy, version, out var steps);

        Assert.Equal(DeepmdTextOracle.Parse(DeepmdTextOracle.Convert(text, version)), converted);
        Assert.Equal(version switch { "1.3" => 2, "1.2" => 3, "1.0" => 4, _ => 5 }, steps.Count);

        var kept = converted.Node.Take(converted.Node.Count - appended.Length).ToList();
        Assert.Equal(original.Node.Where(n => !appended.Contains(n.Name)), kept);
        Assert.Equal(appended, converted.Node.Skip(kept.Count).Select(n => n.Name));
        foreach (var node in converted.Node.Skip(kept.Count))
        {
            AssertAppendedConst(node);
            string expected = node.Name switch
            {
                "model_attr/model_version" => "1.1",
                "model_attr/model_type" => "ener",
                "model_attr/tmap" => string.Empty, // deepmd-kit 0.12 graphs have no type map
                _ => "0",
            };
            var value = TensorDecoder.Decode(node.Attr["value"].Tensor, node.Name);
            Assert.Equal(expected, value.DType == DataType.DtString ? value.ScalarString() : value.ScalarInt64().ToString());
            if (node.Name != "model_attr/tmap")
            {
                Assert.Equal(original.Node.Single(n => n.Name == node.Name).Attr["value"].Tensor.Dtype, value.DType);
            }
        }

        Assert.Equal("2.1", ModelVersionDetector.Detect(converted).SourceVersion);
    }

    [SkippableFact]
    public void Sea012ConvertsLikeDeepmdKitsTextConversion()
    {
        string path = TestData.Model("sea_012.pbtxt");
        var graph = GraphFile.Read(path, out _);
        var converted = LegacyModelConverter.ConvertGraph(graph, "0.12", out var steps);
        Assert.Equal(5, steps.Count);
        Assert.Equal(DeepmdTextOracle.Parse(DeepmdTextOracle.Convert(File.ReadAllText(path), "0.12")), converted);
        Assert.Equal(graph.Node.Count + 5, converted.Node.Count);
    }

    /// <summary>Every node deepmd-kit's C++ DeepPot reads (docs/versions.md#what-deepmd-kits-c-inference-loads), with the dtype it reads it as.</summary>
    [SkippableFact]
    public void ConvertedSea012HasEverythingTheCppLoaderReads()
    {
        var model = FrozenModelReader.Load(TestData.Model("sea_012.pbtxt"));
        var converted = LegacyModelConverter.Convert(model).Model;
        var index = new GraphIndex(converted.GetGraphDef());

        Assert.Equal("1.1", index.TryGetConst("model_attr/model_version")!.ScalarString());
        Assert.True(CppModelVersion.IsCompatible(converted.ModelVersion, out _));
        var rcut = index.TryGetConst("descrpt_attr/rcut")!;
        Assert.Equal(DataType.DtDouble, rcut.DType); // decides the input precision
        Assert.Equal(6.0, rcut.ScalarDouble());
        Assert.Equal((DataType.DtInt32, 2L), (index.TryGetConst("descrpt_attr/ntypes")!.DType, index.TryGetConst("descrpt_attr/ntypes")!.ScalarInt64()));
        foreach (string name in new[] { "fitting_attr/dfparam", "fitting_attr/daparam" })
        {
            var v = index.TryGetConst(name)!;
            Assert.Equal((DataType.DtInt32, 0L), (v.DType, v.ScalarInt64()));
        }

        Assert.Equal("ener", index.TryGetConst("model_attr/model_type")!.ScalarString());
        Assert.Equal(string.Empty, index.TryGetConst("model_attr/tmap")!.ScalarString());
        foreach (string input in new[] { "t_coord", "t_type", "t_box", "t_mesh", "t_natoms" })
        {
            Assert.Equal("Placeholder", index.Get(input).Op);
        }

        foreach (string output in new[] { "o_energy", "o_force", "o_atom_energy", "o_atom_virial", "o_virial" })
        {
            Assert.True(index.Contains(output), output);
        }

        Assert.Empty(CppLoaderNodes.Missing(converted));
        Assert.Equal("ProdEnvMatA", index.Get("ProdEnvMatA").Op);
        Assert.Equal("ProdForceSeA", index.Get("ProdForceSeA").Op);
        Assert.Equal("ProdVirialSeA", index.Get("ProdVirialSeA").Op);
        AssertWellFormed(converted.GetGraphDef());
        Assert.DoesNotContain(converted.GetGraphDef().Node, n => n.Name.Contains("Norot") || n.Name.Contains("_test") || n.Name is "t_rcut" or "t_ntypes");
    }

    [SkippableTheory]
    [InlineData("graph.000.pb")]
    [InlineData("dp-original.pbtxt")]
    public void TwoPointZeroModelsConvertTo21ChangingOnlyTheVersion(string name)
    {
        string path = TestData.Model(name);
        var model = FrozenModelReader.Load(path);
        Assert.Equal("2.0", ModelVersionInspector.Inspect(model).SourceVersion);
        var result = LegacyModelConverter.Convert(model);
        Assert.True(result.Changed);
        Assert.Equal("2.0", result.From);
        var converted = result.Model.GetGraphDef();
        Assert.Equal("2.1", ModelVersionDetector.Detect(converted).SourceVersion);
        Assert.Equal("1.1", result.Model.ModelVersion);

        var original = model.GetGraphDef();
        Assert.Equal(original.Node.Count, converted.Node.Count);
        var differing = original.Node.Zip(converted.Node).Where(p => !p.First.Equals(p.Second)).Select(p => p.Second.Name).ToList();
        Assert.Equal(new[] { "model_attr/model_version" }, differing);
        Assert.Equal(DeepmdTextOracle.Parse(DeepmdTextOracle.Convert(DeepmdTextOracle.Dump(path, original), "2.0")), converted);
    }

    [SkippableFact]
    public void InputModelGraphAndFileAreUnchanged()
    {
        string path = TestData.Model("sea_012.pbtxt");
        byte[] hash = SHA256.HashData(File.ReadAllBytes(path));
        var model = FrozenModelReader.Load(path);
        var before = model.GetGraphDef().Clone();
        var notes = model.Notes.ToList();

        var result = LegacyModelConverter.Convert(model);

        Assert.NotSame(model, result.Model);
        Assert.NotSame(model.GetGraphDef(), result.Model.GetGraphDef());
        Assert.Equal(before, model.GetGraphDef());
        Assert.Equal(notes, model.Notes);
        Assert.Null(model.ModelVersion);
        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(model.Path, result.Model.Path);
        Assert.Equal(model.Format, result.Model.Format);
        Assert.Contains(result.Model.Notes, n => n.StartsWith("Converted in memory from deepmd-kit 0.12", StringComparison.Ordinal));
    }

    [Fact]
    public void Step012RenamesNamesInputsOpsAndColocationConsistently()
    {
        var g = new GraphDef();
        g.Node.Add(Const("t_rcut", TensorEncoder.ScalarDouble(6.0)));
        g.Node.Add(Const("t_ntypes", TensorEncoder.ScalarInt32(2)));
        g.Node.Add(new NodeDef { Name = "DescrptNorot", Op = "DescrptNorot", Input = { "Reshape", "t_rcut", "^t_ntypes" } });
        g.Node.Add(new NodeDef { Name = "ProdForceNorot", Op = "ProdForceNorot", Input = { "DescrptNorot:1", "DescrptNorot:3" } });
        g.Node.Add(new NodeDef { Name = "ProdVirialNorot", Op = "ProdVirialNorot", Input = { "DescrptNorot:2" } });
        g.Node.Add(new NodeDef { Name = "atom_energy_test", Op = "Reshape", Input = { "x" } });
        g.Node.Add(new NodeDef { Name = "atom_energy_test/shape/0", Op = "Const" });
        g.Node.Add(new NodeDef { Name = "energy_test", Op = "Sum", Input = { "atom_energy_test" } });
        g.Node.Add(new NodeDef { Name = "gradients/energy_test_grad/Tile", Op = "Tile", Input = { "^energy_test" } });
        g.Node.Add(new NodeDef { Name = "force_test", Op = "Reshape", Input = { "ProdForceNorot" } });
        g.Node.Add(new NodeDef { Name = "virial_test", Op = "Reshape", Input = { "ProdVirialNorot" } });
        g.Node.Add(new NodeDef { Name = "atom_virial_test", Op = "Reshape", Input = { "ProdVirialNorot:1" } });
        g.Node.Add(new NodeDef
        {
            Name = "w",
            Op = "Identity",
            Input = { "t_rcut" },
            Attr = { ["_class"] = new AttrValue { List = new AttrValue.Types.ListValue { S = { ByteString.CopyFromUtf8("loc:@t_rcut") } } } },
        });

        string account = LegacyConversionSteps.From012To10(g, default);

        Assert.Equal(
            new[]
            {
                "descrpt_attr/rcut", "descrpt_attr/ntypes", "DescrptSeA", "ProdForceSeA", "ProdVirialSeA", "o_atom_energy", "o_atom_energy/shape/0",
                "o_energy", "gradients/o_energy_grad/Tile", "o_force", "o_virial", "o_atom_virial", "w",
                "fitting_attr/dfparam", "model_attr/model_type", "model_attr/tmap",
            },
            g.Node.Select(n => n.Name));
        Assert.Equal(new[] { "DescrptSeA", "ProdForceSeA", "ProdVirialSeA" }, g.Node.Skip(2).Take(3).Select(n => n.Op));
        Assert.Equal(new[] { "Reshape", "descrpt_attr/rcut", "^descrpt_attr/ntypes" }, g.Node[2].Input);
        Assert.Equal(new[] { "DescrptSeA:1", "DescrptSeA:3" }, g.Node[3].Input);
        Assert.Equal(new[] { "o_atom_energy" }, g.Node[7].Input);
        Assert.Equal(new[] { "^o_energy" }, g.Node[8].Input);
        Assert.Equal(new[] { "ProdVirialSeA:1" }, g.Node[11].Input);
        Assert.Equal("loc:@descrpt_attr/rcut", g.Node[12].Attr["_class"].List.S[0].ToStringUtf8());
        Assert.Contains("renamed", account);

        var appended = g.Node.Skip(13).ToList();
        appended.ForEach(AssertAppendedConst);
        Assert.Equal(0, TensorDecoder.Decode(appended[0].Attr["value"].Tensor, "").ScalarInt64());
        Assert.Equal(DataType.DtInt32, appended[0].Attr["dtype"].Type);
        Assert.Equal("ener", TensorDecoder.Decode(appended[1].Attr["value"].Tensor, "").ScalarString());
        Assert.Equal(string.Empty, TensorDecoder.Decode(appended[2].Attr["value"].Tensor, "").ScalarString());
        Assert.Single(appended[2].Attr["value"].Tensor.StringVal);
    }

    [Fact]
    public void Step10AddsDaparam()
    {
        var g = new GraphDef();
        LegacyConversionSteps.From10To11(g);
        var node = Assert.Single(g.Node);
        Assert.Equal("fitting_attr/daparam", node.Name);
        AssertAppendedConst(node);
        Assert.Equal((DataType.DtInt32, 0L), (node.Attr["dtype"].Type, TensorDecoder.Decode(node.Attr["value"].Tensor, "").ScalarInt64()));
    }

    [Fact]
    public void Step12AddsTOnlyToSeANodesWithoutOne()
    {
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "DescrptSeA", Op = "DescrptSeA", Attr = { ["sel_a"] = new AttrValue { I = 1 } } });
        g.Node.Add(new NodeDef { Name = "ProdForceSeA", Op = "ProdForceSeA", Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } } });
        g.Node.Add(new NodeDef { Name = "scope/ProdVirialSeA", Op = "ProdVirialSeA" });
        g.Node.Add(new NodeDef { Name = "DescrptSeR", Op = "DescrptSeR" });
        g.Node.Add(new NodeDef { Name = "Reshape", Op = "Reshape", Input = { "DescrptSeA" } });

        LegacyConversionSteps.From12To13(g);

        Assert.Equal(DataType.DtDouble, g.Node[0].Attr["T"].Type);
        Assert.Equal(1L, g.Node[0].Attr["sel_a"].I);
        Assert.Equal(DataType.DtFloat, g.Node[1].Attr["T"].Type); // the parser keeps the node's own T
        Assert.Equal(DataType.DtDouble, g.Node[2].Attr["T"].Type);
        Assert.Empty(g.Node[3].Attr);
        Assert.Empty(g.Node[4].Attr);
    }

    [Fact]
    public void Step13AddsTheVersionAndRenamesEnvMatOps()
    {
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "DescrptSeA", Op = "DescrptSeA" });
        g.Node.Add(new NodeDef { Name = "DescrptSeR_1", Op = "DescrptSeR" });
        g.Node.Add(new NodeDef { Name = "o_rmat", Op = "Identity", Input = { "DescrptSeA:0", "^DescrptSeR_1" } });

        LegacyConversionSteps.From13To20(g, default);

        Assert.Equal(new[] { "ProdEnvMatA", "ProdEnvMatR_1", "o_rmat", "model_attr/model_version" }, g.Node.Select(n => n.Name));
        Assert.Equal(new[] { "ProdEnvMatA", "ProdEnvMatR", "Identity", "Const" }, g.Node.Select(n => n.Op));
        Assert.Equal(new[] { "ProdEnvMatA:0", "^ProdEnvMatR_1" }, g.Node[2].Input);
        AssertAppendedConst(g.Node[3]);
        Assert.Equal("1.0", TensorDecoder.Decode(g.Node[3].Attr["value"].Tensor, "").ScalarString());
    }

    [Fact]
    public void Step20RaisesTheVersionAndRenamesTabulateFusionOps()
    {
        var g = new GraphDef();
        g.Node.Add(Const("model_attr/model_version", TensorEncoder.ScalarString("1.0")));
        g.Node.Add(new NodeDef { Name = "filter_type_0/TabulateFusion", Op = "TabulateFusion", Input = { "table", "^t_mesh" } });
        g.Node.Add(new NodeDef { Name = "gradients/filter_type_0/TabulateFusion_grad/TabulateFusionGrad", Op = "TabulateFusionGrad", Input = { "filter_type_0/TabulateFusion:0" } });
        g.Node.Add(new NodeDef { Name = "gg", Op = "TabulateFusionGradGrad", Input = { "^gradients/filter_type_0/TabulateFusion_grad/TabulateFusionGrad" } });
        g.Node.Add(new NodeDef { Name = "t", Op = "TabulateFusionSeT", Input = { "TabulateFusionSeA_1" } });
        string text = string.Concat(g.Node.Select(n => TextFormatWriter.ToText(new GraphDef { Node = { n } })));

        LegacyConversionSteps.From20To21(g, default);

        Assert.Equal("1.1", TensorDecoder.Decode(g.Node[0].Attr["value"].Tensor, "").ScalarString());
        Assert.Equal(new[] { "Const", "TabulateFusionSeA", "TabulateFusionSeAGrad", "TabulateFusionSeAGradGrad", "TabulateFusionSeT" }, g.Node.Select(n => n.Op));
        Assert.Equal("filter_type_0/TabulateFusionSeA", g.Node[1].Name);
        Assert.Equal("gradients/filter_type_0/TabulateFusionSeA_grad/TabulateFusionSeAGrad", g.Node[2].Name);
        Assert.Equal(new[] { "filter_type_0/TabulateFusionSeA:0" }, g.Node[2].Input);
        Assert.Equal(new[] { "^gradients/filter_type_0/TabulateFusionSeA_grad/TabulateFusionSeAGrad" }, g.Node[3].Input);

        // deepmd-kit's text replacement agrees on every node except the one that already had a 2.1 name, which it would corrupt.
        var theirs = DeepmdTextOracle.Parse(DeepmdTextOracle.Convert(text, "2.0"));
        Assert.Equal(g.Node.Take(4), theirs.Node.Take(4));
        Assert.Equal("TabulateFusionSeASeA_1", theirs.Node[4].Input[0]);
        Assert.Equal("TabulateFusionSeA_1", g.Node[4].Input[0]);
    }

    [Fact]
    public void ARenameOntoAnExistingNameIsAConflict()
    {
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "d", Op = "DescrptNorot" });
        g.Node.Add(Const("t_rcut", TensorEncoder.ScalarDouble(6.0)));
        g.Node.Add(Const("descrpt_attr/rcut", TensorEncoder.ScalarDouble(6.0)));
        var ex = Assert.Throws<ModelVersionException>(() => LegacyModelConverter.ConvertGraph(g, "0.12", out _));
        Assert.Equal("ConversionConflict", ex.ErrorId);
        Assert.Contains("descrpt_attr/rcut", ex.Message);
    }

    [Fact]
    public void AnAppendedConstantThatExistsIsAConflict()
    {
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "d", Op = "DescrptNorot" });
        g.Node.Add(Const("model_attr/model_type", TensorEncoder.ScalarString("ener")));
        var ex = Assert.Throws<ModelVersionException>(() => LegacyModelConverter.ConvertGraph(g, "0.12", out _));
        Assert.Equal("ConversionConflict", ex.ErrorId);
        Assert.Equal(DeepMdErrorKind.InvalidData, ex.Kind);
        Assert.Single(g.Node, n => n.Name == "model_attr/model_type"); // the input graph is untouched
        Assert.Equal(2, g.Node.Count);
    }

    [Fact]
    public void CurrentModelIsReturnedUnchanged()
    {
        var model = FrozenModelReader.Load(TestData.Local("tiny_se_a.pbtxt"));
        var result = LegacyModelConverter.Convert(model);
        Assert.False(result.Changed);
        Assert.Same(model, result.Model);
        Assert.Equal("2.1", result.From);
        Assert.Empty(result.Steps);
    }

    [Fact]
    public void LocalTinyModelTakenBackTo13ConvertsBack()
    {
        var original = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        var legacy = original.Clone();
        legacy.Node.Remove(legacy.Node.Single(n => n.Name == "model_attr/model_version"));
        foreach (var n in legacy.Node.Where(n => n.Op == "ProdEnvMatA"))
        {
            n.Name = n.Op = "DescrptSeA";
        }

        var model = InMemory(legacy);
        var info = ModelVersionInspector.Inspect(model);
        Assert.Equal(("1.3", false, false), (info.SourceVersion, info.IsLoadable, info.IsCompressible));
        Assert.Contains("Convert-LegacyModel -From 1.3", info.Reason);

        var converted = LegacyModelConverter.Convert(model).Model.GetGraphDef();
        Assert.Equal(original.Node.Where(n => n.Name != "model_attr/model_version"), converted.Node.Take(original.Node.Count - 1));
        Assert.Equal("model_attr/model_version", converted.Node.Last().Name);
    }

    [Fact]
    public void FromThatDisagreesIsAMismatchUnlessForced()
    {
        var model = InMemory(Legacy13Tiny());
        var ex = Assert.Throws<ModelVersionException>(() => LegacyModelConverter.Convert(model, "1.0"));
        Assert.Equal("VersionMismatch", ex.ErrorId);
        Assert.Equal(DeepMdErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("1.3", ex.Message);

        // Forced: the 1.0 step appends daparam, which exists, so deepmd-kit's graph would have two; refused here.
        var conflict = Assert.Throws<ModelVersionException>(() => LegacyModelConverter.Convert(model, "1.0", force: true));
        Assert.Equal("ConversionConflict", conflict.ErrorId);

        // Forced as 1.2: T already on ProdEnvMat, so the same result as from 1.3.
        var forced = LegacyModelConverter.Convert(model, "1.2", force: true);
        Assert.Equal(LegacyModelConverter.Convert(model).Model.GetGraphDef(), forced.Model.GetGraphDef());
    }

    [Fact]
    public void OneOneAndOneTwoAreTheSameToTheConverter()
    {
        var graph = Legacy13Tiny();
        graph.Node.Single(n => n.Op == "DescrptSeA").Attr.Remove("T");
        var model = InMemory(graph);
        Assert.Equal("1.2", ModelVersionDetector.Detect(graph).SourceVersion);
        var from11 = LegacyModelConverter.Convert(model, "1.1");
        var from12 = LegacyModelConverter.Convert(model, "1.2");
        Assert.Equal(from12.Model.GetGraphDef(), from11.Model.GetGraphDef());
        Assert.Equal(DataType.DtDouble, from11.Model.GetGraphDef().Node.Single(n => n.Op == "ProdEnvMatA").Attr["T"].Type);
    }

    [Theory]
    [InlineData("2.2")]
    [InlineData("0.11")]
    [InlineData("auto")]
    public void AnUnknownFromIsRefused(string from)
    {
        var model = FrozenModelReader.Load(TestData.Local("tiny_se_a.pbtxt"));
        var ex = Assert.Throws<ModelVersionException>(() => LegacyModelConverter.Convert(model, from, force: true));
        Assert.Equal("InvalidSourceVersion", ex.ErrorId);
    }

    [Fact]
    public void AnUndetectableModelNeedsFromAndForce()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        var version = graph.Node.Single(n => n.Name == "model_attr/model_version");
        version.Attr["value"].Tensor.StringVal[0] = ByteString.CopyFromUtf8("7.3");
        var model = InMemory(graph);
        Assert.Equal("UnknownModelVersion", Assert.Throws<ModelVersionException>(() => LegacyModelConverter.Convert(model)).ErrorId);
        Assert.Equal("VersionMismatch", Assert.Throws<ModelVersionException>(() => LegacyModelConverter.Convert(model, "2.0")).ErrorId);
        var forced = LegacyModelConverter.Convert(model, "2.0", force: true);
        Assert.False(forced.Changed); // "7.3" is not the "1.0" block the 2.0 step replaces, and there is no TabulateFusion
        Assert.Same(model, forced.Model);
    }

    [Fact]
    public void CancellationIsHonoured()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => LegacyModelConverter.ConvertGraph(graph, "0.12", out _, cts.Token));
    }

    /// <summary>The local tiny model with the 1.3 layout: no version node, the env-mat op named DescrptSeA.</summary>
    internal static GraphDef Legacy13Tiny()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        graph.Node.Remove(graph.Node.Single(n => n.Name == "model_attr/model_version"));
        var envMat = graph.Node.Single(n => n.Op == "ProdEnvMatA");
        envMat.Name = envMat.Op = "DescrptSeA";
        return graph;
    }

    /// <summary>deepmd-kit's appended constants: exactly dtype and value, a scalar shape, nothing else.</summary>
    private static void AssertAppendedConst(NodeDef node)
    {
        Assert.Equal("Const", node.Op);
        Assert.Empty(node.Input);
        Assert.Equal(string.Empty, node.Device);
        Assert.Equal(new[] { "dtype", "value" }, node.Attr.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var tensor = node.Attr["value"].Tensor;
        Assert.Equal(node.Attr["dtype"].Type, tensor.Dtype);
        Assert.NotNull(tensor.TensorShape);
        Assert.Empty(tensor.TensorShape.Dim);
        Assert.True(tensor.TensorContent.IsEmpty);
    }

    /// <summary>No duplicate names; every input and colocation reference names an existing node.</summary>
    private static void AssertWellFormed(GraphDef graph)
    {
        var names = graph.Node.Select(n => n.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        var set = names.ToHashSet();
        foreach (var node in graph.Node)
        {
            foreach (string input in node.Input)
            {
                Assert.Contains(GraphIndex.ParseInput(input).Node, set);
            }

            if (node.Attr.TryGetValue("_class", out var cls))
            {
                foreach (var s in cls.List.S)
                {
                    Assert.Contains(s.ToStringUtf8()["loc:@".Length..], set);
                }
            }
        }
    }
}
