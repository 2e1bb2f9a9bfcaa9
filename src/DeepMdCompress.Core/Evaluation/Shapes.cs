using System;
using System.Globalization;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>Shape arithmetic and typed tensor allocation shared by the kernels.</summary>
public static class Shapes
{
    public static string Format(int[] shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Element count, refusing shapes above <see cref="TensorDecoder.MaxElements"/>.</summary>
    public static int Count(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new TensorDataException($"shape {Format(shape)} has a negative dimension", ErrorIds.InvalidTensorShape);
            }

            n *= d;
            if (n > TensorDecoder.MaxElements)
            {
                throw new ResourceLimitException(ErrorIds.TensorTooLarge, $"a tensor of shape {Format(shape)} would have more than {TensorDecoder.MaxElements} elements");
            }
        }

        return (int)n;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    /// <summary>numpy broadcasting: right-align, a dimension of 1 stretches; null when incompatible.</summary>
    public static int[]? Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1)
            {
                r[i] = da;
            }
            else if (da == 1)
            {
                r[i] = db;
            }
            else
            {
                return null;
            }
        }

        return r;
    }

    /// <summary>Strides of <paramref name="shape"/> viewed in the (broadcast) <paramref name="outShape"/>: 0 where it stretches.</summary>
    public static int[] BroadcastStrides(int[] shape, int[] outShape)
    {
        var own = Strides(shape);
        var s = new int[outShape.Length];
        int offset = outShape.Length - shape.Length;
        for (int i = 0; i < outShape.Length; i++)
        {
            int k = i - offset;
            s[i] = k < 0 || shape[k] == 1 ? 0 : own[k];
        }

        return s;
    }

    public static bool SameShape(int[] a, int[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    public static Array Allocate(DataType dtype, int count) => dtype switch
    {
        DataType.DtDouble => new double[count],
        DataType.DtFloat => new float[count],
        DataType.DtInt32 => new int[count],
        DataType.DtInt64 => new long[count],
        DataType.DtBool => new bool[count],
        DataType.DtString => FilledStrings(count),
        _ => throw new TensorDataException($"tensors of type {TensorDecoder.Name(dtype)} are not supported by the evaluator", ErrorIds.UnsupportedTensorType),
    };

    public static TensorValue Zeros(DataType dtype, int[] shape) => new(dtype, shape, Allocate(dtype, Count(shape)));

    public static TensorValue Scalar(double value) => new(DataType.DtDouble, Array.Empty<int>(), new[] { value });

    public static TensorValue Scalar(float value) => new(DataType.DtFloat, Array.Empty<int>(), new[] { value });

    public static TensorValue Scalar(int value) => new(DataType.DtInt32, Array.Empty<int>(), new[] { value });

    public static TensorValue Vector(params int[] values) => new(DataType.DtInt32, new[] { values.Length }, values);

    public static TensorValue Of(double[] values, params int[] shape) => new(DataType.DtDouble, shape, values);

    public static TensorValue Of(float[] values, params int[] shape) => new(DataType.DtFloat, shape, values);

    public static TensorValue Of(int[] values, params int[] shape) => new(DataType.DtInt32, shape, values);

    public static TensorValue Of(long[] values, params int[] shape) => new(DataType.DtInt64, shape, values);

    public static TensorValue Of(bool[] values, params int[] shape) => new(DataType.DtBool, shape, values);

    /// <summary>Same data, another shape (no copy: tensors are never modified in place).</summary>
    public static TensorValue Reshaped(TensorValue t, int[] shape) => new(t.DType, shape, t.Data);

    private static byte[][] FilledStrings(int count)
    {
        var a = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            a[i] = Array.Empty<byte>();
        }

        return a;
    }
}
