using System;
using System.Numerics;

namespace DeepMdCompress.Core.Evaluation.Ops;

// Arithmetic of TensorFlow's elementwise ops (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from). Integer division by zero is an error,
// as on TensorFlow's CPU kernels; floor semantics follow Python (remainder takes the divisor's sign).

internal struct AddOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => a + b;
    public float F(float a, float b) => a + b;
    public int I(int a, int b) => unchecked(a + b);
    public long L(long a, long b) => unchecked(a + b);
    public Vector<double> VD(Vector<double> a, Vector<double> b) => a + b;
    public Vector<float> VF(Vector<float> a, Vector<float> b) => a + b;
}

internal struct SubOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => a - b;
    public float F(float a, float b) => a - b;
    public int I(int a, int b) => unchecked(a - b);
    public long L(long a, long b) => unchecked(a - b);
    public Vector<double> VD(Vector<double> a, Vector<double> b) => a - b;
    public Vector<float> VF(Vector<float> a, Vector<float> b) => a - b;
}

internal struct MulOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => a * b;
    public float F(float a, float b) => a * b;
    public int I(int a, int b) => unchecked(a * b);
    public long L(long a, long b) => unchecked(a * b);
    public Vector<double> VD(Vector<double> a, Vector<double> b) => a * b;
    public Vector<float> VF(Vector<float> a, Vector<float> b) => a * b;
}

/// <summary>RealDiv (IEEE division), and Div/TruncateDiv, which truncate integer quotients toward zero.</summary>
internal struct DivOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => a / b;
    public float F(float a, float b) => a / b;
    public int I(int a, int b) => b == 0 ? throw new DivideByZeroException("Integer division by zero.") : a == int.MinValue && b == -1 ? int.MinValue : a / b;
    public long L(long a, long b) => b == 0 ? throw new DivideByZeroException("Integer division by zero.") : a == long.MinValue && b == -1 ? long.MinValue : a / b;
    public Vector<double> VD(Vector<double> a, Vector<double> b) => a / b;
    public Vector<float> VF(Vector<float> a, Vector<float> b) => a / b;
}

internal struct FloorDivOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => Math.Floor(a / b);
    public float F(float a, float b) => (float)Math.Floor(a / b);

    public int I(int a, int b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException("Integer division by zero.");
        }

        if (a == int.MinValue && b == -1)
        {
            return int.MinValue;
        }

        int q = a / b;
        return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
    }

    public long L(long a, long b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException("Integer division by zero.");
        }

        if (a == long.MinValue && b == -1)
        {
            return long.MinValue;
        }

        long q = a / b;
        return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
    }

    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

internal struct FloorModOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;

    public double D(double a, double b)
    {
        double r = a % b; // C# % on doubles is C fmod (truncated remainder)
        return r != 0 && (b < 0) != (r < 0) ? r + b : r;
    }

    public float F(float a, float b)
    {
        float r = a % b;
        return r != 0 && (b < 0) != (r < 0) ? r + b : r;
    }

    public int I(int a, int b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException("Integer division by zero.");
        }

        if (b == -1)
        {
            return 0;
        }

        int r = a % b;
        return r != 0 && (b < 0) != (r < 0) ? r + b : r;
    }

    public long L(long a, long b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException("Integer division by zero.");
        }

        if (b == -1)
        {
            return 0;
        }

        long r = a % b;
        return r != 0 && (b < 0) != (r < 0) ? r + b : r;
    }

    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>Maximum/Minimum propagate NaN (TensorFlow's PropagateNaN), so they are not vectorised.</summary>
internal struct MaximumOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a > b ? a : b;
    public float F(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a > b ? a : b;
    public int I(int a, int b) => a > b ? a : b;
    public long L(long a, long b) => a > b ? a : b;
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

internal struct MinimumOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a < b ? a : b;
    public float F(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a < b ? a : b;
    public int I(int a, int b) => a < b ? a : b;
    public long L(long a, long b) => a < b ? a : b;
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

internal struct PowOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => Math.Pow(a, b);
    public float F(float a, float b) => (float)Math.Pow(a, b);
    public int I(int a, int b) => (int)L(a, b);

    public long L(long a, long b)
    {
        if (b < 0)
        {
            throw new ArgumentException("Integers to negative integer powers are not allowed.");
        }

        long result = 1, x = a;
        while (b > 0)
        {
            if ((b & 1) != 0)
            {
                result = unchecked(result * x);
            }

            x = unchecked(x * x);
            b >>= 1;
        }

        return result;
    }

    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

internal struct SquaredDifferenceOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => true;
    public double D(double a, double b) => (a - b) * (a - b);
    public float F(float a, float b) => (a - b) * (a - b);
    public int I(int a, int b) => unchecked((a - b) * (a - b));
    public long L(long a, long b) => unchecked((a - b) * (a - b));
    public Vector<double> VD(Vector<double> a, Vector<double> b) => (a - b) * (a - b);
    public Vector<float> VF(Vector<float> a, Vector<float> b) => (a - b) * (a - b);
}

/// <summary>TanhGrad(y, dy) = dy·(1 − y²), y the Tanh output (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).</summary>
internal struct TanhGradOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => false;
    public double D(double y, double dy) => dy * (1 - (y * y));
    public float F(float y, float dy) => dy * (1 - (y * y));
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> y, Vector<double> dy) => dy * (Vector<double>.One - (y * y));
    public Vector<float> VF(Vector<float> y, Vector<float> dy) => dy * (Vector<float>.One - (y * y));
}

