using System;
using System.Runtime.CompilerServices;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Evaluation.Kernels;

/// <summary>
/// What the kernels return for inputs beyond the table (docs/tables.md#table_info-and-the-row-locator, docs/evaluator.md#numerics). Default: <see cref="Clamp"/>, because
/// every released deepmd-kit (2.2.9 … 3.1.x, and v3.2.0b0) clamps; HEAD's C¹ rule is not in a release yet.
/// </summary>
public enum ExtrapolationMode
{
    /// <summary>deepmd-kit 2.2.9 … v3.2.0b0: below lower the value is a0 of row 0, at or above max it is a0 of the
    /// last row (the value at max − stride1); the gradient kernels still use P′(0) = a1 there.</summary>
    Clamp = 0,

    /// <summary>deepmd-kit HEAD after v3.2.0b0 (commit 1550599): C¹ linear extrapolation P(t) + P′(t)·δ from the
    /// table's edge (lower, or max); the derivative is P′(t) at the edge.</summary>
    Linear = 1,
}

/// <summary>
/// The gradient w.r.t. two_embed that TabulateFusionSeAttenGrad returns for a sorted padding tail (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from). Forces do not
/// depend on it (padding slots carry no atom).
/// </summary>
public enum TwoEmbedGradient
{
    /// <summary>deepmd-kit 2.2.9 … v3.2.0b0: the un-multiplied value is added to every padding slot j ≥ j*.</summary>
    Released = 0,

    /// <summary>HEAD: (nnei − j*)·value in the first padding slot j* only (the true gradient of the folded forward).</summary>
    Head = 1,
}

/// <summary>
/// How the kernels map an input to a row, as deepmd-kit's <c>locate_xx</c> (se_e2_a, se_e2_r, se_atten: fine rows on
/// [lower, upper), coarse on [upper, max)) and <c>locate_xx_se_t</c> (se_e3: coarse rows on [−max, lower) first).
/// The evaluator's own notion, read from the op type; the table builder has its own (docs/evaluator.md).
/// </summary>
public enum RowLayout
{
    Standard = 0,
    SeT = 1,
}

/// <summary>
/// CPU forward and gradient kernels of deepmd-kit's TabulateFusionSeA, SeAtten, SeT and SeR ops (docs/tables.md#table_info-and-the-row-locator, docs/evaluator.md#the-op-set-and-where-its-semantics-come-from),
/// for double and float. Span-based and allocation-free; arithmetic follows the op's precision T (float kernels
/// round every intermediate to float). Tables are row-major [rows, 6·L]; column 6k + c holds a_c of channel k.
/// </summary>
public static partial class TabulateKernels
{
    // ---------------------------------------------------------------- SeA

