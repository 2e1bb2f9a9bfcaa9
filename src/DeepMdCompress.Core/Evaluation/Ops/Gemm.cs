using System;
using System.Runtime.CompilerServices;
using System.Numerics;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// Dense matrix products C = A·B for the MatMul/BatchMatMul kernels. A is read through arbitrary strides (so
/// a transposed A needs no copy); B must have contiguous rows (callers pack a transposed B first). Every
/// C[i, j] is the plain sum over p in ascending order (multiply, then add), so the result does not depend on
/// the blocking, the vector width or the thread count.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>
    /// Rows [rowStart, rowEnd) of C[i, j] = Σ_p A(i, p)·B[p, j], with A(i, p) = a[aOff + i·sai + p·sap],
    /// B row-major [k, n] at bOff and C row-major [m, n] at cOff (overwritten).
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static void Multiply(double[] a, int aOff, int sai, int sap, double[] b, int bOff, double[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        if (rowEnd <= rowStart || n == 0)
        {
            return;
        }

        fixed (double* pa0 = a, pb0 = b, pc0 = c)
        {
            double* pa = pa0 + aOff, pb = pb0 + bOff, pc = pc0 + cOff;
            int w = Vector<double>.Count;
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // Rows outermost, so a block of A rows stays in cache while B (small: weights) is swept.
                int nb2 = n / (2 * w) * (2 * w);
                int nb1 = n / w * w;
                int i = rowStart;
                for (; i + 4 <= rowEnd; i += 4)
                {
                    double* ai = pa + (i * sai);
                    double* ci = pc + (i * n);
                    for (int jj = 0; jj < nb2; jj += 2 * w)
                    {
                        Block4x2(ai, sai, sap, pb + jj, n, ci + jj, k);
                    }

                    for (int jj = nb2; jj < nb1; jj += w)
                    {
                        Block4x1(ai, sai, sap, pb + jj, n, ci + jj, k);
                    }
                }

                for (; i < rowEnd; i++)
                {
                    double* ai = pa + (i * sai);
                    double* ci = pc + (i * n);
                    for (int jj = 0; jj < nb2; jj += 2 * w)
                    {
                        Block1x2(ai, sap, pb + jj, n, ci + jj, k);
                    }

                    for (int jj = nb2; jj < nb1; jj += w)
                    {
                        Block1x1(ai, sap, pb + jj, n, ci + jj, k);
                    }
                }

                j = nb1;
            }

            for (; j < n; j++)
            {
                for (int i = rowStart; i < rowEnd; i++)
                {
                    double s = 0;
                    double* ai = pa + (i * sai);
                    for (int p = 0; p < k; p++)
                    {
                        s += ai[p * sap] * pb[(p * n) + j];
                    }

                    pc[(i * n) + j] = s;
                }
            }
        }
    }

    [MethodImpl(Jit.Optimized)]
    private static void Block4x2(double* a, int sai, int sap, double* b, int n, double* c, int k)
    {
        int w = Vector<double>.Count;
        Vector<double> c00 = Vector<double>.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < k; p++)
        {
            double* bp = b + (p * n);
            var b0 = *(Vector<double>*)bp;
            var b1 = *(Vector<double>*)(bp + w);
            double* ap = a + (p * sap);
            var x = new Vector<double>(ap[0]);
            c00 += x * b0;
            c01 += x * b1;
            x = new Vector<double>(ap[sai]);
            c10 += x * b0;
            c11 += x * b1;
            x = new Vector<double>(ap[2 * sai]);
            c20 += x * b0;
            c21 += x * b1;
            x = new Vector<double>(ap[3 * sai]);
            c30 += x * b0;
            c31 += x * b1;
        }

        *(Vector<double>*)c = c00;
        *(Vector<double>*)(c + w) = c01;
        *(Vector<double>*)(c + n) = c10;
        *(Vector<double>*)(c + n + w) = c11;
        *(Vector<double>*)(c + (2 * n)) = c20;
        *(Vector<double>*)(c + (2 * n) + w) = c21;
        *(Vector<double>*)(c + (3 * n)) = c30;
        *(Vector<double>*)(c + (3 * n) + w) = c31;
    }

    /// <summary>Four rows of one vector of columns: four independent sums, so a narrow C (e.g. n = 4) is not one add chain per row.</summary>
    [MethodImpl(Jit.Optimized)]
    private static void Block4x1(double* a, int sai, int sap, double* b, int n, double* c, int k)
    {
        Vector<double> c0 = Vector<double>.Zero, c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < k; p++)
        {
            var bp = *(Vector<double>*)(b + (p * n));
            double* ap = a + (p * sap);
            c0 += new Vector<double>(ap[0]) * bp;
            c1 += new Vector<double>(ap[sai]) * bp;
            c2 += new Vector<double>(ap[2 * sai]) * bp;
            c3 += new Vector<double>(ap[3 * sai]) * bp;
        }

        *(Vector<double>*)c = c0;
        *(Vector<double>*)(c + n) = c1;
        *(Vector<double>*)(c + (2 * n)) = c2;
        *(Vector<double>*)(c + (3 * n)) = c3;
    }

    [MethodImpl(Jit.Optimized)]
    private static void Block1x2(double* a, int sap, double* b, int n, double* c, int k)
    {
        int w = Vector<double>.Count;
        Vector<double> c0 = Vector<double>.Zero, c1 = c0;
        for (int p = 0; p < k; p++)
        {
            double* bp = b + (p * n);
            var x = new Vector<double>(a[p * sap]);
            c0 += x * *(Vector<double>*)bp;
            c1 += x * *(Vector<double>*)(bp + w);
        }

        *(Vector<double>*)c = c0;
        *(Vector<double>*)(c + w) = c1;
    }

    [MethodImpl(Jit.Optimized)]
    private static void Block1x1(double* a, int sap, double* b, int n, double* c, int k)
    {
        Vector<double> c0 = Vector<double>.Zero;
        for (int p = 0; p < k; p++)
        {
            c0 += new Vector<double>(a[p * sap]) * *(Vector<double>*)(b + (p * n));
        }

        *(Vector<double>*)c = c0;
    }

    public static void Multiply(float[] a, int aOff, int sai, int sap, float[] b, int bOff, float[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        if (rowEnd <= rowStart || n == 0)
        {
            return;
        }

        fixed (float* pa0 = a, pb0 = b, pc0 = c)
        {
            float* pa = pa0 + aOff, pb = pb0 + bOff, pc = pc0 + cOff;
            int w = Vector<float>.Count;
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + w <= n; j += w)
                {
                    for (int i = rowStart; i < rowEnd; i++)
                    {
                        float* ai = pa + (i * sai);
                        Vector<float> acc = Vector<float>.Zero;
                        for (int p = 0; p < k; p++)
                        {
                            acc += new Vector<float>(ai[p * sap]) * *(Vector<float>*)(pb + (p * n) + j);
                        }

                        *(Vector<float>*)(pc + (i * n) + j) = acc;
                    }
                }
            }

            for (; j < n; j++)
            {
                for (int i = rowStart; i < rowEnd; i++)
                {
                    float s = 0;
                    float* ai = pa + (i * sai);
                    for (int p = 0; p < k; p++)
                    {
                        s += ai[p * sap] * pb[(p * n) + j];
                    }

                    pc[(i * n) + j] = s;
                }
            }
        }
    }

    /// <summary>Copies the [rows, cols] matrix stored transposed at <paramref name="off"/> (element (r, c) at off + c·rows + r) into row-major <paramref name="dst"/>.</summary>
    [MethodImpl(Jit.Optimized)]
    public static void PackTransposed<T>(T[] src, int off, int rows, int cols, T[] dst)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                dst[(r * cols) + c] = src[off + (c * rows) + r];
            }
        }
    }
}
