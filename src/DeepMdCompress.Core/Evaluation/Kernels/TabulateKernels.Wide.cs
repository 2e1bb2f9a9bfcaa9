using System;
using DeepMdCompress.Core.Evaluation.Ops;

namespace DeepMdCompress.Core.Evaluation.Kernels;

/// <summary>
/// se_a's TabulateFusionSeAGrad on a channel-major table with the AVX-512 slot kernel of DeepMdCompress.Kernels
/// (<see cref="WideKernels"/>): the slots, rows and sorted-padding folding are those of the vectorised kernel; each
/// slot's channel arithmetic runs fused and eight lanes wide and its sums over channels are summed in lanes, so the
/// results agree with the reference to rounding instead of bit for bit. The forward has no such kernel: it waits on
/// table rows from memory, and a wider one measured no faster.
/// </summary>
public static partial class TabulateKernels
{
    /// <summary>Whether <see cref="SeAGradWide"/> can run in this process.</summary>
    internal static bool HasWideSeA => WideKernels.SeAGrad is not null;

    /// <summary>
    /// <see cref="SeAGrad(ChannelMajorTable, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    /// with the AVX-512 slot kernel.
    /// </summary>
    internal static unsafe void SeAGradWide(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> dy,
        int nloc, int nnei, Span<double> dyDemX, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp)
    {
        var slot = WideKernels.SeAGrad ?? throw new InvalidOperationException("The AVX-512 kernels are not loaded.");
        int L = Prepared(table);
        if (!BeginSeAGrad(emX, em, ReadOnlySpan<double>.Empty, false, dy, nloc, nnei, L, dyDemX, dyDem, Span<double>.Empty))
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.Standard, mode, table.Rows);
        fixed (double* tab = table.Coefficients, px = emX, pe = em, pdy = dy, pdx = dyDemX, pde = dyDem)
        {
            for (int i = 0; i < nloc; i++)
            {
                double ago = px[(i * nnei) + nnei - 1];
                double* dyRows = pdy + (i * 4 * L);
                for (int j = 0; j < nnei; j++)
                {
                    int at = (i * nnei) + j;
                    double* e = pe + (at * 4);
                    bool fold = IsPadding(e, px[at], ago);
                    loc.Locate(px[at], out int row, out double t, out double delta);
                    slot(tab + (row * 6 * L), L, t, delta, e, fold ? nnei - j : 1, dyRows, pdx + at, pde + (at * 4));
                    if (fold)
                    {
                        break;
                    }
                }
            }
        }
    }
}
