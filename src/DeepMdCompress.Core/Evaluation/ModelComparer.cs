using System;
using System.Collections.Generic;
using System.Threading;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Evaluates two models on the same frames with the evaluator and reports how far the second is from the
/// first: energy (total and per atom), forces and total virial, each as max and RMS absolute error.
/// </summary>
public static class ModelComparer
{
    public static ModelComparison Compare(FrozenModel reference, FrozenModel difference, EvaluationFrames frames, double tolerance,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Compare(reference, difference, frames, new ComparisonTolerance(tolerance), progress, cancellationToken);

    public static ModelComparison Compare(FrozenModel reference, FrozenModel difference, EvaluationFrames frames, ComparisonTolerance tolerance,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        (tolerance ?? throw new ArgumentNullException(nameof(tolerance))).Validate();

        if (reference.ModelType is not (null or "ener") || difference.ModelType is not (null or "ener"))
        {
            throw new UnsupportedModelException(ErrorIds.NotAnEnergyModel, "Compare-FrozenModel compares energy models (model_type ener).");
        }

        var referenceEvaluator = new DeepPotEvaluator(reference);
        var differenceEvaluator = new DeepPotEvaluator(difference);
        // Progress counts frames of both models, each half of the work: the bar reaches its end when both are done.
        int total = frames.Frames;
        var a = Evaluate(referenceEvaluator, frames, progress is null ? null : new CallbackProgress<int>(k => progress.Report(k / 2)), cancellationToken);
        var b = Evaluate(differenceEvaluator, frames, progress is null ? null : new CallbackProgress<int>(k => progress.Report((total + k) / 2)), cancellationToken);
        int natoms = frames.AtomTypes.Length;
        var e = new ErrorAccumulator();
        var ePerAtom = new ErrorAccumulator();
        var f = new ErrorAccumulator();
        var v = new ErrorAccumulator();
        var ae = new ErrorAccumulator();
        for (int k = 0; k < a.Count; k++)
        {
            double de = b[k].Energy - a[k].Energy;
            e.Add(de);
            ePerAtom.Add(natoms > 0 ? de / natoms : 0);
            f.Add(a[k].Force!, b[k].Force!);
            v.Add(a[k].Virial!, b[k].Virial!);
            ae.Add(a[k].AtomEnergy!, b[k].AtomEnergy!);
        }

        // Where the compressed model's tables were read (the first compressed one of the two).
        var compressed = difference.IsCompressed ? differenceEvaluator : reference.IsCompressed ? referenceEvaluator : null;
        var usage = compressed is null ? Array.Empty<TableUsage>() : TableUsageMeter.Measure(compressed, frames, cancellationToken);
        return new ModelComparison(a.Count, natoms, e, ePerAtom, f, v, ae, tolerance, reference.Path, difference.Path) { TableUsage = usage };
    }

    private static IReadOnlyList<ModelOutput> Evaluate(DeepPotEvaluator evaluator, EvaluationFrames frames, IProgress<int>? progress, CancellationToken ct) =>
        evaluator.Evaluate(frames.Coordinates, frames.AtomTypes, frames.Box, frames.FrameParameters, frames.AtomParameters,
            frames.Frames, progress, ct);

    internal sealed class ErrorAccumulator
    {
        private double _sumSquares;
        private long _count;

        public double Max { get; private set; }

        public double Rms => _count == 0 ? 0 : Math.Sqrt(_sumSquares / _count);

        public void Add(double difference)
        {
            double d = Math.Abs(difference);
            // NaN must fail a comparison, never vanish in Math.Max.
            Max = double.IsNaN(d) || double.IsNaN(Max) ? double.NaN : Math.Max(Max, d);
            _sumSquares += d * d;
            _count++;
        }

        public void Add(double[] expected, double[] actual)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                Add(actual[i] - expected[i]);
            }
        }
    }
}
