using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// The activations deepmd-kit's TF tabulation accepts (docs/tables.md#embedding-nets). gelu and gelu_tf are the same function
/// (functype 2); every other name (silu, linear, none, ...) makes <c>dp compress</c> fail.
/// </summary>
public enum EmbeddingActivation
{
    Tanh,
    Gelu,
    GeluTf,
    Relu,
    Relu6,
    Softplus,
    Sigmoid,
}

/// <summary>Values and first/second derivatives of the embedding activations, as deepmd-kit's derivative ops define them (docs/tables.md#embedding-nets).</summary>
public static class Activations
{
    /// <summary>√(2/π) as deepmd-kit spells it (SQRT_2_PI).</summary>
    public const double SqrtTwoOverPi = 0.7978845608028654;

    /// <summary>The cubic coefficient of the tanh approximation of gelu (GGELU).</summary>
    public const double GeluCubic = 0.044715;

    /// <summary>Maps an activation name (case-insensitive, as deepmd-kit lower-cases it) to the activation, or throws <c>UnsupportedActivation</c>.</summary>
    public static EmbeddingActivation Parse(string? name)
    {
        if (TryParse(name, out var activation))
        {
            return activation;
        }

        throw name is null
            ? new UnsupportedModelException(ErrorIds.UnknownActivation,
                "The embedding activation could not be determined (no training script names it and the graph shows no known activation op), so the net cannot be tabulated.")
            : new UnsupportedModelException(ErrorIds.UnsupportedActivation,
                $"The embedding activation '{name}' cannot be tabulated: deepmd-kit's TF compression knows only tanh, gelu, gelu_tf, relu, relu6, softplus and sigmoid (\"Unknown activation function type!\").");
    }

