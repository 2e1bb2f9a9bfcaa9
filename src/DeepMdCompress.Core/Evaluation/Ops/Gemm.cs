using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// Dense matrix products C = A·B for the MatMul/BatchMatMul kernels. A is read through arbitrary strides (so
/// a transposed A needs no copy); B must have contiguous rows (callers pack a transposed B first). Every
/// C[i, j] is the sum over p in ascending order, so results do not depend on blocking or threads.
/// </summary>
internal static class Gemm
{
    /// <summary>C[i, j] = Σ_p A(i, p)·B[p, j] with A(i, p) = a[aOff + i·sai + p·sap], B row-major [k, n] at bOff, C row-major [m, n] at cOff.</summary>
    public static void Multiply(double[] a, int aOff, int sai, int sap, double[] b, int bOff, double[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        int w = Vector<double>.Count;
        bool vec = Vector.IsHardwareAccelerated && n >= w;
        int nv = vec ? n / w : 0;
        int i = rowStart;

        // Four rows at a time: each B row vector is loaded once for four accumulating rows.
        if (vec)
        {
            for (; i + 4 <= rowEnd; i += 4)
            {
                var c0 = MemoryMarshal.Cast<double, Vector<double>>(c.AsSpan(cOff + (i * n), nv * w));
                var c1 = MemoryMarshal.Cast<double, Vector<double>>(c.AsSpan(cOff + ((i + 1) * n), nv * w));
                var c2 = MemoryMarshal.Cast<double, Vector<double>>(c.AsSpan(cOff + ((i + 2) * n), nv * w));
                var c3 = MemoryMarshal.Cast<double, Vector<double>>(c.AsSpan(cOff + ((i + 3) * n), nv * w));
                c0.Clear();
                c1.Clear();
                c2.Clear();
                c3.Clear();
                int a0 = aOff + (i * sai);
                for (int p = 0; p < k; p++)
                {
                    var bv = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan(bOff + (p * n), nv * w));
                    int ap = a0 + (p * sap);
                    var x0 = new Vector<double>(a[ap]);
                    var x1 = new Vector<double>(a[ap + sai]);
                    var x2 = new Vector<double>(a[ap + (2 * sai)]);
                    var x3 = new Vector<double>(a[ap + (3 * sai)]);
                    for (int v = 0; v < bv.Length; v++)
                    {
                        var bb = bv[v];
                        c0[v] += x0 * bb;
                        c1[v] += x1 * bb;
                        c2[v] += x2 * bb;
                        c3[v] += x3 * bb;
                    }
                }

                for (int r = i; r < i + 4; r++)
                {
                    Tail(a, aOff + (r * sai), sap, b, bOff, c, cOff + (r * n), k, n, nv * w);
                }
            }
        }

        for (; i < rowEnd; i++)
        {
            int ci = cOff + (i * n);
            int ai = aOff + (i * sai);
            if (vec)
            {
                var cv = MemoryMarshal.Cast<double, Vector<double>>(c.AsSpan(ci, nv * w));
                cv.Clear();
                for (int p = 0; p < k; p++)
                {
                    var x = new Vector<double>(a[ai + (p * sap)]);
                    var bv = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan(bOff + (p * n), nv * w));
                    for (int v = 0; v < cv.Length; v++)
                    {
                        cv[v] += x * bv[v];
                    }
                }
            }

            Tail(a, ai, sap, b, bOff, c, ci, k, n, nv * w);
        }
    }

    /// <summary>Columns [from, n) of one row, scalar.</summary>
    private static void Tail(double[] a, int ai, int sap, double[] b, int bOff, double[] c, int ci, int k, int n, int from)
    {
        for (int j = from; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
            {
                s += a[ai + (p * sap)] * b[bOff + (p * n) + j];
            }

            c[ci + j] = s;
        }
    }

    public static void Multiply(float[] a, int aOff, int sai, int sap, float[] b, int bOff, float[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        int w = Vector<float>.Count;
        bool vec = Vector.IsHardwareAccelerated && n >= w;
        int nv = vec ? n / w : 0;
        for (int i = rowStart; i < rowEnd; i++)
        {
            int ci = cOff + (i * n);
            int ai = aOff + (i * sai);
            if (vec)
            {
                var cv = MemoryMarshal.Cast<float, Vector<float>>(c.AsSpan(ci, nv * w));
                cv.Clear();
                for (int p = 0; p < k; p++)
                {
                    var x = new Vector<float>(a[ai + (p * sap)]);
                    var bv = MemoryMarshal.Cast<float, Vector<float>>(b.AsSpan(bOff + (p * n), nv * w));
                    for (int v = 0; v < cv.Length; v++)
                    {
                        cv[v] += x * bv[v];
                    }
                }
            }

            for (int j = nv * w; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += a[ai + (p * sap)] * b[bOff + (p * n) + j];
                }

                c[ci + j] = s;
            }
        }
    }

    /// <summary>Copies the [rows, cols] matrix stored transposed at <paramref name="off"/> (element (r, c) at off + c·rows + r) into row-major <paramref name="dst"/>.</summary>
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
