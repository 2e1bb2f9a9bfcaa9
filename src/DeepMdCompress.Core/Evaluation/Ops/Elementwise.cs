using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// A binary elementwise operation for every numeric dtype. Implementations are structs, so the generic
/// loops below are specialised and inlined by the JIT: no per-element virtual or delegate call.
/// </summary>
internal interface IBinaryOp
{
    /// <summary>Whether <see cref="VD"/>/<see cref="VF"/> exist (plain +, −, ×, ÷, min, max).</summary>
    bool Vectorizable { get; }

    bool SupportsIntegers { get; }

    double D(double a, double b);

    float F(float a, float b);

    int I(int a, int b);

    long L(long a, long b);

    Vector<double> VD(Vector<double> a, Vector<double> b);

    Vector<float> VF(Vector<float> a, Vector<float> b);
}

/// <summary>A comparison producing bool.</summary>
internal interface ICompareOp
{
    bool D(double a, double b);

    bool F(float a, float b);

    bool I(int a, int b);

    bool L(long a, long b);

    bool B(bool a, bool b);

    bool SupportsBool { get; }
}

/// <summary>A unary elementwise operation on floating-point tensors (and integers where meaningful).</summary>
internal interface IUnaryOp
{
    bool SupportsIntegers { get; }

    double D(double x);

    float F(float x);

    int I(int x);

    long L(long x);
}

/// <summary>One contiguous run of a broadcast loop: n outputs from inputs at strides 0 or 1.</summary>
internal interface IRun<TIn, TOut>
{
    void Run(TIn[] a, int ia, int sa, TIn[] b, int ib, int sb, TOut[] o, int io, int n);
}

internal struct DoubleRun<TOp> : IRun<double, double>
    where TOp : struct, IBinaryOp
{
    [MethodImpl(Jit.Optimized)]
    public void Run(double[] a, int ia, int sa, double[] b, int ib, int sb, double[] o, int io, int n)
    {
        TOp op = default;
        int i = 0;
        if (op.Vectorizable && Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            int w = Vector<double>.Count;
            var ov = MemoryMarshal.Cast<double, Vector<double>>(o.AsSpan(io, n));
            if (sa == 1 && sb == 1)
            {
                var av = MemoryMarshal.Cast<double, Vector<double>>(a.AsSpan(ia, n));
                var bv = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan(ib, n));
                for (int v = 0; v < ov.Length; v++)
                {
                    ov[v] = op.VD(av[v], bv[v]);
                }
            }
            else if (sa == 0 && sb == 1)
            {
                var ac = new Vector<double>(a[ia]);
                var bv = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan(ib, n));
                for (int v = 0; v < ov.Length; v++)
                {
                    ov[v] = op.VD(ac, bv[v]);
                }
            }
            else if (sa == 1 && sb == 0)
            {
                var av = MemoryMarshal.Cast<double, Vector<double>>(a.AsSpan(ia, n));
                var bc = new Vector<double>(b[ib]);
                for (int v = 0; v < ov.Length; v++)
                {
                    ov[v] = op.VD(av[v], bc);
                }
            }
            else
            {
                var c = op.VD(new Vector<double>(a[ia]), new Vector<double>(b[ib]));
                for (int v = 0; v < ov.Length; v++)
                {
                    ov[v] = c;
                }
            }

            i = ov.Length * w;
        }

        for (; i < n; i++)
        {
            o[io + i] = op.D(a[ia + i * sa], b[ib + i * sb]);
        }
    }
}

