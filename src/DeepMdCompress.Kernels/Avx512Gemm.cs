using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMdCompress.Kernels;

/// <summary>
/// The register tile of the core's packed product (Gemm.MultiplyRows) with AVX-512 fused multiply-adds: four rows of
/// A times one strip of 24 packed columns of B, two such tiles at once as eight rows where a full strip has them
/// (docs/evaluator.md). Eight-lane vectors and one rounding per term
/// instead of two; with the portable 12-column tile a net layer of K = 50 ran at about half the machine's peak, this
/// one near it. Each C[i, j] is still the ascending sum over p, each panel's sum carried in C.
/// </summary>
public static unsafe class Avx512Gemm
{
    /// <summary>Columns of a packed strip of B.</summary>
    public const int StripColumns = 24;

    /// <summary>Whether this CPU and runtime can run these kernels.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// <paramref name="tiles"/> tiles down one strip: tile t sums rows r = 0…3 of A, a + rows[4t + r]·sai (a + (4t + r)·sai
    /// when <paramref name="rows"/> is null), into C at c + (4t + r)·ldc: C[r, q] (+)= Σ_p A_r[p·sap]·b[p·24 + q] for
    /// q &lt; 8·vectors (1 ≤ vectors ≤ 3), from zero when <paramref name="first"/>. One call per strip of a block of rows,
    /// not one per tile: the call through the core's delegate and its per-tile bookkeeping cost a layer of K = 50 a
    /// sixth of its time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tiles(double* a, int sai, int* rows, int sap, double* b, int depth, double* c, int ldc, int tiles, bool first, int vectors)
    {
        double** ar = stackalloc double*[8];
        int t = 0;
        if (vectors >= 3)
        {
            // Two tiles at a time as one of eight rows: 24 sums in registers, 11 loads per 24 fused multiply-adds
            // instead of 7 per 12 (8–13% faster for the strips of a net layer). Each C[i, j] is the same sum.
            for (; t + 2 <= tiles; t += 2, c += 8L * ldc)
            {
                RowPointers(a, sai, rows, 4 * t, 8, ar);
                Tile8x3(ar, sap, b, depth, c, ldc, first);
            }
        }

        for (; t < tiles; t++, c += 4L * ldc)
        {
            RowPointers(a, sai, rows, 4 * t, 4, ar);
            double* a0 = ar[0], a1 = ar[1], a2 = ar[2], a3 = ar[3];
            if (vectors >= 3)
            {
                Tile3(a0, a1, a2, a3, sap, b, depth, c, ldc, first);
            }
            else if (vectors == 2)
            {
                Tile2(a0, a1, a2, a3, sap, b, depth, c, ldc, first);
            }
            else
            {
                Tile1(a0, a1, a2, a3, sap, b, depth, c, ldc, first);
            }
        }
    }

    /// <summary>ar[r] = row (from + r) of A, or row rows[from + r] when rows is given, for r &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPointers(double* a, int sai, int* rows, int from, int count, double** ar)
    {
        for (int r = 0; r < count; r++)
        {
            ar[r] = a + ((long)(rows is null ? from + r : rows[from + r]) * sai);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile3(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        double* r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        Vector512<double> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (first)
        {
            c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = Vector512<double>.Zero;
        }
        else
        {
            (c00, c01, c02) = Load3(c);
            (c10, c11, c12) = Load3(r1);
            (c20, c21, c22) = Load3(r2);
            (c30, c31, c32) = Load3(r3);
        }

        for (int p = 0; p < depth; p++)
        {
            Vector512<double> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 8), b2 = Vector512.Load(b + 16);
            var x = Vector512.Create(*a0);
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            c02 = Fma(x, b2, c02);
            x = Vector512.Create(*a1);
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            c12 = Fma(x, b2, c12);
            x = Vector512.Create(*a2);
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            c22 = Fma(x, b2, c22);
            x = Vector512.Create(*a3);
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            c32 = Fma(x, b2, c32);
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += StripColumns;
        }

        Store3(c, c00, c01, c02);
        Store3(r1, c10, c11, c12);
        Store3(r2, c20, c21, c22);
        Store3(r3, c30, c31, c32);
    }

    /// <summary>Eight rows (at ar[0…7]) of one full strip.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x3(double** ar, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        double* a0 = ar[0], a1 = ar[1], a2 = ar[2], a3 = ar[3], a4 = ar[4], a5 = ar[5], a6 = ar[6], a7 = ar[7];
        Vector512<double> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        Vector512<double> c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72;
        if (first)
        {
            c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = Vector512<double>.Zero;
            c40 = c41 = c42 = c50 = c51 = c52 = c60 = c61 = c62 = c70 = c71 = c72 = Vector512<double>.Zero;
        }
        else
        {
            (c00, c01, c02) = Load3(c);
            (c10, c11, c12) = Load3(c + ldc);
            (c20, c21, c22) = Load3(c + (2L * ldc));
            (c30, c31, c32) = Load3(c + (3L * ldc));
            (c40, c41, c42) = Load3(c + (4L * ldc));
            (c50, c51, c52) = Load3(c + (5L * ldc));
            (c60, c61, c62) = Load3(c + (6L * ldc));
            (c70, c71, c72) = Load3(c + (7L * ldc));
        }

        for (int p = 0; p < depth; p++)
        {
            Vector512<double> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 8), b2 = Vector512.Load(b + 16);
            var x = Vector512.Create(*a0);
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            c02 = Fma(x, b2, c02);
            x = Vector512.Create(*a1);
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            c12 = Fma(x, b2, c12);
            x = Vector512.Create(*a2);
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            c22 = Fma(x, b2, c22);
            x = Vector512.Create(*a3);
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            c32 = Fma(x, b2, c32);
            x = Vector512.Create(*a4);
            c40 = Fma(x, b0, c40);
            c41 = Fma(x, b1, c41);
            c42 = Fma(x, b2, c42);
            x = Vector512.Create(*a5);
            c50 = Fma(x, b0, c50);
            c51 = Fma(x, b1, c51);
            c52 = Fma(x, b2, c52);
            x = Vector512.Create(*a6);
            c60 = Fma(x, b0, c60);
            c61 = Fma(x, b1, c61);
            c62 = Fma(x, b2, c62);
            x = Vector512.Create(*a7);
            c70 = Fma(x, b0, c70);
            c71 = Fma(x, b1, c71);
            c72 = Fma(x, b2, c72);
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            a4 += sap;
            a5 += sap;
            a6 += sap;
            a7 += sap;
            b += StripColumns;
        }