/// <summary>SigmoidGrad(y, dy) = dy·y·(1 − y).</summary>
internal struct SigmoidGradOp : IBinaryOp
{
    public bool Vectorizable => true;
    public bool SupportsIntegers => false;
    public double D(double y, double dy) => dy * y * (1 - y);
    public float F(float y, float dy) => dy * y * (1 - y);
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> y, Vector<double> dy) => dy * y * (Vector<double>.One - y);
    public Vector<float> VF(Vector<float> y, Vector<float> dy) => dy * y * (Vector<float>.One - y);
}

/// <summary>ReluGrad(gradients, features) = gradients where features &gt; 0, else 0.</summary>
internal struct ReluGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double g, double f) => f > 0 ? g : 0.0;
    public float F(float g, float f) => f > 0 ? g : 0f;
    public int I(int g, int f) => f > 0 ? g : 0;
    public long L(long g, long f) => f > 0 ? g : 0;
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>Relu6Grad(gradients, features) = gradients where 0 &lt; features &lt; 6, else 0.</summary>
internal struct Relu6GradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => true;
    public double D(double g, double f) => f > 0 && f < 6 ? g : 0.0;
    public float F(float g, float f) => f > 0 && f < 6 ? g : 0f;
    public int I(int g, int f) => f > 0 && f < 6 ? g : 0;
    public long L(long g, long f) => f > 0 && f < 6 ? g : 0;
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>SoftplusGrad(gradients, features) = gradients / (exp(−features) + 1).</summary>
internal struct SoftplusGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => false;
    public double D(double g, double f) => g / (Math.Exp(-f) + 1);
    public float F(float g, float f) => g / ((float)Math.Exp(-f) + 1f);
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>SqrtGrad(y, dy) = dy·0.5/y.</summary>
internal struct SqrtGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => false;
    public double D(double y, double dy) => dy * 0.5 / y;
    public float F(float y, float dy) => dy * 0.5f / y;
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>RsqrtGrad(y, dy) = dy·(−0.5)·y³.</summary>
internal struct RsqrtGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => false;
    public double D(double y, double dy) => y * y * y * -0.5 * dy;
    public float F(float y, float dy) => y * y * y * -0.5f * dy;
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>ReciprocalGrad(y, dy) = −dy·y².</summary>
internal struct ReciprocalGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => false;
    public double D(double y, double dy) => -dy * y * y;
    public float F(float y, float dy) => -dy * y * y;
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>deepmd-kit's GeluGradCustom(dy, x) = dy·gelu′(x) (docs/tables.md#embedding-nets, functype 2).</summary>
internal struct GeluGradOp : IBinaryOp
{
    public bool Vectorizable => false;
    public bool SupportsIntegers => false;
    public double D(double dy, double x) => dy * Gelu.Derivative(x);
    public float F(float dy, float x) => dy * (float)Gelu.Derivative(x);
    public int I(int a, int b) => throw new NotSupportedException();
    public long L(long a, long b) => throw new NotSupportedException();
    public Vector<double> VD(Vector<double> a, Vector<double> b) => throw new NotSupportedException();
    public Vector<float> VF(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

internal struct GreaterOp : ICompareOp
{
    public bool SupportsBool => false;
    public bool D(double a, double b) => a > b;
    public bool F(float a, float b) => a > b;
    public bool I(int a, int b) => a > b;
    public bool L(long a, long b) => a > b;
    public bool B(bool a, bool b) => throw new NotSupportedException();
}

internal struct GreaterEqualOp : ICompareOp
{
    public bool SupportsBool => false;
    public bool D(double a, double b) => a >= b;
    public bool F(float a, float b) => a >= b;
    public bool I(int a, int b) => a >= b;
    public bool L(long a, long b) => a >= b;
    public bool B(bool a, bool b) => throw new NotSupportedException();
}

internal struct LessOp : ICompareOp
{
    public bool SupportsBool => false;
    public bool D(double a, double b) => a < b;
    public bool F(float a, float b) => a < b;
    public bool I(int a, int b) => a < b;
    public bool L(long a, long b) => a < b;
    public bool B(bool a, bool b) => throw new NotSupportedException();
}

internal struct LessEqualOp : ICompareOp
{
    public bool SupportsBool => false;
    public bool D(double a, double b) => a <= b;
    public bool F(float a, float b) => a <= b;
    public bool I(int a, int b) => a <= b;
    public bool L(long a, long b) => a <= b;
    public bool B(bool a, bool b) => throw new NotSupportedException();
}

internal struct EqualOp : ICompareOp
{
    public bool SupportsBool => true;
    public bool D(double a, double b) => a == b;
    public bool F(float a, float b) => a == b;
    public bool I(int a, int b) => a == b;
    public bool L(long a, long b) => a == b;
    public bool B(bool a, bool b) => a == b;
}

internal struct NotEqualOp : ICompareOp
{
    public bool SupportsBool => true;
    public bool D(double a, double b) => a != b;
    public bool F(float a, float b) => a != b;
    public bool I(int a, int b) => a != b;
    public bool L(long a, long b) => a != b;
    public bool B(bool a, bool b) => a != b;
}

internal struct LogicalAndOp : ICompareOp
{
    public bool SupportsBool => true;
    public bool D(double a, double b) => throw new NotSupportedException();
    public bool F(float a, float b) => throw new NotSupportedException();
    public bool I(int a, int b) => throw new NotSupportedException();
    public bool L(long a, long b) => throw new NotSupportedException();
    public bool B(bool a, bool b) => a && b;
}

internal struct LogicalOrOp : ICompareOp
{
    public bool SupportsBool => true;
    public bool D(double a, double b) => throw new NotSupportedException();
    public bool F(float a, float b) => throw new NotSupportedException();
    public bool I(int a, int b) => throw new NotSupportedException();
    public bool L(long a, long b) => throw new NotSupportedException();
    public bool B(bool a, bool b) => a || b;
}

internal struct NegOp : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => -x;
    public float F(float x) => -x;
    public int I(int x) => unchecked(-x);
    public long L(long x) => unchecked(-x);
}

internal struct AbsOp : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => Math.Abs(x);
    public float F(float x) => Math.Abs(x);
    public int I(int x) => x < 0 ? unchecked(-x) : x;
    public long L(long x) => x < 0 ? unchecked(-x) : x;
}

