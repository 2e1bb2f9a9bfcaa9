using DeepMdCompress.Core.Evaluation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>Runs a model on a corpus case with our evaluator and compares its outputs with deepmd-kit's, quantity by quantity.</summary>
public static class CorpusEvaluation
{
    /// <summary>Our evaluator's outputs of <paramref name="model"/> on <paramref name="caseName"/>, named as in expected.json.</summary>
    public static IReadOnlyDictionary<string, double[]> Evaluate(FrozenModel model, CorpusModel corpus, string caseName,
        OpRegistry? registry = null, int? threads = null)
    {
        var frame = RealCorpus.Case(caseName);
        // deepmd-kit 3.x returns dipole/polar atomic tensors for every atom, 2.2 for the selected ones.
        var evaluator = new DeepPotEvaluator(model, registry) { AtomTensorLayout = corpus.IsV3 ? AtomTensorLayout.AllAtoms : AtomTensorLayout.SelectedAtoms };
        if (threads is int t)
        {
            evaluator.MaxDegreeOfParallelism = t;
        }

        var output = evaluator.Evaluate(frame.Coordinates, frame.AtomTypes, frame.Box, corpus.FrameParameters, corpus.AtomParametersPerAtom).Single();
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        void Put(string name, double[]? values)
        {
            if (values is not null)
            {
                result[name] = values;
            }
        }

        if (output.ModelType == "ener")
        {
            Put("energy", new[] { output.Energy });
            Put("force", output.Force);
            Put("virial", output.Virial);
            Put("atom_energy", output.AtomEnergy);
            Put("atom_virial", output.AtomVirial);
        }
        else
        {
            Put("tensor", output.Tensor);
            Put("atom_tensor", output.AtomTensor);
        }

        return result;
    }

    /// <summary>
    /// Asserts every quantity deepmd-kit reports is within <paramref name="tolerance"/> (per quantity, from its reference
    /// values) and prints the largest error of each.
    /// </summary>
    public static void AssertClose(IReadOnlyDictionary<string, double[]> expected, IReadOnlyDictionary<string, double[]> actual,
        Func<string, double[], double> tolerance, ITestOutputHelper output, string label)
    {
        var failures = new List<string>();
        foreach (var (quantity, reference) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Assert.True(actual.ContainsKey(quantity), $"{label}: our evaluator gives no {quantity}.");
            var ours = actual[quantity];
            if (ours.Length != reference.Length)
            {
                failures.Add($"{quantity}: {ours.Length} values, deepmd-kit {reference.Length}");
                continue;
            }

            double err = RealCorpus.MaxAbsDiff(ours, reference), tol = tolerance(quantity, reference);
            output.WriteLine($"{label} {quantity}: max |Δ| {err:G3} (tolerance {tol:G3})");
            if (!(err <= tol))
            {
                failures.Add($"{quantity}: max |Δ| {err:G3} > {tol:G3}");
            }
        }

        Assert.True(failures.Count == 0, $"{label}: " + string.Join("; ", failures));
    }
}
