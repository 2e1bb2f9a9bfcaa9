using System;
using System.Collections.Generic;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal enum ReduceKind
{
    Sum,
    Mean,
    Prod,
    Max,
    Min,
    All,
    Any,
}

internal static partial class StandardOps
{
    private static void RegisterReductions(OpRegistry r)
    {
        r.Register("Sum", (c, x) => ReduceOp(c, x, ReduceKind.Sum));
        r.Register("Mean", (c, x) => ReduceOp(c, x, ReduceKind.Mean));
        r.Register("Prod", (c, x) => ReduceOp(c, x, ReduceKind.Prod));
        r.Register("Max", (c, x) => ReduceOp(c, x, ReduceKind.Max));
        r.Register("Min", (c, x) => ReduceOp(c, x, ReduceKind.Min));
        r.Register("All", (c, x) => ReduceOp(c, x, ReduceKind.All));
        r.Register("Any", (c, x) => ReduceOp(c, x, ReduceKind.Any));
        r.Register("BroadcastGradientArgs", BroadcastGradientArgs);
    }

    /// <summary>Sum/Mean/Prod/Max/Min/All/Any(x, reduction_indices; keep_dims = false).</summary>
    private static TensorValue[] ReduceOp(OpContext ctx, TensorValue[] x, ReduceKind kind)
    {
        ctx.RequireInputs(x, 2);
        if (x[1].Rank > 1)
        {
            throw ctx.Error($"reduction_indices must be a scalar or vector, got shape {Shapes.Format(x[1].Shape)}.");
        }

        var axes = ctx.IntValues(x[1], "reduction_indices");
        return new[] { Reduce(ctx, x[0], axes, ctx.Bool("keep_dims", false), kind) };
    }

    internal static TensorValue Reduce(OpContext ctx, TensorValue x, int[] axes, bool keepDims, ReduceKind kind)
    {
        var reduced = ReducedAxes(ctx, x, axes);
        var shape = ReducedShape(x.Shape, reduced, keepDims, out int reduceCount);
        bool isBool = x.DType == DataType.DtBool;
        if ((kind is ReduceKind.All or ReduceKind.Any) != isBool)
        {
            throw ctx.Error($"is not defined for {TensorDecoder.Name(x.DType)} tensors.");
        }

        if (x.DType == DataType.DtString)
        {
            throw ctx.Error("is not defined for string tensors.");
        }

        // Nothing reduced: the input itself (TensorFlow forwards the buffer).
        if (Array.IndexOf(reduced, true) < 0 || reduceCount == 1)
        {
            return Shapes.Reshaped(x, shape);
        }

        var groups = new DimensionGroups(x.Shape, reduced);
        int outCount = Shapes.Count(shape);
        Array result = Shapes.Allocate(x.DType, outCount);
        switch (x.Data)
        {
            case double[] xd:
                ReduceDoubles(ctx, xd, (double[])result, x.Shape, reduced, groups, outCount, reduceCount, kind);
                break;
            case float[] xf:
                ReduceFloats(xf, (float[])result, groups, outCount, reduceCount, kind);
                break;
            case int[] xi:
                ReduceInts(xi, (int[])result, groups, outCount, reduceCount, kind);
                break;
            case long[] xl:
                ReduceLongs(xl, (long[])result, groups, outCount, reduceCount, kind);
                break;
            case bool[] xb:
                ReduceBools(xb, (bool[])result, groups, outCount, kind);
                break;
        }

        return new TensorValue(x.DType, shape, result);
    }

    private static bool[] ReducedAxes(OpContext ctx, TensorValue x, int[] axes)
    {
        int rank = x.Rank;
        var reduced = new bool[rank];
        foreach (int a0 in axes)
        {
            int a = a0 < 0 ? a0 + rank : a0;
            if (a < 0 || a >= rank)
            {
                throw ctx.Error($"reduction axis {a0} is out of range for shape {Shapes.Format(x.Shape)}.");
            }

            reduced[a] = true;
        }

        return reduced;
    }

    private static int[] ReducedShape(int[] inShape, bool[] reduced, bool keepDims, out int reduceCount)
    {
        var outShape = new List<int>();
        reduceCount = 1;
        for (int d = 0; d < inShape.Length; d++)
        {
            if (reduced[d])
            {
                reduceCount *= inShape[d];
                if (keepDims)
                {
                    outShape.Add(1);
                }
            }
            else
            {
                outShape.Add(inShape[d]);
            }
        }

        return outShape.ToArray();
    }

