using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class TextFormatTests
{
    private static GraphDef Parse(string text) => TextFormatParser.Parse(text, GraphDef.Parser);

    [Fact]
    public void ParsesNestedMessagesMapsEnumsAndLists()
    {
        var g = Parse("""
            # a comment
            node {
              name: "n1"  # trailing comment
              op: "Const"
              input: "a:1"
              input: "^b"
              attr { key: "dtype" value { type: DT_DOUBLE } }
              attr { key: "sel" value { list { i: 46 i: 92 } } }
              attr { key: "shape" value { shape { dim { size: -1 } dim { } } } }
              attr { key: "types" value { list { type: [DT_FLOAT, DT_INT32] } } }
            }
            node < name: 'n2' op: "Identity" >
            versions { producer: 27 }
            """);
        Assert.Equal(2, g.Node.Count);
        var n = g.Node[0];
        Assert.Equal(new[] { "a:1", "^b" }, n.Input);
        Assert.Equal(DataType.DtDouble, n.Attr["dtype"].Type);
        Assert.Equal(new long[] { 46, 92 }, n.Attr["sel"].List.I);
        Assert.Equal(-1, n.Attr["shape"].Shape.Dim[0].Size);
        Assert.Equal(0, n.Attr["shape"].Shape.Dim[1].Size);
        Assert.Equal(new[] { DataType.DtFloat, DataType.DtInt32 }, n.Attr["types"].List.Type);
        Assert.Equal("n2", g.Node[1].Name);
        Assert.Equal(27, g.Versions.Producer);
    }

    [Theory]
    [InlineData("1e-05", 1e-05)]
    [InlineData("6", 6.0)]
    [InlineData("-0.5", -0.5)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-inf", double.NegativeInfinity)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData("1.5f", 1.5)]
    [InlineData(".25", 0.25)]
    [InlineData("2.5E+3", 2500.0)]
    public void ParsesEveryFloatSpelling(string literal, double expected)
    {
        var g = Parse($"node {{ attr {{ key: \"v\" value {{ tensor {{ double_val: {literal} float_val: {literal} }} }} }} }}");
        var t = g.Node[0].Attr["v"].Tensor;
        Assert.Equal(expected, t.DoubleVal[0]);
        Assert.Equal((float)expected, t.FloatVal[0]);
    }

    [Fact]
    public void ParsesNan()
    {
        var g = Parse("node { attr { key: \"v\" value { f: nan } } }");
        Assert.True(float.IsNaN(g.Node[0].Attr["v"].F));
    }

    [Fact]
    public void DecodesEveryStringEscape()
    {
        var g = Parse(@"node { attr { key: ""s"" value { s: ""a\""b\\c\n\t\r\'\001\177\377\x41\x7f"" ""tail"" } } }");
        byte[] expected = { (byte)'a', (byte)'"', (byte)'b', (byte)'\\', (byte)'c', 10, 9, 13, (byte)'\'', 1, 127, 255, 0x41, 0x7f,
            (byte)'t', (byte)'a', (byte)'i', (byte)'l' };
        Assert.Equal(expected, g.Node[0].Attr["s"].S.ToByteArray());
    }

    [Fact]
    public void ZeroValuedOneofMembersRoundTrip()
    {
        // AttrValue { i: 0 } must survive: the oneof case is set even though the value is the default.
        var g = Parse("node { name: \"x\" attr { key: \"axis\" value { i: 0 } } attr { key: \"b\" value { b: false } } }");
        string text = TextFormatWriter.ToText(g);
        Assert.Contains("i: 0", text);
        Assert.Contains("b: false", text);
        Assert.Equal(g, Parse(text));
    }

    [Fact]
    public void WriterEscapesBytesAndRoundTripsAllValues()
    {
        var t = new TensorProto
        {
            Dtype = DataType.DtFloat,
            TensorContent = ByteString.CopyFrom(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()),
        };
        t.FloatVal.Add(new[] { 1.8f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, 3f });
        t.DoubleVal.Add(new[] { 0.1, 1e300, -2.5e-310, double.NaN, 6.0 });
        t.Int64Val.Add(new[] { long.MinValue, long.MaxValue });
        t.StringVal.Add(ByteString.CopyFromUtf8("O H é"));
        var g = new GraphDef();
        g.Node.Add(new NodeDef { Name = "c", Op = "Const", Attr = { ["value"] = new AttrValue { Tensor = t } } });
        string text = TextFormatWriter.ToText(g);
        Assert.Contains("float_val: 1.8\n", text);
        Assert.Contains("float_val: nan\n", text);
        Assert.Contains("float_val: -inf\n", text);
        Assert.Contains("double_val: 6.0\n", text);
        Assert.Contains("double_val: 1e+300\n", text);
        var back = Parse(text);
        // NaN != NaN in Equals, so compare the wire bytes.
        Assert.Equal(g.ToByteArray(), back.ToByteArray());
    }

    [Theory]
    [InlineData("node { name: 1 }", 1, 14, "expects a quoted string")]
    [InlineData("node {\n  nmae: \"x\"\n}", 2, 3, "no field named 'nmae'")]
    [InlineData("node {\n  attr { key: \"t\" value { type: DT_NOPE } }\n}", 2, 33, "unknown DataType value 'DT_NOPE'")]
    [InlineData("node {\n  name: \"x\n}", 2, 9, "unterminated string")]
    [InlineData("node {\n  name: \"x\"\n", 3, 1, "missing '}'")]
    [InlineData("node { attr { key: \"v\" value { i: 1.5 } } }", 1, 35, "not a valid integer")]
    [InlineData("node { attr { key: \"v\" value { tensor { int_val: 3000000000 } } } }", 1, 50, "out of range")]
    [InlineData("node { name \"x\" }", 1, 13, "expected ':'")]
    [InlineData("node { name: \"\\q\" }", 1, 15, "invalid escape")]
    [InlineData("node { name: \"x\" } }", 1, 20, "expected a field name")]
    [InlineData("node { attr { key: \"v\" value { b: yes } } }", 1, 35, "expects true or false")]
    public void ErrorsNameLineAndColumn(string text, int line, int column, string fragment)
    {
        var ex = Assert.Throws<GraphFormatException>(() => Parse(text));
        Assert.Equal("GraphParseError", ex.ErrorId);
        Assert.Equal(line, ex.Line);
        Assert.Equal(column, ex.Column);
        Assert.Contains(fragment, ex.Message);
        Assert.StartsWith($"line {line}, column {column}:", ex.Message);
    }

    [Fact]
    public void DeepNestingIsRefusedWithoutStackOverflow()
    {
        string deep = "node { attr { key: \"a\" value { " + string.Concat(Enumerable.Repeat("func { attr { key: \"k\" value { ", 5000))
            + string.Concat(Enumerable.Repeat("} } } ", 5000)) + "} } }";
        var ex = Assert.Throws<GraphFormatException>(() => Parse(deep));
        Assert.Equal("NestingTooDeep", ex.ErrorId);
    }

    [Fact]
    public void OverlongStringsAreRefusedWithTheirOwnId()
    {
        string text = "node { name: \"" + new string('a', 40) + "\" \"" + new string('b', 40) + "\" }";
        Assert.Equal(80, TextFormatParser.Parse(text, GraphDef.Parser, maxStringBytes: 80).Node[0].Name.Length);
        var ex = Assert.Throws<GraphFormatException>(() => TextFormatParser.Parse(text, GraphDef.Parser, maxStringBytes: 79));
        Assert.Equal("StringTooLong", ex.ErrorId);
        Assert.Equal(1, ex.Line);
        Assert.Equal(14, ex.Column);
    }

    [Fact]
    public void CancellationStopsParsing()
    {
        string text = string.Concat(Enumerable.Repeat("node { name: \"x\" op: \"Const\" }\n", 20000));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => TextFormatParser.Parse(text, GraphDef.Parser, cts.Token));
    }
}
