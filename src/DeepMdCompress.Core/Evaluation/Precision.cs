using System;
using System.Runtime.CompilerServices;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// The floating-point type T of an op, for every evaluator kernel that is written once on doubles (docs/evaluator.md).
/// Kernels carry values in double and call <see cref="R"/> after every arithmetic step: identity for T = double,
/// rounding to float for T = float. Because double carries more than twice float's precision, rounding each double
/// result of +, −, ×, ÷ or sqrt to float gives exactly float arithmetic, so a float graph runs as TensorFlow runs it.
/// </summary>
internal interface IRounding
{
    /// <summary>Rounds an intermediate to T.</summary>
    double R(double value);

    /// <summary>C's nextafter(x, toward) in T.</summary>
    double NextAfter(double x, double toward);
}

/// <summary><see cref="IRounding"/> with loads and stores of T, for kernels that read and write T spans.</summary>
internal interface IPrecision<T> : IRounding
    where T : unmanaged
{
    double Load(T value);

    T Store(double value);
}

/// <summary>T = double.</summary>
internal readonly struct F64 : IPrecision<double>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Load(double value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Store(double value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double R(double value) => value;

    public double NextAfter(double x, double toward)
    {
        if (double.IsNaN(x) || double.IsNaN(toward))
        {
            return double.NaN;
        }

        if (x == toward)
        {
            return toward;
        }

        if (x == 0)
        {
            return toward > 0 ? double.Epsilon : -double.Epsilon;
        }

        long bits = BitConverter.DoubleToInt64Bits(x);
        bits += (x < toward) == (x > 0) ? 1 : -1;
        return BitConverter.Int64BitsToDouble(bits);
    }
}

/// <summary>T = float.</summary>
internal readonly struct F32 : IPrecision<float>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Load(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Store(double value) => (float)value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double R(double value) => (float)value;

    public unsafe double NextAfter(double x, double toward)
    {
        float f = (float)x, to = (float)toward;
        if (float.IsNaN(f) || float.IsNaN(to))
        {
            return double.NaN;
        }

        if (f == to)
        {
            return to;
        }

        if (f == 0)
        {
            return to > 0 ? float.Epsilon : -float.Epsilon;
        }

        int bits = *(int*)&f;
        bits += (f < to) == (f > 0) ? 1 : -1;
        return *(float*)&bits;
    }
}
