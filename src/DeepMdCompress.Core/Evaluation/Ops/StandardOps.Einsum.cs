using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class StandardOps
{
    private static void RegisterEinsum(OpRegistry r) => r.Register("Einsum", Einsum);

    /// <summary>
    /// Einsum(inputs…; equation, N): TensorFlow's einsum (docs/evaluator.md) as a general contraction. Each operand's
    /// axes get labels; a label repeated within an operand takes its diagonal; <c>...</c> stands for broadcast axes
    /// (right-aligned across operands, size 1 stretching); without <c>-&gt;</c> the output is the broadcast axes then
    /// the labels that occur once, in alphabetical order. Every output element is the sum, over the labels not in the
    /// output, of the product of the operands' elements (summed in double, the result in the operands' dtype).
    /// </summary>
    private static TensorValue[] Einsum(OpContext ctx, TensorValue[] x)
    {
        if (x.Length is < 1 or > 2)
        {
            throw ctx.Error($"Einsum takes one or two operands, got {x.Length}.");
        }

        var dtype = x[0].DType;
        if (x.Any(t => t.DType != dtype) || dtype is not (DataType.DtDouble or DataType.DtFloat or DataType.DtInt32 or DataType.DtInt64))
        {
            throw ctx.Error("the operands must share one numeric dtype (float, double, int32 or int64).");
        }

        var plan = EinsumPlan.Create(ctx, ctx.String("equation", string.Empty), x.Select(t => t.Shape).ToArray());
        var operands = x.Select(t => t.AsDoubleArray()).ToArray();
        var result = new double[Shapes.Count(plan.OutputShape)];
        plan.Run(operands, result);
        Array data = dtype switch
        {
            DataType.DtFloat => Array.ConvertAll(result, v => (float)v),
            DataType.DtInt32 => Array.ConvertAll(result, v => (int)v),
            DataType.DtInt64 => Array.ConvertAll(result, v => (long)v),
            _ => result,
        };
        return new[] { new TensorValue(dtype, plan.OutputShape, data) };
    }

    /// <summary>An einsum equation bound to operand shapes: the size of each label and each operand's stride per label.</summary>
    internal sealed class EinsumPlan
    {
        private readonly int[] _outDims;
        private readonly int[] _sumDims;
        private readonly int[][] _outStrides;
        private readonly int[][] _sumStrides;

        private EinsumPlan(int[] outputShape, int[] outDims, int[] sumDims, int[][] outStrides, int[][] sumStrides)
        {
            OutputShape = outputShape;
            _outDims = outDims;
            _sumDims = sumDims;
            _outStrides = outStrides;
            _sumStrides = sumStrides;
        }

        public int[] OutputShape { get; }

        public static EinsumPlan Create(OpContext ctx, string equation, int[][] shapes)
        {
            string eq = equation.Replace(" ", string.Empty);
            int arrow = eq.IndexOf("->", StringComparison.Ordinal);
            string lhs = arrow < 0 ? eq : eq.Substring(0, arrow);
            string[] terms = lhs.Split(',');
            if (terms.Length != shapes.Length)
            {
                throw ctx.Error($"equation '{equation}' has {terms.Length} operand(s) but {shapes.Length} were given.");
            }

            // Expand each term to one label per axis; ellipsis axes get the labels '0', '1', … counted from the right.
            int ellipsisRank = 0;
            var axes = new List<char>[terms.Length];
            for (int o = 0; o < terms.Length; o++)
            {
                var (before, after, hasEllipsis) = SplitEllipsis(ctx, equation, terms[o]);
                int named = before.Length + after.Length;
                int rank = shapes[o].Length;
                int covered = hasEllipsis ? rank - named : 0;
                if (covered < 0 || (!hasEllipsis && named != rank))
                {
                    throw ctx.Error($"operand {o} of '{equation}' has rank {rank} but the equation names {named} axes{(hasEllipsis ? " and an ellipsis" : string.Empty)}.");
                }

                ellipsisRank = Math.Max(ellipsisRank, covered);
                var list = new List<char>(before);
                for (int e = covered - 1; e >= 0; e--)
                {
                    list.Add(EllipsisLabel(e));
                }

                list.AddRange(after);
                axes[o] = list;
            }

            var size = new Dictionary<char, int>();
            for (int o = 0; o < terms.Length; o++)
            {
                for (int a = 0; a < axes[o].Count; a++)
                {
                    char label = axes[o][a];
                    int dim = shapes[o][a];
                    if (!size.TryGetValue(label, out int known) || known == 1 && char.IsDigit(label))
                    {
                        size[label] = dim;
                    }
                    else if (dim != known && !(dim == 1 && char.IsDigit(label)))
                    {
                        throw ctx.Error($"label '{label}' of '{equation}' is {known} in one place and {dim} in another.");
                    }
                }
            }

            List<char> output;
            if (arrow >= 0)
            {
                var (before, after, hasEllipsis) = SplitEllipsis(ctx, equation, eq.Substring(arrow + 2));
                output = new List<char>(before);
                if (hasEllipsis)
                {
                    for (int e = ellipsisRank - 1; e >= 0; e--)
                    {
                        output.Add(EllipsisLabel(e));
                    }
                }

                output.AddRange(after);
                foreach (char label in output)
                {
                    if (!size.ContainsKey(label))
                    {
                        throw ctx.Error($"output label '{label}' of '{equation}' is in no operand.");
                    }
                }

                if (output.Distinct().Count() != output.Count)
                {
                    throw ctx.Error($"an output label of '{equation}' repeats.");
                }
            }
            else
            {
                var counts = axes.SelectMany(a => a).Where(char.IsLetter).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(c => c);
                output = Enumerable.Range(0, ellipsisRank).Reverse().Select(EllipsisLabel).Concat(counts).ToList();
            }

            var summed = axes.SelectMany(a => a).Distinct().Where(l => !output.Contains(l)).ToList();
            int[] Strides(List<char> labels, int o)
            {
                var stride = Shapes.Strides(shapes[o]);
                var result = new int[labels.Count];
                for (int a = 0; a < axes[o].Count; a++)
                {
                    int at = labels.IndexOf(axes[o][a]);
                    // A broadcast axis of size 1 does not move; a repeated label adds its strides (the diagonal).
                    if (at >= 0 && shapes[o][a] != 1 || at >= 0 && size[axes[o][a]] == 1)
                    {
                        result[at] += stride[a];
                    }
                }

                return result;
            }

            var outStrides = Enumerable.Range(0, terms.Length).Select(o => Strides(output, o)).ToArray();
            var sumStrides = Enumerable.Range(0, terms.Length).Select(o => Strides(summed, o)).ToArray();
            var outDims = output.Select(l => size[l]).ToArray();
            return new EinsumPlan(outDims.ToArray(), outDims, summed.Select(l => size[l]).ToArray(), outStrides, sumStrides);
        }

        /// <summary>out[I] = Σ_S Π_o operand_o[I·outStride_o + S·sumStride_o], I over the output, S over the summed labels.</summary>
        public void Run(double[][] operands, double[] result)
        {
            int n = operands.Length;
            int sumCount = _sumDims.Aggregate(1, (a, b) => a * b);
            var outIndex = new int[_outDims.Length];
            var sumIndex = new int[_sumDims.Length];
            var baseOffset = new int[n];
            var offset = new int[n];
            for (int r = 0; r < result.Length; r++)
            {
                Array.Clear(sumIndex, 0, sumIndex.Length);
                Array.Copy(baseOffset, offset, n);
                double acc = 0;
                for (int s = 0; s < sumCount; s++)
                {
                    double p = operands[0][offset[0]];
                    for (int o = 1; o < n; o++)
                    {
                        p *= operands[o][offset[o]];
                    }

                    acc += p;
                    Advance(sumIndex, _sumDims, _sumStrides, offset);
                }

                result[r] = acc;
                Advance(outIndex, _outDims, _outStrides, baseOffset);
            }
        }

        /// <summary>Steps a row-major odometer over <paramref name="dims"/>, moving each operand's offset by its strides.</summary>
        private static void Advance(int[] index, int[] dims, int[][] strides, int[] offset)
        {
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                index[d]++;
                for (int o = 0; o < offset.Length; o++)
                {
                    offset[o] += strides[o][d];
                }

                if (index[d] < dims[d])
                {
                    return;
                }

                for (int o = 0; o < offset.Length; o++)
                {
                    offset[o] -= strides[o][d] * dims[d];
                }

                index[d] = 0;
            }
        }

        private static char EllipsisLabel(int fromRight) => (char)('0' + fromRight);

        private static (string Before, string After, bool HasEllipsis) SplitEllipsis(OpContext ctx, string equation, string term)
        {
            int at = term.IndexOf("...", StringComparison.Ordinal);
            string before = at < 0 ? term : term.Substring(0, at);
            string after = at < 0 ? string.Empty : term.Substring(at + 3);
            if ((before + after).Any(c => !char.IsLetter(c)))
            {
                throw ctx.Error($"equation '{equation}' has a label that is not a letter in '{term}'.");
            }

            return (before, after, at >= 0);
        }
    }
}