    /// <summary>The input as kept and reduced dimension groups with their strides (size-1 dimensions dropped).</summary>
    private sealed class DimensionGroups
    {
        public DimensionGroups(int[] shape, bool[] reduced)
        {
            var strides = Shapes.Strides(shape);
            for (int d = 0; d < shape.Length; d++)
            {
                if (shape[d] == 1)
                {
                    continue;
                }

                (reduced[d] ? RedSizes : KeptSizes).Add(shape[d]);
                (reduced[d] ? RedStrides : KeptStrides).Add(strides[d]);
            }
        }

        public List<int> KeptSizes { get; } = new();

        public List<int> KeptStrides { get; } = new();

        public List<int> RedSizes { get; } = new();

        public List<int> RedStrides { get; } = new();

        public int[] ReducedOffsets => Offsets(RedSizes, RedStrides);

        public int[] KeptBases => Offsets(KeptSizes, KeptStrides);
    }

    private static void ReduceDoubles(OpContext ctx, double[] xd, double[] o, int[] shape, bool[] reduced, DimensionGroups groups, int outCount, int reduceCount, ReduceKind kind)
    {
        // Fast paths: a leading block [red, kept] → out[j] = ⊕_i x[i·kept + j], vectorised over j; a trailing block per output.
        bool leading = xd.Length > 0 && IsLeadingReduction(shape, reduced);
        bool trailing = xd.Length > 0 && IsTrailingReduction(shape, reduced);
        if (kind is ReduceKind.Sum or ReduceKind.Mean && leading)
        {
            int kept = outCount;
            for (int i = 0; i < reduceCount; i++)
            {
                AddInPlace(o, xd.AsSpan(i * kept, kept));
            }
        }
        else if (trailing)
        {
            ctx.For(outCount, reduceCount, (s, e) =>
            {
                for (int j = s; j < e; j++)
                {
                    o[j] = ReduceRun(xd, j * reduceCount, reduceCount, kind);
                }
            });
        }
        else
        {
            var offs = groups.ReducedOffsets;
            var bases = groups.KeptBases;
            for (int j = 0; j < outCount; j++)
            {
                double acc = Initial(kind);
                foreach (int off in offs)
                {
                    acc = Combine(acc, xd[bases[j] + off], kind);
                }

                o[j] = acc;
            }
        }

        if (kind == ReduceKind.Mean)
        {
            for (int j = 0; j < outCount; j++)
            {
                o[j] /= reduceCount;
            }
        }
    }

    private static void ReduceFloats(float[] xf, float[] o, DimensionGroups groups, int outCount, int reduceCount, ReduceKind kind)
    {
        var offs = groups.ReducedOffsets;
        var bases = groups.KeptBases;
        for (int j = 0; j < outCount; j++)
        {
            float acc = (float)Initial(kind);
            foreach (int off in offs)
            {
                acc = (float)Combine(acc, xf[bases[j] + off], kind);
            }

            o[j] = kind == ReduceKind.Mean ? acc / reduceCount : acc;
        }
    }

    private static void ReduceInts(int[] xi, int[] o, DimensionGroups groups, int outCount, int reduceCount, ReduceKind kind)
    {
        var offs = groups.ReducedOffsets;
        var bases = groups.KeptBases;
        for (int j = 0; j < outCount; j++)
        {
            long acc = InitialInt(kind, int.MinValue, int.MaxValue);
            foreach (int off in offs)
            {
                acc = unchecked((int)CombineInt(acc, xi[bases[j] + off], kind));
            }

            o[j] = unchecked((int)(kind == ReduceKind.Mean ? (reduceCount == 0 ? 0 : acc / reduceCount) : acc));
        }
    }

    private static void ReduceLongs(long[] xl, long[] o, DimensionGroups groups, int outCount, int reduceCount, ReduceKind kind)
    {
        var offs = groups.ReducedOffsets;
        var bases = groups.KeptBases;
        for (int j = 0; j < outCount; j++)
        {
            long acc = InitialInt(kind, long.MinValue, long.MaxValue);
            foreach (int off in offs)
            {
                acc = CombineInt(acc, xl[bases[j] + off], kind);
            }

            o[j] = kind == ReduceKind.Mean ? (reduceCount == 0 ? 0 : acc / reduceCount) : acc;
        }
    }

    private static void ReduceBools(bool[] xb, bool[] o, DimensionGroups groups, int outCount, ReduceKind kind)
    {
        var offs = groups.ReducedOffsets;
        var bases = groups.KeptBases;
        for (int j = 0; j < outCount; j++)
        {
            bool acc = kind == ReduceKind.All;
            foreach (int off in offs)
            {
                acc = kind == ReduceKind.All ? acc && xb[bases[j] + off] : acc || xb[bases[j] + off];
            }

            o[j] = acc;
        }
    }

    private static bool IsLeadingReduction(int[] shape, bool[] reduced)
    {
        bool seenKept = false;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1)
            {
                continue;
            }

