using System;
using System.Runtime.CompilerServices;
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
    /// tanh from one exp: (1 − e)/(1 + e) with e = exp(−2|x|). Its absolute error stays within 2.2e-16 of Math.Tanh
    /// (what the nets need; tables are accurate to 1e-13 at best) at about a third of the cost, which matters because
    /// tabulation evaluates millions of hidden units.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x)
    {
        double e = Math.Exp(-2.0 * Math.Abs(x));
        double t = (1.0 - e) / (1.0 + e);
        return x < 0 ? -t : t;
    }

    // Math.Log1P is missing from netstandard2.0; this form is accurate to a few ulp (Goldberg's trick).
    private static double Log1P(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
