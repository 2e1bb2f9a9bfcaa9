using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>TensorFlow's standard ops (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from), registered by op type.</summary>
internal static partial class StandardOps
{
    public static void Register(OpRegistry r)
    {
        RegisterMath(r);
        RegisterArray(r);
        RegisterReductions(r);
        RegisterLinalg(r);
        RegisterEinsum(r);
        RegisterStructure(r);
    }

    private static void RegisterMath(OpRegistry r)
    {
        r.Register(Binary<AddOp>, "Add", "AddV2");
        r.Register("Sub", Binary<SubOp>);
        r.Register("Mul", Binary<MulOp>);
        r.Register(RealDiv, "RealDiv");
        r.Register(Binary<DivOp>, "Div", "TruncateDiv");
        r.Register("FloorDiv", Binary<FloorDivOp>);
        r.Register("FloorMod", Binary<FloorModOp>);
        r.Register("Maximum", Binary<MaximumOp>);
        r.Register("Minimum", Binary<MinimumOp>);
        r.Register("Pow", Binary<PowOp>);
        r.Register("SquaredDifference", Binary<SquaredDifferenceOp>);

        r.Register("Greater", Compare<GreaterOp>);
        r.Register("GreaterEqual", Compare<GreaterEqualOp>);
        r.Register("Less", Compare<LessOp>);
        r.Register("LessEqual", Compare<LessEqualOp>);
        r.Register("Equal", Compare<EqualOp>);
        r.Register("NotEqual", Compare<NotEqualOp>);
        r.Register("LogicalAnd", Compare<LogicalAndOp>);
        r.Register("LogicalOr", Compare<LogicalOrOp>);
        r.Register("LogicalNot", LogicalNot);

        r.Register("Neg", Unary<NegOp>);
        r.Register("Abs", Unary<AbsOp>);
        r.Register("Sign", Unary<SignOp>);
        r.Register("Square", Unary<SquareOp>);
        r.Register("Sqrt", Unary<SqrtOp>);
        r.Register("Rsqrt", Unary<RsqrtOp>);
        r.Register(Unary<ReciprocalOp>, "Reciprocal", "Inv");
        r.Register("Exp", Unary<ExpOp>);
        r.Register("Log", Unary<LogOp>);
        r.Register("Log1p", Unary<Log1pOp>);
        r.Register("Floor", Unary<FloorOp>);
        r.Register("Ceil", Unary<CeilOp>);
        r.Register("Erf", Unary<ErfOp>);

        // Activations compression supports (docs/tables.md#embedding-nets) and their gradients.
        r.Register("Tanh", Tanh);
        r.Register("Sigmoid", Unary<SigmoidOp>);
        r.Register("Relu", Unary<ReluOp>);
        r.Register("Relu6", Unary<Relu6Op>);
        r.Register("Softplus", Unary<SoftplusOp>);
        r.Register("TanhGrad", SameShape<TanhGradOp>);
        r.Register("SigmoidGrad", SameShape<SigmoidGradOp>);
        r.Register("ReluGrad", SameShape<ReluGradOp>);
        r.Register("Relu6Grad", SameShape<Relu6GradOp>);
        r.Register("SoftplusGrad", SameShape<SoftplusGradOp>);
        r.Register("SqrtGrad", SameShape<SqrtGradOp>);
        r.Register("RsqrtGrad", SameShape<RsqrtGradOp>);
        r.Register(SameShape<ReciprocalGradOp>, "ReciprocalGrad", "InvGrad");

        // deepmd-kit's gelu ops ("Gelu*" before v2.0, "Gelu*Custom" after; same kernels).
        r.Register(Unary<GeluOp>, "GeluCustom", "Gelu");
        r.Register(SameShape<GeluGradOp>, "GeluGradCustom", "GeluGrad");
        r.Register(GeluGradGrad, "GeluGradGradCustom", "GeluGradGrad");

        r.Register("AddN", AddN);
        r.Register(BiasAdd, "BiasAdd", "BiasAddV1");
        r.Register("BiasAddGrad", BiasAddGrad);
        r.Register("Select", Select);
        r.Register("SelectV2", SelectV2);
        r.Register("Cast", Cast);
    }

