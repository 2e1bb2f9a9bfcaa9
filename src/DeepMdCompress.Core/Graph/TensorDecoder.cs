using System;
using System.Linq;
using System.Runtime.InteropServices;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Graph;

/// <summary>
/// Decodes a <see cref="TensorProto"/> the way TensorFlow does: raw little-endian <c>tensor_content</c>,
/// or the typed value list, where a list shorter than the element count is filled by repeating its last
/// value (an empty list means zeros). Shapes are checked before anything is allocated.
/// </summary>
public static class TensorDecoder
{
    /// <summary>Largest element count any tensor may declare (2^28: 2 GiB of doubles, protobuf's own ceiling).</summary>
    public const long MaxElements = 1L << 28;

    /// <summary>
    /// Largest element count a tensor may reach by repeating a short value list. A frozen model's
    /// filled constants are tiny; a huge count from a few bytes is hostile input.
    /// </summary>
    public const long MaxRepeatedElements = 1L << 24;

    public static int[] ShapeOf(TensorShapeProto? shape, string context)
    {
        if (shape is null)
        {
            return Array.Empty<int>();
        }

        if (shape.UnknownRank)
        {
            throw new TensorDataException($"{context}: a constant tensor cannot have unknown rank", ErrorIds.InvalidTensorShape);
        }

        var dims = new int[shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long size = shape.Dim[i].Size;
            if (size < 0 || size > int.MaxValue)
            {
                throw new TensorDataException($"{context}: dimension {i} has invalid size {size}", ErrorIds.InvalidTensorShape);
            }

            dims[i] = (int)size;
        }

        return dims;
    }

    /// <summary>Element count of a shape, or a <see cref="ResourceLimitException"/> when it exceeds <see cref="MaxElements"/>.</summary>
    public static long ElementCount(int[] shape, string context)
    {
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > MaxElements)
            {
                throw new ResourceLimitException(ErrorIds.TensorTooLarge,
                    $"{context}: declared shape [{string.Join(", ", shape)}] has more than {MaxElements} elements");
            }
        }

        return count;
    }

    /// <summary>TensorFlow's spelling of a dtype (DT_DOUBLE), for messages.</summary>
    public static string Name(DataType dtype) =>
        TypesReflection.Descriptor.EnumTypes[0].FindValueByNumber((int)dtype)?.Name ?? ((int)dtype).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static int ElementSize(DataType dtype) => dtype switch
    {
        DataType.DtDouble or DataType.DtInt64 => 8,
        DataType.DtFloat or DataType.DtInt32 => 4,
        DataType.DtBool => 1,
        _ => 0,
    };

    public static TensorValue Decode(TensorProto proto, string context = "tensor")
    {
        var shape = ShapeOf(proto.TensorShape, context);
        long count = ElementCount(shape, context);
        int n = (int)count;
        var dtype = proto.Dtype;
        if (!proto.TensorContent.IsEmpty)
        {
            int size = ElementSize(dtype);
            if (size == 0)
            {
                throw new TensorDataException($"{context}: tensor_content is not supported for {Name(dtype)}", ErrorIds.UnsupportedTensorType);
            }

            if (proto.TensorContent.Length != count * size)
            {
                throw new TensorDataException(
                    $"{context}: shape [{string.Join(", ", shape)}] needs {count * size} bytes of {Name(dtype)} but tensor_content has {proto.TensorContent.Length}",
                    ErrorIds.TensorSizeMismatch);
            }

            return new TensorValue(dtype, shape, FromContent(dtype, proto.TensorContent.Span, n));
        }

        return dtype switch
        {
            DataType.DtDouble => new TensorValue(dtype, shape, Fill(proto.DoubleVal.ToArray(), n, context)),
            DataType.DtFloat => new TensorValue(dtype, shape, Fill(proto.FloatVal.ToArray(), n, context)),
            DataType.DtInt32 => new TensorValue(dtype, shape, Fill(proto.IntVal.ToArray(), n, context)),
            DataType.DtInt64 => new TensorValue(dtype, shape, Fill(proto.Int64Val.ToArray(), n, context)),
            DataType.DtBool => new TensorValue(dtype, shape, Fill(proto.BoolVal.ToArray(), n, context)),
            DataType.DtString => new TensorValue(dtype, shape, Fill(proto.StringVal.Select(s => s.ToByteArray()).ToArray(), n, context, Array.Empty<byte>())),
            _ => throw new TensorDataException($"{context}: tensors of type {Name(dtype)} are not supported", ErrorIds.UnsupportedTensorType),
        };
    }

    private static Array FromContent(DataType dtype, ReadOnlySpan<byte> bytes, int n)
    {
        // tensor_content is little-endian: on such a machine the numbers are its bytes, copied as one block.
        if (BitConverter.IsLittleEndian)
        {
            switch (dtype)
            {
                case DataType.DtDouble:
                    return Copy(bytes, new double[n]);
                case DataType.DtFloat:
                    return Copy(bytes, new float[n]);
                case DataType.DtInt32:
                    return Copy(bytes, new int[n]);
                case DataType.DtInt64:
                    return Copy(bytes, new long[n]);
            }
        }

        switch (dtype)
        {
            case DataType.DtDouble:
            {
                var a = new double[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = BitConverter.Int64BitsToDouble(ReadInt64(bytes, i * 8));
                }

                return a;
            }

            case DataType.DtFloat:
            {
                var a = new float[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = Int32BitsToSingle(ReadInt32(bytes, i * 4));
                }

                return a;
            }

            case DataType.DtInt32:
            {
                var a = new int[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = ReadInt32(bytes, i * 4);
                }

                return a;
            }

            case DataType.DtInt64:
            {
                var a = new long[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = ReadInt64(bytes, i * 8);
                }

                return a;
            }

            default:
            {
                var a = new bool[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = bytes[i] != 0;
                }

                return a;
            }
        }
    }

    private static T[] Copy<T>(ReadOnlySpan<byte> bytes, T[] into)
        where T : unmanaged
    {
        var target = MemoryMarshal.AsBytes(into.AsSpan());
        bytes.Slice(0, target.Length).CopyTo(target);
        return into;
    }

    private static T[] Fill<T>(T[] values, int n, string context, T zero = default!)
    {
        if (values.Length == n)
        {
            return values;
        }

        if (values.Length > n)
        {
            throw new TensorDataException($"{context}: {values.Length} values given for a tensor of {n} elements", ErrorIds.TensorSizeMismatch);
        }

        if (n > MaxRepeatedElements && n > values.Length)
        {
            throw new ResourceLimitException(ErrorIds.TensorTooLarge,
                $"{context}: {values.Length} value(s) would have to be repeated to fill {n} elements (limit {MaxRepeatedElements})");
        }

        var result = new T[n];
        Array.Copy(values, result, values.Length);
        T last = values.Length > 0 ? values[values.Length - 1] : zero;
        for (int i = values.Length; i < n; i++)
        {
            result[i] = last;
        }

        return result;
    }

    private static int ReadInt32(ReadOnlySpan<byte> b, int o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);

    private static long ReadInt64(ReadOnlySpan<byte> b, int o) => (uint)ReadInt32(b, o) | ((long)ReadInt32(b, o + 4) << 32);

    private static unsafe float Int32BitsToSingle(int bits) => *(float*)&bits;
}