internal struct FloatRun<TOp> : IRun<float, float>
    where TOp : struct, IBinaryOp
{
    [MethodImpl(Jit.Optimized)]
    public void Run(float[] a, int ia, int sa, float[] b, int ib, int sb, float[] o, int io, int n)
    {
        TOp op = default;
        int i = 0;
        if (op.Vectorizable && Vector.IsHardwareAccelerated && n >= Vector<float>.Count && sa == 1 && sb == 1)
        {
            var ov = MemoryMarshal.Cast<float, Vector<float>>(o.AsSpan(io, n));
            var av = MemoryMarshal.Cast<float, Vector<float>>(a.AsSpan(ia, n));
            var bv = MemoryMarshal.Cast<float, Vector<float>>(b.AsSpan(ib, n));
            for (int v = 0; v < ov.Length; v++)
            {
                ov[v] = op.VF(av[v], bv[v]);
            }

            i = ov.Length * Vector<float>.Count;
        }

        for (; i < n; i++)
        {
            o[io + i] = op.F(a[ia + i * sa], b[ib + i * sb]);
        }
    }
}

internal struct IntRun<TOp> : IRun<int, int>
    where TOp : struct, IBinaryOp
{
    public void Run(int[] a, int ia, int sa, int[] b, int ib, int sb, int[] o, int io, int n)
    {
        TOp op = default;
        for (int i = 0; i < n; i++)
        {
            o[io + i] = op.I(a[ia + i * sa], b[ib + i * sb]);
        }
    }
}

internal struct LongRun<TOp> : IRun<long, long>
    where TOp : struct, IBinaryOp
{
    public void Run(long[] a, int ia, int sa, long[] b, int ib, int sb, long[] o, int io, int n)
    {
        TOp op = default;
        for (int i = 0; i < n; i++)
        {
            o[io + i] = op.L(a[ia + i * sa], b[ib + i * sb]);
        }
    }
}

internal struct CompareRun<TOp, T> : IRun<T, bool>
    where TOp : struct, ICompareOp
{
    public void Run(T[] a, int ia, int sa, T[] b, int ib, int sb, bool[] o, int io, int n)
    {
        TOp op = default;
        switch (a)
        {
            case double[] ad:
            {
                var bd = (double[])(object)b;
                for (int i = 0; i < n; i++)
                {
                    o[io + i] = op.D(ad[ia + i * sa], bd[ib + i * sb]);
                }

                break;
            }

            case float[] af:
            {
                var bf = (float[])(object)b;
                for (int i = 0; i < n; i++)
                {
                    o[io + i] = op.F(af[ia + i * sa], bf[ib + i * sb]);
                }

                break;
            }

            case int[] ai:
            {
                var bi = (int[])(object)b;
                for (int i = 0; i < n; i++)
                {
                    o[io + i] = op.I(ai[ia + i * sa], bi[ib + i * sb]);
                }

                break;
            }

            case long[] al:
            {
                var bl = (long[])(object)b;
                for (int i = 0; i < n; i++)
                {
                    o[io + i] = op.L(al[ia + i * sa], bl[ib + i * sb]);
                }

                break;
            }

            case bool[] ab:
            {
                var bb = (bool[])(object)b;
                for (int i = 0; i < n; i++)
                {
                    o[io + i] = op.B(ab[ia + i * sa], bb[ib + i * sb]);
                }

                break;
            }
        }
    }
}

