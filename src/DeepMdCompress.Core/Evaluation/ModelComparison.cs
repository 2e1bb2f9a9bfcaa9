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
        double tolerance, string? reference, string? difference)
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
        Passed = MaxEnergyError <= tolerance && MaxForceError <= tolerance && MaxVirialError <= tolerance;
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

    public double Tolerance { get; }

    public bool Passed { get; }
}
