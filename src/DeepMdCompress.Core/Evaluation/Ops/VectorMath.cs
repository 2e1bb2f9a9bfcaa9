using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// SIMD transcendental functions for double. Tanh is the most frequent op of an embedding net (one per
/// neuron and neighbour), so it is computed with vectors: tanh(x) = sign(x)·e/(e + 2), e = expm1(2|x|),
/// with expm1 from an exact range reduction 2|x| = k·ln2 + r, a degree-13 Taylor polynomial for e^r − 1 and
/// an exact scaling by 2^k. The result is within a few ulp of the correctly rounded tanh (the tests compare
/// it with Math.Tanh). The scalar path performs the very same operations, so every element gets the same
/// bits whichever path, chunk or thread computes it.
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

    // 1/k! for k = 13 … 2 (Horner order).
    private static readonly double[] Coefficients =
    {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5,
    };

    private static readonly double[] Powers = { 4294967296.0, 65536.0, 256.0, 16.0, 4.0, 2.0 };

    [MethodImpl(Jit.Optimized)]
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var xv = MemoryMarshal.Cast<double, Vector<double>>(x);
            var yv = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int v = 0; v < xv.Length; v++)
            {
                yv[v] = Tanh(xv[v]);
            }

            i = xv.Length * Vector<double>.Count;
        }

        for (; i < x.Length; i++)
        {
            y[i] = Tanh(x[i]);
        }
    }

    private static readonly Vector<double> VLog2E = new(Log2E);
    private static readonly Vector<double> VMagic = new(RoundMagic);
    private static readonly Vector<double> VLn2Hi = new(Ln2Hi);
    private static readonly Vector<double> VLn2Lo = new(Ln2Lo);
    private static readonly Vector<double> VTwo = new(2.0);
    private static readonly Vector<double> VSaturation = new(Saturation);
    private static readonly Vector<double> VTiny = new(Tiny);
    private static readonly Vector<double>[] VCoefficients = Array.ConvertAll(Coefficients, c => new Vector<double>(c));
    private static readonly Vector<double>[] VBits = { new(32), new(16), new(8), new(4), new(2), new(1) };
    private static readonly Vector<double>[] VPowers = { new(4294967296.0), new(65536.0), new(256.0), new(16.0), new(4.0), new(2.0) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Tanh(Vector<double> x)
    {
        var a = Vector.Abs(x);
        var t = a + a;
        var k = (t * VLog2E) + VMagic - VMagic;
        var r = t - (k * VLn2Hi) - (k * VLn2Lo);
        var c = VCoefficients;
        var q = (((((((((((c[0] * r) + c[1]) * r) + c[2]) * r) + c[3]) * r) + c[4]) * r) + c[5]) * r) + c[6];
        q = (((((((((q * r) + c[7]) * r) + c[8]) * r) + c[9]) * r) + c[10]) * r) + c[11];
        var p = r + (r * r * q); // e^r − 1

        // 2^k for 0 ≤ k ≤ 63, by exact multiplications selected from the bits of k.
        var s = Vector<double>.One;
        for (int i = 0; i < 6; i++)
        {
            var has = Vector.GreaterThanOrEqual(k, VBits[i]);
            s = Vector.ConditionalSelect(has, s * VPowers[i], s);
            k = Vector.ConditionalSelect(has, k - VBits[i], k);
        }

        var e = (s * p) + (s - Vector<double>.One); // expm1(2|x|)
        var th = e / (e + VTwo);
        th = Vector.ConditionalSelect(Vector.GreaterThan(a, VSaturation), Vector<double>.One, th);
        var signed = Vector.ConditionalSelect(Vector.LessThan(x, Vector<double>.Zero), -th, th);
        return Vector.ConditionalSelect(Vector.LessThan(a, VTiny), x, signed);
    }

    public static double Tanh(double x)
    {
        double a = Math.Abs(x);
        double t = a + a;
        double k = (t * Log2E) + RoundMagic - RoundMagic;
        double r = t - (k * Ln2Hi) - (k * Ln2Lo);
        var c = Coefficients;
        double q = (((((((((((c[0] * r) + c[1]) * r) + c[2]) * r) + c[3]) * r) + c[4]) * r) + c[5]) * r) + c[6];
        q = (((((((((q * r) + c[7]) * r) + c[8]) * r) + c[9]) * r) + c[10]) * r) + c[11];
        double p = r + (r * r * q);
        double s = 1.0;
        for (int i = 0; i < 6; i++)
        {
            double bit = 32 >> i;
            if (k >= bit)
            {
                s *= Powers[i];
                k -= bit;
            }
        }

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
