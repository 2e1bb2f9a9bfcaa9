using System;
using System.Linq;
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
        int terms = slices.Length;
        var source = new double[terms][];
        var offset = new int[terms];
        var stride = new int[terms];
        int rows = -1, cols = -1, at = 0;
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

        var o = ctx.NewArray<double>(rows * cols, zeroed: false);
        ctx.For(rows, (long)cols * terms, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                var row = o.AsSpan(i * cols, cols);
                source[0].AsSpan(offset[0] + (i * stride[0]), cols).CopyTo(row);
                for (int k = 1; k < terms; k++)
                {
                    AddInPlace(row, source[k].AsSpan(offset[k] + (i * stride[k]), cols));
                }
            }
        });
        return new TensorValue(dtype, new[] { rows, cols }, o);
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

        int axis = ctx.IntScalar(x[parts], "axis");
        if (axis != 1 && axis != -1)
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
