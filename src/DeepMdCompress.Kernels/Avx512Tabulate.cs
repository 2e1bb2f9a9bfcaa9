using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMdCompress.Kernels;

/// <summary>
/// One neighbour slot of deepmd-kit's TabulateFusionSeAGrad, with AVX-512 and fused multiply-adds, for the core's
/// double kernel (TabulateKernels.SeAGradWide, which locates the slot's table row and folds sorted padding;
/// docs/evaluator.md). The table is channel-major: coefficient a_c of channel k at c[c·l + k],
/// G_k = a0 + t(a1 + t(a2 + t(a3 + t(a4 + t·a5)))) plus delta·G′_k past the table's end. Unlike the portable kernel,
/// which keeps the reference's rounding bit for bit, this fuses multiply and add and sums over channels in lanes; the
/// results agree with it to rounding (the tests bound it).
/// </summary>
public static unsafe class Avx512Tabulate
{
    /// <summary>Whether this CPU and runtime can run these kernels.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// The slot's gradients from dy (four rows of l): dx[0] = scale·Σ_k G′_k·Σ_m e[m]·dy[m·l + k] (G′ at t, the table's
    /// slope) and de[m] = scale·Σ_k G_k·dy[m·l + k].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SeAGrad(double* c, int l, double t, double delta, double* e, double scale, double* dy, double* dx, double* de)
    {
        double* dy1 = dy + l, dy2 = dy1 + l, dy3 = dy2 + l;
        var tv = Vector512.Create(t);
        var dv = Vector512.Create(delta);
        Vector512<double> e0 = Vector512.Create(e[0]), e1 = Vector512.Create(e[1]), e2 = Vector512.Create(e[2]), e3 = Vector512.Create(e[3]);
        Vector512<double> sx = default, s0 = default, s1 = default, s2 = default, s3 = default;
        int k = 0;
        for (; k + 8 <= l; k += 8)
        {
            var g = Value(c + k, l, tv);
            var slope = Slope(c + k, l, tv);
            if (delta != 0)
            {
                g = Fma(slope, dv, g);
            }

            Vector512<double> d0 = Vector512.Load(dy + k), d1 = Vector512.Load(dy1 + k), d2 = Vector512.Load(dy2 + k), d3 = Vector512.Load(dy3 + k);
            var dot = Fma(e3, d3, Fma(e2, d2, Fma(e1, d1, e0 * d0)));
            sx = Fma(slope, dot, sx);
            s0 = Fma(g, d0, s0);
            s1 = Fma(g, d1, s1);
            s2 = Fma(g, d2, s2);
            s3 = Fma(g, d3, s3);
        }

        double tx = Vector512.Sum(sx), t0 = Vector512.Sum(s0), t1 = Vector512.Sum(s1), t2 = Vector512.Sum(s2), t3 = Vector512.Sum(s3);
        for (; k < l; k++)
        {
            double g = Value(c + k, l, t);
            double slope = Slope(c + k, l, t);
            if (delta != 0)
            {
                g = Math.FusedMultiplyAdd(slope, delta, g);
            }

            double dot = Math.FusedMultiplyAdd(e[3], dy3[k], Math.FusedMultiplyAdd(e[2], dy2[k], Math.FusedMultiplyAdd(e[1], dy1[k], e[0] * dy[k])));
            tx = Math.FusedMultiplyAdd(slope, dot, tx);
            t0 = Math.FusedMultiplyAdd(g, dy[k], t0);
            t1 = Math.FusedMultiplyAdd(g, dy1[k], t1);
            t2 = Math.FusedMultiplyAdd(g, dy2[k], t2);
            t3 = Math.FusedMultiplyAdd(g, dy3[k], t3);
        }

        dx[0] = scale * tx;
        de[0] = scale * t0;
        de[1] = scale * t1;
        de[2] = scale * t2;
        de[3] = scale * t3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Value(double* a, int l, Vector512<double> t) =>
        Fma(Fma(Fma(Fma(Fma(Vector512.Load(a + (5 * l)), t, Vector512.Load(a + (4 * l))), t, Vector512.Load(a + (3 * l))), t,
            Vector512.Load(a + (2 * l))), t, Vector512.Load(a + l)), t, Vector512.Load(a));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Slope(double* a, int l, Vector512<double> t) =>
        Fma(Fma(Fma(Fma(Vector512.Create(5.0) * Vector512.Load(a + (5 * l)), t, Vector512.Create(4.0) * Vector512.Load(a + (4 * l))), t,
            Vector512.Create(3.0) * Vector512.Load(a + (3 * l))), t, Vector512.Create(2.0) * Vector512.Load(a + (2 * l))), t, Vector512.Load(a + l));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Value(double* a, int l, double t) =>
        Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(a[5 * l], t, a[4 * l]), t, a[3 * l]), t,
            a[2 * l]), t, a[l]), t, a[0]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Slope(double* a, int l, double t) =>
        Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(Math.FusedMultiplyAdd(5 * a[5 * l], t, 4 * a[4 * l]), t, 3 * a[3 * l]), t,
            2 * a[2 * l]), t, a[l]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Avx512F.FusedMultiplyAdd(a, b, c);
}
