using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tests.Sample;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Numerical proof of generated graphs without the project's evaluator: the graph (run from o_rmat on by a
/// small test interpreter) must give deepmd-kit's formula's atomic energies, and its frozen gradient subgraph
/// (net_deriv, the input of ProdForce) must be the derivative of the energy, checked by finite differences.
/// </summary>
public class SampleModelNumericsTests
{
    public static IEnumerable<object[]> Configurations()
    {
        foreach (string d in new[] { "se_e2_a", "se_e2_r", "se_e3" })
        {
            foreach (string act in SampleModelOptions.Activations)
            {
                foreach (string variant in d == "se_e3" ? new[] { "plain" } : new[] { "plain", "one_side", "exclude", "one_side_exclude", "centre_all_excluded" })
                {
                    yield return new object[] { d, act, variant };
                }
            }
        }
    }

    private static SampleModelOptions Options(string descriptor, string activation, string variant, string precision = "float64") => variant switch
    {
        "one_side" => SampleHarness.Small(descriptor, activation, precision, typeOneSide: true),
        "exclude" => SampleHarness.Small(descriptor, activation, precision, false, new[] { 0, 1 }),
        "one_side_exclude" => SampleHarness.Small(descriptor, activation, precision, true, new[] { 1, 1 }),
        "centre_all_excluded" => SampleHarness.Small(descriptor, activation, precision, false, new[] { 0, 0 }, new[] { 1, 0 }),
        _ => SampleHarness.Small(descriptor, activation, precision),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EnergyMatchesDeepmdFormulaAndNetDerivIsItsGradient(string descriptor, string activation, string variant)
    {
        var o = Options(descriptor, activation, variant);
        var graph = SampleModelGenerator.Generate(o);
        var reference = new DeepmdReference(graph, o);
        int nd = reference.NDescrpt;
        var rmat = SampleHarness.RandomRmat(nd, o.Sel.Sum(), 11);

        var (atomE, energy, netDeriv) = SampleHarness.Run(graph, rmat, nd);
        var expected = reference.AtomEnergies(rmat, SampleHarness.Counts, SampleHarness.Frames);
        Assert.Equal(expected.Length, atomE.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - atomE[i]) < 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"atom {i}: graph {atomE[i]} formula {expected[i]}");
        }

        // o_energy sums each frame's atomic energies.
        int nloc = SampleHarness.Counts.Sum();
        for (int f = 0; f < SampleHarness.Frames; f++)
        {
            Assert.Equal(atomE.Skip(f * nloc).Take(nloc).Sum(), energy[f], 12);
        }

        // Energies are O(1) per atom and differ from atom to atom; the nets are neither dead nor constant.
        Assert.InRange(atomE.Average(Math.Abs), 0.05, 20);
        Assert.True(atomE.Max() - atomE.Min() > 1e-3, "every atom has the same energy");
        Assert.Contains(netDeriv, g => Math.Abs(g) > 1e-6);

        // net_deriv = d(sum of atomic energies)/d(o_rmat), by central differences on a sample of entries.
        var rng = new Random(5);
        const double h = 1e-5;
        int checkedEntries = 0;
        for (int trial = 0; trial < 24; trial++)
        {
            int k = rng.Next(rmat.Length);
            var plus = (double[])rmat.Clone();
            var minus = (double[])rmat.Clone();
            plus[k] += h;
            minus[k] -= h;
            double fd = (SampleHarness.AtomEnergies(graph, plus, nd).Sum() - SampleHarness.AtomEnergies(graph, minus, nd).Sum()) / (2 * h);
            Assert.True(Math.Abs(fd - netDeriv[k]) < 1e-7 + (1e-6 * Math.Abs(fd)), $"entry {k}: net_deriv {netDeriv[k]}, finite difference {fd}");
            checkedEntries++;
        }

        Assert.Equal(24, checkedEntries);
    }

    [Theory]
    [InlineData("se_e2_a", "tanh", "plain")]
    [InlineData("se_e2_a", "gelu_tf", "one_side_exclude")]
    [InlineData("se_e2_r", "softplus", "exclude")]
    [InlineData("se_e3", "sigmoid", "plain")]
    public void Float32ModelAgreesWithItsFloat64Twin(string descriptor, string activation, string variant)
    {
        // Same seed, same variable names: the float32 weights are the float64 ones rounded.
        var o32 = Options(descriptor, activation, variant, "float32");
        var o64 = Options(descriptor, activation, variant, "float64");
        var g32 = SampleModelGenerator.Generate(o32);
        var g64 = SampleModelGenerator.Generate(o64);
        var nd = new DeepmdReference(g64, o64).NDescrpt;
        var rmat = SampleHarness.RandomRmat(nd, o64.Sel.Sum(), 3);
        var (e32, _, d32) = SampleHarness.Run(g32, rmat, nd);
        var (e64, _, d64) = SampleHarness.Run(g64, rmat, nd);
        for (int i = 0; i < e64.Length; i++)
        {
            Assert.True(Math.Abs(e32[i] - e64[i]) < 1e-4 * Math.Max(1, Math.Abs(e64[i])), $"atom {i}: float32 {e32[i]} float64 {e64[i]}");
        }

        double scale = d64.Max(Math.Abs);
        for (int i = 0; i < d64.Length; i++)
        {
            Assert.True(Math.Abs(d32[i] - d64[i]) < 1e-3 * scale, $"net_deriv {i}: float32 {d32[i]} float64 {d64[i]}");
        }

        // And the float32 graph really computes in float32 (its values differ from the float64 twin).
        Assert.NotEqual(e64, e32);
    }
}