    private static TensorValue[] Binary<TOp>(OpContext ctx, TensorValue[] x)
        where TOp : struct, IBinaryOp
    {
        ctx.RequireInputs(x, 2);
        return new[] { Broadcasting.Binary<TOp>(ctx, x[0], x[1]) };
    }

    private static TensorValue[] RealDiv(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        if (x[0].DType is not (DataType.DtDouble or DataType.DtFloat))
        {
            throw ctx.Error($"is only defined for floating-point tensors, not {TensorDecoder.Name(x[0].DType)}.");
        }

        return new[] { Broadcasting.Binary<DivOp>(ctx, x[0], x[1]) };
    }

    /// <summary>TensorFlow's *Grad ops take two tensors of one shape (no broadcasting).</summary>
    private static TensorValue[] SameShape<TOp>(OpContext ctx, TensorValue[] x)
        where TOp : struct, IBinaryOp
    {
        ctx.RequireInputs(x, 2);
        if (!Shapes.SameShape(x[0].Shape, x[1].Shape))
        {
            throw ctx.Error($"inputs must have the same shape, got {Shapes.Format(x[0].Shape)} and {Shapes.Format(x[1].Shape)}.");
        }

        return new[] { Broadcasting.Binary<TOp>(ctx, x[0], x[1]) };
    }

    private static TensorValue[] Compare<TOp>(OpContext ctx, TensorValue[] x)
        where TOp : struct, ICompareOp
    {
        ctx.RequireInputs(x, 2);
        return new[] { Broadcasting.Compare<TOp>(ctx, x[0], x[1]) };
    }

    private static TensorValue[] Unary<TOp>(OpContext ctx, TensorValue[] x)
        where TOp : struct, IUnaryOp
    {
        ctx.RequireInputs(x, 1);
        return new[] { Broadcasting.Unary<TOp>(ctx, x[0]) };
    }

