using System.Security.Cryptography;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class GraphFileTests
{
    [SkippableFact]
    public void BinaryRoundTripIsByteIdentical()
    {
        string path = TestData.Model("graph.000.pb");
        byte[] original = File.ReadAllBytes(path);
        var graph = GraphFile.Read(path, out var format);
        Assert.Equal(GraphFormat.Binary, format);
        Assert.Equal(1233, graph.Node.Count);
        Assert.Equal(original, graph.ToByteArray());

        string dir = TestData.TempDir();
        string copy = Path.Combine(dir, "copy.pb");
        GraphFile.Write(graph, copy, GraphFormat.Binary, overwrite: false);
        Assert.Equal(SHA256.HashData(original), SHA256.HashData(File.ReadAllBytes(copy)));
        Directory.Delete(dir, true);
    }

    [SkippableTheory]
    [MemberData(nameof(TestData.SharedModels), "*.pbtxt", MemberType = typeof(TestData))]
    public void TextModelsRoundTripThroughTextAndBinary(string name)
    {
        var graph = GraphFile.Read(TestData.Model(name), out var format);
        Assert.Equal(GraphFormat.Text, format);
        Assert.NotEmpty(graph.Node);

        byte[] text = GraphFile.Serialize(graph, GraphFormat.Text);
        var fromText = GraphFile.ParseText(text);
        Assert.Equal(graph, fromText);

        byte[] binary = GraphFile.Serialize(graph, GraphFormat.Binary);
        var fromBinary = GraphFile.ParseBinary(binary);
        Assert.Equal(graph, fromBinary);

        // Our text output is stable: writing what we read gives the same bytes again.
        Assert.Equal(text, GraphFile.Serialize(fromText, GraphFormat.Text));
    }

    [SkippableFact]
    public void BinaryModelAsTextAndBackIsEqual()
    {
        var graph = GraphFile.Read(TestData.Model("graph.000.pb"), out _);
        var back = GraphFile.ParseText(GraphFile.Serialize(graph, GraphFormat.Text));
        Assert.Equal(graph, back);
    }

    [Fact]
    public void LocalTinyModelRoundTrips()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out var format);
        Assert.Equal(GraphFormat.Text, format);
        Assert.Equal(graph, GraphFile.ParseBinary(graph.ToByteArray()));
        Assert.Equal(graph, GraphFile.ParseText(GraphFile.Serialize(graph, GraphFormat.Text)));
    }

    [Fact]
    public void FormatIsDetectedFromContentWhenTheExtensionSaysNothing()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        string dir = TestData.TempDir();
        string text = Path.Combine(dir, "model.dat");
        string bin = Path.Combine(dir, "model.bin");
        File.WriteAllBytes(text, GraphFile.Serialize(graph, GraphFormat.Text));
        File.WriteAllBytes(bin, graph.ToByteArray());
        Assert.Equal(graph, GraphFile.Read(text, out var f1));
        Assert.Equal(GraphFormat.Text, f1);
        Assert.Equal(graph, GraphFile.Read(bin, out var f2));
        Assert.Equal(GraphFormat.Binary, f2);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void AtomicWriteRefusesExistingFileAndLeavesNoTemporaryFile()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        string dir = TestData.TempDir();
        string target = Path.Combine(dir, "out.pb");
        File.WriteAllText(target, "previous");
        var ex = Assert.Throws<OutputWriteException>(() => GraphFile.Write(graph, target, GraphFormat.Binary, overwrite: false));
        Assert.Equal("OutputFileExists", ex.ErrorId);
        Assert.Equal("previous", File.ReadAllText(target));

        GraphFile.Write(graph, target, GraphFormat.Binary, overwrite: true);
        Assert.Equal(graph, GraphFile.ParseBinary(File.ReadAllBytes(target)));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void CancelledWriteLeavesPreviousFileAndNoTemporaryFile()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        string dir = TestData.TempDir();
        string target = Path.Combine(dir, "out.pbtxt");
        File.WriteAllText(target, "previous");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => GraphFile.Write(graph, target, GraphFormat.Text, overwrite: true, cts.Token));
        Assert.Equal("previous", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void WritingIntoAMissingFolderOrOntoADirectoryFails()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        string dir = TestData.TempDir();
        Assert.Equal("OutputDirectoryNotFound", Assert.Throws<OutputWriteException>(() =>
            GraphFile.Write(graph, Path.Combine(dir, "no", "such", "x.pb"), GraphFormat.Binary, false)).ErrorId);
        Assert.Equal("OutputPathIsDirectory", Assert.Throws<OutputWriteException>(() =>
            GraphFile.Write(graph, dir, GraphFormat.Binary, true)).ErrorId);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void UnknownBinaryFieldsArePreserved()
    {
        var graph = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _);
        byte[] bytes = graph.ToByteArray();
        // Append field 99 (varint) to the GraphDef: an unknown field from a newer TensorFlow.
        byte[] withUnknown = bytes.Concat(new byte[] { 0x98, 0x06, 0x2a }).ToArray();
        var parsed = GraphFile.ParseBinary(withUnknown);
        Assert.Equal(withUnknown, parsed.ToByteArray());
    }
}
