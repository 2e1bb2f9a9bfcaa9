using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class StandardOps
{
    private static void RegisterArray(OpRegistry r)
    {
        r.Register("Const", (c, x) => new[] { c.Tensor("value") });
        r.Register(Identity, "Identity", "StopGradient", "Snapshot", "PreventGradient", "EnsureShape");
        r.Register("IdentityN", (c, x) => x);
        r.Register("NoOp", (c, x) => Array.Empty<TensorValue>());
        r.Register("CheckNumerics", CheckNumerics);
        r.Register("Placeholder", (c, x) => throw new GraphExecutionException(ErrorIds.MissingFeed,
            $"The placeholder '{c.Name}' must be fed a value.", c.Name, c.OpType, DeepMdErrorKind.InvalidArgument));
        r.Register("PlaceholderWithDefault", Identity);

        r.Register("Reshape", Reshape);
        r.Register("Shape", Shape);
        r.Register("ShapeN", ShapeN);
        r.Register("Size", Size);
        r.Register("Rank", (c, x) => new[] { Shapes.Scalar(Single(c, x).Rank) });
        r.Register("ExpandDims", ExpandDims);
        r.Register("Squeeze", Squeeze);
        r.Register("Slice", Slice);
        r.Register("StridedSlice", StridedSlice);
        r.Register("ConcatV2", ConcatV2);
        r.Register("Concat", (c, x) => Concat(c, x.Skip(1).ToArray(), x[0]));
        r.Register("ConcatOffset", ConcatOffset);
        r.Register("Pack", Pack);
        r.Register("Unpack", Unpack);
        r.Register("Fill", Fill);
        r.Register("ZerosLike", (c, x) => new[] { Shapes.Zeros(Single(c, x).DType, x[0].Shape) });
        r.Register("OnesLike", OnesLike);
        r.Register(Pad, "Pad", "PadV2");
        r.Register("Tile", Tile);
        r.Register(Transpose, "Transpose", "ConjugateTranspose");
        r.Register("GatherV2", GatherV2);
        r.Register("Gather", (c, x) => { c.RequireInputs(x, 2); return new[] { Gather(c, x[0], x[1], 0) }; });
        r.Register("OneHot", OneHot);
        r.Register(DynamicStitch, "DynamicStitch", "ParallelDynamicStitch");
        r.Register("MatrixDiag", MatrixDiag);
        r.Register("Range", Range);
        r.Register("BroadcastTo", BroadcastTo);
        foreach (string op in new[] { "Shape", "ShapeN", "Size", "Rank", "ZerosLike" })
        {
            r.ReadsShapeOnly(op);
        }
    }

    private static TensorValue Single(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 1);
        return x[0];
    }

    private static TensorValue[] Identity(OpContext ctx, TensorValue[] x) => new[] { Single(ctx, x) };

    private static TensorValue[] CheckNumerics(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        bool bad = t.Data switch
        {
            double[] d => d.Any(v => double.IsNaN(v) || double.IsInfinity(v)),
            float[] f => f.Any(v => float.IsNaN(v) || float.IsInfinity(v)),
            _ => false,
        };
        if (bad)
        {
            throw ctx.Error($"{ctx.String("message", "tensor")} has NaN or Inf values.", ErrorIds.CheckNumericsFailed);
        }

        return x;
    }

    /// <summary>Reshape(tensor, shape): at most one −1, inferred from the element count.</summary>
    private static TensorValue[] Reshape(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        if (x[1].Rank > 1)
        {
            throw ctx.Error($"shape must be a vector, got shape {Shapes.Format(x[1].Shape)}.");
        }

        var dims = (int[])ctx.IntValues(x[1], "shape").Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0)
                {
                    throw ctx.Error($"only one dimension may be -1, got [{string.Join(", ", dims)}].");
                }

                infer = i;
            }
            else if (dims[i] < 0)
            {
                throw ctx.Error($"dimension {i} is {dims[i]} in [{string.Join(", ", dims)}].");
            }
            else
            {
                known *= dims[i];
            }
        }

        int n = x[0].Count;
        if (infer >= 0)
        {
            if (known == 0 ? n != 0 : n % known != 0)
            {
                throw ctx.Error($"cannot reshape a tensor of {n} elements ({Shapes.Format(x[0].Shape)}) to [{string.Join(", ", dims)}].");
            }

            dims[infer] = known == 0 ? 0 : (int)(n / known);
        }
        else if (known != n)
        {
            throw ctx.Error($"cannot reshape a tensor of {n} elements ({Shapes.Format(x[0].Shape)}) to [{string.Join(", ", dims)}].");
        }

        return new[] { Shapes.Reshaped(x[0], dims) };
    }

    private static TensorValue ShapeTensor(OpContext ctx, int[] shape) =>
        ctx.Type("out_type", DataType.DtInt32) == DataType.DtInt64
            ? new TensorValue(DataType.DtInt64, new[] { shape.Length }, Array.ConvertAll(shape, d => (long)d))
            : new TensorValue(DataType.DtInt32, new[] { shape.Length }, (int[])shape.Clone());

    private static TensorValue[] Shape(OpContext ctx, TensorValue[] x) => new[] { ShapeTensor(ctx, Single(ctx, x).Shape) };

    private static TensorValue[] ShapeN(OpContext ctx, TensorValue[] x) => x.Select(t => ShapeTensor(ctx, t.Shape)).ToArray();

    private static TensorValue[] Size(OpContext ctx, TensorValue[] x)
    {
        int n = Single(ctx, x).Count;
        return new[]
        {
            ctx.Type("out_type", DataType.DtInt32) == DataType.DtInt64
                ? new TensorValue(DataType.DtInt64, Array.Empty<int>(), new[] { (long)n })
                : Shapes.Scalar(n),
        };
    }

    private static TensorValue[] ExpandDims(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        int rank = x[0].Rank;
        int dim = ctx.IntScalar(x[1], "dim");
        if (dim < -1 - rank || dim > rank)
        {
            throw ctx.Error($"dim {dim} is out of range for rank {rank}.");
        }

        if (dim < 0)
        {
            dim += rank + 1;
        }

        var shape = x[0].Shape.ToList();
        shape.Insert(dim, 1);
        return new[] { Shapes.Reshaped(x[0], shape.ToArray()) };
    }

    private static TensorValue[] Squeeze(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        var dims = ctx.Ints("squeeze_dims");
        var drop = new bool[t.Rank];
        if (dims.Length == 0)
        {
            for (int i = 0; i < t.Rank; i++)
            {
                drop[i] = t.Shape[i] == 1;
            }
        }
        else
        {
            foreach (int d0 in dims)
            {
                int d = d0 < 0 ? d0 + t.Rank : d0;
                if (d < 0 || d >= t.Rank || t.Shape[d] != 1)
                {
                    throw ctx.Error($"cannot squeeze dimension {d0} of shape {Shapes.Format(t.Shape)}.");
                }

                drop[d] = true;
            }
        }

        return new[] { Shapes.Reshaped(t, t.Shape.Where((_, i) => !drop[i]).ToArray()) };
    }

    /// <summary>Slice(x, begin, size): size −1 means "to the end of the dimension".</summary>
    private static TensorValue[] ConcatV2(OpContext ctx, TensorValue[] x) => Concat(ctx, x.Take(x.Length - 1).ToArray(), x[x.Length - 1]);

    internal static OpKernel ConcatV2Kernel => ConcatV2;

    internal static OpKernel SliceKernel => Slice;

    internal static OpKernel ReshapeKernel => Reshape;

    private static TensorValue[] Slice(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        var t = x[0];
        var begin = ctx.IntValues(x[1], "begin");
        var size = (int[])ctx.IntValues(x[2], "size").Clone();
        if (begin.Length != t.Rank || size.Length != t.Rank)
        {
            throw ctx.Error($"begin and size must have {t.Rank} elements for shape {Shapes.Format(t.Shape)}, got [{string.Join(", ", begin)}] and [{string.Join(", ", size)}].");
        }

        for (int i = 0; i < t.Rank; i++)
        {
            if (size[i] == -1)
            {
                size[i] = t.Shape[i] - begin[i];
            }

            if (begin[i] < 0 || size[i] < 0 || (long)begin[i] + size[i] > t.Shape[i])
            {
                throw ctx.Error($"slice [{string.Join(", ", begin)}] + [{string.Join(", ", size)}] is out of bounds for shape {Shapes.Format(t.Shape)}.");
            }
        }

        if (Shapes.SameShape(size, t.Shape))
        {
            return new[] { t };
        }

        return new[] { new TensorValue(t.DType, size, CopyBox(ctx, t.Data, t.Shape, begin, size)) };
    }

    /// <summary>Copies the box [begin, begin + size) of a row-major array, one contiguous innermost run at a time.</summary>
    internal static Array CopyBox(OpContext ctx, Array src, int[] shape, int[] begin, int[] size) => src switch
    {
        double[] d => CopyBox(ctx, d, shape, begin, size),
        float[] f => CopyBox(ctx, f, shape, begin, size),
        int[] i => CopyBox(ctx, i, shape, begin, size),
        long[] l => CopyBox(ctx, l, shape, begin, size),
        bool[] b => CopyBox(ctx, b, shape, begin, size),
        byte[][] s => CopyBox(ctx, s, shape, begin, size),
        _ => throw new InvalidOperationException($"unsupported element array {src.GetType()}"),
    };

    private static T[] CopyBox<T>(OpContext ctx, T[] src, int[] shape, int[] begin, int[] size)
    {
        int n = Shapes.Count(size);
        var dst = ctx.NewArray<T>(n, zeroed: false);
        if (n == 0)
        {
            return dst;
        }

        int rank = shape.Length;
        if (rank == 0)
        {
            dst[0] = src[0];
            return dst;
        }

        var strides = Shapes.Strides(shape);
        int run = size[rank - 1];
        ForRows(ctx, size, [MethodImpl(Jit.Optimized)] (first, end, idx, c0, c1) =>
        {
            for (int row = first; row < end; row++, NextRow(idx, size))
            {
                int off = begin[rank - 1];
                for (int d = 0; d < rank - 1; d++)
                {
                    off += (begin[d] + idx[d]) * strides[d];
                }

                CopyRun(src, off + c0, dst, (row * run) + c0, c1 - c0);
            }
        });

        return dst;
    }

    /// <summary>Elements per work item of the copying ops: a long row is split into blocks of about this size.</summary>
    private const int CopyBlock = 32_768;

    private delegate void RowsBody(int firstRow, int endRow, int[] index, int start, int end);

    /// <summary>
    /// Visits the rows (runs along the last axis) of a row-major array of <paramref name="shape"/>, in parallel when it
    /// is large: body(first row, end row, index of the first row over the other axes, first column, end column); the
    /// body walks its rows with <see cref="NextRow"/>. A long row comes alone in blocks of columns, so even one [1, N]
    /// row is shared by the threads.
    /// </summary>
    private static void ForRows(OpContext ctx, int[] shape, RowsBody body)
    {
        int rank = shape.Length;
        int run = shape[rank - 1];
        int rows = Shapes.Count(shape) / Math.Max(1, run);
        if (rows == 0 || run == 0)
        {
            return;
        }

        long split = (run + (long)CopyBlock - 1) / CopyBlock;
        int blocks = split * rows > int.MaxValue ? 1 : (int)split;
        if (blocks == 1)
        {
            ctx.For(rows, run, (s, e) => body(s, e, RowIndex(shape, s), 0, run));
            return;
        }

        int width = (run + blocks - 1) / blocks;
        ctx.For(rows * blocks, width, (s, e) =>
        {
            for (int item = s; item < e; item++)
            {
                int r = item / blocks, c0 = (item - (r * blocks)) * width;
                body(r, r + 1, RowIndex(shape, r), c0, Math.Min(run, c0 + width));
            }
        });
    }

    /// <summary>The index over all axes but the last of row <paramref name="row"/>.</summary>
    private static int[] RowIndex(int[] shape, int row)
    {
        var idx = new int[shape.Length - 1];
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            idx[d] = row % shape[d];
            row /= shape[d];
        }

        return idx;
    }

    /// <summary>Advances a row index (see <see cref="RowIndex"/>) to the next row.</summary>
    private static void NextRow(int[] index, int[] shape)
    {
        for (int d = index.Length - 1; d >= 0; d--)
        {
            if (++index[d] < shape[d])
            {
                return;
            }

            index[d] = 0;
        }
    }

    /// <summary>A short run element by element (no call overhead), a long one as a block copy.</summary>
    [MethodImpl(Jit.Optimized)]
    internal static void CopyRun<T>(T[] src, int srcOffset, T[] dst, int dstOffset, int length)
    {
        if (length <= 8)
        {
            for (int k = 0; k < length; k++)
            {
                dst[dstOffset + k] = src[srcOffset + k];
            }
        }
        else
        {
            new ReadOnlySpan<T>(src, srcOffset, length).CopyTo(new Span<T>(dst, dstOffset, length));
        }
    }

    /// <summary>StridedSlice with TensorFlow's begin/end/ellipsis/new_axis/shrink_axis masks.</summary>
    private static TensorValue[] StridedSlice(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 4);
        var t = x[0];
        var spec = new StridedSliceSpec(
            ctx.IntValues(x[1], "begin"), ctx.IntValues(x[2], "end"), ctx.IntValues(x[3], "strides"),
            (int)ctx.Int("begin_mask", 0), (int)ctx.Int("end_mask", 0), (int)ctx.Int("ellipsis_mask", 0),
            (int)ctx.Int("new_axis_mask", 0), (int)ctx.Int("shrink_axis_mask", 0));
        var (begins, strides, sizes, finalShape) = spec.Resolve(ctx, t.Shape);
        int n = Shapes.Count(sizes);
        var map = new int[n];
        var srcStrides = Shapes.Strides(t.Shape);
        var idx = new int[sizes.Length];
        for (int i = 0; i < n; i++)
        {
            int off = 0;
            for (int d = 0; d < sizes.Length; d++)
            {
                off += (begins[d] + (idx[d] * strides[d])) * srcStrides[d];
            }

            map[i] = off;
            for (int d = sizes.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < sizes[d])
                {
                    break;
                }

                idx[d] = 0;
            }
        }

        return new[] { new TensorValue(t.DType, finalShape, GatherElements(t.Data, map)) };
    }

    /// <summary>The sparse slice spec of a StridedSlice node and its expansion to the input's rank.</summary>
    internal sealed class StridedSliceSpec
    {
        private readonly int[] _begin, _end, _strides;
        private readonly int _beginMask, _endMask, _ellipsisMask, _newAxisMask, _shrinkMask;

        public StridedSliceSpec(int[] begin, int[] end, int[] strides, int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkMask)
        {
            (_begin, _end, _strides) = (begin, end, strides);
            (_beginMask, _endMask, _ellipsisMask, _newAxisMask, _shrinkMask) = (beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask);
        }

        /// <summary>Per input dimension: first index, stride and count; and the output shape (new axes added, shrunk axes dropped).</summary>
        public (int[] Begin, int[] Stride, int[] Size, int[] FinalShape) Resolve(OpContext ctx, int[] shape)
        {
            int sparse = _begin.Length;
            if (_end.Length != sparse || _strides.Length != sparse)
            {
                throw ctx.Error("begin, end and strides must have the same length.");
            }

            if ((_ellipsisMask & (_ellipsisMask - 1)) != 0)
            {
                throw ctx.Error("at most one ellipsis is allowed.");
            }

            int ellipsis = _ellipsisMask;
            if (ellipsis == 0)
            {
                // An implicit ellipsis after the last given entry covers the remaining dimensions.
                ellipsis = 1 << sparse;
                sparse++;
            }

            int rank = shape.Length;
            var begin = new int[rank];
            var end = new int[rank];
            var stride = new int[rank];
            var beginMasked = new bool[rank];
            var endMasked = new bool[rank];
            var shrink = new bool[rank];
            var final = new List<int>(); // dense dim index, −1 new axis, −2 shrunk
            int full = 0;
            for (int i = 0; i < sparse; i++)
            {
                int bit = 1 << i;
                if ((ellipsis & bit) != 0)
                {
                    int newAxesAfter = 0;
                    for (int k = i + 1; k < sparse; k++)
                    {
                        if ((_newAxisMask & (1 << k)) != 0)
                        {
                            newAxesAfter++;
                        }
                    }

                    int next = Math.Min(rank - (sparse - i) + 1 + newAxesAfter, rank);
                    for (; full < next; full++)
                    {
                        begin[full] = 0;
                        end[full] = 0;
                        stride[full] = 1;
                        beginMasked[full] = true;
                        endMasked[full] = true;
                        final.Add(full);
                    }
                }
                else if ((_newAxisMask & bit) != 0)
                {
                    final.Add(-1);
                }
                else
                {
                    if (full >= rank)
                    {
                        throw ctx.Error($"the slice spec has more dimensions than the input of shape {Shapes.Format(shape)}.");
                    }

                    begin[full] = _begin[i];
                    end[full] = _end[i];
                    stride[full] = _strides[i];
                    beginMasked[full] = (_beginMask & bit) != 0;
                    endMasked[full] = (_endMask & bit) != 0;
                    shrink[full] = (_shrinkMask & bit) != 0;
                    final.Add(shrink[full] ? -2 : full);
                    full++;
                }
            }

            var size = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                int dim = shape[d];
                int s = stride[d];
                if (s == 0)
                {
                    throw ctx.Error("strides must be non-zero.");
                }

                if (shrink[d])
                {
                    int b = begin[d] < 0 ? begin[d] + dim : begin[d];
                    if (b < 0 || b >= dim)
                    {
                        throw ctx.Error($"index {begin[d]} is out of bounds for dimension {d} of size {dim}.");
                    }

                    begin[d] = b;
                    stride[d] = 1;
                    size[d] = 1;
                    continue;
                }

                int lo = s > 0 ? 0 : -1, hi = s > 0 ? dim : dim - 1;
                int bg = beginMasked[d] ? (s > 0 ? 0 : dim - 1) : Clamp(begin[d] < 0 ? begin[d] + dim : begin[d], lo, hi);
                int en = endMasked[d] ? (s > 0 ? dim : -1) : Clamp(end[d] < 0 ? end[d] + dim : end[d], lo, hi);
                long count = s > 0 ? ((long)en - bg + s - 1) / s : ((long)bg - en + (-s) - 1) / (-s);
                begin[d] = bg;
                size[d] = (int)Math.Max(0, count);
            }

            var finalShape = final.Where(f => f != -2).Select(f => f == -1 ? 1 : size[f]).ToArray();
            return (begin, stride, size, finalShape);
        }

        private static int Clamp(int v, int lo, int hi) => v < lo ? lo : v > hi ? hi : v;
    }

    /// <summary>dst[i] = src[map[i]] for any element type.</summary>
    internal static Array GatherElements(Array src, int[] map)
    {
        switch (src)
        {
            case double[] d:
                return Gather(d, map);
            case float[] f:
                return Gather(f, map);
            case int[] i:
                return Gather(i, map);
            case long[] l:
                return Gather(l, map);
            case bool[] b:
                return Gather(b, map);
            case byte[][] s:
                return Gather(s, map);
            default:
                throw new InvalidOperationException($"unsupported element array {src.GetType()}");
        }
    }

    private static T[] Gather<T>(T[] src, int[] map)
    {
        var dst = new T[map.Length];
        for (int i = 0; i < map.Length; i++)
        {
            dst[i] = src[map[i]];
        }

        return dst;
    }

    private static int NormalizeAxis(OpContext ctx, int axis, int rank, string what)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw ctx.Error($"{what} {axis} is out of range for rank {rank}.");
        }

        return a;
    }

    /// <summary>ConcatV2 / Concat: tensors equal in every dimension but the (possibly negative) axis.</summary>
    private static TensorValue[] Concat(OpContext ctx, TensorValue[] values, TensorValue axisTensor)
    {
        if (values.Length == 0)
        {
            throw ctx.Error("needs at least one value.");
        }

        var first = values[0];
        int rank = first.Rank;
        if (rank == 0)
        {
            throw ctx.Error("cannot concatenate scalars.");
        }

        int axis = NormalizeAxis(ctx, ctx.IntScalar(axisTensor, "axis"), rank, "axis");
        int total = 0;
        foreach (var v in values)
        {
            if (v.DType != first.DType || v.Rank != rank)
            {
                throw ctx.Error($"all inputs must have dtype {TensorDecoder.Name(first.DType)} and rank {rank}; got {v}.");
            }

            for (int d = 0; d < rank; d++)
            {
                if (d != axis && v.Shape[d] != first.Shape[d])
                {
                    throw ctx.Error($"shapes {Shapes.Format(first.Shape)} and {Shapes.Format(v.Shape)} differ outside axis {axis}.");
                }
            }

            total += v.Shape[axis];
        }

        if (values.Length == 1)
        {
            return new[] { first };
        }

        var shape = (int[])first.Shape.Clone();
        shape[axis] = total;
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= shape[d];
        }

        for (int d = axis + 1; d < rank; d++)
        {
            inner *= shape[d];
        }

        var lengths = values.Select(v => v.Shape[axis] * inner).ToArray();
        var dst = first.Data switch
        {
            double[] => ConcatRows(ctx, values.Select(v => (double[])v.Data).ToArray(), lengths, outer),
            float[] => ConcatRows(ctx, values.Select(v => (float[])v.Data).ToArray(), lengths, outer),
            int[] => ConcatRows(ctx, values.Select(v => (int[])v.Data).ToArray(), lengths, outer),
            long[] => ConcatRows(ctx, values.Select(v => (long[])v.Data).ToArray(), lengths, outer),
            bool[] => ConcatRows(ctx, values.Select(v => (bool[])v.Data).ToArray(), lengths, outer),
            byte[][] => (Array)ConcatRows(ctx, values.Select(v => (byte[][])v.Data).ToArray(), lengths, outer),
            _ => throw ctx.Error($"is not defined for {TensorDecoder.Name(first.DType)} tensors."),
        };
        return new[] { new TensorValue(first.DType, shape, dst) };
    }

    /// <summary>Row o of the output is row o of each input in turn (row lengths <paramref name="lengths"/>).</summary>
    private static T[] ConcatRows<T>(OpContext ctx, T[][] inputs, int[] lengths, int outer)
    {
        int rowOut = lengths.Sum();
        var dst = ctx.NewArray<T>(outer * rowOut, zeroed: false);
        ForRows(ctx, new[] { outer, rowOut }, [MethodImpl(Jit.Optimized)] (first, end, _, c0, c1) =>
        {
            for (int o = first; o < end; o++)
            {
                for (int k = 0, pos = 0; k < inputs.Length && pos < c1; pos += lengths[k++])
                {
                    int from = Math.Max(c0, pos), to = Math.Min(c1, pos + lengths[k]);
                    if (to > from)
                    {
                        CopyRun(inputs[k], (o * lengths[k]) + from - pos, dst, (o * rowOut) + from, to - from);
                    }
                }
            }
        });

        return dst;
    }

    /// <summary>ConcatOffset(axis, shape_0 … shape_{N−1}): offset_i is Σ_{k&lt;i} shape_k[axis] on the axis, 0 elsewhere.</summary>
    private static TensorValue[] ConcatOffset(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireMinInputs(x, 2);
        var shapes = x.Skip(1).Select(t => ctx.IntValues(t, "shape")).ToArray();
        int rank = shapes[0].Length;
        int axis = NormalizeAxis(ctx, ctx.IntScalar(x[0], "concat_dim"), rank, "concat_dim");
        var result = new TensorValue[shapes.Length];
        int offset = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            if (shapes[i].Length != rank)
            {
                throw ctx.Error("all shapes must have the same rank.");
            }

            for (int d = 0; d < rank; d++)
            {
                if (d != axis && shapes[i][d] != shapes[0][d])
                {
                    throw ctx.Error($"shape [{string.Join(", ", shapes[i])}] differs from [{string.Join(", ", shapes[0])}] outside axis {axis}.");
                }
            }

            var o = new int[rank];
            o[axis] = offset;
            offset += shapes[i][axis];
            result[i] = x[i + 1].DType == DataType.DtInt64
                ? new TensorValue(DataType.DtInt64, new[] { rank }, Array.ConvertAll(o, v => (long)v))
                : new TensorValue(DataType.DtInt32, new[] { rank }, o);
        }

        return result;
    }

    /// <summary>Pack(values; axis): N tensors of one shape stacked along a new axis.</summary>
    private static TensorValue[] Pack(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireMinInputs(x, 1);
        var first = x[0];
        int rank = first.Rank;
        int axis = (int)ctx.Int("axis", 0);
        if (axis < -(rank + 1) || axis > rank)
        {
            throw ctx.Error($"axis {axis} is out of range for packing rank-{rank} tensors.");
        }

        if (axis < 0)
        {
            axis += rank + 1;
        }

        foreach (var v in x)
        {
            if (v.DType != first.DType || !Shapes.SameShape(v.Shape, first.Shape))
            {
                throw ctx.Error($"all inputs must match {first}; got {v}.");
            }
        }

        var shape = first.Shape.ToList();
        shape.Insert(axis, x.Length);
        int outer = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= first.Shape[d];
        }

        int inner = outer == 0 ? 0 : first.Count / Math.Max(1, outer);
        var dst = Shapes.Allocate(first.DType, first.Count * x.Length);
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < x.Length; k++)
            {
                Array.Copy(x[k].Data, o * inner, dst, ((o * x.Length) + k) * inner, inner);
            }
        }

        return new[] { new TensorValue(first.DType, shape.ToArray(), dst) };
    }

    private static TensorValue[] Unpack(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        int axis = NormalizeAxis(ctx, (int)ctx.Int("axis", 0), t.Rank, "axis");
        int num = t.Shape[axis];
        var shape = t.Shape.Where((_, i) => i != axis).ToArray();
        var result = new TensorValue[num];
        for (int k = 0; k < num; k++)
        {
            var begin = new int[t.Rank];
            var size = (int[])t.Shape.Clone();
            begin[axis] = k;
            size[axis] = 1;
            result[k] = new TensorValue(t.DType, shape, CopyBox(ctx, t.Data, t.Shape, begin, size));
        }

        return result;
    }

    /// <summary>Fill(dims, value): an empty dims vector gives a scalar.</summary>
    private static TensorValue[] Fill(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        if (x[0].Rank != 1)
        {
            throw ctx.Error($"dims must be a vector, got shape {Shapes.Format(x[0].Shape)}.");
        }

        if (x[1].Count != 1 || x[1].Rank != 0)
        {
            throw ctx.Error($"value must be a scalar, got shape {Shapes.Format(x[1].Shape)}.");
        }

        var dims = (int[])ctx.IntValues(x[0], "dims").Clone();
        if (dims.Any(d => d < 0))
        {
            throw ctx.Error($"dims [{string.Join(", ", dims)}] has a negative entry.");
        }

        int n = Shapes.Count(dims);
        var dst = Shapes.Allocate(x[1].DType, n);
        FillWith(dst, x[1].Data);
        return new[] { new TensorValue(x[1].DType, dims, dst) };
    }

    private static void FillWith(Array dst, Array scalar)
    {
        switch (dst)
        {
            case double[] d:
                d.AsSpan().Fill(((double[])scalar)[0]);
                break;
            case float[] f:
                f.AsSpan().Fill(((float[])scalar)[0]);
                break;
            case int[] i:
                i.AsSpan().Fill(((int[])scalar)[0]);
                break;
            case long[] l:
                l.AsSpan().Fill(((long[])scalar)[0]);
                break;
            case bool[] b:
                b.AsSpan().Fill(((bool[])scalar)[0]);
                break;
            case byte[][] s:
                s.AsSpan().Fill(((byte[][])scalar)[0]);
                break;
        }
    }

    private static TensorValue[] OnesLike(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        var one = t.DType switch
        {
            DataType.DtDouble => (Array)new[] { 1.0 },
            DataType.DtFloat => new[] { 1f },
            DataType.DtInt32 => new[] { 1 },
            DataType.DtInt64 => new[] { 1L },
            DataType.DtBool => new[] { true },
            _ => throw ctx.Error($"is not defined for {TensorDecoder.Name(t.DType)} tensors."),
        };
        var dst = Shapes.Allocate(t.DType, t.Count);
        FillWith(dst, one);
        return new[] { new TensorValue(t.DType, t.Shape, dst) };
    }

    /// <summary>Pad(x, paddings[rank, 2]) with zeros; PadV2 with constant_values.</summary>
    private static TensorValue[] Pad(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireMinInputs(x, 2);
        var t = x[0];
        var (shape, begin) = PadGeometry(ctx, t, x[1]);
        if (x.Length > 2 && (x[2].DType != t.DType || x[2].Count != 1))
        {
            throw ctx.Error("constant_values must be a scalar of the input's dtype.");
        }

        var dst = t.Data switch
        {
            double[] d => PadBox(ctx, d, t.Shape, shape, begin, x.Length > 2 ? ((double[])x[2].Data)[0] : 0),
            float[] f => PadBox(ctx, f, t.Shape, shape, begin, x.Length > 2 ? ((float[])x[2].Data)[0] : 0),
            int[] i => PadBox(ctx, i, t.Shape, shape, begin, x.Length > 2 ? ((int[])x[2].Data)[0] : 0),
            long[] l => PadBox(ctx, l, t.Shape, shape, begin, x.Length > 2 ? ((long[])x[2].Data)[0] : 0),
            bool[] b => PadBox(ctx, b, t.Shape, shape, begin, x.Length > 2 && ((bool[])x[2].Data)[0]),
            byte[][] s => (Array)PadBox(ctx, s, t.Shape, shape, begin, x.Length > 2 ? ((byte[][])x[2].Data)[0] : Array.Empty<byte>()),
            _ => throw ctx.Error($"is not defined for {TensorDecoder.Name(t.DType)} tensors."),
        };
        return new[] { new TensorValue(t.DType, shape, dst) };
    }

    /// <summary>The padded shape and where the input starts in it; bad paddings are TensorFlow's errors.</summary>
    private static (int[] Shape, int[] Begin) PadGeometry(OpContext ctx, TensorValue t, TensorValue paddings)
    {
        var p = ctx.IntValues(paddings, "paddings");
        if (paddings.Rank != 2 || paddings.Shape[0] != t.Rank || paddings.Shape[1] != 2)
        {
            throw ctx.Error($"paddings must have shape [{t.Rank}, 2], got {Shapes.Format(paddings.Shape)}.");
        }

        var shape = new int[t.Rank];
        var begin = new int[t.Rank];
        for (int d = 0; d < t.Rank; d++)
        {
            if (p[2 * d] < 0 || p[(2 * d) + 1] < 0)
            {
                throw ctx.Error($"paddings must be non-negative, got [{string.Join(", ", p)}].");
            }

            begin[d] = p[2 * d];
            shape[d] = t.Shape[d] + p[2 * d] + p[(2 * d) + 1];
        }

        return (shape, begin);
    }

    /// <summary>
    /// AddN over zero-Pads, x = (x₁, paddings₁, x₂, paddings₂, …), without materialising the padded tensors: when the
    /// padded shapes and the floating dtype agree and the boxes do not overlap, AddN's left-to-right sum is +0 outside
    /// the boxes and v + 0 inside (adding zeros to v, which only turns −0 into +0), so each element is written once.
    /// Null when the inputs do not qualify (the caller pads and adds as the graph says, with its errors).
    /// </summary>
    internal static TensorValue? SumOfDisjointPads(OpContext ctx, TensorValue[] x)
    {
        int n = x.Length / 2;
        if (n < 2 || x.Length != 2 * n || x[0].DType is not (DataType.DtDouble or DataType.DtFloat))
        {
            return null;
        }

        var boxes = new (int[] Begin, int[] Size)[n];
        int[]? shape = null;
        for (int k = 0; k < n; k++)
        {
            var t = x[2 * k];
            if (t.DType != x[0].DType || x[(2 * k) + 1].Rank != 2 || x[(2 * k) + 1].Shape[0] != t.Rank)
            {
                return null;
            }

            var p = ctx.IntValues(x[(2 * k) + 1], "paddings");
            if (p.Any(v => v < 0))
            {
                return null;
            }

            var (padded, begin) = PadGeometry(ctx, t, x[(2 * k) + 1]);
            if (shape is not null && !Shapes.SameShape(shape, padded))
            {
                return null;
            }

            shape = padded;
            boxes[k] = (begin, t.Shape);
            for (int l = 0; l < k; l++)
            {
                if (Overlap(boxes[l], boxes[k]))
                {
                    return null;
                }
            }
        }

        var dst = x[0].Data is double[]
            ? (Array)SumOfPads<double>(ctx, x, boxes, shape!, PlusZero)
            : SumOfPads<float>(ctx, x, boxes, shape!, PlusZero);
        return new TensorValue(x[0].DType, shape!, dst);

        static bool Overlap((int[] Begin, int[] Size) a, (int[] Begin, int[] Size) b)
        {
            for (int d = 0; d < a.Begin.Length; d++)
            {
                if (a.Begin[d] >= b.Begin[d] + b.Size[d] || b.Begin[d] >= a.Begin[d] + a.Size[d])
                {
                    return false;
                }
            }

            return true;
        }
    }

    private delegate void CopyPlusZero<T>(T[] src, int srcOffset, T[] dst, int dstOffset, int length);

    /// <summary>dst[o + c] = src[s + c] + 0 (vectors, then the rest one by one).</summary>
    [MethodImpl(Jit.Optimized)]
    private static void PlusZero(double[] src, int s, double[] dst, int o, int length)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; c + Vector<double>.Count <= length; c += Vector<double>.Count)
            {
                (new Vector<double>(src, s + c) + Vector<double>.Zero).CopyTo(dst, o + c);
            }
        }

        for (; c < length; c++)
        {
            dst[o + c] = src[s + c] + 0.0;
        }
    }

    [MethodImpl(Jit.Optimized)]
    private static void PlusZero(float[] src, int s, float[] dst, int o, int length)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; c + Vector<float>.Count <= length; c += Vector<float>.Count)
            {
                (new Vector<float>(src, s + c) + Vector<float>.Zero).CopyTo(dst, o + c);
            }
        }

        for (; c < length; c++)
        {
            dst[o + c] = src[s + c] + 0f;
        }
    }

    private static T[] SumOfPads<T>(OpContext ctx, TensorValue[] x, (int[] Begin, int[] Size)[] boxes, int[] shape, CopyPlusZero<T> copy)
    {
        var dst = ctx.NewArray<T>(Shapes.Count(shape), zeroed: false);
        int rank = shape.Length; // ≥ 1: scalar boxes always overlap
        var strides = boxes.Select(b => Shapes.Strides(b.Size)).ToArray();
        int run = shape[rank - 1];
        ForRows(ctx, shape, [MethodImpl(Jit.Optimized)] (firstRow, endRow, idx, c0, c1) =>
        {
            // The pieces of this row's columns [c0, c1) that boxes cover (disjoint), by column; zeros in between.
            var pieces = new List<(int From, int To, int Box, int Offset)>(boxes.Length);
            for (int row = firstRow; row < endRow; row++, NextRow(idx, shape))
            {
                pieces.Clear();
                for (int k = 0; k < boxes.Length; k++)
                {
                    var (begin, size) = boxes[k];
                    int off = -begin[rank - 1];
                    for (int d = 0; d < rank - 1 && off != int.MinValue; d++)
                    {
                        int i = idx[d] - begin[d];
                        off = i >= 0 && i < size[d] ? off + (i * strides[k][d]) : int.MinValue;
                    }

                    int from = Math.Max(c0, begin[rank - 1]), to = Math.Min(c1, begin[rank - 1] + size[rank - 1]);
                    if (off != int.MinValue && to > from)
                    {
                        pieces.Add((from, to, k, off));
                    }
                }

                pieces.Sort((a, b) => a.From.CompareTo(b.From));
                int o = row * run, c = c0;
                foreach (var (from, to, k, off) in pieces)
                {
                    Array.Clear(dst, o + c, from - c);
                    copy((T[])x[2 * k].Data, off + from, dst, o + from, to - from);
                    c = to;
                }

                Array.Clear(dst, o + c, c1 - c);
            }
        });

        return dst;
    }

    /// <summary>
    /// The padded array, row by row: a row outside the source box is all <paramref name="fill"/>, a row inside is fill,
    /// the source row, fill. Every element is written once, so the buffer needs no clearing first.
    /// </summary>
    private static T[] PadBox<T>(OpContext ctx, T[] src, int[] srcShape, int[] dstShape, int[] begin, T fill)
    {
        var dst = ctx.NewArray<T>(Shapes.Count(dstShape), zeroed: false);
        int rank = dstShape.Length;
        if (rank == 0)
        {
            if (dst.Length > 0)
            {
                dst[0] = src[0];
            }

            return dst;
        }

        var strides = Shapes.Strides(srcShape);
        int run = dstShape[rank - 1], first = begin[rank - 1], last = first + srcShape[rank - 1];
        ForRows(ctx, dstShape, [MethodImpl(Jit.Optimized)] (firstRow, endRow, idx, c0, c1) =>
        {
            for (int row = firstRow; row < endRow; row++, NextRow(idx, dstShape))
            {
                int off = -first;
                for (int d = 0; d < rank - 1 && off != int.MinValue; d++)
                {
                    int i = idx[d] - begin[d];
                    off = i >= 0 && i < srcShape[d] ? off + (i * strides[d]) : int.MinValue;
                }

                int from = off == int.MinValue ? c1 : Math.Max(c0, first), to = off == int.MinValue ? c1 : Math.Min(c1, last);
                int o = row * run;
                if (c1 - c0 <= 8)
                {
                    // Short rows (e.g. [N, 1] → [N, 4]) element by element: no span or call per piece.
                    for (int c = c0; c < c1; c++)
                    {
                        dst[o + c] = c >= from && c < to ? src[off + c] : fill;
                    }

                    continue;
                }

                var target = new Span<T>(dst, o, run);
                if (to <= from)
                {
                    target.Slice(c0, c1 - c0).Fill(fill);
                    continue;
                }

                target.Slice(c0, from - c0).Fill(fill);
                CopyRun(src, off + from, dst, o + from, to - from);
                target.Slice(to, c1 - to).Fill(fill);
            }
        });

        return dst;
    }

    /// <summary>Tile(x, multiples): out[idx] = x[idx mod shape].</summary>
    private static TensorValue[] Tile(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var t = x[0];
        var m = ctx.IntValues(x[1], "multiples");
        if (m.Length != t.Rank || m.Any(v => v < 0))
        {
            throw ctx.Error($"multiples [{string.Join(", ", m)}] must have {t.Rank} non-negative entries.");
        }

        var shape = t.Shape.Select((d, i) => d * m[i]).ToArray();
        int n = Shapes.Count(shape);
        var map = new int[n];
        var srcStrides = Shapes.Strides(t.Shape);
        var idx = new int[shape.Length];
        for (int i = 0; i < n; i++)
        {
            int off = 0;
            for (int d = 0; d < shape.Length; d++)
            {
                off += (idx[d] % t.Shape[d]) * srcStrides[d];
            }

            map[i] = off;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < shape[d])
                {
                    break;
                }

                idx[d] = 0;
            }
        }

        return new[] { new TensorValue(t.DType, shape, GatherElements(t.Data, map)) };
    }

    /// <summary>Transpose(x, perm): out.shape[i] = x.shape[perm[i]].</summary>
    private static TensorValue[] Transpose(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var t = x[0];
        var perm = ctx.IntValues(x[1], "perm");
        if (perm.Length != t.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= t.Rank))
        {
            throw ctx.Error($"perm [{string.Join(", ", perm)}] is not a permutation of {t.Rank} axes.");
        }

        return new[] { TransposeTensor(t, perm) };
    }

    internal static TensorValue TransposeTensor(TensorValue t, int[] perm)
    {
        var shape = perm.Select(p => t.Shape[p]).ToArray();
        int n = t.Count;
        var srcStrides = Shapes.Strides(t.Shape);
        var st = perm.Select(p => srcStrides[p]).ToArray();
        var map = new int[n];
        var idx = new int[shape.Length];
        int off = 0;
        for (int i = 0; i < n; i++)
        {
            map[i] = off;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                idx[d]++;
                off += st[d];
                if (idx[d] < shape[d])
                {
                    break;
                }

                off -= st[d] * idx[d];
                idx[d] = 0;
            }
        }

        return new TensorValue(t.DType, shape, GatherElements(t.Data, map));
    }

    private static TensorValue[] GatherV2(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        if (ctx.Int("batch_dims", 0) != 0)
        {
            throw ctx.Error("batch_dims other than 0 are not supported.", ErrorIds.UnsupportedAttribute);
        }

        int axis = NormalizeAxis(ctx, ctx.IntScalar(x[2], "axis"), Math.Max(1, x[0].Rank), "axis");
        return new[] { Gather(ctx, x[0], x[1], axis) };
    }

    /// <summary>out shape = params.shape[:axis] + indices.shape + params.shape[axis+1:]; an index out of range is an error.</summary>
    private static TensorValue Gather(OpContext ctx, TensorValue p, TensorValue indices, int axis)
    {
        if (p.Rank == 0)
        {
            throw ctx.Error("params must have rank at least 1.");
        }

        var idx = ctx.IntValues(indices, "indices");
        int dim = p.Shape[axis];
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= p.Shape[d];
        }

        for (int d = axis + 1; d < p.Rank; d++)
        {
            inner *= p.Shape[d];
        }

        foreach (int i in idx)
        {
            if (i < 0 || i >= dim)
            {
                throw ctx.Error($"index {i} is not in [0, {dim}).");
            }
        }

        var shape = p.Shape.Take(axis).Concat(indices.Shape).Concat(p.Shape.Skip(axis + 1)).ToArray();
        var dst = Shapes.Allocate(p.DType, Shapes.Count(shape));
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < idx.Length; k++)
            {
                Array.Copy(p.Data, ((o * dim) + idx[k]) * inner, dst, ((o * idx.Length) + k) * inner, inner);
            }
        }

        return new TensorValue(p.DType, shape, dst);
    }

    /// <summary>OneHot(indices, depth, on, off; axis = −1): indices outside [0, depth) give all "off".</summary>
    private static TensorValue[] OneHot(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 4);
        var indices = ctx.IntValues(x[0], "indices");
        int depth = ctx.IntScalar(x[1], "depth");
        if (depth < 0)
        {
            throw ctx.Error($"depth must be non-negative, got {depth}.");
        }

        var on = x[2];
        var off = x[3];
        if (on.DType != off.DType || on.Count != 1 || off.Count != 1)
        {
            throw ctx.Error("on_value and off_value must be scalars of one dtype.");
        }

        int rank = x[0].Rank;
        int axis = (int)ctx.Int("axis", -1);
        if (axis < -1 || axis > rank)
        {
            throw ctx.Error($"axis {axis} is out of range.");
        }

        if (axis == -1)
        {
            axis = rank;
        }

        var shape = x[0].Shape.ToList();
        shape.Insert(axis, depth);
        int prefix = 1;
        for (int d = 0; d < axis; d++)
        {
            prefix *= x[0].Shape[d];
        }

        int suffix = prefix == 0 ? 0 : indices.Length / Math.Max(1, prefix);
        var dst = Shapes.Allocate(on.DType, indices.Length * depth);
        FillWith(dst, off.Data);
        for (int a = 0; a < prefix; a++)
        {
            for (int c = 0; c < suffix; c++)
            {
                int v = indices[(a * suffix) + c];
                if (v >= 0 && v < depth)
                {
                    Array.Copy(on.Data, 0, dst, (((a * depth) + v) * suffix) + c, 1);
                }
            }
        }

        return new[] { new TensorValue(on.DType, shape.ToArray(), dst) };
    }

    /// <summary>
    /// DynamicStitch(indices[N], data[N]): out[indices[m][i]] = data[m][i, …]; first dimension max index + 1;
    /// later (m, i) overwrite earlier ones.
    /// </summary>
    private static TensorValue[] DynamicStitch(OpContext ctx, TensorValue[] x)
    {
        if (x.Length == 0 || x.Length % 2 != 0)
        {
            throw ctx.Error("needs N index tensors followed by N data tensors.");
        }

        int n = x.Length / 2;
        var idx = new int[n][];
        int max = -1;
        for (int m = 0; m < n; m++)
        {
            idx[m] = ctx.IntValues(x[m], "indices");
            foreach (int i in idx[m])
            {
                if (i < 0)
                {
                    throw ctx.Error($"index {i} is negative.");
                }

                max = Math.Max(max, i);
            }
        }

        var first = x[n];
        int[] trailing = first.Shape.Skip(x[0].Rank).ToArray();
        foreach (var (t, m) in x.Skip(n).Select((t, m) => (t, m)))
        {
            var expected = x[m].Shape.Concat(trailing).ToArray();
            if (t.DType != first.DType || !Shapes.SameShape(t.Shape, expected))
            {
                throw ctx.Error($"data[{m}] has shape {Shapes.Format(t.Shape)} but indices[{m}] needs {Shapes.Format(expected)}.");
            }
        }

        int inner = Shapes.Count(trailing);
        var shape = new[] { max + 1 }.Concat(trailing).ToArray();
        var dst = Shapes.Allocate(first.DType, Shapes.Count(shape));
        for (int m = 0; m < n; m++)
        {
            for (int i = 0; i < idx[m].Length; i++)
            {
                Array.Copy(x[n + m].Data, i * inner, dst, idx[m][i] * inner, inner);
            }
        }

        return new[] { new TensorValue(first.DType, shape, dst) };
    }

    /// <summary>MatrixDiag (v1): [..., N] → [..., N, N] with the input on the main diagonal.</summary>
    private static TensorValue[] MatrixDiag(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        if (t.Rank < 1)
        {
            throw ctx.Error("diagonal must have rank at least 1.");
        }

        int k = t.Shape[t.Rank - 1];
        var shape = t.Shape.Concat(new[] { k }).ToArray();
        var dst = Shapes.Allocate(t.DType, Shapes.Count(shape));
        int batches = k == 0 ? 0 : t.Count / k;
        for (int b = 0; b < batches; b++)
        {
            for (int i = 0; i < k; i++)
            {
                Array.Copy(t.Data, (b * k) + i, dst, (((b * k) + i) * k) + i, 1);
            }
        }

        return new[] { new TensorValue(t.DType, shape, dst) };
    }

    /// <summary>Range(start, limit, delta): start + k·delta for k &lt; ceil((limit − start)/delta).</summary>
    private static TensorValue[] Range(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        var dtype = x[0].DType;
        if (x[1].DType != dtype || x[2].DType != dtype || x.Any(t => t.Count != 1))
        {
            throw ctx.Error("start, limit and delta must be scalars of one dtype.");
        }

        double start = x[0].ScalarDouble(), limit = x[1].ScalarDouble(), delta = x[2].ScalarDouble();
        if (delta == 0)
        {
            throw ctx.Error("delta must not be 0.");
        }

        if (delta > 0 ? start > limit : start < limit)
        {
            throw ctx.Error($"start {start} and limit {limit} are inconsistent with delta {delta}.");
        }

        long count;
        if (dtype is DataType.DtInt32 or DataType.DtInt64)
        {
            long s = x[0].ScalarInt64(), l = x[1].ScalarInt64(), d = x[2].ScalarInt64();
            count = (Math.Abs(l - s) + Math.Abs(d) - 1) / Math.Abs(d);
        }
        else
        {
            count = (long)Math.Ceiling(Math.Abs((limit - start) / delta));
        }

        if (count > TensorDecoder.MaxElements)
        {
            throw new ResourceLimitException(ErrorIds.TensorTooLarge, $"Range node '{ctx.Name}' would produce {count} elements.");
        }

        int n = (int)count;
        Array dst = dtype switch
        {
            DataType.DtInt32 => Enumerable.Range(0, n).Select(k => (int)(x[0].ScalarInt64() + (k * x[2].ScalarInt64()))).ToArray(),
            DataType.DtInt64 => Enumerable.Range(0, n).Select(k => x[0].ScalarInt64() + (k * x[2].ScalarInt64())).ToArray(),
            DataType.DtDouble => Enumerable.Range(0, n).Select(k => start + (k * delta)).ToArray(),
            DataType.DtFloat => Enumerable.Range(0, n).Select(k => (float)((float)start + (k * (float)delta))).ToArray(),
            _ => throw ctx.Error($"is not defined for {TensorDecoder.Name(dtype)}."),
        };
        return new[] { new TensorValue(dtype, new[] { n }, dst) };
    }

    private static TensorValue[] BroadcastTo(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var shape = ctx.IntValues(x[1], "shape");
        var b = Shapes.Broadcast(x[0].Shape, shape);
        if (b is null || !Shapes.SameShape(b, shape))
        {
            throw ctx.Error($"cannot broadcast {Shapes.Format(x[0].Shape)} to [{string.Join(", ", shape)}].");
        }

        return new[] { new TensorValue(x[0].DType, (int[])shape.Clone(), GatherElements(x[0].Data, BroadcastMap(x[0].Shape, shape))) };
    }
}