    /// <summary>Tanh with SIMD: <see cref="VectorMath.Tanh(ReadOnlySpan{double}, Span{double})"/> for double, TensorPrimitives for float.</summary>
    private static TensorValue[] Tanh(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 1);
        var t = x[0];
        switch (t.Data)
        {
            case double[] d:
            {
                var o = ctx.CanOverwrite(0) ? d : ctx.NewArray<double>(d.Length, zeroed: false);
                ctx.For(d.Length, 4, (s, e) => VectorMath.Tanh(d.AsSpan(s, e - s), o.AsSpan(s, e - s)));
                return new[] { new TensorValue(t.DType, t.Shape, o) };
            }

            case float[] f:
            {
                var o = ctx.CanOverwrite(0) ? f : ctx.NewArray<float>(f.Length, zeroed: false);
                ctx.For(f.Length, 4, (s, e) => System.Numerics.Tensors.TensorPrimitives.Tanh(f.AsSpan(s, e - s), o.AsSpan(s, e - s)));
                return new[] { new TensorValue(t.DType, t.Shape, o) };
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(t.DType)} tensors.");
        }
    }

    private static TensorValue[] LogicalNot(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 1);
        ctx.RequireType(x[0], DataType.DtBool, "x");
        var a = (bool[])x[0].Data;
        var o = new bool[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            o[i] = !a[i];
        }

        return new[] { new TensorValue(DataType.DtBool, x[0].Shape, o) };
    }

    /// <summary>GeluGradGradCustom(dy, dy_, x) = dy·dy_·gelu″(x).</summary>
    private static TensorValue[] GeluGradGrad(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        if (!Shapes.SameShape(x[0].Shape, x[2].Shape) || !Shapes.SameShape(x[1].Shape, x[2].Shape))
        {
            throw ctx.Error("dy, dy_ and x must have the same shape.");
        }

        switch (x[2].Data)
        {
            case double[] xs:
            {
                var dy = (double[])x[0].Data;
                var dy2 = (double[])x[1].Data;
                var o = new double[xs.Length];
                for (int i = 0; i < o.Length; i++)
                {
                    o[i] = dy[i] * dy2[i] * Gelu.SecondDerivative(xs[i]);
                }

                return new[] { new TensorValue(x[2].DType, x[2].Shape, o) };
            }

            case float[] xs:
            {
                var dy = (float[])x[0].Data;
                var dy2 = (float[])x[1].Data;
                var o = new float[xs.Length];
                for (int i = 0; i < o.Length; i++)
                {
                    o[i] = dy[i] * dy2[i] * (float)Gelu.SecondDerivative(xs[i]);
                }

                return new[] { new TensorValue(x[2].DType, x[2].Shape, o) };
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(x[2].DType)} tensors.");
        }
    }

    /// <summary>The built-in kernels the interpreter's fusions stand in for (GraphInterpreter.Fusion.cs): it fuses only when these run the ops.</summary>
    internal static OpKernel PadKernel => Pad;

    internal static OpKernel AddNKernel => AddN;

    internal static OpKernel AddKernel => Binary<AddOp>;

    internal static OpKernel BiasAddKernel => BiasAdd;

    internal static OpKernel TanhKernel => Tanh;

    internal static OpKernel TanhGradKernel => SameShape<TanhGradOp>;

    /// <summary>AddN: N tensors of one shape, summed left to right.</summary>
    private static TensorValue[] AddN(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireMinInputs(x, 1);
        foreach (var t in x)
        {
            if (t.DType != x[0].DType || !Shapes.SameShape(t.Shape, x[0].Shape))
            {
                throw ctx.Error($"inputs must share dtype and shape; got {t} and {x[0]}.");
            }
        }

        if (x.Length == 1)
        {
            return new[] { x[0] };
        }

        int n = x[0].Count;
        switch (x[0].Data)
        {
            case double[]:
            {
                double[] o;
                if (ctx.CanOverwrite(0))
                {
                    o = (double[])x[0].Data;
                }
                else
                {
                    o = ctx.NewArray<double>(n, zeroed: false);
                    Array.Copy((double[])x[0].Data, o, n);
                }

                ctx.For(n, x.Length, (s, e) =>
                {
                    var os = o.AsSpan(s, e - s);
                    for (int k = 1; k < x.Length; k++)
                    {
                        AddInPlace(os, ((double[])x[k].Data).AsSpan(s, e - s));
                    }
                });
                return new[] { new TensorValue(x[0].DType, x[0].Shape, o) };
            }

            case float[]:
            {
                var o = (float[])((float[])x[0].Data).Clone();
                for (int k = 1; k < x.Length; k++)
                {
                    var a = (float[])x[k].Data;
                    for (int i = 0; i < n; i++)
                    {
                        o[i] += a[i];
                    }
                }

                return new[] { new TensorValue(x[0].DType, x[0].Shape, o) };
            }

            case int[]:
            {
                var o = (int[])((int[])x[0].Data).Clone();
                for (int k = 1; k < x.Length; k++)
                {
                    var a = (int[])x[k].Data;
                    for (int i = 0; i < n; i++)
                    {
                        o[i] = unchecked(o[i] + a[i]);
                    }
                }

                return new[] { new TensorValue(x[0].DType, x[0].Shape, o) };
            }

            case long[]:
            {
                var o = (long[])((long[])x[0].Data).Clone();
                for (int k = 1; k < x.Length; k++)
                {
                    var a = (long[])x[k].Data;
                    for (int i = 0; i < n; i++)
                    {
                        o[i] = unchecked(o[i] + a[i]);
                    }
                }

                return new[] { new TensorValue(x[0].DType, x[0].Shape, o) };
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(x[0].DType)} tensors.");
        }
    }

    [MethodImpl(Jit.Optimized)]
    internal static void AddInPlace(Span<double> o, ReadOnlySpan<double> a)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && o.Length >= Vector<double>.Count)
        {
            var ov = MemoryMarshal.Cast<double, Vector<double>>(o);
            var av = MemoryMarshal.Cast<double, Vector<double>>(a);
            for (int v = 0; v < ov.Length; v++)
            {
                ov[v] += av[v];
            }

            i = ov.Length * Vector<double>.Count;
        }

        for (; i < o.Length; i++)
        {
            o[i] += a[i];
        }
    }

    /// <summary>BiasAdd: a rank-1 bias along the channel axis (last for NHWC, 1 for NCHW).</summary>
    private static TensorValue[] BiasAdd(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var value = x[0];
        var bias = x[1];
        if (value.Rank < 2)
        {
            throw ctx.Error($"value must have rank at least 2 but has shape {Shapes.Format(value.Shape)}.");
        }

        ctx.RequireRank(bias, 1, "bias");
        int axis = ctx.String("data_format", "NHWC") == "NCHW" ? 1 : value.Rank - 1;
        if (bias.Shape[0] != value.Shape[axis])
        {
            throw ctx.Error($"bias has {bias.Shape[0]} elements but the channel dimension of {Shapes.Format(value.Shape)} is {value.Shape[axis]}.");
        }

        var biasShape = new int[value.Rank - axis];
        for (int i = 0; i < biasShape.Length; i++)
        {
            biasShape[i] = 1;
        }

        biasShape[0] = bias.Shape[0];
        return new[] { Broadcasting.Binary<AddOp>(ctx, value, Shapes.Reshaped(bias, biasShape)) };
    }

    /// <summary>BiasAddGrad: the sum over every axis but the channel axis.</summary>
    private static TensorValue[] BiasAddGrad(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 1);
        var g = x[0];
        if (g.Rank < 2)
        {
            throw ctx.Error($"out_backprop must have rank at least 2 but has shape {Shapes.Format(g.Shape)}.");
        }

        int axis = ctx.String("data_format", "NHWC") == "NCHW" ? 1 : g.Rank - 1;
        var axes = new int[g.Rank - 1];
        for (int i = 0, k = 0; i < g.Rank; i++)
        {
            if (i != axis)
            {
                axes[k++] = i;
            }
        }

        return new[] { Reduce(ctx, g, axes, false, ReduceKind.Sum) };
    }

    /// <summary>Select (v1): condition of the same shape as t/e, or a vector over their first dimension.</summary>
    private static TensorValue[] Select(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        var (c, t, e) = (x[0], x[1], x[2]);
        ctx.RequireType(c, DataType.DtBool, "condition");
        if (t.DType != e.DType || !Shapes.SameShape(t.Shape, e.Shape))
        {
            throw ctx.Error($"t and e must have the same dtype and shape, got {t} and {e}.");
        }

        var cond = (bool[])c.Data;
        int n = t.Count;
        int[] map;
        if (Shapes.SameShape(c.Shape, t.Shape))
        {
            map = Identity(n);
        }
        else if (c.Rank == 1 && t.Rank >= 1 && c.Shape[0] == t.Shape[0] || c.Rank == 0 && t.Rank == 0)
        {
            int inner = t.Rank == 0 ? 1 : n / Math.Max(1, t.Shape[0]);
            map = new int[n];
            for (int i = 0; i < n; i++)
            {
                map[i] = inner == 0 ? 0 : i / inner;
            }
        }
        else
        {
            throw ctx.Error($"condition shape {Shapes.Format(c.Shape)} must equal {Shapes.Format(t.Shape)} or be a vector of its first dimension.");
        }

        var o = Shapes.Allocate(t.DType, n);
        for (int i = 0; i < n; i++)
        {
            Array.Copy(cond[map[i]] ? t.Data : e.Data, i, o, i, 1);
        }

        return new[] { new TensorValue(t.DType, t.Shape, o) };
    }

    /// <summary>SelectV2: condition, t and e broadcast against each other.</summary>
    private static TensorValue[] SelectV2(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        var (c, t, e) = (x[0], x[1], x[2]);
        ctx.RequireType(c, DataType.DtBool, "condition");
        if (t.DType != e.DType)
        {
            throw ctx.Error("t and e must have the same dtype.");
        }

        var shape = Shapes.Broadcast(c.Shape, t.Shape) is { } s1 ? Shapes.Broadcast(s1, e.Shape) : null;
        if (shape is null)
        {
            throw ctx.Error($"shapes {Shapes.Format(c.Shape)}, {Shapes.Format(t.Shape)} and {Shapes.Format(e.Shape)} are not broadcast-compatible.");
        }

        var mc = BroadcastMap(c.Shape, shape);
        var mt = BroadcastMap(t.Shape, shape);
        var me = BroadcastMap(e.Shape, shape);
        var cond = (bool[])c.Data;
        var o = Shapes.Allocate(t.DType, mc.Length);
        for (int i = 0; i < mc.Length; i++)
        {
            if (cond[mc[i]])
            {
                Array.Copy(t.Data, mt[i], o, i, 1);
            }
            else
            {
                Array.Copy(e.Data, me[i], o, i, 1);
            }
        }

        return new[] { new TensorValue(t.DType, shape, o) };
    }

    /// <summary>For each element of <paramref name="outShape"/>, the flat index of its source in <paramref name="shape"/>.</summary>
    internal static int[] BroadcastMap(int[] shape, int[] outShape)
    {
        int n = Shapes.Count(outShape);
        var strides = Shapes.BroadcastStrides(shape, outShape);
        var map = new int[n];
        var idx = new int[outShape.Length];
        int off = 0;
        for (int i = 0; i < n; i++)
        {
            map[i] = off;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < outShape[d])
                {
                    break;
                }

                off -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }

        return map;
    }

    internal static int[] Identity(int n)
    {
        var m = new int[n];
        for (int i = 0; i < n; i++)
        {
            m[i] = i;
        }

        return m;
    }

    /// <summary>
    /// Cast between double, float, int32, int64 and bool. Float → int truncates toward zero, number → bool is
    /// "≠ 0"; with Truncate = true a double → float cast drops the low mantissa bits instead of rounding.
    /// </summary>
    private static TensorValue[] Cast(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 1);
        var src = x[0];
        var dst = ctx.Type("DstT");
        if (ctx.HasAttr("SrcT") && ctx.Type("SrcT") != src.DType)
        {
            throw ctx.Error($"input has dtype {TensorDecoder.Name(src.DType)} but SrcT is {TensorDecoder.Name(ctx.Type("SrcT"))}.");
        }

        if (dst == src.DType)
        {
            return new[] { src };
        }

        bool truncate = ctx.Bool("Truncate", false);
        int n = src.Count;
        Array o = Shapes.Allocate(dst, n);
        switch (src.Data, o)
        {
            case (double[] a, float[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = truncate ? TruncateToSingle(a[i]) : (float)a[i];
                }

                break;
            case (double[] a, int[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = unchecked((int)a[i]);
                }

                break;
            case (double[] a, long[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = unchecked((long)a[i]);
                }

                break;
            case (double[] a, bool[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] != 0;
                }

                break;
            case (float[] a, double[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (float[] a, int[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = unchecked((int)a[i]);
                }

                break;
            case (float[] a, long[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = unchecked((long)a[i]);
                }

                break;
            case (float[] a, bool[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] != 0;
                }

                break;
            case (int[] a, double[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (int[] a, float[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (int[] a, long[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (int[] a, bool[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] != 0;
                }

                break;
            case (long[] a, double[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (long[] a, float[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i];
                }

                break;
            case (long[] a, int[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = unchecked((int)a[i]);
                }

                break;
            case (long[] a, bool[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] != 0;
                }

                break;
            case (bool[] a, double[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] ? 1.0 : 0.0;
                }

                break;
            case (bool[] a, float[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] ? 1f : 0f;
                }

                break;
            case (bool[] a, int[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] ? 1 : 0;
                }

                break;
            case (bool[] a, long[] b):
                for (int i = 0; i < n; i++)
                {
                    b[i] = a[i] ? 1 : 0;
                }

                break;
            default:
                throw ctx.Error($"cannot cast {TensorDecoder.Name(src.DType)} to {TensorDecoder.Name(dst)}.");
        }

        return new[] { new TensorValue(dst, src.Shape, o) };
    }

    /// <summary>Rounds toward zero to float by clearing the 29 mantissa bits a float does not keep.</summary>
    private static float TruncateToSingle(double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            return (float)v;
        }

        long bits = BitConverter.DoubleToInt64Bits(v) & ~((1L << 29) - 1);
        return (float)BitConverter.Int64BitsToDouble(bits);
    }
}
