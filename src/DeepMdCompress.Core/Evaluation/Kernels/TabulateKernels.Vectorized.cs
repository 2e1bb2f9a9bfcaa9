using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DeepMdCompress.Core.Evaluation.Kernels;

/// <summary>
/// Vectorised double kernels on a <see cref="ChannelMajorTable"/>: the same results as the span kernels bit for bit.
/// Every channel k goes through exactly the operations of the reference path, only several channels at once
/// (System.Numerics vectors; multiply and add stay separate, .NET never fuses them), and the sums over channels
/// (dyDemX, dyDem of the gradients) stay sequential in k from vectors of terms, because a reordered sum would round
/// differently. Atoms are independent, so a caller may split nloc into chunks and run them in parallel.
/// </summary>
public static partial class TabulateKernels
{
    /// <summary>
    /// <see cref="SeAForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    public static void SeAForward(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em,
        int nloc, int nnei, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardVector(table, info, emX, em, ReadOnlySpan<double>.Empty, false, nloc, nnei, true, output, mode);

    /// <summary>
    /// <see cref="SeAttenForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, bool, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    public static void SeAttenForward(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> twoEmbed,
        int nloc, int nnei, bool isSorted, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAForwardVector(table, info, emX, em, twoEmbed, true, nloc, nnei, isSorted, output, mode);

