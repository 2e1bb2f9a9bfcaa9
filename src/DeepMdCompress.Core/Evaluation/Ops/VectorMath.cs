using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// SIMD transcendental functions for double. Tanh is the most frequent op of an embedding net (one per
/// neuron and neighbour), so it is computed with vectors: tanh(x) = sign(x)·e/(e + 2), e = expm1(2|x|),
/// with expm1 from an exact range reduction 2|x| = k·ln2 + r, a degree-13 Taylor polynomial for e^r − 1 and
/// an exact scaling by 2^k (built from k's bits; 2|x| is clamped at 44, past which tanh is 1 anyway). The result is within a few ulp of the correctly rounded tanh (the tests compare
/// it with Math.Tanh). The scalar path performs the very same operations, so every element gets the same
/// bits whichever path, chunk or thread computes it. On .NET 8+ with AVX-512 the same method runs with fused
/// multiply-adds in DeepMdCompress.Kernels (<see cref="WideKernels"/>), about twice as fast and as accurate, though not
/// the same bits; one of the two serves the whole process.
/// </summary>
public static class VectorMath
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01; // upper 32 bits of ln 2: k·Ln2Hi is exact
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double RoundMagic = 6755399441055744.0; // 1.5·2^52: (v + M) − M rounds v to an integer

    // tanh(x) rounds to ±1 for |x| > 19.06; below 2^-28 it rounds to x.
    private const double Saturation = 22.0;
    private const double Tiny = 3.725290298461914e-09;

    /// <summary>y[i] = tanh(x[i]); <paramref name="y"/> may be <paramref name="x"/>. With AVX-512 on .NET 8+, <see cref="WideKernels.Tanh"/>.</summary>
    public static unsafe void Tanh(ReadOnlySpan<double> x, Span<double> y)
    {
        var wide = WideKernels.Tanh;
        if (wide is null)
        {
            PortableTanh(x, y);
            return;
        }

        if (y.Length < x.Length)
        {
            throw new ArgumentException("The output is shorter than the input.", nameof(y));
        }

        fixed (double* px = x, py = y)
        {
            wide(px, py, x.Length);
        }
    }

    /// <summary>tanh of one value, the same bits as the element of a span.</summary>
    public static unsafe double Tanh(double x)
    {
        var wide = WideKernels.Tanh;
        if (wide is null)
        {
            return PortableTanh(x);
        }

        wide(&x, &x, 1);
        return x;
    }

    /// <summary>The System.Numerics path: vectors, and the scalar twin for the tail.</summary>
    [MethodImpl(Jit.Optimized)]
    internal static void PortableTanh(ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            var yv = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int v = 0; v < xv.Length; v++)
            {
                yv[v] = PortableTanh(xv[v]);
            }

            i = xv.Length * Vector<double>.Count;
        }

        for (; i < x.Length; i++)
        {
            y[i] = PortableTanh(x[i]);
        }
    }

    // 1/k! for k = 2 … 13, the Taylor coefficients of (e^r − 1 − r)/r², evaluated by Estrin's scheme: pairs, then
    // pairs of pairs, so the polynomial is a few multiplications deep instead of twelve (the loop is latency-bound).
    private const double C2 = 0.5, C3 = 1.0 / 6.0, C4 = 1.0 / 24.0, C5 = 1.0 / 120.0, C6 = 1.0 / 720.0, C7 = 1.0 / 5040.0;
    private const double C8 = 1.0 / 40320.0, C9 = 1.0 / 362880.0, C10 = 1.0 / 3628800.0, C11 = 1.0 / 39916800.0;
    private const double C12 = 1.0 / 479001600.0, C13 = 1.0 / 6227020800.0;

    // (k + 1023)·2^52 read as a double is 2^k; k + 1.5·2^52 holds k in its low mantissa bits.
    private const long ExponentOffset = 0x4338000000000000L - 1023;
    private const long ExponentScale = 1L << 52;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> PortableTanh(Vector<double> x)
    {
        // A select, not Vector.Min: Min's NaN rules cost three dependent instructions at the head of a latency-bound
        // chain; a NaN fails the comparison and stays NaN either way, so the bits are those of the scalar path.
        var a = Vector.Abs(x);
        var saturated = Vector.GreaterThan(a, new Vector<double>(Saturation));
        var t = Vector.ConditionalSelect(saturated, new Vector<double>(2 * Saturation), a + a);
        var km = (t * new Vector<double>(Log2E)) + new Vector<double>(RoundMagic);
        var k = km - new Vector<double>(RoundMagic);
        var r = t - (k * new Vector<double>(Ln2Hi)) - (k * new Vector<double>(Ln2Lo));
        var r2 = r * r;
        var r4 = r2 * r2;
        var q23 = new Vector<double>(C2) + (r * new Vector<double>(C3));
        var q45 = new Vector<double>(C4) + (r * new Vector<double>(C5));
        var q67 = new Vector<double>(C6) + (r * new Vector<double>(C7));
        var q89 = new Vector<double>(C8) + (r * new Vector<double>(C9));
        var q1011 = new Vector<double>(C10) + (r * new Vector<double>(C11));
        var q1213 = new Vector<double>(C12) + (r * new Vector<double>(C13));
        var q2to5 = q23 + (r2 * q45);
        var q6to9 = q67 + (r2 * q89);
        var q10to13 = q1011 + (r2 * q1213);
        var q = q2to5 + (r4 * (q6to9 + (r4 * q10to13)));
        var p = r + (r2 * q); // e^r − 1
        var s = Vector.AsVectorDouble((Vector.AsVectorInt64(km) - new Vector<long>(ExponentOffset)) * new Vector<long>(ExponentScale));
        var e = (s * p) + (s - Vector<double>.One); // expm1(2|x|)
        var th = e / (e + new Vector<double>(2.0));
        th = Vector.ConditionalSelect(saturated, Vector<double>.One, th);
        var signed = Vector.ConditionalSelect(Vector.LessThan(x, Vector<double>.Zero), -th, th);
        return Vector.ConditionalSelect(Vector.LessThan(a, new Vector<double>(Tiny)), x, signed);
    }

    internal static double PortableTanh(double x)
    {
        double a = Math.Abs(x);
        double t = double.IsNaN(a) ? a : Math.Min(a + a, 2 * Saturation);
        double km = (t * Log2E) + RoundMagic;
        double k = km - RoundMagic;
        double r = t - (k * Ln2Hi) - (k * Ln2Lo);
        double r2 = r * r;
        double r4 = r2 * r2;
        double q23 = C2 + (r * C3), q45 = C4 + (r * C5), q67 = C6 + (r * C7);
        double q89 = C8 + (r * C9), q1011 = C10 + (r * C11), q1213 = C12 + (r * C13);
        double q2to5 = q23 + (r2 * q45), q6to9 = q67 + (r2 * q89), q10to13 = q1011 + (r2 * q1213);
        double q = q2to5 + (r4 * (q6to9 + (r4 * q10to13)));
        double p = r + (r2 * q);
        double s = BitConverter.Int64BitsToDouble(unchecked((BitConverter.DoubleToInt64Bits(km) - ExponentOffset) * ExponentScale));
        double e = (s * p) + (s - 1.0);
        double th = e / (e + 2.0);
        if (a > Saturation)
        {
            th = 1.0;
        }

        double signed = x < 0 ? -th : th;
        return a < Tiny ? x : signed;
    }
}