        Store3(c, c00, c01, c02);
        Store3(c + ldc, c10, c11, c12);
        Store3(c + (2L * ldc), c20, c21, c22);
        Store3(c + (3L * ldc), c30, c31, c32);
        Store3(c + (4L * ldc), c40, c41, c42);
        Store3(c + (5L * ldc), c50, c51, c52);
        Store3(c + (6L * ldc), c60, c61, c62);
        Store3(c + (7L * ldc), c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double>, Vector512<double>, Vector512<double>) Load3(double* c) =>
        (Vector512.Load(c), Vector512.Load(c + 8), Vector512.Load(c + 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(double* c, Vector512<double> v0, Vector512<double> v1, Vector512<double> v2)
    {
        v0.Store(c);
        v1.Store(c + 8);
        v2.Store(c + 16);
    }

    /// <summary>The last strip when it is two vectors wide (e.g. the 16 columns left of n = 1600).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile2(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        double* r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        Vector512<double> c00, c01, c10, c11, c20, c21, c30, c31;
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector512<double>.Zero;
        }
        else
        {
            (c00, c10, c20, c30) = (Vector512.Load(c), Vector512.Load(r1), Vector512.Load(r2), Vector512.Load(r3));
            (c01, c11, c21, c31) = (Vector512.Load(c + 8), Vector512.Load(r1 + 8), Vector512.Load(r2 + 8), Vector512.Load(r3 + 8));
        }

        for (int p = 0; p < depth; p++)
        {
            Vector512<double> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 8);
            var x = Vector512.Create(*a0);
            c00 = Fma(x, b0, c00);
            c01 = Fma(x, b1, c01);
            x = Vector512.Create(*a1);
            c10 = Fma(x, b0, c10);
            c11 = Fma(x, b1, c11);
            x = Vector512.Create(*a2);
            c20 = Fma(x, b0, c20);
            c21 = Fma(x, b1, c21);
            x = Vector512.Create(*a3);
            c30 = Fma(x, b0, c30);
            c31 = Fma(x, b1, c31);
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += StripColumns;
        }

        c00.Store(c);
        c01.Store(c + 8);
        c10.Store(r1);
        c11.Store(r1 + 8);
        c20.Store(r2);
        c21.Store(r2 + 8);
        c30.Store(r3);
        c31.Store(r3 + 8);
    }

    /// <summary>The last strip when it is one vector wide (e.g. the 4 columns left of n = 100).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        double* r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        Vector512<double> c00, c10, c20, c30;
        if (first)
        {
            c00 = c10 = c20 = c30 = Vector512<double>.Zero;
        }
        else
        {
            (c00, c10, c20, c30) = (Vector512.Load(c), Vector512.Load(r1), Vector512.Load(r2), Vector512.Load(r3));
        }

        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            c00 = Fma(Vector512.Create(*a0), b0, c00);
            c10 = Fma(Vector512.Create(*a1), b0, c10);
            c20 = Fma(Vector512.Create(*a2), b0, c20);
            c30 = Fma(Vector512.Create(*a3), b0, c30);
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += StripColumns;
        }

        c00.Store(c);
        c10.Store(r1);
        c20.Store(r2);
        c30.Store(r3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Avx512F.FusedMultiplyAdd(a, b, c);
}
