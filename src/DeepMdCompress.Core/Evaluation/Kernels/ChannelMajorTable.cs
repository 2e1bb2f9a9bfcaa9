using System;

namespace DeepMdCompress.Core.Evaluation.Kernels;

/// <summary>
/// A double TabulateFusion table re-laid channel-major for the vectorised kernels: coefficient a_c of channel k in row r
/// sits at (6r + c)·L + k, so the L channels of one coefficient are contiguous and load as SIMD vectors (deepmd-kit's
/// layout [rows, 6·L] interleaves the six coefficients of a channel instead). Build it once per table: the evaluator keeps
/// one per graph constant. It is a copy, so later changes to the source array do not reach it.
/// </summary>
public sealed class ChannelMajorTable
{
    public ChannelMajorTable(ReadOnlySpan<double> table, int lastLayerSize)
    {
        int rows = TabulateKernels.Rows(table.Length, lastLayerSize);
        int l = lastLayerSize;
        var data = new double[table.Length];
        for (int r = 0; r < rows; r++)
        {
            var source = table.Slice(r * 6 * l, 6 * l);
            var target = data.AsSpan(r * 6 * l, 6 * l);
            for (int k = 0; k < l; k++)
            {
                for (int c = 0; c < 6; c++)
                {
                    target[(c * l) + k] = source[(6 * k) + c];
                }
            }
        }

        Rows = rows;
        LastLayerSize = l;
        Coefficients = data;
    }

    /// <summary>Table rows (the same as the source's).</summary>
    public int Rows { get; }

    /// <summary>L: channels per row.</summary>
    public int LastLayerSize { get; }

    /// <summary>[rows][6][L].</summary>
    internal double[] Coefficients { get; }
}
