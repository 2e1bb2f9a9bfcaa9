using System;
using System.Globalization;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress;

/// <summary>
/// The largest absolute error Compare-FrozenModel accepts, per quantity: total energy, any force component, any total
/// virial component. A single number applies to all three; a hashtable (@{ Energy = 1e-8; Virial = 1e-6 }) sets some,
/// the others keep the default 1e-6.
/// </summary>
public sealed class ComparisonTolerance
{
    public const double Default = 1e-6;

    public ComparisonTolerance()
    {
    }

    /// <summary>The same tolerance for energy, force and virial.</summary>
    public ComparisonTolerance(double all)
    {
        Energy = Force = Virial = all;
    }

    public double Energy { get; set; } = Default;

    public double Force { get; set; } = Default;

    public double Virial { get; set; } = Default;

    /// <summary>Refuses a negative, NaN or infinite tolerance.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("Energy", Energy), ("Force", Force), ("Virial", Virial) })
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new InvalidParameterException(ErrorIds.InvalidTolerance,
                    $"The {name.ToLowerInvariant()} tolerance must be a finite number ≥ 0, got {value.ToString("R", CultureInfo.InvariantCulture)}.");
            }
        }
    }

    public override string ToString() => Energy == Force && Force == Virial
        ? Format(Energy)
        : $"energy {Format(Energy)}, force {Format(Force)}, virial {Format(Virial)}";

    internal static string Format(double x) => x.ToString("0.00E+00", CultureInfo.InvariantCulture);
}
