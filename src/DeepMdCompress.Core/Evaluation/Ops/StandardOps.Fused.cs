using System;
using System.Linq;
using System.Numerics;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

// Kernels of the interpreter's fusions (GraphInterpreter.Fusion.cs): a node chain computed in one pass, with the same
// additions in the same order as the chain's own kernels, so the same bits. Each returns null where it does not
// apply, and the interpreter then runs the chain node by node.
internal static partial class StandardOps
{
    /// <summary>
    /// AddN of rank-2 double terms, some of them Slices of larger tensors read in place (TensorFlow's gradient of a
    /// ConcatV2 slices the incoming gradient back into its parts, and the resnet of an embedding net adds them up).
    /// <paramref name="slices"/>[k] tells whether term k arrived as (source, begin, size) or as the tensor itself.
    /// The terms are added left to right, as AddN does.
    /// </summary>
    internal static TensorValue? SumOfSlices(OpContext ctx, TensorValue[] x, bool[] slices)
    {
        if (Terms.Resolve(ctx, x, 0, slices) is not { } terms)
        {
            return null;
        }

        int rows = terms.Rows, cols = terms.Cols;
        var o = ctx.NewArray<double>(rows * cols, zeroed: false);
        ctx.For(rows, (long)cols * slices.Length, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                var row = o.AsSpan(i * cols, cols);
                terms.Row(0, i).CopyTo(row);
                for (int k = 1; k < slices.Length; k++)
                {
                    AddInPlace(row, terms.Row(k, i));
                }
            }
        });
        return new TensorValue(terms.DType, new[] { rows, cols }, o);
    }

    /// <summary>
    /// AddN(terms…, MatMul(TanhGrad(y, dz) or a, b), terms…) for the interpreter's fusion: a resnet layer's input
    /// gradient, dx = Σ slices of dy + (dy ⊙ (1 − y²))·Wᵀ, in blocks of rows that stay in L2. The TanhGrad of a block is
    /// computed into scratch, the block's product is the packed Gemm.Multiply of that scratch, and the other terms are
    /// added to each finished row in the AddN's order — the ops and order of the nodes' own kernels, so their bits.
    /// x is (y, b, dz) with <paramref name="tanhGrad"/>, else (a, b); then the terms other than the product, each
    /// (source, begin, size) where <paramref name="slices"/> says so. <paramref name="position"/> is the product's place
    /// among the AddN's inputs. Null where it does not apply (the nodes then run one by one).
    /// </summary>
    internal static TensorValue? DenseGradientSum(OpContext ctx, NodeDef matMul, TensorValue[] x, bool tanhGrad, bool[] slices, int position)
    {
        var (a, b) = (x[0], x[1]);
        var dz = tanhGrad ? x[2] : null;
        if (a.Data is not double[] ad || b.Data is not double[] bd || a.DType != b.DType || a.Rank != 2 || b.Rank != 2
            || (dz is not null && (dz.Data is not double[] || dz.DType != a.DType || !Shapes.SameShape(dz.Shape, a.Shape))))
        {
            return null;
        }

        var attrs = ctx.ForNode(matMul);
        bool ta = attrs.Bool("transpose_a", false), tb = attrs.Bool("transpose_b", false);
        int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1];
        int n = tb ? b.Shape[0] : b.Shape[1];
        // Below PackedRows MatMul's own kernel does not pack, and the packed tile may round differently (WideKernels).
        if ((tb ? b.Shape[1] : b.Shape[0]) != k || k == 0 || n == 0 || (tanhGrad && ta) || m < PackedRows
            || Terms.Resolve(ctx, x, tanhGrad ? 3 : 2, slices) is not { } terms || terms.Rows != m || terms.Cols != n || terms.DType != a.DType)
        {
            return null;
        }

        var packed = Pack(ctx, bd, 0, k, n, tb);
        var c = ctx.NewArray<double>(m * n, zeroed: false);
        double[]? dzd = (double[]?)dz?.Data;
        int sai = ta ? 1 : k, sap = ta ? m : 1;
        void AddTerms(int i, double[]? partial)
        {
            var row = c.AsSpan(i * n, n);
            if (partial is not null)
            {
                // The terms before the product, summed first as AddN does; the product is then added to them.
                var sum = partial.AsSpan();
                terms.Row(0, i).CopyTo(sum);
                for (int t = 1; t < position; t++)
                {
                    AddInPlace(sum, terms.Row(t, i));
                }

                AddInPlace(row, sum);
            }

            for (int t = position; t < slices.Length; t++)
            {
                AddInPlace(row, terms.Row(t, i));
            }
        }

        if (m <= ColumnSplitRows)
        {
            // Few rows (a fitting layer of one frame): the product as MatMul runs it, split by columns, then the terms.
            var a1 = ad;
            if (tanhGrad)
            {
                a1 = ctx.NewArray<double>(m * k, zeroed: false);
                TanhGradRows(ad, dzd!, 0, m * k, a1);
                (sai, sap) = (k, 1);
            }

            PackedProduct(ctx, a1, 0, sai, sap, packed, c, m, null, false);
            if (tanhGrad)
            {
                ctx.ReturnScratch(a1);
            }

            ctx.For(m, (long)n * slices.Length, (s, e) =>
            {
                var partial = position > 0 ? new double[n] : null;
                for (int i = s; i < e; i++)
                {
                    AddTerms(i, partial);
                }
            });
            return new TensorValue(a.DType, new[] { m, n }, c);
        }

        // Parts of consecutive blocks, a few per thread; each part range a thread takes uses the scratch of its first
        // part (the pool is not thread-safe, so the scratch is taken here).
        int blocks = (m + Gemm.BlockRows - 1) / Gemm.BlockRows;
        int parts = Math.Min(blocks, 4 * Math.Max(1, ctx.MaxDegreeOfParallelism));
        var scratch = new double[parts][];
        for (int q = 0; q < parts && tanhGrad; q++)
        {
            scratch[q] = ctx.NewArray<double>(Gemm.BlockRows * k, zeroed: false);
        }

        ctx.For(parts, (long)m * k * n / parts, (s, e) =>
        {
            var a0 = scratch[s];
            var partial = position > 0 ? new double[n] : null;
            for (int blk = blocks * s / parts; blk < blocks * e / parts; blk++)
            {
                int r0 = blk * Gemm.BlockRows, r1 = Math.Min(m, r0 + Gemm.BlockRows);
                if (a0 is not null)
                {
                    TanhGradRows(ad, dzd!, r0 * k, (r1 - r0) * k, a0);
                    Gemm.Multiply(a0, 0, k, 1, packed, c, r0 * n, 0, r1 - r0);
                }
                else
                {
                    Gemm.Multiply(ad, 0, sai, sap, packed, c, 0, r0, r1);
                }

                for (int i = r0; i < r1; i++)
                {
                    AddTerms(i, partial);
                }
            }
        });
        foreach (var buffer in scratch)
        {
            if (buffer is not null)
            {
                ctx.ReturnScratch(buffer);
            }
        }

        return new TensorValue(a.DType, new[] { m, n }, c);
    }

    /// <summary>o[0, count) = TanhGrad(y, dy) of y[start…], dy[start…], with TanhGradOp's operations.</summary>
    private static void TanhGradRows(double[] y, double[] dy, int start, int count, double[] o)
    {
        var op = default(TanhGradOp);
        int i = 0, w = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + w <= count; i += w)
            {
                op.VD(new Vector<double>(y, start + i), new Vector<double>(dy, start + i)).CopyTo(o, i);
            }
        }

        for (; i < count; i++)
        {
            o[i] = op.D(y[start + i], dy[start + i]);
        }
    }

    /// <summary>
    /// An AddN's rank-2 double terms of one shape, each a tensor or a Slice of one read in place: term k arrived as
    /// (source, begin, size) when slices[k], else as the tensor itself.
    /// </summary>
    private sealed class Terms
    {
        private readonly double[][] _source;
        private readonly int[] _offset;
        private readonly int[] _stride;

        private Terms(double[][] source, int[] offset, int[] stride, int rows, int cols, DataType dtype)
        {
            (_source, _offset, _stride, Rows, Cols, DType) = (source, offset, stride, rows, cols, dtype);
        }

        public int Rows { get; }

        public int Cols { get; }

        public DataType DType { get; }

        public ReadOnlySpan<double> Row(int term, int i) => _source[term].AsSpan(_offset[term] + (i * _stride[term]), Cols);

        /// <summary>The terms from x[start…]; null where one is not a double matrix, a slice is out of range or the shapes differ.</summary>
        public static Terms? Resolve(OpContext ctx, TensorValue[] x, int start, bool[] slices)
        {
            int terms = slices.Length;
            var source = new double[terms][];
            var offset = new int[terms];
            var stride = new int[terms];
            int rows = -1, cols = -1, at = start;
            DataType dtype = default;
            for (int k = 0; k < terms; k++)
            {
                var t = x[at];
                if (t.Data is not double[] d || t.Rank != 2)
                {
                    return null;
                }

                int r = t.Shape[0], c = t.Shape[1], r0 = 0, c0 = 0;
                if (slices[k])
                {
                    var begin = ctx.IntValues(x[at + 1], "begin");
                    var size = ctx.IntValues(x[at + 2], "size");
                    if (begin.Length != 2 || size.Length != 2)
                    {
                        return null;
                    }

                    (r0, c0) = (begin[0], begin[1]);
                    r = size[0] == -1 ? t.Shape[0] - r0 : size[0];
                    c = size[1] == -1 ? t.Shape[1] - c0 : size[1];
                    if (r0 < 0 || c0 < 0 || r < 0 || c < 0 || r0 + r > t.Shape[0] || c0 + c > t.Shape[1])
                    {
                        return null;
                    }

                    at += 3;
                }
                else
                {
                    at += 1;
                }

                if (k == 0)
                {
                    (rows, cols, dtype) = (r, c, t.DType);
                }
                else if (r != rows || c != cols || t.DType != dtype)
                {
                    return null;
                }

                (source[k], offset[k], stride[k]) = (d, (r0 * t.Shape[1]) + c0, t.Shape[1]);
            }

            return new Terms(source, offset, stride, rows, cols, dtype);
        }
    }

    /// <summary>Whether a rank-2 ConcatV2's axis input is its last axis (1 or −1), the one ConcatSum joins along.</summary>
    internal static bool ConcatAxisIsLast(OpContext ctx, TensorValue axis)
    {
        int a = ctx.IntScalar(axis, "axis");
        return a == 1 || a == -1;
    }

    /// <summary>
    /// ConcatV2(parts…, axis = last) + y for rank-2 double tensors, without the concatenation: an embedding net's
    /// resnet step, concat([x, x]) + tanh(…), in one pass. <paramref name="x"/> is the parts, the axis, then y.
    /// </summary>
    internal static TensorValue? ConcatSum(OpContext ctx, TensorValue[] x)
    {
        int parts = x.Length - 2;
        var y = x[x.Length - 1];
        if (parts < 1 || y.Data is not double[] yd || y.Rank != 2)
        {
            return null;
        }

        if (!ConcatAxisIsLast(ctx, x[parts]))
        {
            return null;
        }

        int rows = y.Shape[0], cols = y.Shape[1], width = 0;
        for (int k = 0; k < parts; k++)
        {
            if (x[k].Data is not double[] || x[k].Rank != 2 || x[k].Shape[0] != rows || x[k].DType != y.DType)
            {
                return null;
            }

            width += x[k].Shape[1];
        }

        if (width != cols)
        {
            return null;
        }

        var o = ctx.NewArray<double>(rows * cols, zeroed: false);
        ctx.For(rows, (long)cols * 2, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                int j0 = 0;
                for (int k = 0; k < parts; k++)
                {
                    int w = x[k].Shape[1];
                    var segment = o.AsSpan((i * cols) + j0, w);
                    ((double[])x[k].Data).AsSpan(i * w, w).CopyTo(segment);
                    AddInPlace(segment, yd.AsSpan((i * cols) + j0, w));
                    j0 += w;
                }
            }
        });
        return new TensorValue(y.DType, new[] { rows, cols }, o);
    }
}
