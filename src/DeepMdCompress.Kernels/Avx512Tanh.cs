using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepMdCompress.Kernels;

/// <summary>
/// tanh over doubles with AVX-512 and fused multiply-adds, for the core's evaluator (its VectorMath.Tanh uses this
/// when <see cref="IsSupported"/>). The method is the core's portable one: tanh(x) = sign(x)·e/(e + 2), e = expm1(2|x|),
/// from the exact reduction 2|x| = k·ln2 + r, the degree-13 Taylor polynomial of e^r − 1 and an exact scaling by 2^k.
/// The evaluation is shorter, because the loop is latency-bound: fused multiply-adds, eight lanes per chain, the
/// polynomial split three ways (r⁸ as well as r⁴), e and e + 2 formed side by side from s·p, saturation (|x| > 22, where
/// tanh rounds to ±1) applied at the end instead of clamping the input, and the sign copied back bitwise (so −0 stays
/// −0). Within 4 ulp of the correctly rounded tanh, like the portable path; every element, the tail included, goes
/// through the same vector code, so a result does not depend on how a caller splits its span.
/// </summary>
public static unsafe class Avx512Tanh
{
    private const double TwoLog2E = 2 * 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01; // upper 32 bits of ln 2: k·Ln2Hi is exact
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double RoundMagic = 6755399441055744.0; // 1.5·2^52: (v + M) − M rounds v to an integer
    private const double Saturation = 22.0;

    // 1/k! for k = 2 … 13.
    private const double C2 = 0.5, C3 = 1.0 / 6.0, C4 = 1.0 / 24.0, C5 = 1.0 / 120.0, C6 = 1.0 / 720.0, C7 = 1.0 / 5040.0;
    private const double C8 = 1.0 / 40320.0, C9 = 1.0 / 362880.0, C10 = 1.0 / 3628800.0, C11 = 1.0 / 39916800.0;
    private const double C12 = 1.0 / 479001600.0, C13 = 1.0 / 6227020800.0;

    // k + 1.5·2^52 holds k in its low mantissa bits; (k + 1023) << 52 read as a double is 2^k.
    private const long ExponentOffset = 0x4338000000000000L - 1023;

    /// <summary>Whether this CPU and runtime can run <see cref="Tanh"/>.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>y[i] = tanh(x[i]) for i &lt; n; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(double* x, double* y, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector512.Store(Tanh(Vector512.Load(x + i)), y + i);
        }

        if (i < n)
        {
            // The tail through the same vector code: a partial vector padded with zeros.
            double* tail = stackalloc double[8];
            Vector512<double>.Zero.Store(tail);
            for (int j = i; j < n; j++)
            {
                tail[j - i] = x[j];
            }

            Tanh(Vector512.Load(tail)).Store(tail);
            for (int j = i; j < n; j++)
            {
                y[j] = tail[j - i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Tanh(Vector512<double> x)
    {
        var signMask = Vector512.Create(-0.0);
        var a = Vector512.AndNot(x, signMask);
        var km = Fma(a, Vector512.Create(TwoLog2E), Vector512.Create(RoundMagic));
        var k = km - Vector512.Create(RoundMagic);
        var r = Fma(k, Vector512.Create(-Ln2Lo), Fma(k, Vector512.Create(-Ln2Hi), a + a));
        var r2 = r * r;
        var r4 = r2 * r2;
        var r8 = r4 * r4;
        var q2to5 = Fma(r2, Fma(r, Vector512.Create(C5), Vector512.Create(C4)), Fma(r, Vector512.Create(C3), Vector512.Create(C2)));
        var q6to9 = Fma(r2, Fma(r, Vector512.Create(C9), Vector512.Create(C8)), Fma(r, Vector512.Create(C7), Vector512.Create(C6)));
        var q10to13 = Fma(r2, Fma(r, Vector512.Create(C13), Vector512.Create(C12)), Fma(r, Vector512.Create(C11), Vector512.Create(C10)));
        var q = Fma(r8, q10to13, Fma(r4, q6to9, q2to5));
        var p = Fma(r2, q, r); // e^r − 1
        var s = ((km.AsInt64() - Vector512.Create(ExponentOffset)) << 52).AsDouble();
        var sp = s * p;
        var e = sp + (s - Vector512<double>.One); // expm1(2|x|)
        var th = e / (sp + (s + Vector512<double>.One));
        th = Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(Saturation)), Vector512<double>.One, th);
        return th | (x & signMask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Avx512F.FusedMultiplyAdd(a, b, c);
}