    /// <summary>
    /// <see cref="SeAGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    public static void SeAGrad(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> dy,
        int nloc, int nnei, Span<double> dyDemX, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp) =>
        SeAGradVector(table, info, emX, em, ReadOnlySpan<double>.Empty, false, dy, nloc, nnei, true, dyDemX, dyDem, Span<double>.Empty, mode, TwoEmbedGradient.Released);

    /// <summary>
    /// <see cref="SeAttenGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, bool, Span{double}, Span{double}, Span{double}, ExtrapolationMode, TwoEmbedGradient)"/>
    /// on a channel-major table.
    /// </summary>
    public static void SeAttenGrad(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em, ReadOnlySpan<double> twoEmbed,
        ReadOnlySpan<double> dy, int nloc, int nnei, bool isSorted, Span<double> dyDemX, Span<double> dyDem, Span<double> dyDtwo,
        ExtrapolationMode mode = ExtrapolationMode.Clamp, TwoEmbedGradient twoEmbedGradient = TwoEmbedGradient.Released) =>
        SeAGradVector(table, info, emX, em, twoEmbed, true, dy, nloc, nnei, isSorted, dyDemX, dyDem, dyDtwo, mode, twoEmbedGradient);

    /// <summary>
    /// <see cref="SeTForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, int, int, int, int, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static unsafe void SeTForward(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX,
        int nloc, int nneiI, int nneiJ, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp)
    {
        int L = Prepared(table);
        if (!BeginSeTForward(emX, nloc, nneiI, nneiJ, L, output))
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.SeT, mode, table.Rows);
        int pairs = nneiI * nneiJ, w = VectorWidth, vecEnd = L / w * w;
        fixed (double* tab = table.Coefficients, px = emX, po = output)
        {
            for (int i = 0; i < nloc; i++)
            {
                double* o = po + (i * L);
                for (int a = 0; a < pairs; a++)
                {
                    double x = px[(i * pairs) + a];
                    loc.Locate(x, out int row, out double t, out double delta);
                    double* c = tab + (row * 6 * L);
                    var xv = new Vector<double>(x);
                    int k = 0;
                    for (; k < vecEnd; k += w)
                    {
                        *(Vector<double>*)(o + k) += PolyV(c, L, k, t, delta) * xv;
                    }

                    for (; k < L; k++)
                    {
                        o[k] += PolyAt(c, L, k, t, delta) * x;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="SeTGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, int, Span{double}, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static unsafe void SeTGrad(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> dy,
        int nloc, int nneiI, int nneiJ, Span<double> dyDemX, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp)
    {
        int L = Prepared(table);
        if (!BeginSeTGrad(emX, dy, nloc, nneiI, nneiJ, L, dyDemX, dyDem))
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.SeT, mode, table.Rows);
        int pairs = nneiI * nneiJ, w = VectorWidth, vecEnd = L / w * w;
        var terms = new double[2 * L];
        fixed (double* tab = table.Coefficients, px = emX, pdy = dy, pdx = dyDemX, pde = dyDem, gx = terms)
        {
            double* ge = gx + L;
            for (int i = 0; i < nloc; i++)
            {
                double* r = pdy + (i * L);
                for (int a = 0; a < pairs; a++)
                {
                    int o = (i * pairs) + a;
                    double x = px[o];
                    loc.Locate(x, out int row, out double t, out double delta);
                    double* c = tab + (row * 6 * L);
                    var xv = new Vector<double>(x);
                    int k = 0;
                    for (; k < vecEnd; k += w)
                    {
                        var rv = *(Vector<double>*)(r + k);
                        *(Vector<double>*)(gx + k) = PolyGradV(c, L, k, t) * xv * rv;
                        *(Vector<double>*)(ge + k) = PolyV(c, L, k, t, delta) * rv;
                    }

                    for (; k < L; k++)
                    {
                        gx[k] = PolyGradAt(c, L, k, t) * x * r[k];
                        ge[k] = PolyAt(c, L, k, t, delta) * r[k];
                    }

                    double grad = 0, dem = 0;
                    for (k = 0; k < L; k++)
                    {
                        grad += gx[k];
                        dem += ge[k];
                    }

                    pdx[o] = grad;
                    pde[o] = dem;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="SeRForward(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static unsafe void SeRForward(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> em,
        int nloc, int nnei, Span<double> output, ExtrapolationMode mode = ExtrapolationMode.Clamp)
    {
        int L = Prepared(table);
        CheckSizes(nloc, nnei, L);
        Need(em.Length, (long)nloc * nnei, "em");
        Need(output.Length, (long)nloc * nnei * L, "output");
        if ((long)nloc * nnei == 0)
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.Standard, mode, table.Rows);
        int w = VectorWidth, vecEnd = L / w * w;
        fixed (double* tab = table.Coefficients, pe = em, po = output)
        {
            for (int a = 0; a < nloc * nnei; a++)
            {
                loc.Locate(pe[a], out int row, out double t, out double delta);
                double* c = tab + (row * 6 * L);
                double* o = po + (a * L);
                int k = 0;
                for (; k < vecEnd; k += w)
                {
                    *(Vector<double>*)(o + k) = PolyV(c, L, k, t, delta);
                }

                for (; k < L; k++)
                {
                    o[k] = PolyAt(c, L, k, t, delta);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="SeRGrad(ReadOnlySpan{double}, in TableInfo, ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, int, Span{double}, ExtrapolationMode)"/>
    /// on a channel-major table.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static unsafe void SeRGrad(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> em, ReadOnlySpan<double> dy,
        int nloc, int nnei, Span<double> dyDem, ExtrapolationMode mode = ExtrapolationMode.Clamp)
    {
        int L = Prepared(table);
        CheckSizes(nloc, nnei, L);
        Need(em.Length, (long)nloc * nnei, "em");
        Need(dy.Length, (long)nloc * nnei * L, "dy");
        Need(dyDem.Length, (long)nloc * nnei, "dyDem");
        if ((long)nloc * nnei == 0)
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.Standard, mode, table.Rows);
        int w = VectorWidth, vecEnd = L / w * w;
        var terms = new double[L];
        fixed (double* tab = table.Coefficients, pe = em, pdy = dy, pd = dyDem, g = terms)
        {
            for (int a = 0; a < nloc * nnei; a++)
            {
                loc.Locate(pe[a], out int row, out double t, out double _);
                double* c = tab + (row * 6 * L);
                double* r = pdy + (a * L);
                int k = 0;
                for (; k < vecEnd; k += w)
                {
                    *(Vector<double>*)(g + k) = PolyGradV(c, L, k, t) * *(Vector<double>*)(r + k);
                }

                for (; k < L; k++)
                {
                    g[k] = PolyGradAt(c, L, k, t) * r[k];
                }

                double grad = 0;
                for (k = 0; k < L; k++)
                {
                    grad += g[k];
                }

                pd[a] = grad;
            }
        }
    }

    [MethodImpl(Jit.Optimized)]
    private static unsafe void SeAForwardVector(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em,
        ReadOnlySpan<double> two, bool hasTwo, int nloc, int nnei, bool isSorted, Span<double> output, ExtrapolationMode mode)
    {
        int L = Prepared(table);
        if (!BeginSeAForward(emX, em, two, hasTwo, nloc, nnei, L, output))
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.Standard, mode, table.Rows);
        int w = VectorWidth, vecEnd = L / w * w;
        fixed (double* tab = table.Coefficients, px = emX, pe = em, ptw = two, po = output)
        {
            for (int i = 0; i < nloc; i++)
            {
                double ago = px[(i * nnei) + nnei - 1];
                double* o0 = po + (i * 4 * L), o1 = o0 + L, o2 = o1 + L, o3 = o2 + L;
                int j = 0;
                while (j < nnei)
                {
                    int slot = (i * nnei) + j;
                    double* e = pe + (slot * 4);
                    bool unloop = isSorted && IsPadding(e, px[slot], ago);
                    double repeat = nnei - j;
                    loc.Locate(px[slot], out int row, out double t, out double delta);
                    double* c = tab + (row * 6 * L);
                    double* tw = ptw + (slot * L);
                    Vector<double> v0 = new(e[0]), v1 = new(e[1]), v2 = new(e[2]), v3 = new(e[3]), rv = new(repeat);
                    if (!unloop && j + 1 < nnei && !(isSorted && IsPadding(e + 4, px[slot + 1], ago)))
                    {
                        // Two slots per pass over the output row: each element still gets slot j's term, then slot j + 1's.
                        loc.Locate(px[slot + 1], out int row2, out double t2, out double delta2);
                        double* c2 = tab + (row2 * 6 * L);
                        double* tw2 = tw + L;
                        Vector<double> u0 = new(e[4]), u1 = new(e[5]), u2 = new(e[6]), u3 = new(e[7]);
                        int k2 = 0;
                        for (; k2 < vecEnd; k2 += w)
                        {
                            var g = PolyV(c, L, k2, t, delta);
                            var h = PolyV(c2, L, k2, t2, delta2);
                            if (hasTwo)
                            {
                                g = (g * *(Vector<double>*)(tw + k2)) + g;
                                h = (h * *(Vector<double>*)(tw2 + k2)) + h;
                            }

                            *(Vector<double>*)(o0 + k2) = *(Vector<double>*)(o0 + k2) + (g * v0) + (h * u0);
                            *(Vector<double>*)(o1 + k2) = *(Vector<double>*)(o1 + k2) + (g * v1) + (h * u1);
                            *(Vector<double>*)(o2 + k2) = *(Vector<double>*)(o2 + k2) + (g * v2) + (h * u2);
                            *(Vector<double>*)(o3 + k2) = *(Vector<double>*)(o3 + k2) + (g * v3) + (h * u3);
                        }

                        for (; k2 < L; k2++)
                        {
                            ForwardTail(c, L, k2, t, delta, tw, hasTwo, false, repeat, e, o0, o1, o2, o3);
                            ForwardTail(c2, L, k2, t2, delta2, tw2, hasTwo, false, repeat - 1, e + 4, o0, o1, o2, o3);
                        }

                        j += 2;
                        continue;
                    }

                    int k = 0;
                    for (; k < vecEnd; k += w)
                    {
                        var g = PolyV(c, L, k, t, delta);
                        if (hasTwo)
                        {
                            g = (g * *(Vector<double>*)(tw + k)) + g;
                        }

                        if (unloop)
                        {
                            g = rv * g;
                        }

                        *(Vector<double>*)(o0 + k) += g * v0;
                        *(Vector<double>*)(o1 + k) += g * v1;
                        *(Vector<double>*)(o2 + k) += g * v2;
                        *(Vector<double>*)(o3 + k) += g * v3;
                    }

                    for (; k < L; k++)
                    {
                        ForwardTail(c, L, k, t, delta, tw, hasTwo, unloop, repeat, e, o0, o1, o2, o3);
                    }

                    if (unloop)
                    {
                        break;
                    }

                    j++;
                }
            }
        }
    }

    /// <summary>One channel of one slot of the SeA forward, for the channels after the last whole vector.</summary>
    [MethodImpl(Jit.Optimized)]
    private static unsafe void ForwardTail(double* c, int L, int k, double t, double delta, double* tw, bool hasTwo, bool unloop, double repeat,
        double* e, double* o0, double* o1, double* o2, double* o3)
    {
        double g = PolyAt(c, L, k, t, delta);
        if (hasTwo)
        {
            g = (g * tw[k]) + g;
        }

        if (unloop)
        {
            g = repeat * g;
        }

        o0[k] += g * e[0];
        o1[k] += g * e[1];
        o2[k] += g * e[2];
        o3[k] += g * e[3];
    }

    [MethodImpl(Jit.Optimized)]
    private static unsafe void SeAGradVector(ChannelMajorTable table, in TableInfo info, ReadOnlySpan<double> emX, ReadOnlySpan<double> em,
        ReadOnlySpan<double> two, bool hasTwo, ReadOnlySpan<double> dy, int nloc, int nnei, bool isSorted,
        Span<double> dyDemX, Span<double> dyDem, Span<double> dyDtwo, ExtrapolationMode mode, TwoEmbedGradient twoGradient)
    {
        int L = Prepared(table);
        if (!BeginSeAGrad(emX, em, two, hasTwo, dy, nloc, nnei, L, dyDemX, dyDem, dyDtwo))
        {
            return;
        }

        var loc = new Locator<F64>(info, RowLayout.Standard, mode, table.Rows);

        // Two blocks of per-slot term rows (see GradSlot). The sums over k are sequential chains; summing two slots
        // together keeps twice as many of them in flight.
        var terms = new double[(10 * L) + (4 * L)];
        fixed (double* tab = table.Coefficients, px = emX, pe = em, ptw = two, pdy = dy, pdx = dyDemX, pde = dyDem, pdt = dyDtwo, blockA = terms)
        {
            double* blockB = blockA + (5 * L);
            var grad = new GradSlot(L, hasTwo, twoGradient == TwoEmbedGradient.Head, ChannelLaneSums && Vector<double>.Count == 4 ? blockA + (10 * L) : null);
            for (int i = 0; i < nloc; i++)
            {
                double ago = px[(i * nnei) + nnei - 1];
                double* dyRows = pdy + (i * 4 * L);
                grad.Prepare(dyRows);
                int j = 0;
                while (j < nnei)
                {
                    int slot = (i * nnei) + j;
                    bool unloop = isSorted && IsPadding(pe + (slot * 4), px[slot], ago);
                    loc.Locate(px[slot], out int row, out double t, out double delta);
                    grad.Terms(tab + (row * 6 * L), t, delta, pe + (slot * 4), unloop, nnei - j, dyRows, ptw + (slot * L), pdt + (slot * L), blockA);
                    if (!unloop && j + 1 < nnei && !(isSorted && IsPadding(pe + (slot * 4) + 4, px[slot + 1], ago)))
                    {
                        loc.Locate(px[slot + 1], out row, out t, out delta);
                        grad.Terms(tab + (row * 6 * L), t, delta, pe + (slot * 4) + 4, false, nnei - j - 1, dyRows, ptw + ((slot + 1) * L), pdt + ((slot + 1) * L), blockB);
                        grad.Sum(blockA, blockB, false, 1, pdx + slot, pde + (slot * 4));
                        j += 2;
                        continue;
                    }

                    grad.Sum(blockA, null, unloop, nnei - j, pdx + slot, pde + (slot * 4));
                    if (unloop)
                    {
                        break;
                    }

                    j++;
                }
            }
        }
    }

    /// <summary>deepmd-kit's sorted-padding test: the slot repeats the last slot's em_x and has no direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool IsPadding(double* e, double x, double ago) => ago == x && e[1] == 0 && e[2] == 0 && e[3] == 0;

    /// <summary>
    /// Whether the SeA gradients form dyDem's four sums as one vector whose lanes are m = 0…3 (a vector of exactly
    /// four doubles, as with AVX): each lane still adds its terms in k order, but one vector add replaces four scalar
    /// ones. Otherwise (and in the tests that pin the other path) they are four scalar chains. Both give the same bits.
    /// </summary>
    internal static bool ChannelLaneSums { get; set; } = Vector.IsHardwareAccelerated && Vector<double>.Count == 4;

    /// <summary>
    /// The per-slot part of the SeA/SeAtten gradient. A slot's block holds the terms of the sums over k: row 0 the
    /// dyDemX terms G′·dot, then either the dyDem terms G·dy_m in rows 1–4 (scalar sums), or G alone in row 1 with dy
    /// transposed to [k][m] once per atom (lane sums).
    /// </summary>
    private readonly unsafe struct GradSlot
    {
        private readonly int _l;
        private readonly bool _hasTwo, _head;
        private readonly double* _dyT;

        public GradSlot(int l, bool hasTwo, bool head, double* dyT)
        {
            _l = l;
            _hasTwo = hasTwo;
            _head = head;
            _dyT = dyT;
        }

        /// <summary>Per atom: dy [4][L] transposed to [L][4] for the lane sums.</summary>
        [MethodImpl(Jit.Optimized)]
        public void Prepare(double* dy)
        {
            if (_dyT is null)
            {
                return;
            }

            int L = _l;
            for (int k = 0; k < L; k++)
            {
                _dyT[4 * k] = dy[k];
                _dyT[(4 * k) + 1] = dy[L + k];
                _dyT[(4 * k) + 2] = dy[(2 * L) + k];
                _dyT[(4 * k) + 3] = dy[(3 * L) + k];
            }
        }

        /// <summary>
        /// Writes the slot's terms (each times the repeat count on a folded padding slot, except G in lane mode, which
        /// <see cref="Sum"/> scales) for the slot with em row <paramref name="e"/>; adds its dyDtwo terms (to the
        /// following padding slots too with the released rule).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | Jit.Optimized)] // large: compiled optimised if not inlined
        public void Terms(double* c, double t, double delta, double* e, bool unloop, int repeat, double* dy, double* tw, double* dt, double* block)
        {
            int L = _l, w = VectorWidth, vecEnd = L / w * w;
            bool lanes = _dyT is not null;
            double l0 = e[0], l1 = e[1], l2 = e[2], l3 = e[3], rep = repeat;
            double* r0 = dy, r1 = r0 + L, r2 = r1 + L, r3 = r2 + L;
            double* gx = block, q0 = gx + L, q1 = q0 + L, q2 = q1 + L, q3 = q2 + L;
            Vector<double> v0 = new(l0), v1 = new(l1), v2 = new(l2), v3 = new(l3), rv = new(rep);
            int k = 0;
            for (; k < vecEnd; k += w)
            {
                Vector<double> d0 = *(Vector<double>*)(r0 + k), d1 = *(Vector<double>*)(r1 + k);
                Vector<double> d2 = *(Vector<double>*)(r2 + k), d3 = *(Vector<double>*)(r3 + k);
                var res = PolyV(c, L, k, t, delta);
                var g = PolyGradV(c, L, k, t);
                var resOld = res;
                if (_hasTwo)
                {
                    var tv = *(Vector<double>*)(tw + k);
                    res = (res * tv) + res;
                    g = g + (tv * g);
                }

                var dot = (((v0 * d0) + (v1 * d1)) + (v2 * d2)) + (v3 * d3);
                *(Vector<double>*)(gx + k) = unloop ? g * dot * rv : g * dot;
                if (lanes)
                {
                    *(Vector<double>*)(q0 + k) = res;
                }
                else if (unloop)
                {
                    *(Vector<double>*)(q0 + k) = res * d0 * rv;
                    *(Vector<double>*)(q1 + k) = res * d1 * rv;
                    *(Vector<double>*)(q2 + k) = res * d2 * rv;
                    *(Vector<double>*)(q3 + k) = res * d3 * rv;
                }
                else
                {
                    *(Vector<double>*)(q0 + k) = res * d0;
                    *(Vector<double>*)(q1 + k) = res * d1;
                    *(Vector<double>*)(q2 + k) = res * d2;
                    *(Vector<double>*)(q3 + k) = res * d3;
                }

                if (_hasTwo)
                {
                    if (!unloop)
                    {
                        *(Vector<double>*)(dt + k) += resOld * dot;
                    }
                    else if (_head)
                    {
                        *(Vector<double>*)(dt + k) += rv * resOld * dot;
                    }
                    else
                    {
                        var value = resOld * dot;
                        for (int s = 0; s < repeat; s++)
                        {
                            *(Vector<double>*)(dt + (s * L) + k) += value;
                        }
                    }
                }
            }

            for (; k < L; k++)
            {
                double res = PolyAt(c, L, k, t, delta);
                double g = PolyGradAt(c, L, k, t);
                double resOld = res;
                if (_hasTwo)
                {
                    res = (res * tw[k]) + res;
                    g = g + (tw[k] * g);
                }

                double dot = (((l0 * r0[k]) + (l1 * r1[k])) + (l2 * r2[k])) + (l3 * r3[k]);
                gx[k] = unloop ? g * dot * rep : g * dot;
                if (lanes)
                {
                    q0[k] = res;
                }
                else
                {
                    q0[k] = unloop ? res * r0[k] * rep : res * r0[k];
                    q1[k] = unloop ? res * r1[k] * rep : res * r1[k];
                    q2[k] = unloop ? res * r2[k] * rep : res * r2[k];
                    q3[k] = unloop ? res * r3[k] * rep : res * r3[k];
                }

                if (_hasTwo)
                {
                    if (!unloop)
                    {
                        dt[k] += resOld * dot;
                    }
                    else if (_head)
                    {
                        dt[k] += rep * resOld * dot;
                    }
                    else
                    {
                        double value = resOld * dot;
                        for (int s = 0; s < repeat; s++)
                        {
                            dt[(s * L) + k] += value;
                        }
                    }
                }
            }
        }

        /// <summary>
        /// The sums over k, from 0 in k order as the reference accumulates them: dyDemX of the slot of block
        /// <paramref name="a"/> at <paramref name="dx"/>, its four dyDem at <paramref name="de"/>; with
        /// <paramref name="b"/> also of the next slot. Only slot a may be a folded padding slot.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | Jit.Optimized)]
        public void Sum(double* a, double* b, bool unloop, int repeat, double* dx, double* de)
        {
            if (_dyT is not null)
            {
                LaneSum(a, b, unloop, repeat, dx, de);
                return;
            }

            int L = _l;
            double g = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            if (b is null)
            {
                for (int k = 0; k < L; k++)
                {
                    g += a[k];
                    s0 += a[L + k];
                    s1 += a[(2 * L) + k];
                    s2 += a[(3 * L) + k];
                    s3 += a[(4 * L) + k];
                }
            }
            else
            {
                double h = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
                for (int k = 0; k < L; k++)
                {
                    g += a[k];
                    h += b[k];
                    s0 += a[L + k];
                    u0 += b[L + k];
                    s1 += a[(2 * L) + k];
                    u1 += b[(2 * L) + k];
                    s2 += a[(3 * L) + k];
                    u2 += b[(3 * L) + k];
                    s3 += a[(4 * L) + k];
                    u3 += b[(4 * L) + k];
                }

                dx[1] = h;
                de[4] = u0;
                de[5] = u1;
                de[6] = u2;
                de[7] = u3;
            }

            dx[0] = g;
            de[0] = s0;
            de[1] = s1;
            de[2] = s2;
            de[3] = s3;
        }

        [MethodImpl(Jit.Optimized)]
        private void LaneSum(double* a, double* b, bool unloop, int repeat, double* dx, double* de)
        {
            int L = _l;
            double* ga = a, ra = a + L;
            double g = 0;
            var s = Vector<double>.Zero;
            if (b is null)
            {
                if (unloop)
                {
                    var rv = new Vector<double>((double)repeat);
                    for (int k = 0; k < L; k++)
                    {
                        g += ga[k];
                        s += new Vector<double>(ra[k]) * *(Vector<double>*)(_dyT + (4 * k)) * rv;
                    }
                }
                else
                {
                    for (int k = 0; k < L; k++)
                    {
                        g += ga[k];
                        s += new Vector<double>(ra[k]) * *(Vector<double>*)(_dyT + (4 * k));
                    }
                }
            }
            else
            {
                double* gb = b, rb = b + L;
                double h = 0;
                var u = Vector<double>.Zero;
                for (int k = 0; k < L; k++)
                {
                    var d = *(Vector<double>*)(_dyT + (4 * k));
                    g += ga[k];
                    h += gb[k];
                    s += new Vector<double>(ra[k]) * d;
                    u += new Vector<double>(rb[k]) * d;
                }

                dx[1] = h;
                *(Vector<double>*)(de + 4) = u;
            }

            dx[0] = g;
            *(Vector<double>*)de = s;
        }
    }

    // ---------------------------------------------------------------- channel-major arithmetic

    private static int VectorWidth => Vector.IsHardwareAccelerated ? Vector<double>.Count : int.MaxValue;

    private static int Prepared(ChannelMajorTable table) =>
        (table ?? throw new ArgumentNullException(nameof(table))).LastLayerSize;

    /// <summary><see cref="Poly{T, TP}(TP, ReadOnlySpan{T}, int, double, double)"/> for the channels k … k + width − 1 of row <paramref name="c"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector<double> PolyV(double* c, int L, int k, double t, double delta)
    {
        double* a = c + k;
        var tv = new Vector<double>(t);
        var v = *(Vector<double>*)a + ((*(Vector<double>*)(a + L) + ((*(Vector<double>*)(a + (2 * L)) + ((*(Vector<double>*)(a + (3 * L))
            + ((*(Vector<double>*)(a + (4 * L)) + (*(Vector<double>*)(a + (5 * L)) * tv)) * tv)) * tv)) * tv)) * tv);
        return delta == 0 ? v : v + (PolyGradV(c, L, k, t) * new Vector<double>(delta));
    }

    /// <summary><see cref="PolyGrad{T, TP}(TP, ReadOnlySpan{T}, int, double)"/> for the channels k … k + width − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector<double> PolyGradV(double* c, int L, int k, double t)
    {
        double* a = c + k;
        var tv = new Vector<double>(t);
        var a2 = new Vector<double>(2) * *(Vector<double>*)(a + (2 * L));
        var a3 = new Vector<double>(3) * *(Vector<double>*)(a + (3 * L));
        var a4 = new Vector<double>(4) * *(Vector<double>*)(a + (4 * L));
        var a5 = new Vector<double>(5) * *(Vector<double>*)(a + (5 * L));
        return *(Vector<double>*)(a + L) + ((a2 + ((a3 + ((a4 + (a5 * tv)) * tv)) * tv)) * tv);
    }

    /// <summary>One channel of a channel-major row: the reference arithmetic with a_c at c·L + k.</summary>
    [MethodImpl(Jit.Optimized)]
    private static unsafe double PolyAt(double* c, int L, int k, double t, double delta) =>
        Poly(default(F64), new ReadOnlySpan<double>(c, 6 * L), k, L, t, delta);

    [MethodImpl(Jit.Optimized)]
    private static unsafe double PolyGradAt(double* c, int L, int k, double t) =>
        PolyGrad(default(F64), new ReadOnlySpan<double>(c, 6 * L), k, L, t);
}