    /// <summary>
    /// TabulateFusionSeA: output[i, m, k] = Σ_j G_k(emX[i·nnei + j]) · em[i, j, m] for m ∈ 0..3 ([nloc, 4, L]).
    /// Always with the sorted-padding shortcut (the op has no is_sorted attr).
    /// </summary>
    public static void SeAForward(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em,
        int nloc, int nnei, int lastLayerSize, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardCore<double, F64>(table, info, emX, em, ReadOnlySpan<double>.Empty, false, nloc, nnei, lastLayerSize, true, output, mode);

    /// <inheritdoc cref="SeAForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    public static void SeAForward(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX, ReadOnlySpan<float> em,
        int nloc, int nnei, int lastLayerSize, Span<float> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardCore<float, F32>(table, info, emX, em, ReadOnlySpan<float>.Empty, false, nloc, nnei, lastLayerSize, true, output, mode);

    /// <summary>
    /// TabulateFusionSeAGrad with upstream gradient dy [nloc, 4, L]: dyDemX [nloc·nnei] = Σ_k P′_k·(em·dy),
    /// dyDem [nloc, nnei, 4] = Σ_k G_k·dy. With the padding shortcut the first padding slot carries the whole tail.
    /// </summary>
    public static void SeAGrad(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> dy,
        int nloc, int nnei, int lastLayerSize, Span<double> dyDemX, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAGradCore<double, F64>(table, info, emX, em, ReadOnlySpan<double>.Empty, false, dy, nloc, nnei, lastLayerSize, true,
            dyDemX, dyDem, Span<double>.Empty, mode, TwoEmbedGradient.Released);

    /// <inheritdoc cref="SeAGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    public static void SeAGrad(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX, ReadOnlySpan<float> em, ReadOnlySpan<float> dy,
        int nloc, int nnei, int lastLayerSize, Span<float> dyDemX, Span<float> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAGradCore<float, F32>(table, info, emX, em, ReadOnlySpan<float>.Empty, false, dy, nloc, nnei, lastLayerSize, true,
            dyDemX, dyDem, Span<float>.Empty, mode, TwoEmbedGradient.Released);

    // ---------------------------------------------------------------- SeAtten

    /// <summary>TabulateFusionSeAtten: as <see cref="SeAForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/> with G replaced by G·(1 + twoEmbed[i, j, k]); twoEmbed is [nloc·nnei, L].</summary>
    public static void SeAttenForward(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> twoEmbed,
        int nloc, int nnei, int lastLayerSize, bool isSorted, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardCore<double, F64>(table, info, emX, em, twoEmbed, true, nloc, nnei, lastLayerSize, isSorted, output, mode);

    /// <inheritdoc cref="SeAttenForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, bool, Span{double}, ExtrapolationMode)"/>
    public static void SeAttenForward(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX, ReadOnlySpan<float> em, ReadOnlySpan<float> twoEmbed,
        int nloc, int nnei, int lastLayerSize, bool isSorted, Span<float> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardCore<float, F32>(table, info, emX, em, twoEmbed, true, nloc, nnei, lastLayerSize, isSorted, output, mode);

    /// <summary>TabulateFusionSeAttenGrad: dyDemX, dyDem as SeAGrad with G, P′ scaled by (1 + t), and dyDtwo [nloc·nnei, L] = G·(em·dy).</summary>
    public static void SeAttenGrad(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> twoEmbed,
        ReadOnlySpan<double> dy, int nloc, int nnei, int lastLayerSize, bool isSorted, Span<double> dyDemX, Span<double> dyDem, Span<double> dyDtwo,
        ExtrapolationMode mode = ExtrapolationMode.Clamp, TwoEmbedGradient twoEmbedGradient = TwoEmbedGradient.Released) =>
        SeAGradCore<double, F64>(table, info, emX, em, twoEmbed, true, dy, nloc, nnei, lastLayerSize, isSorted, dyDemX, dyDem, dyDtwo, mode, twoEmbedGradient);

    /// <inheritdoc cref="SeAttenGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, bool, Span{double}, Span{double}, Span{double}, ExtrapolationMode, TwoEmbedGradient)"/>
    public static void SeAttenGrad(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX, ReadOnlySpan<float> em, ReadOnlySpan<float> twoEmbed,
        ReadOnlySpan<float> dy, int nloc, int nnei, int lastLayerSize, bool isSorted, Span<float> dyDemX, Span<float> dyDem, Span<float> dyDtwo,
        ExtrapolationMode mode = ExtrapolationMode.Clamp, TwoEmbedGradient twoEmbedGradient = TwoEmbedGradient.Released) =>
        SeAGradCore<float, F32>(table, info, emX, em, twoEmbed, true, dy, nloc, nnei, lastLayerSize, isSorted, dyDemX, dyDem, dyDtwo, mode, twoEmbedGradient);

    // ---------------------------------------------------------------- SeT

    /// <summary>
    /// TabulateFusionSeT: output[i, k] = Σ_{j,l} G_k(x)·x with x = emX[i·ni·nj + j·nj + l] ([nloc, L]). The op's em
    /// input only gives the shape (ni, nj), so it is not taken here.
    /// </summary>
    public static void SeTForward(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX,
        int nloc, int nneiI, int nneiJ, int lastLayerSize, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeTForwardCore<double, F64>(table, info, emX, nloc, nneiI, nneiJ, lastLayerSize, output, mode);

    /// <inheritdoc cref="SeTForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, int, int, int, int, Span{double}, ExtrapolationMode)"/>
    public static void SeTForward(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX,
        int nloc, int nneiI, int nneiJ, int lastLayerSize, Span<float> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeTForwardCore<float, F32>(table, info, emX, nloc, nneiI, nneiJ, lastLayerSize, output, mode);

    /// <summary>
    /// TabulateFusionSeTGrad with dy [nloc, L]: dyDemX = Σ_k P′_k(x)·x·dy, dyDem = Σ_k G_k(x)·dy (both [nloc, ni, nj]).
    /// In a graph em_x and em are views of one tensor, so TF adds the two (the total derivative).
    /// </summary>
    public static void SeTGrad(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> dy,
        int nloc, int nneiI, int nneiJ, int lastLayerSize, Span<double> dyDemX, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeTGradCore<double, F64>(table, info, emX, dy, nloc, nneiI, nneiJ, lastLayerSize, dyDemX, dyDem, mode);

    /// <inheritdoc cref="SeTGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    public static void SeTGrad(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> emX, ReadOnlySpan<float> dy,
        int nloc, int nneiI, int nneiJ, int lastLayerSize, Span<float> dyDemX, Span<float> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeTGradCore<float, F32>(table, info, emX, dy, nloc, nneiI, nneiJ, lastLayerSize, dyDemX, dyDem, mode);

    // ---------------------------------------------------------------- SeR

    /// <summary>TabulateFusionSeR: output[i, j, k] = G_k(em[i·nnei + j]) ([nloc, nnei, L]).</summary>
    public static void SeRForward(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> em,
        int nloc, int nnei, int lastLayerSize, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeRForwardCore<double, F64>(table, info, em, nloc, nnei, lastLayerSize, output, mode);

    /// <inheritdoc cref="SeRForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    public static void SeRForward(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> em,
        int nloc, int nnei, int lastLayerSize, Span<float> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeRForwardCore<float, F32>(table, info, em, nloc, nnei, lastLayerSize, output, mode);

    /// <summary>TabulateFusionSeRGrad with dy [nloc, nnei, L]: dyDem[i, j] = Σ_k P′_k·dy[i, j, k].</summary>
    public static void SeRGrad(ReadOnlySpan<double> table, in TableInfo info, ReadOnlySpan<double> em, ReadOnlySpan<double> dy,
        int nloc, int nnei, int lastLayerSize, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeRGradCore<double, F64>(table, info, em, dy, nloc, nnei, lastLayerSize, dyDem, mode);

    /// <inheritdoc cref="SeRGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    public static void SeRGrad(ReadOnlySpan<float> table, in TableInfo info, ReadOnlySpan<float> em, ReadOnlySpan<float> dy,
        int nloc, int nnei, int lastLayerSize, Span<float> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeRGradCore<float, F32>(table, info, em, dy, nloc, nnei, lastLayerSize, dyDem, mode);

    // ---------------------------------------------------------------- single points and checks

    /// <summary>
    /// The tabulated function and its derivative at one input, per channel (value[k] = G_k(x), derivative[k] = P′_k),
    /// exactly as the kernels compute them in precision T.
    /// </summary>
    public static void Interpolate(ReadOnlySpan<double> table, in TableInfo info, RowLayout layout, double x, int lastLayerSize,
        Span<double> value, Span<double> derivative, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        InterpolateCore<double, F64>(table, info, layout, x, lastLayerSize, value, derivative, mode);

    /// <inheritdoc cref="Interpolate(ReadOnlySpan{double}, in TableInfo, RowLayout, double, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    public static void Interpolate(ReadOnlySpan<float> table, in TableInfo info, RowLayout layout, float x, int lastLayerSize,
        Span<float> value, Span<float> derivative, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        InterpolateCore<float, F32>(table, info, layout, x, lastLayerSize, value, derivative, mode);

    /// <summary>
    /// The number of table rows the kernels may read for this table_info (in float when <paramref name="float32"/>,
    /// else double). The kernels refuse (TableTooShort) an input that maps past a table's end; with
    /// <see cref="ExtrapolationMode.Linear"/> a degenerate table (max = upper, e.g. upper 0) needs one row more than it has.
    /// </summary>
    public static int RequiredRows(in TableInfo info, RowLayout layout, ExtrapolationMode mode, bool float32 = false)
    {
        CheckInfo(info);
        return float32
            ? new Locator<F32>(info, layout, mode, int.MaxValue).RequiredRows
            : new Locator<F64>(info, layout, mode, int.MaxValue).RequiredRows;
    }

    /// <summary>Values and derivatives at many inputs ([xs.Length, L] each), in the table's precision; inputs are rounded to T first.</summary>
    internal static void InterpolateMany(Array table, in TableInfo info, RowLayout layout, ReadOnlySpan<double> xs, int lastLayerSize,
        Span<double> values, Span<double> derivatives, ExtrapolationMode mode)
    {
        if (table is float[] f)
        {
            InterpolateManyCore<float, F32>(f, info, layout, xs, lastLayerSize, values, derivatives, mode);
        }
        else
        {
            InterpolateManyCore<double, F64>((double[])table, info, layout, xs, lastLayerSize, values, derivatives, mode);
        }
    }

    /// <summary>Start and length of every row's interval as the kernels address it (in T), for rows [0, count).</summary>
    internal static void RowIntervals(in TableInfo info, RowLayout layout, bool float32, Span<double> start, Span<double> length)
    {
        if (float32)
        {
            new Locator<F32>(info, layout, ExtrapolationMode.Clamp, int.MaxValue).RowIntervals(start, length);
        }
        else
        {
            new Locator<F64>(info, layout, ExtrapolationMode.Clamp, int.MaxValue).RowIntervals(start, length);
        }
    }

    // ---------------------------------------------------------------- cores

    private static void SeAForwardCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> emX, ReadOnlySpan<T> em, ReadOnlySpan<T> two, bool hasTwo,
        int nloc, int nnei, int L, bool isSorted, Span<T> output, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        if (!BeginSeAForward(emX, em, two, hasTwo, nloc, nnei, L, output))
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.Standard, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int i = 0; i < nloc; i++)
        {
            double ago = p.Load(emX[i * nnei + nnei - 1]);
            int outBase = i * 4 * L;
            for (int j = 0; j < nnei; j++)
            {
                int e = (i * nnei + j) * 4;
                double l0 = p.Load(em[e]), l1 = p.Load(em[e + 1]), l2 = p.Load(em[e + 2]), l3 = p.Load(em[e + 3]);
                double x = p.Load(emX[i * nnei + j]);
                bool unloop = isSorted && ago == x && l1 == 0 && l2 == 0 && l3 == 0;
                loc.Locate(x, out int row, out double t, out double delta);
                var coeff = table.Slice(row * stride, stride);
                for (int k = 0; k < L; k++)
                {
                    double var = Poly(p, coeff, k, t, delta);
                    if (hasTwo)
                    {
                        double tw = p.Load(two[(i * nnei + j) * L + k]);
                        var = p.R(p.R(var * tw) + var);
                    }

                    double scale = unloop ? p.R((nnei - j) * var) : var;
                    Add(p, output, outBase + k, p.R(scale * l0));
                    Add(p, output, outBase + L + k, p.R(scale * l1));
                    Add(p, output, outBase + 2 * L + k, p.R(scale * l2));
                    Add(p, output, outBase + 3 * L + k, p.R(scale * l3));
                }

                if (unloop)
                {
                    break;
                }
            }
        }
    }

    private static void SeAGradCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> emX, ReadOnlySpan<T> em, ReadOnlySpan<T> two, bool hasTwo,
        ReadOnlySpan<T> dy, int nloc, int nnei, int L, bool isSorted, Span<T> dyDemX, Span<T> dyDem, Span<T> dyDtwo,
        ExtrapolationMode mode, TwoEmbedGradient twoGradient)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        if (!BeginSeAGrad(emX, em, two, hasTwo, dy, nloc, nnei, L, dyDemX, dyDem, dyDtwo))
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.Standard, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int i = 0; i < nloc; i++)
        {
            double ago = p.Load(emX[i * nnei + nnei - 1]);
            int dyBase = i * 4 * L;
            for (int j = 0; j < nnei; j++)
            {
                int e = (i * nnei + j) * 4;
                double l0 = p.Load(em[e]), l1 = p.Load(em[e + 1]), l2 = p.Load(em[e + 2]), l3 = p.Load(em[e + 3]);
                double x = p.Load(emX[i * nnei + j]);
                bool unloop = isSorted && ago == x && l1 == 0 && l2 == 0 && l3 == 0;
                int repeat = nnei - j;
                loc.Locate(x, out int row, out double t, out double delta);
                var coeff = table.Slice(row * stride, stride);
                double grad = 0;
                for (int k = 0; k < L; k++)
                {
                    double r0 = p.Load(dy[dyBase + k]), r1 = p.Load(dy[dyBase + L + k]), r2 = p.Load(dy[dyBase + 2 * L + k]), r3 = p.Load(dy[dyBase + 3 * L + k]);
                    double res = Poly(p, coeff, k, t, delta);
                    double g = PolyGrad(p, coeff, k, t);
                    double resOld = res;
                    if (hasTwo)
                    {
                        double tw = p.Load(two[(i * nnei + j) * L + k]);
                        res = p.R(p.R(res * tw) + res);
                        g = p.R(g + p.R(tw * g));
                    }

                    double dot = p.R(p.R(p.R(p.R(l0 * r0) + p.R(l1 * r1)) + p.R(l2 * r2)) + p.R(l3 * r3));
                    if (unloop)
                    {
                        grad = p.R(grad + p.R(p.R(g * dot) * repeat));
                        Add(p, dyDem, e, p.R(p.R(res * r0) * repeat));
                        Add(p, dyDem, e + 1, p.R(p.R(res * r1) * repeat));
                        Add(p, dyDem, e + 2, p.R(p.R(res * r2) * repeat));
                        Add(p, dyDem, e + 3, p.R(p.R(res * r3) * repeat));
                        if (hasTwo)
                        {
                            if (twoGradient == TwoEmbedGradient.Head)
                            {
                                Add(p, dyDtwo, (i * nnei + j) * L + k, p.R(p.R(repeat * resOld) * dot));
                            }
                            else
                            {
                                double v = p.R(resOld * dot);
                                for (int j2 = j; j2 < nnei; j2++)
                                {
                                    Add(p, dyDtwo, (i * nnei + j2) * L + k, v);
                                }
                            }
                        }
                    }
                    else
                    {
                        grad = p.R(grad + p.R(g * dot));
                        Add(p, dyDem, e, p.R(res * r0));
                        Add(p, dyDem, e + 1, p.R(res * r1));
                        Add(p, dyDem, e + 2, p.R(res * r2));
                        Add(p, dyDem, e + 3, p.R(res * r3));
                        if (hasTwo)
                        {
                            Add(p, dyDtwo, (i * nnei + j) * L + k, p.R(resOld * dot));
                        }
                    }
                }

                dyDemX[i * nnei + j] = p.Store(grad);
                if (unloop)
                {
                    break;
                }
            }
        }
    }

    private static void SeTForwardCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> emX,
        int nloc, int ni, int nj, int L, Span<T> output, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        if (!BeginSeTForward(emX, nloc, ni, nj, L, output))
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.SeT, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int i = 0; i < nloc; i++)
        {
            for (int a = 0; a < ni * nj; a++)
            {
                double x = p.Load(emX[i * ni * nj + a]);
                loc.Locate(x, out int row, out double t, out double delta);
                var coeff = table.Slice(row * stride, stride);
                for (int k = 0; k < L; k++)
                {
                    double var = Poly(p, coeff, k, t, delta);
                    Add(p, output, i * L + k, p.R(var * x));
                }
            }
        }
    }

    private static void SeTGradCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> emX, ReadOnlySpan<T> dy,
        int nloc, int ni, int nj, int L, Span<T> dyDemX, Span<T> dyDem, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        if (!BeginSeTGrad(emX, dy, nloc, ni, nj, L, dyDemX, dyDem))
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.SeT, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int i = 0; i < nloc; i++)
        {
            for (int a = 0; a < ni * nj; a++)
            {
                int o = i * ni * nj + a;
                double x = p.Load(emX[o]);
                loc.Locate(x, out int row, out double t, out double delta);
                var coeff = table.Slice(row * stride, stride);
                double grad = 0, dem = 0;
                for (int k = 0; k < L; k++)
                {
                    double r = p.Load(dy[i * L + k]);
                    double res = Poly(p, coeff, k, t, delta);
                    double g = PolyGrad(p, coeff, k, t);
                    grad = p.R(grad + p.R(p.R(g * x) * r));
                    dem = p.R(dem + p.R(res * r));
                }

                dyDemX[o] = p.Store(grad);
                dyDem[o] = p.Store(dem);
            }
        }
    }

    private static void SeRForwardCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> em,
        int nloc, int nnei, int L, Span<T> output, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        CheckSizes(nloc, nnei, L);
        Need(em.Length, (long)nloc * nnei, "em");
        Need(output.Length, (long)nloc * nnei * L, "output");
        output.Clear();
        if ((long)nloc * nnei == 0)
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.Standard, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int a = 0; a < nloc * nnei; a++)
        {
            loc.Locate(p.Load(em[a]), out int row, out double t, out double delta);
            var coeff = table.Slice(row * stride, stride);
            for (int k = 0; k < L; k++)
            {
                output[a * L + k] = p.Store(Poly(p, coeff, k, t, delta));
            }
        }
    }

    private static void SeRGradCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, ReadOnlySpan<T> em, ReadOnlySpan<T> dy,
        int nloc, int nnei, int L, Span<T> dyDem, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        CheckSizes(nloc, nnei, L);
        Need(em.Length, (long)nloc * nnei, "em");
        Need(dy.Length, (long)nloc * nnei * L, "dy");
        Need(dyDem.Length, (long)nloc * nnei, "dyDem");
        dyDem.Clear();
        if ((long)nloc * nnei == 0)
        {
            return;
        }

        var loc = new Locator<TP>(info, RowLayout.Standard, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int a = 0; a < nloc * nnei; a++)
        {
            loc.Locate(p.Load(em[a]), out int row, out double t, out double _);
            var coeff = table.Slice(row * stride, stride);
            double grad = 0;
            for (int k = 0; k < L; k++)
            {
                grad = p.R(grad + p.R(PolyGrad(p, coeff, k, t) * p.Load(dy[a * L + k])));
            }

            dyDem[a] = p.Store(grad);
        }
    }

    private static void InterpolateCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, RowLayout layout, T x, int L,
        Span<T> value, Span<T> derivative, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        CheckSizes(1, 1, L);
        Need(value.Length, L, "value");
        if (!derivative.IsEmpty)
        {
            Need(derivative.Length, L, "derivative");
        }

        var loc = new Locator<TP>(info, layout, mode, Rows(table.Length, L));
        loc.Locate(p.Load(x), out int row, out double t, out double delta);
        var coeff = table.Slice(row * 6 * L, 6 * L);
        for (int k = 0; k < L; k++)
        {
            value[k] = p.Store(Poly(p, coeff, k, t, delta));
            if (!derivative.IsEmpty)
            {
                derivative[k] = p.Store(PolyGrad(p, coeff, k, t));
            }
        }
    }

    private static void InterpolateManyCore<T, TP>(ReadOnlySpan<T> table, in TableInfo info, RowLayout layout, ReadOnlySpan<double> xs, int L,
        Span<double> values, Span<double> derivatives, ExtrapolationMode mode)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        var p = default(TP);
        Need(values.Length, (long)xs.Length * L, "values");
        Need(derivatives.Length, (long)xs.Length * L, "derivatives");
        var loc = new Locator<TP>(info, layout, mode, Rows(table.Length, L));
        int stride = 6 * L;
        for (int a = 0; a < xs.Length; a++)
        {
            loc.Locate(p.R(xs[a]), out int row, out double t, out double delta);
            var coeff = table.Slice(row * stride, stride);
            for (int k = 0; k < L; k++)
            {
                values[a * L + k] = p.R(Poly(p, coeff, k, t, delta));
                derivatives[a * L + k] = PolyGrad(p, coeff, k, t);
            }
        }
    }

    // ---------------------------------------------------------------- arithmetic

    /// <summary>P(t) by Horner in deepmd-kit's order, plus P′(t)·δ beyond the table in Linear mode (δ is 0 otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Poly<T, TP>(TP p, ReadOnlySpan<T> coeff, int k, double t, double delta)
        where T : unmanaged
        where TP : struct, IPrecision<T> =>
        Poly(p, coeff, 6 * k, 1, t, delta);

    /// <summary>P′(t) = a1 + (2a2 + (3a3 + (4a4 + 5a5·t)·t)·t)·t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PolyGrad<T, TP>(TP p, ReadOnlySpan<T> coeff, int k, double t)
        where T : unmanaged
        where TP : struct, IPrecision<T> =>
        PolyGrad(p, coeff, 6 * k, 1, t);

    /// <summary><see cref="Poly{T, TP}(TP, ReadOnlySpan{T}, int, double, double)"/> with a_c at coeff[first + c·step] (any table layout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Poly<T, TP>(TP p, ReadOnlySpan<T> coeff, int first, int step, double t, double delta)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        int c = first;
        double a0 = p.Load(coeff[c]), a1 = p.Load(coeff[c + step]), a2 = p.Load(coeff[c + (2 * step)]);
        double a3 = p.Load(coeff[c + (3 * step)]), a4 = p.Load(coeff[c + (4 * step)]), a5 = p.Load(coeff[c + (5 * step)]);
        double v = p.R(a0 + p.R(p.R(a1 + p.R(p.R(a2 + p.R(p.R(a3 + p.R(p.R(a4 + p.R(a5 * t)) * t)) * t)) * t)) * t));
        return delta == 0 ? v : p.R(v + p.R(PolyGrad(p, coeff, first, step, t) * delta));
    }

    /// <summary><see cref="PolyGrad{T, TP}(TP, ReadOnlySpan{T}, int, double)"/> with a_c at coeff[first + c·step].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PolyGrad<T, TP>(TP p, ReadOnlySpan<T> coeff, int first, int step, double t)
        where T : unmanaged
        where TP : struct, IPrecision<T>
    {
        int c = first;
        double a1 = p.Load(coeff[c + step]), a2 = p.Load(coeff[c + (2 * step)]), a3 = p.Load(coeff[c + (3 * step)]);
        double a4 = p.Load(coeff[c + (4 * step)]), a5 = p.Load(coeff[c + (5 * step)]);
        return p.R(a1 + p.R(p.R(p.R(2 * a2) + p.R(p.R(p.R(3 * a3) + p.R(p.R(p.R(4 * a4) + p.R(p.R(5 * a5) * t)) * t)) * t)) * t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<T, TP>(TP p, Span<T> target, int index, double term)
        where T : unmanaged
        where TP : struct, IPrecision<T> =>
        target[index] = p.Store(p.Load(target[index]) + term);

    internal static int Rows(int tableLength, int L)
    {
        if (L <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(L), "last_layer_size must be positive");
        }

        if (tableLength % (6 * L) != 0)
        {
            throw new TensorDataException(
                $"A table of {tableLength} numbers is not a whole number of rows of 6·{L} coefficients.", ErrorIds.TableShapeMismatch);
        }

        return tableLength / (6 * L);
    }

    // Argument contracts shared by the span and the channel-major kernels: sizes checked, outputs cleared;
    // false when there is nothing to compute.
    private static bool BeginSeAForward<T>(ReadOnlySpan<T> emX, ReadOnlySpan<T> em, ReadOnlySpan<T> two, bool hasTwo,
        int nloc, int nnei, int L, Span<T> output)
        where T : unmanaged
    {
        CheckSizes(nloc, nnei, L);
        Need(emX.Length, (long)nloc * nnei, "emX");
        Need(em.Length, (long)nloc * nnei * 4, "em");
        if (hasTwo)
        {
            Need(two.Length, (long)nloc * nnei * L, "twoEmbed");
        }

        Need(output.Length, (long)nloc * 4 * L, "output");
        output.Clear();
        if (nnei == 0 || nloc == 0)
        {
            return false;
        }

        return true;
    }

    private static bool BeginSeAGrad<T>(ReadOnlySpan<T> emX, ReadOnlySpan<T> em, ReadOnlySpan<T> two, bool hasTwo, ReadOnlySpan<T> dy,
        int nloc, int nnei, int L, Span<T> dyDemX, Span<T> dyDem, Span<T> dyDtwo)
        where T : unmanaged
    {
        CheckSizes(nloc, nnei, L);
        Need(emX.Length, (long)nloc * nnei, "emX");
        Need(em.Length, (long)nloc * nnei * 4, "em");
        Need(dy.Length, (long)nloc * 4 * L, "dy");
        Need(dyDemX.Length, (long)nloc * nnei, "dyDemX");
        Need(dyDem.Length, (long)nloc * nnei * 4, "dyDem");
        if (hasTwo)
        {
            Need(two.Length, (long)nloc * nnei * L, "twoEmbed");
            Need(dyDtwo.Length, (long)nloc * nnei * L, "dyDtwo");
            dyDtwo.Clear();
        }

        dyDemX.Clear();
        dyDem.Clear();
        if (nnei == 0 || nloc == 0)
        {
            return false;
        }

        return true;
    }

    private static bool BeginSeTForward<T>(ReadOnlySpan<T> emX, int nloc, int ni, int nj, int L, Span<T> output)
        where T : unmanaged
    {
        CheckSizes(nloc, ni, L);
        CheckSizes(nloc, nj, L);
        Need(emX.Length, (long)nloc * ni * nj, "emX");
        Need(output.Length, (long)nloc * L, "output");
        output.Clear();
        return (long)nloc * ni * nj != 0;
    }

    private static bool BeginSeTGrad<T>(ReadOnlySpan<T> emX, ReadOnlySpan<T> dy, int nloc, int ni, int nj, int L, Span<T> dyDemX, Span<T> dyDem)
        where T : unmanaged
    {
        CheckSizes(nloc, ni, L);
        CheckSizes(nloc, nj, L);
        long n = (long)nloc * ni * nj;
        Need(emX.Length, n, "emX");
        Need(dy.Length, (long)nloc * L, "dy");
        Need(dyDemX.Length, n, "dyDemX");
        Need(dyDem.Length, n, "dyDem");
        dyDemX.Clear();
        dyDem.Clear();
        if (n == 0)
        {
            return false;
        }

        return true;
    }

    internal static void CheckSizes(int nloc, int nnei, int L)
    {
        if (nloc < 0 || nnei < 0 || L <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nloc), $"invalid kernel sizes nloc {nloc}, nnei {nnei}, last_layer_size {L}");
        }
    }

    internal static void Need(int length, long needed, string name)
    {
        if (length != needed)
        {
            throw new ArgumentException($"{name} must have {needed} elements, it has {length}", name);
        }
    }

    internal static void CheckInfo(in TableInfo info)
    {
        bool finite = IsFinite(info.Lower) && IsFinite(info.Upper) && IsFinite(info.Max) && IsFinite(info.Stride0) && IsFinite(info.Stride1);
        if (!finite || info.Stride0 <= 0 || info.Stride1 <= 0 || info.Upper < info.Lower || info.Max < info.Upper)
        {
            throw new TensorDataException(
                $"table_info {info} is invalid: it needs finite lower ≤ upper ≤ max and positive strides.", ErrorIds.InvalidTableInfo);
        }
    }

    private static bool IsFinite(double x) => !double.IsNaN(x) && !double.IsInfinity(x);

    // ---------------------------------------------------------------- locate_xx

    /// <summary>
    /// deepmd-kit's <c>locate_xx</c> / <c>locate_xx_se_t</c> (docs/tables.md#table_info-and-the-row-locator) with the table_info numbers in T; a row past
    /// the table's end is an error instead of an out-of-bounds read.
    /// </summary>
    internal readonly struct Locator<TP>
        where TP : struct, IRounding
    {
        private readonly double _lower, _upper, _max, _min, _s0, _s1;
        private readonly int _first0, _first1, _clampRow, _tailRow, _lastRow;
        private readonly double _tailT;
        private readonly bool _seT, _linear;
        private readonly TableInfo _info;

        public Locator(in TableInfo info, RowLayout layout, ExtrapolationMode mode, int rows)
        {
            CheckInfo(info);
            _seT = layout == RowLayout.SeT;
            _linear = mode == ExtrapolationMode.Linear;
            _lower = R(info.Lower);
            _upper = R(info.Upper);
            _max = R(info.Max);
            _min = -_max;
            _s0 = R(info.Stride0);
            _s1 = R(info.Stride1);

            // Start rows of the fine part (_first0) and of the upper coarse part (_first1).
            _first0 = _seT ? Trunc(R(R(_lower - _min) / _s1)) : 0;
            _first1 = _first0 + Trunc(R(R(_upper - _lower) / _s0));
            _clampRow = _first1 + Trunc(R(R(_max - _upper) / _s1)) - 1;
            double boundary = NextAfter(_max, _seT ? _min : _lower);
            _tailRow = _first1 + Trunc(R(R(boundary - _upper) / _s1));
            _tailT = R(_max - R(R((_tailRow - _first1) * _s1) + _upper));
            RequiredRows = Math.Max(1, (_linear ? _tailRow : _clampRow) + 1);
            _info = info;
            _lastRow = rows - 1;
        }

        public int RequiredRows { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Locate(double x, out int row, out double t, out double delta)
        {
            delta = 0;
            double start = _seT ? _min : _lower;
            if (x < start)
            {
                row = 0;
                t = 0;
                if (_linear)
                {
                    delta = R(x - start);
                }

                return;
            }

            if (_seT && x < _lower)
            {
                row = Trunc(R(R(x - _min) / _s1));
                t = R(x - R(R(row * _s1) + _min));
            }
            else if (x < _upper)
            {
                int r = Trunc(R(R(x - _lower) / _s0));
                row = _first0 + r;
                t = R(x - R(R(r * _s0) + _lower));
            }
            else if (x < _max)
            {
                int r = Trunc(R(R(x - _upper) / _s1));
                row = _first1 + r;
                t = R(x - R(R(r * _s1) + _upper));
            }
            else if (_linear)
            {
                row = _tailRow;
                t = _tailT;
                delta = R(x - _max);
            }
            else
            {
                // Also NaN lands here, as in the C++ if/else chain.
                row = _clampRow;
                t = 0;
            }

            // deepmd-kit does not check: a row past the end is undefined behaviour there, a specific error here.
            if ((uint)row > (uint)_lastRow)
            {
                ThrowTooShort(row);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void ThrowTooShort(int row) =>
            throw new TensorDataException(
                _linear && row == _tailRow && row > _clampRow
                    ? $"C¹ extrapolation with table_info {_info} reads row {row} of a table with {_lastRow + 1} rows (a degenerate table whose max equals upper); use ExtrapolationMode.Clamp or a table with max > upper."
                    : $"Table_info {_info} maps an input to row {row} of a table with {_lastRow + 1} rows.",
                ErrorIds.TableTooShort);

        /// <summary>Where row r starts and how long it is, by the same arithmetic as <see cref="Locate"/>.</summary>
        public void RowIntervals(Span<double> start, Span<double> length)
        {
            for (int row = 0; row < start.Length; row++)
            {
                if (row < _first0)
                {
                    start[row] = R(R(row * _s1) + _min);
                    length[row] = _s1;
                }
                else if (row < _first1)
                {
                    start[row] = R(R((row - _first0) * _s0) + _lower);
                    length[row] = _s0;
                }
                else
                {
                    start[row] = R(R((row - _first1) * _s1) + _upper);
                    length[row] = _s1;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static double R(double v) => default(TP).R(v);

        private static double NextAfter(double x, double toward) => default(TP).NextAfter(x, toward);

        // C's (int) conversion truncates toward zero; out-of-range values are clamped instead of being undefined.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Trunc(double v) => v >= int.MaxValue ? int.MaxValue : v <= int.MinValue ? int.MinValue : double.IsNaN(v) ? 0 : (int)v;
    }
}