/// <summary>numpy-style broadcasting driver shared by every binary op.</summary>
internal static class Broadcasting
{
    /// <summary>
    /// Calls <typeparamref name="TRun"/> once per contiguous run of the output. Dimensions are merged where
    /// both operands are contiguous across them, so the common cases (same shape, scalar, bias row) are one
    /// or a few long runs.
    /// </summary>
    public static void Apply<TIn, TOut, TRun>(OpContext ctx, TIn[] a, int[] shapeA, TIn[] b, int[] shapeB, TOut[] o, int[] outShape)
        where TRun : struct, IRun<TIn, TOut>
    {
        int n = o.Length;
        if (n == 0)
        {
            return;
        }

        TRun run = default;
        if (a.Length == n && b.Length == n)
        {
            ctx.For(n, 1, (s, e) => run.Run(a, s, 1, b, s, 1, o, s, e - s));
            return;
        }

        if (a.Length == 1 && b.Length == n)
        {
            ctx.For(n, 1, (s, e) => run.Run(a, 0, 0, b, s, 1, o, s, e - s));
            return;
        }

        if (b.Length == 1 && a.Length == n)
        {
            ctx.For(n, 1, (s, e) => run.Run(a, s, 1, b, 0, 0, o, s, e - s));
            return;
        }

        // General case: strides in the output shape, then merge adjacent dims that stay contiguous.
        var sa = Shapes.BroadcastStrides(shapeA, outShape);
        var sb = Shapes.BroadcastStrides(shapeB, outShape);
        var dims = new System.Collections.Generic.List<(int Size, int Sa, int Sb)>();
        for (int i = 0; i < outShape.Length; i++)
        {
            if (outShape[i] == 1)
            {
                continue;
            }

            if (dims.Count > 0)
            {
                var last = dims[dims.Count - 1];
                if (last.Sa == sa[i] * outShape[i] && last.Sb == sb[i] * outShape[i])
                {
                    dims[dims.Count - 1] = (last.Size * outShape[i], sa[i], sb[i]);
                    continue;
                }
            }

            dims.Add((outShape[i], sa[i], sb[i]));
        }

        var inner = dims[dims.Count - 1];
        if (inner.Sa > 1 || inner.Sb > 1)
        {
            // Innermost dim strided in an operand: fall back to runs of one element.
            dims.Add((1, 0, 0));
            inner = dims[dims.Count - 1];
        }

        int outer = n / inner.Size;
        int rank = dims.Count - 1;
        var sizes = new int[rank];
        var stA = new int[rank];
        var stB = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            sizes[d] = dims[d].Size;
            stA[d] = dims[d].Sa;
            stB[d] = dims[d].Sb;
        }

