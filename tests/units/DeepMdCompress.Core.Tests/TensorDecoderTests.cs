using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;
using Xunit;

namespace DeepMdCompress.Core.Tests;

public class TensorDecoderTests
{
    [Fact]
    public void DecodesTensorContentForEveryNumericType()
    {
        var d = TensorDecoder.Decode(TensorEncoder.Doubles(new[] { 1.5, -2.0, 1e-300, 4.0 }, 2, 2));
        Assert.Equal(new[] { 2, 2 }, d.Shape);
        Assert.Equal(new[] { 1.5, -2.0, 1e-300, 4.0 }, (double[])d.Data);

        var f = TensorDecoder.Decode(TensorEncoder.Floats(new[] { 1.8f, -3f }, 2));
        Assert.Equal(new[] { 1.8f, -3f }, (float[])f.Data);

        var i = TensorDecoder.Decode(TensorEncoder.Int32s(new[] { -1, int.MaxValue, 7 }, 3));
        Assert.Equal(new[] { -1, int.MaxValue, 7 }, (int[])i.Data);

        var l = new TensorProto { Dtype = DataType.DtInt64, TensorShape = TensorEncoder.Shape(2), TensorContent = ByteString.CopyFrom(BitConverter.GetBytes(-5L).Concat(BitConverter.GetBytes(long.MaxValue)).ToArray()) };
        Assert.Equal(new[] { -5L, long.MaxValue }, (long[])TensorDecoder.Decode(l).Data);

        var b = new TensorProto { Dtype = DataType.DtBool, TensorShape = TensorEncoder.Shape(3), TensorContent = ByteString.CopyFrom(1, 0, 1) };
        Assert.Equal(new[] { true, false, true }, (bool[])TensorDecoder.Decode(b).Data);
    }

    /// <summary>
    /// A table's tensor is its array seen as bytes, not a copy: the same bytes as the copying encoder (so the file is
    /// the same), read back as the same numbers, and at the array's own address.
    /// </summary>
    [Fact]
    public void SharedContentIsTheArrayItself()
    {
        var values = new[] { 1.5, -2.0, 1e-300, 4.0, double.NaN, -0.0 };
        var shared = TensorEncoder.SharedContent(values, 2, 3);
        Assert.Equal(TensorEncoder.Doubles(values, 2, 3), shared);
        Assert.Equal(values, (double[])TensorDecoder.Decode(TensorProto.Parser.ParseFrom(shared.ToByteArray())).Data);
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, double>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(shared.TensorContent.Span)),
            ref values[0]));

        var floats = new[] { 1.8f, -3f, 0.25f };
        var f = TensorEncoder.SharedContent(floats, 3);
        Assert.Equal(TensorEncoder.Floats(floats, 3), f);
        Assert.Equal(floats, (float[])TensorDecoder.Decode(f).Data);
    }

    [Fact]
    public void ShortValueListRepeatsTheLastValue()
    {
        var t = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorEncoder.Shape(1, 8) };
        t.FloatVal.Add(0.5f);
        Assert.Equal(Enumerable.Repeat(0.5f, 8), (float[])TensorDecoder.Decode(t).Data);

        var d = new TensorProto { Dtype = DataType.DtDouble, TensorShape = TensorEncoder.Shape(5) };
        d.DoubleVal.Add(new[] { 1.0, 2.0 });
        Assert.Equal(new[] { 1.0, 2.0, 2.0, 2.0, 2.0 }, (double[])TensorDecoder.Decode(d).Data);

        var s = new TensorProto { Dtype = DataType.DtString, TensorShape = TensorEncoder.Shape(3) };
        s.StringVal.Add(ByteString.CopyFromUtf8("x"));
        Assert.All((byte[][])TensorDecoder.Decode(s).Data, v => Assert.Equal("x"u8.ToArray(), v));
    }

    [Fact]
    public void EmptyValueListMeansZerosAndScalarShapeMeansOneElement()
    {
        var z = TensorDecoder.Decode(new TensorProto { Dtype = DataType.DtInt32, TensorShape = TensorEncoder.Shape(4) });
        Assert.Equal(new int[4], (int[])z.Data);
        var scalar = TensorDecoder.Decode(new TensorProto { Dtype = DataType.DtDouble, TensorShape = new TensorShapeProto(), DoubleVal = { 6.0 } });
        Assert.Empty(scalar.Shape);
        Assert.Equal(6.0, scalar.ScalarDouble());
        var emptyDim = TensorDecoder.Decode(new TensorProto { Dtype = DataType.DtInt32, TensorShape = TensorEncoder.Shape(0) });
        Assert.Empty((int[])emptyDim.Data);
        var str = TensorDecoder.Decode(TensorEncoder.ScalarString("O H"));
        Assert.Equal("O H", str.ScalarString());
    }

    [Fact]
    public void ContentLengthMustMatchShape()
    {
        var t = new TensorProto { Dtype = DataType.DtDouble, TensorShape = TensorEncoder.Shape(3), TensorContent = ByteString.CopyFrom(new byte[16]) };
        var ex = Assert.Throws<TensorDataException>(() => TensorDecoder.Decode(t));
        Assert.Equal("TensorSizeMismatch", ex.ErrorId);
        Assert.Contains("needs 24 bytes", ex.Message);
    }

    [Fact]
    public void TooManyValuesIsAnError()
    {
        var t = new TensorProto { Dtype = DataType.DtInt32, TensorShape = TensorEncoder.Shape(2), IntVal = { 1, 2, 3 } };
        Assert.Equal("TensorSizeMismatch", Assert.Throws<TensorDataException>(() => TensorDecoder.Decode(t)).ErrorId);
    }

    [Fact]
    public void HugeDeclaredShapeIsRefusedBeforeAllocating()
    {
        var t = new TensorProto { Dtype = DataType.DtDouble, TensorShape = TensorEncoder.Shape(1_000_000, 1_000_000), DoubleVal = { 1.0 } };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ResourceLimitException>(() => TensorDecoder.Decode(t));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("TensorTooLarge", ex.ErrorId);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");

        // Below the absolute limit but far above what a short list may be repeated to.
        var filled = new TensorProto { Dtype = DataType.DtDouble, TensorShape = TensorEncoder.Shape(1 << 27), DoubleVal = { 1.0 } };
        Assert.Equal("TensorTooLarge", Assert.Throws<ResourceLimitException>(() => TensorDecoder.Decode(filled)).ErrorId);
    }

    [Fact]
    public void NegativeOrUnknownDimensionsAreInvalid()
    {
        var t = new TensorProto { Dtype = DataType.DtDouble, TensorShape = TensorEncoder.Shape(-1, 3) };
        Assert.Equal("InvalidTensorShape", Assert.Throws<TensorDataException>(() => TensorDecoder.Decode(t)).ErrorId);
        var u = new TensorProto { Dtype = DataType.DtDouble, TensorShape = new TensorShapeProto { UnknownRank = true } };
        Assert.Equal("InvalidTensorShape", Assert.Throws<TensorDataException>(() => TensorDecoder.Decode(u)).ErrorId);
    }

    [Fact]
    public void UnsupportedTypesAreNamed()
    {
        var t = new TensorProto { Dtype = DataType.DtComplex64, TensorShape = TensorEncoder.Shape(1) };
        var ex = Assert.Throws<TensorDataException>(() => TensorDecoder.Decode(t));
        Assert.Equal("UnsupportedTensorType", ex.ErrorId);
        Assert.Contains("DT_COMPLEX64", ex.Message);
    }
}
