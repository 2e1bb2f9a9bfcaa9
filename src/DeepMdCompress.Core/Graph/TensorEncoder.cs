using System;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Graph;

/// <summary>Builds <see cref="TensorProto"/>s the way TensorFlow's <c>make_tensor_proto</c> does for constants.</summary>
public static class TensorEncoder
{
    public static TensorShapeProto Shape(params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        }

        return shape;
    }

    /// <summary>A double tensor: scalars use <c>double_val</c>, larger tensors raw <c>tensor_content</c>.</summary>
    public static TensorProto Doubles(double[] values, params long[] shape) =>
        Numeric(DataType.DtDouble, values, 8, shape, (t, v) => t.DoubleVal.Add(v));

    public static TensorProto Floats(float[] values, params long[] shape) =>
        Numeric(DataType.DtFloat, values, 4, shape, (t, v) => t.FloatVal.Add(v));

    public static TensorProto Int32s(int[] values, params long[] shape) =>
        Numeric(DataType.DtInt32, values, 4, shape, (t, v) => t.IntVal.Add(v));

    /// <summary>TensorFlow's layout: a scalar in the typed value list, anything larger as little-endian bytes.</summary>
    private static TensorProto Numeric<T>(DataType dtype, T[] values, int width, long[] shape, Action<TensorProto, T> addScalar)
        where T : struct
    {
        var t = new TensorProto { Dtype = dtype, TensorShape = Shape(shape) };
        if (shape.Length == 0)
        {
            addScalar(t, values[0]);
            return t;
        }

        var bytes = new byte[values.Length * width];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        EnsureLittleEndian(bytes, width);

        // The array is ours and never written again, so the ByteString may wrap it: no second copy of a table.
        t.TensorContent = UnsafeByteOperations.UnsafeWrap(bytes);
        return t;
    }

    /// <summary>
    /// A tensor whose content is <paramref name="values"/> itself, seen as bytes: for a table, an array nobody writes
    /// again, so the graph holds no second copy of it (on a big-endian machine it is copied and byte-swapped).
    /// </summary>
    internal static TensorProto SharedContent(double[] values, params long[] shape) =>
        Shared(DataType.DtDouble, values, shape) ?? Doubles(values, shape);

    /// <inheritdoc cref="SharedContent(double[], long[])"/>
    internal static TensorProto SharedContent(float[] values, params long[] shape) =>
        Shared(DataType.DtFloat, values, shape) ?? Floats(values, shape);

    /// <summary>The tensor over <paramref name="values"/>' own bytes; null where a copy is needed (big-endian, or a scalar's value list).</summary>
    private static TensorProto? Shared<T>(DataType dtype, T[] values, long[] shape)
        where T : unmanaged =>
        BitConverter.IsLittleEndian && shape.Length > 0
            ? new TensorProto { Dtype = dtype, TensorShape = Shape(shape), TensorContent = UnsafeByteOperations.UnsafeWrap(new ByteView<T>(values).Memory) }
            : null;

    public static TensorProto ScalarString(string value) => new()
    {
        Dtype = DataType.DtString,
        TensorShape = new TensorShapeProto(),
        StringVal = { ByteString.CopyFrom(Encoding.UTF8.GetBytes(value)) },
    };

    public static TensorProto ScalarInt32(int value) => Int32s(new[] { value });

    public static TensorProto ScalarDouble(double value) => Doubles(new[] { value });

    /// <summary>The bytes of an array of numbers, without a copy (what MemoryMarshal.AsBytes is for spans, for a ByteString).</summary>
    private sealed class ByteView<T> : MemoryManager<byte>
        where T : unmanaged
    {
        private readonly T[] _values;

        public ByteView(T[] values) => _values = values;

        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_values.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(_values, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    private static void EnsureLittleEndian(byte[] bytes, int width)
    {
        if (BitConverter.IsLittleEndian)
        {
            return;
        }

        for (int i = 0; i < bytes.Length; i += width)
        {
            Array.Reverse(bytes, i, width);
        }
    }
}
