using System.Collections.Generic;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress;

/// <summary>
/// How far DifferenceModel is from ReferenceModel on the same frames (absolute errors). Passed: the max
/// errors of total energy, every force component and every total-virial component are all within Tolerance —
/// the element-wise rule deepmd-kit's own compression tests use.
/// </summary>
public sealed class ModelComparison
{
    internal ModelComparison(int frames, int atoms, ModelComparer.ErrorAccumulator energy, ModelComparer.ErrorAccumulator energyPerAtom,
        ModelComparer.ErrorAccumulator force, ModelComparer.ErrorAccumulator virial, ModelComparer.ErrorAccumulator atomEnergy,
        ComparisonTolerance tolerance, string? reference, string? difference)
    {
        Frames = frames;
        Atoms = atoms;
        MaxEnergyError = energy.Max;
        RmsEnergyError = energy.Rms;
        MaxEnergyErrorPerAtom = energyPerAtom.Max;
        MaxForceError = force.Max;
        RmsForceError = force.Rms;
        MaxVirialError = virial.Max;
        RmsVirialError = virial.Rms;
        MaxAtomEnergyError = atomEnergy.Max;
        Tolerance = tolerance;
        Reference = reference;
        Difference = difference;
        var failed = new List<string>();
        if (!(MaxEnergyError <= tolerance.Energy))
        {
            failed.Add("Energy");
        }

        if (!(MaxForceError <= tolerance.Force))
        {
            failed.Add("Force");
        }

        if (!(MaxVirialError <= tolerance.Virial))
        {
            failed.Add("Virial");
        }

        Failed = failed;
        Passed = failed.Count == 0;
    }

    public string? Reference { get; }

    public string? Difference { get; }

    public int Frames { get; }

    public int Atoms { get; }

    public double MaxEnergyError { get; }

    public double MaxEnergyErrorPerAtom { get; }

    public double RmsEnergyError { get; }

    public double MaxForceError { get; }

    public double RmsForceError { get; }

    public double MaxVirialError { get; }

    public double RmsVirialError { get; }

    public double MaxAtomEnergyError { get; }

    /// <summary>The tolerance of each quantity (Energy, Force, Virial).</summary>
    public ComparisonTolerance Tolerance { get; }

    /// <summary>The quantities whose largest error exceeds their tolerance ("Energy", "Force", "Virial"); empty when Passed.</summary>
    public IReadOnlyList<string> Failed { get; }

    public bool Passed { get; }

    /// <summary>
    /// For a compressed model among the two: where its tables' inputs fell on these frames, per TabulateFusion op;
    /// inputs in a coarse part or beyond max mean the frames hold neighbours closer than the training data did.
    /// </summary>
    public IReadOnlyList<TableUsage> TableUsage { get; init; } = System.Array.Empty<TableUsage>();

    /// <summary>One line a test failure can carry: the verdict and, per quantity, the error against its tolerance.</summary>
    public override string ToString()
    {
        string Quantity(string name, double error, double tolerance) =>
            $"{name} {ComparisonTolerance.Format(error)} {(error <= tolerance ? "≤" : ">")} {ComparisonTolerance.Format(tolerance)}";
        string verdict = Passed ? "Passed" : "Failed (" + string.Join(", ", Failed) + ")";
        return $"{verdict}: max |Δ| {Quantity("energy", MaxEnergyError, Tolerance.Energy)}, {Quantity("force", MaxForceError, Tolerance.Force)}, "
            + $"{Quantity("virial", MaxVirialError, Tolerance.Virial)} over {Frames} frame(s) of {Atoms} atoms";
    }
}
