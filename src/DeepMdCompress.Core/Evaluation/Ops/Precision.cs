namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// The floating-point type T of a deepmd-kit kernel. Kernels are written once on doubles and call
/// <see cref="R"/> after every arithmetic step: identity for T = double, rounding to float for T = float.
/// Because double carries more than twice float's precision, rounding each double result of +, −, ×, ÷ or
/// sqrt to float gives exactly float arithmetic, so a float graph runs in float32 as TensorFlow would.
/// </summary>
internal interface IPrecision
{
    double R(double x);
}

internal struct DoublePrecision : IPrecision
{
    public double R(double x) => x;
}

internal struct SinglePrecision : IPrecision
{
    public double R(double x) => (float)x;
}
