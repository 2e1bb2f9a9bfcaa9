using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class StandardOps
{
    private static void RegisterStructure(OpRegistry r)
    {
        r.Register("MatrixDiagV3", (c, x) => MatrixDiagV3(c, x, "RIGHT_LEFT"));
        r.Register("Split", Split);
        r.Register("SplitV", SplitV);
        r.Register("Where", Where);
        r.Register("InvertPermutation", InvertPermutation);
    }

    /// <summary>
    /// MatrixDiagV3(diagonal, k, num_rows, num_cols, padding_value; align): matrices [..., num_rows, num_cols] holding the
    /// diagonals k[0]…k[1] (one k: a single diagonal) and padding_value elsewhere (docs/evaluator.md). Diagonal d = j − i
    /// is row k[1] − d of a [..., num_diags, max_len] input (or the whole [..., max_len] input for one diagonal); a
    /// diagonal shorter than max_len sits right-aligned (its first element after the padding) when align says RIGHT for
    /// its side (superdiagonals first, subdiagonals second; V2 aligns both left). num_rows/num_cols −1 are deduced.
    /// </summary>
    private static TensorValue[] MatrixDiagV3(OpContext ctx, TensorValue[] x, string defaultAlign)
    {
        ctx.RequireInputs(x, 5);
        var diagonal = x[0];
        if (diagonal.Rank < 1)
        {
            throw ctx.Error("diagonal must have rank at least 1.");
        }

        var k = ctx.IntValues(x[1], "k");
        if (k.Length is < 1 or > 2)
        {
            throw ctx.Error($"k has {k.Length} values; it is a diagonal index or a pair (lower, upper).");
        }

        int lower = k[0], upper = k.Length == 2 ? k[1] : k[0];
        if (lower > upper)
        {
            throw ctx.Error($"k = ({lower}, {upper}): the lower diagonal index exceeds the upper one.");
        }

        int numRows = ctx.IntScalar(x[2], "num_rows"), numCols = ctx.IntScalar(x[3], "num_cols");
        if (x[4].Count != 1 || x[4].DType != diagonal.DType)
        {
            throw ctx.Error("padding_value must be a scalar of the diagonal's dtype.");
        }

        string align = ctx.String("align", defaultAlign);
        bool superRight = align.StartsWith("RIGHT", StringComparison.Ordinal);
        bool subRight = align.EndsWith("RIGHT", StringComparison.Ordinal);
        int numDiags = upper - lower + 1;
        int maxLen = diagonal.Shape[diagonal.Rank - 1];
        int batchRank = diagonal.Rank - (numDiags > 1 ? 2 : 1);
        if (batchRank < 0 || (numDiags > 1 && diagonal.Shape[diagonal.Rank - 2] != numDiags))
        {
            throw ctx.Error($"diagonal {Shapes.Format(diagonal.Shape)} does not hold the {numDiags} diagonals k = ({lower}, {upper}).");
        }

        int minRows = maxLen - Math.Min(upper, 0), minCols = maxLen + Math.Max(lower, 0);
        if (numRows == -1 && numCols == -1)
        {
            numRows = numCols = Math.Max(minRows, minCols);
        }
        else if (numRows == -1)
        {
            numRows = minRows;
        }
        else if (numCols == -1)
        {
            numCols = minCols;
        }

        if (numRows < minRows || numCols < minCols)
        {
            throw ctx.Error($"a {numRows}×{numCols} matrix cannot hold diagonals of length {maxLen} at k = ({lower}, {upper}).");
        }

        var batchShape = diagonal.Shape.Take(batchRank).ToArray();
        var shape = batchShape.Concat(new[] { numRows, numCols }).ToArray();
        int batches = Shapes.Count(batchShape);
        var dst = Shapes.Allocate(diagonal.DType, Shapes.Count(shape));
        var pad = x[4].Data;
        int perBatch = numDiags * maxLen;
        for (int b = 0; b < batches; b++)
        {
            for (int i = 0; i < numRows; i++)
            {
                for (int j = 0; j < numCols; j++)
                {
                    int d = j - i, at = (b * numRows + i) * numCols + j;
                    if (d < lower || d > upper)
                    {
                        Array.Copy(pad, 0, dst, at, 1);
                        continue;
                    }

                    int length = Math.Min(numRows + Math.Min(0, d), numCols - Math.Max(0, d));
                    bool right = d >= 0 ? superRight : subRight;
                    int along = (d >= 0 ? i : j) + (right ? maxLen - length : 0);
                    Array.Copy(diagonal.Data, b * perBatch + (upper - d) * maxLen + along, dst, at, 1);
                }
            }
        }

        return new[] { new TensorValue(diagonal.DType, shape, dst) };
    }

    /// <summary>Split(split_dim, value; num_split): num_split equal pieces of value along split_dim (negative counts from the end).</summary>
    private static TensorValue[] Split(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var value = x[1];
        int axis = NormalizeAxis(ctx, ctx.IntScalar(x[0], "split_dim"), value.Rank);
        int parts = (int)ctx.Int("num_split");
        if (parts < 1 || value.Shape[axis] % parts != 0)
        {
            throw ctx.Error($"dimension {axis} of {Shapes.Format(value.Shape)} does not split into {parts} equal pieces.");
        }

        return SplitSizes(value, axis, Enumerable.Repeat(value.Shape[axis] / parts, parts).ToArray());
    }

    /// <summary>SplitV(value, size_splits, split_dim; num_split): pieces of the given sizes (one −1 takes the rest).</summary>
    private static TensorValue[] SplitV(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 3);
        var value = x[0];
        int axis = NormalizeAxis(ctx, ctx.IntScalar(x[2], "split_dim"), value.Rank);
        var sizes = ctx.IntValues(x[1], "size_splits").ToArray();
        int unknown = Array.IndexOf(sizes, -1);
        if (unknown >= 0)
        {
            sizes[unknown] = value.Shape[axis] - sizes.Where((s, i) => i != unknown).Sum();
        }

        if (sizes.Any(s => s < 0) || sizes.Sum() != value.Shape[axis] || sizes.Length != ctx.Int("num_split"))
        {
            throw ctx.Error($"size_splits [{string.Join(", ", sizes)}] do not split dimension {axis} of {Shapes.Format(value.Shape)} into num_split pieces.");
        }

        return SplitSizes(value, axis, sizes);
    }

    private static TensorValue[] SplitSizes(TensorValue value, int axis, int[] sizes)
    {
        int outer = value.Shape.Take(axis).Aggregate(1, (a, b) => a * b);
        int inner = value.Shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        int dim = value.Shape[axis];
        var result = new TensorValue[sizes.Length];
        int start = 0;
        for (int p = 0; p < sizes.Length; p++)
        {
            var shape = (int[])value.Shape.Clone();
            shape[axis] = sizes[p];
            var dst = Shapes.Allocate(value.DType, Shapes.Count(shape));
            for (int o = 0; o < outer; o++)
            {
                Array.Copy(value.Data, (o * dim + start) * inner, dst, o * sizes[p] * inner, sizes[p] * inner);
            }

            result[p] = new TensorValue(value.DType, shape, dst);
            start += sizes[p];
        }

        return result;
    }

    /// <summary>Where(input): the int64 coordinates [count, rank] of the true (non-zero) elements, in row-major order.</summary>
    private static TensorValue[] Where(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        bool[] truth = t.Data switch
        {
            bool[] b => b,
            double[] d => Array.ConvertAll(d, v => v != 0),
            float[] f => Array.ConvertAll(f, v => v != 0),
            int[] i => Array.ConvertAll(i, v => v != 0),
            long[] l => Array.ConvertAll(l, v => v != 0),
            _ => throw ctx.Error($"Where does not take {TensorDecoder.Name(t.DType)} input."),
        };
        int rank = t.Rank;
        var strides = Shapes.Strides(t.Shape);
        var coordinates = new List<long>();
        int count = 0;
        for (int e = 0; e < truth.Length; e++)
        {
            if (!truth[e])
            {
                continue;
            }

            count++;
            int rest = e;
            for (int a = 0; a < rank; a++)
            {
                coordinates.Add(rest / strides[a]);
                rest %= strides[a];
            }
        }

        return new[] { new TensorValue(DataType.DtInt64, new[] { count, rank }, coordinates.ToArray()) };
    }

    /// <summary>InvertPermutation(x): y with y[x[i]] = i; x must be a permutation of 0…n−1.</summary>
    private static TensorValue[] InvertPermutation(OpContext ctx, TensorValue[] x)
    {
        var t = Single(ctx, x);
        ctx.RequireRank(t, 1, "x");
        var perm = t.AsInt32Array();
        var inverse = Enumerable.Repeat(-1, perm.Length).ToArray();
        for (int i = 0; i < perm.Length; i++)
        {
            if ((uint)perm[i] >= (uint)perm.Length || inverse[perm[i]] >= 0)
            {
                throw ctx.Error($"[{string.Join(", ", perm)}] is not a permutation of 0…{perm.Length - 1}.");
            }

            inverse[perm[i]] = i;
        }

        Array data = t.DType == DataType.DtInt64 ? Array.ConvertAll(inverse, v => (long)v) : inverse;
        return new[] { new TensorValue(t.DType, new[] { perm.Length }, data) };
    }

    private static int NormalizeAxis(OpContext ctx, int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw ctx.Error($"axis {axis} is out of range for rank {rank}.");
        }

        return a;
    }
}
