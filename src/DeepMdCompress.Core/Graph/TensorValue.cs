using System;
using System.Globalization;
using System.Linq;
using System.Text;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Graph;

/// <summary>
/// A decoded tensor: dtype, shape and a typed, row-major element array
/// (<c>double[]</c>, <c>float[]</c>, <c>int[]</c>, <c>long[]</c>, <c>bool[]</c> or <c>byte[][]</c> for DT_STRING).
/// </summary>
public sealed class TensorValue
{
    public TensorValue(DataType dtype, int[] shape, Array data)
    {
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    public DataType DType { get; }

    public int[] Shape { get; }

    public Array Data { get; }

    public int Rank => Shape.Length;

    public int Count => Data.Length;

    public double[] AsDoubleArray() => Data switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        int[] i => Array.ConvertAll(i, x => (double)x),
        long[] l => Array.ConvertAll(l, x => (double)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1.0 : 0.0),
        _ => throw new InvalidCastException($"a {TensorDecoder.Name(DType)} tensor has no numeric values"),
    };

    public int[] AsInt32Array() => Data switch
    {
        int[] i => i,
        long[] l => Array.ConvertAll(l, x => checked((int)x)),
        _ => throw new InvalidCastException($"a {TensorDecoder.Name(DType)} tensor is not an integer tensor"),
    };

    /// <summary>The single element of a scalar (or one-element) tensor as a double.</summary>
    public double ScalarDouble()
    {
        RequireOne();
        return AsDoubleArray()[0];
    }

    public long ScalarInt64()
    {
        RequireOne();
        return Data switch
        {
            int[] i => i[0],
            long[] l => l[0],
            bool[] b => b[0] ? 1 : 0,
            _ => throw new InvalidCastException($"a {TensorDecoder.Name(DType)} tensor is not an integer scalar"),
        };
    }

    public string ScalarString()
    {
        RequireOne();
        if (Data is byte[][] s)
        {
            return Encoding.UTF8.GetString(s[0]);
        }

        throw new InvalidCastException($"a {TensorDecoder.Name(DType)} tensor is not a string");
    }

    public override string ToString() =>
        $"{TensorDecoder.Name(DType)}[{string.Join(",", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]";

    private void RequireOne()
    {
        if (Data.Length != 1)
        {
            throw new InvalidCastException($"expected one element but the tensor has {Data.Length} ({this})");
        }
    }
}