        int len = inner.Size, ia1 = inner.Sa, ib1 = inner.Sb;
        ctx.For(outer, len, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int offA = 0, offB = 0, rem = r;
                for (int d = rank - 1; d >= 0; d--)
                {
                    int idx = rem % sizes[d];
                    rem /= sizes[d];
                    offA += idx * stA[d];
                    offB += idx * stB[d];
                }

                run.Run(a, offA, ia1, b, offB, ib1, o, r * len, len);
            }
        });
    }

    /// <summary>A binary arithmetic op on two tensors of the same dtype, with broadcasting.</summary>
    public static TensorValue Binary<TOp>(OpContext ctx, TensorValue a, TensorValue b)
        where TOp : struct, IBinaryOp
    {
        if (a.DType != b.DType)
        {
            throw ctx.Error($"operands have different dtypes ({TensorDecoder.Name(a.DType)} and {TensorDecoder.Name(b.DType)}).");
        }

        var shape = OutShape(ctx, a, b);
        int n = Shapes.Count(shape);
        switch (a.Data)
        {
            case double[] ad:
            {
                var o = Output<double>(ctx, a, b, n);
                Apply<double, double, DoubleRun<TOp>>(ctx, ad, a.Shape, (double[])b.Data, b.Shape, o, shape);
                return new TensorValue(a.DType, shape, o);
            }

            case float[] af:
            {
                var o = Output<float>(ctx, a, b, n);
                Apply<float, float, FloatRun<TOp>>(ctx, af, a.Shape, (float[])b.Data, b.Shape, o, shape);
                return new TensorValue(a.DType, shape, o);
            }

            case int[] ai when default(TOp).SupportsIntegers:
            {
                var o = Output<int>(ctx, a, b, n);
                Apply<int, int, IntRun<TOp>>(ctx, ai, a.Shape, (int[])b.Data, b.Shape, o, shape);
                return new TensorValue(a.DType, shape, o);
            }

            case long[] al when default(TOp).SupportsIntegers:
            {
                var o = Output<long>(ctx, a, b, n);
                Apply<long, long, LongRun<TOp>>(ctx, al, a.Shape, (long[])b.Data, b.Shape, o, shape);
                return new TensorValue(a.DType, shape, o);
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(a.DType)} tensors.");
        }
    }

    /// <summary>The output buffer: an operand's own buffer when this node is its last reader and it has the output's size.</summary>
    private static T[] Output<T>(OpContext ctx, TensorValue a, TensorValue b, int n)
    {
        if (ctx.CanOverwrite(0) && a.Count == n)
        {
            return (T[])a.Data;
        }

        if (ctx.CanOverwrite(1) && b.Count == n)
        {
            return (T[])b.Data;
        }

        return ctx.NewArray<T>(n, zeroed: false);
    }

    public static TensorValue Compare<TOp>(OpContext ctx, TensorValue a, TensorValue b)
        where TOp : struct, ICompareOp
    {
        if (a.DType != b.DType)
        {
            throw ctx.Error($"operands have different dtypes ({TensorDecoder.Name(a.DType)} and {TensorDecoder.Name(b.DType)}).");
        }

        var shape = OutShape(ctx, a, b);
        var o = new bool[Shapes.Count(shape)];
        switch (a.Data)
        {
            case double[] ad:
                Apply<double, bool, CompareRun<TOp, double>>(ctx, ad, a.Shape, (double[])b.Data, b.Shape, o, shape);
                break;
            case float[] af:
                Apply<float, bool, CompareRun<TOp, float>>(ctx, af, a.Shape, (float[])b.Data, b.Shape, o, shape);
                break;
            case int[] ai:
                Apply<int, bool, CompareRun<TOp, int>>(ctx, ai, a.Shape, (int[])b.Data, b.Shape, o, shape);
                break;
            case long[] al:
                Apply<long, bool, CompareRun<TOp, long>>(ctx, al, a.Shape, (long[])b.Data, b.Shape, o, shape);
                break;
            case bool[] ab when default(TOp).SupportsBool:
                Apply<bool, bool, CompareRun<TOp, bool>>(ctx, ab, a.Shape, (bool[])b.Data, b.Shape, o, shape);
                break;
            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(a.DType)} tensors.");
        }

        return new TensorValue(DataType.DtBool, shape, o);
    }

    public static TensorValue Unary<TOp>(OpContext ctx, TensorValue x)
        where TOp : struct, IUnaryOp
    {
        TOp op = default;
        int n = x.Count;
        switch (x.Data)
        {
            case double[] xd:
            {
                var o = ctx.CanOverwrite(0) ? xd : ctx.NewArray<double>(n, zeroed: false);
                ctx.For(n, 8, (s, e) =>
                {
                    for (int i = s; i < e; i++)
                    {
                        o[i] = op.D(xd[i]);
                    }
                });
                return new TensorValue(x.DType, x.Shape, o);
            }

            case float[] xf:
            {
                var o = ctx.CanOverwrite(0) ? xf : ctx.NewArray<float>(n, zeroed: false);
                ctx.For(n, 8, (s, e) =>
                {
                    for (int i = s; i < e; i++)
                    {
                        o[i] = op.F(xf[i]);
                    }
                });
                return new TensorValue(x.DType, x.Shape, o);
            }

            case int[] xi when op.SupportsIntegers:
            {
                var o = new int[n];
                for (int i = 0; i < n; i++)
                {
                    o[i] = op.I(xi[i]);
                }

                return new TensorValue(x.DType, x.Shape, o);
            }

            case long[] xl when op.SupportsIntegers:
            {
                var o = new long[n];
                for (int i = 0; i < n; i++)
                {
                    o[i] = op.L(xl[i]);
                }

                return new TensorValue(x.DType, x.Shape, o);
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(x.DType)} tensors.");
        }
    }

    private static int[] OutShape(OpContext ctx, TensorValue a, TensorValue b) =>
        Shapes.Broadcast(a.Shape, b.Shape)
        ?? throw ctx.Error($"shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} are not broadcast-compatible.");
}