            if (!reduced[d])
            {
                seenKept = true;
            }
            else if (seenKept)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTrailingReduction(int[] shape, bool[] reduced)
    {
        bool seenReduced = false;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1)
            {
                continue;
            }

            if (reduced[d])
            {
                seenReduced = true;
            }
            else if (seenReduced)
            {
                return false;
            }
        }

        return true;
    }

    private static double ReduceRun(double[] x, int start, int count, ReduceKind kind)
    {
        if (kind is ReduceKind.Sum or ReduceKind.Mean)
        {
            double s = 0;
            for (int i = 0; i < count; i++)
            {
                s += x[start + i];
            }

            return s;
        }

        double acc = Initial(kind);
        for (int i = 0; i < count; i++)
        {
            acc = Combine(acc, x[start + i], kind);
        }

        return acc;
    }

    /// <summary>All flat offsets of an odometer over (sizes, strides), in row-major order.</summary>
    private static int[] Offsets(List<int> sizes, List<int> strides)
    {
        int n = 1;
        foreach (int s in sizes)
        {
            n *= s;
        }

        var offs = new int[n];
        var idx = new int[sizes.Count];
        int off = 0;
        for (int i = 0; i < n; i++)
        {
            offs[i] = off;
            for (int d = sizes.Count - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < sizes[d])
                {
                    break;
                }

                off -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }

        return offs;
    }

    private static double Initial(ReduceKind kind) => kind switch
    {
        ReduceKind.Prod => 1.0,
        ReduceKind.Max => double.NegativeInfinity,
        ReduceKind.Min => double.PositiveInfinity,
        _ => 0.0,
    };

    private static double Combine(double acc, double v, ReduceKind kind) => kind switch
    {
        ReduceKind.Prod => acc * v,
        ReduceKind.Max => double.IsNaN(acc) || double.IsNaN(v) ? double.NaN : Math.Max(acc, v),
        ReduceKind.Min => double.IsNaN(acc) || double.IsNaN(v) ? double.NaN : Math.Min(acc, v),
        _ => acc + v,
    };

    private static long InitialInt(ReduceKind kind, long lowest, long highest) => kind switch
    {
        ReduceKind.Prod => 1,
        ReduceKind.Max => lowest,
        ReduceKind.Min => highest,
        _ => 0,
    };

    private static long CombineInt(long acc, long v, ReduceKind kind) => kind switch
    {
        ReduceKind.Prod => unchecked(acc * v),
        ReduceKind.Max => Math.Max(acc, v),
        ReduceKind.Min => Math.Min(acc, v),
        _ => unchecked(acc + v),
    };

    /// <summary>
    /// BroadcastGradientArgs(s0, s1) → (r0, r1): the axes each operand's gradient must be summed over
    /// (TensorFlow's BCast with fewer_dims_optimization, docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).
    /// </summary>
    private static TensorValue[] BroadcastGradientArgs(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        ctx.RequireRank(x[0], 1, "s0");
        ctx.RequireRank(x[1], 1, "s1");
        var s0 = ctx.IntValues(x[0], "s0");
        var s1 = ctx.IntValues(x[1], "s1");
        var outType = x[0].DType;
        var (r0, r1) = GradientReductionAxes(ctx, s0, s1);
        return new[] { IndexVector(outType, r0), IndexVector(outType, r1) };
    }

    internal static (int[] R0, int[] R1) GradientReductionAxes(OpContext ctx, int[] s0, int[] s1)
    {
        if (Shapes.SameShape(s0, s1))
        {
            return (Array.Empty<int>(), Array.Empty<int>());
        }

        int n = Math.Max(s0.Length, s1.Length);
        var r0 = new List<int>();
        var r1 = new List<int>();
        for (int k = 0; k < n; k++)
        {
            int a = k < n - s0.Length ? 1 : s0[k - (n - s0.Length)];
            int b = k < n - s1.Length ? 1 : s1[k - (n - s1.Length)];
            if (a == 1 && b == 1)
            {
                r0.Add(k);
                r1.Add(k);
            }
            else if (a == 1)
            {
                r0.Add(k);
            }
            else if (b == 1)
            {
                r1.Add(k);
            }
            else if (a != b)
            {
                throw ctx.Error($"incompatible shapes [{string.Join(", ", s0)}] and [{string.Join(", ", s1)}].");
            }
        }

        return (r0.ToArray(), r1.ToArray());
    }

    private static TensorValue IndexVector(DataType dtype, int[] values) =>
        dtype == DataType.DtInt64
            ? new TensorValue(dtype, new[] { values.Length }, Array.ConvertAll(values, v => (long)v))
            : new TensorValue(DataType.DtInt32, new[] { values.Length }, values);
}