    public static bool TryParse(string? name, out EmbeddingActivation activation)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "tanh": activation = EmbeddingActivation.Tanh; return true;
            case "gelu": activation = EmbeddingActivation.Gelu; return true;
            case "gelu_tf": activation = EmbeddingActivation.GeluTf; return true;
            case "relu": activation = EmbeddingActivation.Relu; return true;
            case "relu6": activation = EmbeddingActivation.Relu6; return true;
            case "softplus": activation = EmbeddingActivation.Softplus; return true;
            case "sigmoid": activation = EmbeddingActivation.Sigmoid; return true;
            default: activation = default; return false;
        }
    }

    /// <summary>deepmd-kit's integer <c>functype</c> of the derivative ops (tanh 1, gelu 2, relu 3, relu6 4, softplus 5, sigmoid 6).</summary>
    public static int FuncType(EmbeddingActivation activation) => activation switch
    {
        EmbeddingActivation.Tanh => 1,
        EmbeddingActivation.Gelu or EmbeddingActivation.GeluTf => 2,
        EmbeddingActivation.Relu => 3,
        EmbeddingActivation.Relu6 => 4,
        EmbeddingActivation.Softplus => 5,
        EmbeddingActivation.Sigmoid => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>deepmd-kit's name of the activation (tanh, gelu, gelu_tf, ...).</summary>
    public static string Name(EmbeddingActivation activation) => activation switch
    {
        EmbeddingActivation.GeluTf => "gelu_tf",
        _ => activation.ToString().ToLowerInvariant(),
    };

    /// <summary>φ(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Value(EmbeddingActivation activation, double x)
    {
        switch (activation)
        {
            case EmbeddingActivation.Tanh:
                return Tanh(x);
            case EmbeddingActivation.Gelu:
            case EmbeddingActivation.GeluTf:
                return 0.5 * x * (1.0 + Tanh(SqrtTwoOverPi * (x + GeluCubic * x * x * x)));
            case EmbeddingActivation.Relu:
                return x > 0 ? x : 0.0;
            case EmbeddingActivation.Relu6:
                return x > 0 ? (x < 6.0 ? x : 6.0) : 0.0;
            case EmbeddingActivation.Softplus:
                // log(1 + eˣ) without overflow for large x (TF's softplus is likewise stable).
                return x > 0 ? x + Log1P(Math.Exp(-x)) : Log1P(Math.Exp(x));
            case EmbeddingActivation.Sigmoid:
                return x >= 0 ? 1.0 / (1.0 + Math.Exp(-x)) : Math.Exp(x) / (1.0 + Math.Exp(x));
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// g = φ′ and gg = φ″ from the pre-activation <paramref name="x"/> and the activation output <paramref name="y"/>
    /// = φ(x), with the closed forms of deepmd-kit's derivative ops (docs/tables.md#embedding-nets). relu/relu6 have φ″ = 0 and φ′ = 0 at the kinks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Derivatives(EmbeddingActivation activation, double x, double y, out double g, out double gg)
    {
        switch (activation)
        {
            case EmbeddingActivation.Tanh:
                g = 1.0 - y * y;
                gg = -2.0 * y * g;
                return;
            case EmbeddingActivation.Gelu:
            case EmbeddingActivation.GeluTf:
            {
                double v = Tanh(SqrtTwoOverPi * (x + GeluCubic * x * x * x));
                double sech2 = 1.0 - v * v;
                double inner = 3.0 * GeluCubic * x * x + 1.0;
                g = 0.5 * SqrtTwoOverPi * x * sech2 * inner + 0.5 * v + 0.5;
                double q = SqrtTwoOverPi * sech2 * inner;
                gg = 3.0 * GeluCubic * SqrtTwoOverPi * x * x * sech2 - SqrtTwoOverPi * x * q * inner * v + q;
                return;
            }

            case EmbeddingActivation.Relu:
                g = x <= 0 ? 0.0 : 1.0;
                gg = 0.0;
                return;
            case EmbeddingActivation.Relu6:
                g = x <= 0 || x >= 6.0 ? 0.0 : 1.0;
                gg = 0.0;
                return;
            case EmbeddingActivation.Softplus:
            {
                // 1 − 1/(1 + eˣ) and eˣ/(1 + eˣ)², evaluated without overflowing eˣ.
                double e = Math.Exp(-Math.Abs(x));
                double s = 1.0 / (1.0 + e);
                g = x >= 0 ? s : e * s;
                gg = e * s * s;
                return;
            }

            case EmbeddingActivation.Sigmoid:
                g = y * (1.0 - y);
                gg = g * (1.0 - 2.0 * y);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// tanh(x) = (1 − e)/(1 + e) with e = exp(−2|x|), the exponential written out: −2|x| = k·ln 2 + r (|r| ≤ ln 2 / 2,
    /// k·ln 2 split in two parts so the reduction is exact), e = 2^k·(1 + q) with q = eʳ − 1 from its Taylor series.
    /// Where k = 0 the numerator is −q itself, which keeps small |x| accurate where 1 − e would cancel. The absolute
    /// error stays within 4.5e-16 of Math.Tanh (tables are accurate to 1e-13 at best); the span overload runs the
    /// same operations on vectors, so every element gets the same bits whichever path computes it. Tabulation
    /// evaluates millions of hidden units, and this is most of their cost.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static double Tanh(double x)
    {
        double t = Math.Abs(x) * -2.0;
        t = t < -TanhFloor ? -TanhFloor : t;
        double kr = (t * InvLn2) + Rounder;
        double k = kr - Rounder;
        double r = (t - (k * Ln2Upper)) - (k * Ln2Lower);
        double r2 = r * r;
        double even = ((((E12 * r2 + E10) * r2 + E8) * r2 + E6) * r2 + E4) * r2 + E2;
        double odd = ((((E13 * r2 + E11) * r2 + E9) * r2 + E7) * r2 + E5) * r2 + E3;
        double q = r + (r2 * (even + (r * odd)));
        double scale = BitConverter.Int64BitsToDouble(unchecked((BitConverter.DoubleToInt64Bits(kr) - RounderBits + 1023) << 52));
        double e = scale + (scale * q);
        double num = k == 0 ? 0.0 - q : 1.0 - e;
        double th = num / (1.0 + e);
        return x < 0 ? -th : th;
    }

    /// <summary>tanh of every element of <paramref name="x"/> into <paramref name="y"/> (which may be <paramref name="x"/>): <see cref="Tanh(double)"/> on vectors.</summary>
    [MethodImpl(Jit.Optimized)]
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y)
    {
        int width = Vector.IsHardwareAccelerated ? Vector<double>.Count : int.MaxValue, done = 0;
        for (; x.Length - done >= width; done += width)
        {
            var v = Tanh(MemoryMarshal.Read<Vector<double>>(MemoryMarshal.AsBytes(x.Slice(done))));
            MemoryMarshal.Write(MemoryMarshal.AsBytes(y.Slice(done)), ref v);
        }

        while (done < x.Length)
        {
            y[done] = Tanh(x[done]);
            done++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Tanh(Vector<double> x)
    {
        var t = Vector.Abs(x) * new Vector<double>(-2.0);
        t = Vector.ConditionalSelect(Vector.LessThan(t, new Vector<double>(-TanhFloor)), new Vector<double>(-TanhFloor), t);
        var kr = (t * new Vector<double>(InvLn2)) + new Vector<double>(Rounder);
        var k = kr - new Vector<double>(Rounder);
        var r = (t - (k * new Vector<double>(Ln2Upper))) - (k * new Vector<double>(Ln2Lower));
        var r2 = r * r;
        var even = ((((new Vector<double>(E12) * r2 + new Vector<double>(E10)) * r2 + new Vector<double>(E8)) * r2 + new Vector<double>(E6)) * r2
            + new Vector<double>(E4)) * r2 + new Vector<double>(E2);
        var odd = ((((new Vector<double>(E13) * r2 + new Vector<double>(E11)) * r2 + new Vector<double>(E9)) * r2 + new Vector<double>(E7)) * r2
            + new Vector<double>(E5)) * r2 + new Vector<double>(E3);
        var q = r + (r2 * (even + (r * odd)));
        var bits = (Vector.AsVectorInt64(kr) - new Vector<long>(RounderBits - 1023)) * new Vector<long>(1L << 52);
        var scale = Vector.AsVectorDouble(bits);
        var e = scale + (scale * q);
        var num = Vector.ConditionalSelect(Vector.Equals(k, Vector<double>.Zero), Vector<double>.Zero - q, Vector<double>.One - e);
        var th = num / (Vector<double>.One + e);
        return Vector.ConditionalSelect(Vector.LessThan(x, Vector<double>.Zero), -th, th);
    }

    // Past 2|x| = 40, e < 4.3e-18 and (1 − e)/(1 + e) rounds to 1; the floor keeps 2^k a normal number (and NaN fails the test, so stays NaN).
    private const double TanhFloor = 40.0;
    private const double InvLn2 = 1.44269504088896340736;
    private const double Ln2Upper = 0.693147180369123816490; // ln 2 to 32 bits: k·Ln2Upper is exact for |k| < 2^20
    private const double Ln2Lower = 1.90821492927058770002e-10;
    private const double Rounder = 6755399441055744.0; // 1.5·2^52: adding and subtracting it rounds to an integer
    private const long RounderBits = 0x4338000000000000L;

    // 1/n! for n = 2 … 13, split into the even and odd terms of q's Horner sums in r².
    private const double E2 = 1.0 / 2, E3 = 1.0 / 6, E4 = 1.0 / 24, E5 = 1.0 / 120, E6 = 1.0 / 720, E7 = 1.0 / 5040;
    private const double E8 = 1.0 / 40320, E9 = 1.0 / 362880, E10 = 1.0 / 3628800, E11 = 1.0 / 39916800, E12 = 1.0 / 479001600, E13 = 1.0 / 6227020800;

    // Math.Log1P is missing from netstandard2.0; this form is accurate to a few ulp (Goldberg's trick).
    private static double Log1P(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