internal struct SignOp : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => double.IsNaN(x) ? x : Math.Sign(x);
    public float F(float x) => float.IsNaN(x) ? x : Math.Sign(x);
    public int I(int x) => Math.Sign(x);
    public long L(long x) => Math.Sign(x);
}

internal struct SquareOp : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => x * x;
    public float F(float x) => x * x;
    public int I(int x) => unchecked(x * x);
    public long L(long x) => unchecked(x * x);
}

internal struct SqrtOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Math.Sqrt(x);
    public float F(float x) => (float)Math.Sqrt(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct RsqrtOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => 1.0 / Math.Sqrt(x);
    public float F(float x) => 1f / (float)Math.Sqrt(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct ReciprocalOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => 1.0 / x;
    public float F(float x) => 1f / x;
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct ExpOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Math.Exp(x);
    public float F(float x) => (float)Math.Exp(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct LogOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Math.Log(x);
    public float F(float x) => (float)Math.Log(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct Log1pOp : IUnaryOp
{
    public bool SupportsIntegers => false;

    // log(1 + x) without cancellation: the classic correction (1 + x rounds to u; log(u)·x/(u − 1)).
    public double D(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    public float F(float x) => (float)D(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct FloorOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Math.Floor(x);
    public float F(float x) => (float)Math.Floor(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct CeilOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Math.Ceiling(x);
    public float F(float x) => (float)Math.Ceiling(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

/// <summary>Sigmoid = 1/(1 + exp(−x)), Eigen's scalar_logistic_op.</summary>
internal struct SigmoidOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => 1.0 / (1.0 + Math.Exp(-x));
    public float F(float x) => 1f / (1f + (float)Math.Exp(-x));
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct ReluOp : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => x > 0 ? x : 0.0;
    public float F(float x) => x > 0 ? x : 0f;
    public int I(int x) => x > 0 ? x : 0;
    public long L(long x) => x > 0 ? x : 0;
}

internal struct Relu6Op : IUnaryOp
{
    public bool SupportsIntegers => true;
    public double D(double x) => x > 0 ? (x < 6 ? x : 6.0) : 0.0;
    public float F(float x) => x > 0 ? (x < 6 ? x : 6f) : 0f;
    public int I(int x) => x > 0 ? (x < 6 ? x : 6) : 0;
    public long L(long x) => x > 0 ? (x < 6 ? x : 6) : 0;
}

/// <summary>
/// TensorFlow's Softplus: x above −threshold, exp(x) below threshold, else log(exp(x) + 1), with
/// threshold = log(machine epsilon) + 2 of the dtype.
/// </summary>
internal struct SoftplusOp : IUnaryOp
{
    private static readonly double ThresholdD = Math.Log(Math.Pow(2, -52)) + 2;
    private static readonly float ThresholdF = (float)(Math.Log(Math.Pow(2, -23)) + 2);

    public bool SupportsIntegers => false;

    public double D(double x)
    {
        double e = Math.Exp(x);
        return x > -ThresholdD ? x : x < ThresholdD ? e : Math.Log(e + 1);
    }

    public float F(float x)
    {
        float e = (float)Math.Exp(x);
        return x > -ThresholdF ? x : x < ThresholdF ? e : (float)Math.Log(e + 1f);
    }

    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

internal struct ErfOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => SpecialFunctions.Erf(x);
    public float F(float x) => (float)SpecialFunctions.Erf(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

/// <summary>deepmd-kit's GeluCustom (tanh approximation, docs/tables.md#embedding-nets).</summary>
internal struct GeluOp : IUnaryOp
{
    public bool SupportsIntegers => false;
    public double D(double x) => Gelu.Value(x);
    public float F(float x) => (float)Gelu.Value(x);
    public int I(int x) => throw new NotSupportedException();
    public long L(long x) => throw new NotSupportedException();
}

/// <summary>
/// The tanh-approximated gelu of deepmd-kit and its first two derivatives (docs/tables.md#embedding-nets). Written
/// apart from Embedding.Activation on purpose: the evaluator checks the tables built from that code, so it must not share it.
/// </summary>
internal static class Gelu
{
    /// <summary>√(2/π) as deepmd-kit spells it (SQRT_2_PI).</summary>
    public const double C = 0.7978845608028654;

    /// <summary>GGELU.</summary>
    public const double A = 0.044715;

    public static double Value(double x) => x * 0.5 * (1.0 + Math.Tanh(C * (x + (A * x * x * x))));

    public static double Derivative(double x)
    {
        double v = Math.Tanh(C * (x + (A * x * x * x)));
        return (0.5 * C * x * (1.0 - (v * v)) * ((3 * A * x * x) + 1.0)) + (0.5 * v) + 0.5;
    }

    public static double SecondDerivative(double x)
    {
        double v = Math.Tanh(C * (x + (A * x * x * x)));
        double q = C * (1.0 - (v * v)) * ((3 * A * x * x) + 1.0);
        return (3 * A * C * x * x * (1.0 - (v * v))) - (C * x * q * ((3 * A * x * x) + 1.0) * v) + q;
    }
}

internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>
    /// erf(x) from the everywhere-convergent series with positive terms,
    /// erf(x) = 2/√π · exp(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)); |x| ≥ 6 rounds to ±1 in double.
    /// Relative error ~1e-15.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax >= 6.0)
        {
            return x > 0 ? 1.0 : -1.0;
        }

        double x2 = ax * ax;
        double term = ax, sum = ax;
        for (int n = 1; n < 500; n++)
        {
            term *= 2.0 * x2 / ((2 * n) + 1);
            sum += term;
            if (term < sum * 1e-17)
            {
                break;
            }
        }

        double r = TwoOverSqrtPi * Math.Exp(-x2) * sum;
        r = Math.Min(r, 1.0);
        return x < 0 ? -r : r;
    }
}
