using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Sample;
using DeepMdCompress.Core.Tests.Sample;
using DeepMdCompress.Core.Validation;
using Xunit;
using Xunit.Abstractions;
using static DeepMdCompress.Core.Tests.EvaluatorTestData;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Proof that generated models are right, for every configuration the generator offers, under the project's
/// evaluator on the water frames: the atomic energies are deepmd-kit's formula evaluated independently of the graph
/// (<see cref="DeepmdReference"/>, from the graph's own o_rmat), the forces are −dE/dx and the virial −dE/dε by
/// finite differences (five-point stencil, h = 1e-5 Å and 1e-5 strain, relative 1e-6 of the force and virial scale;
/// where a relu kink lies inside the stencil, <see cref="FiniteDifferences.Gradient"/> shrinks it until the kink is
/// outside), and a float32 model agrees with its float64 twin.
/// </summary>
public class SampleModelNumericsTests
{
    private readonly ITestOutputHelper _out;

    public SampleModelNumericsTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// Finite-difference step (Å, and strain): the frames put an O–H pair at 0.905 Å, where se_e3's input
    /// x·x/(r⁴σ²) ≈ 190 varies fast; at 1e-4 the five-point truncation error of a gelu model reaches 5e-6 of the force
    /// scale, at 1e-5 it is below 1e-9 and round-off ~3e-10.
    /// </summary>
    private const double Step = 1e-5;

    /// <summary>descriptor × type_one_side/exclude_types variant × activation; each test makes the precisions it needs.</summary>
    public static IEnumerable<object[]> Configurations() =>
        SampleHarness.Matrix("float64").Select(c => new object[] { c.Descriptor, c.Variant, c.Activation });

    [Fact]
    public void FramesStayAboveMinNborDistAndNoNeighbourIsCutOff()
    {
        var o = SampleHarness.Tiny("se_e2_a", "plain", "tanh", "float64");
        var ev = new DeepPotEvaluator(SampleModelGenerator.Create(o));
        foreach (var set in WaterFrames.All())
        {
            int natoms = set.Types.Length;
            for (int f = 0; f < set.Frames; f++)
            {
                var coord = set.Coord[(3 * f * natoms)..(3 * (f + 1) * natoms)];
                var box = set.Box?[(9 * f)..(9 * (f + 1))];
                double closest = Math.Sqrt(MinNborDist.Frame(coord, set.Types, box).DistanceSquared);
                _out.WriteLine($"{set.Name} frame {f}: closest pair {closest:F4} Å");
                Assert.True(closest >= WaterFrames.MinNborDist, $"{set.Name} frame {f}: a pair is closer than min_nbor_dist");
                if (f == 0)
                {
                    Assert.True(closest < WaterFrames.MinNborDist + 0.01, $"{set.Name}: no pair comes close to min_nbor_dist");
                }

                // Per atom and neighbour type: at least one neighbour in all, and fewer than sel (none dropped).
                var nlist = (int[])ev.EvaluateNodes(coord, set.Types, box, null, null, new[] { "o_nlist" }).Single().Values;
                int nnei = o.Sel.Sum();
                for (int i = 0; i < natoms; i++)
                {
                    Assert.Contains(nlist.Skip(i * nnei).Take(nnei), j => j >= 0);
                    for (int t = 0, start = 0; t < o.Sel.Count; start += o.Sel[t], t++)
                    {
                        Assert.True(nlist[(i * nnei) + start + o.Sel[t] - 1] < 0, $"{set.Name} frame {f}: atom {i} fills all {o.Sel[t]} slots of type {t}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EnergyIsDeepmdKitsFormulaAndForcesAndVirialAreItsDerivatives(string descriptor, string variant, string activation)
    {
        var o = SampleHarness.Tiny(descriptor, variant, activation, "float64");
        var graph = SampleModelGenerator.Generate(o);
        Assert.Empty(GraphValidator.FindProblems(graph));
        var ev = new DeepPotEvaluator(FrozenModelReader.FromGraph(graph, null, GraphFormat.Binary));
        var reference = new DeepmdReference(graph, o);
        foreach (var set in WaterFrames.All())
        {
            // Atomic energies (type-sorted) against the formula, on the graph's own environment matrix.
            var nodes = ev.EvaluateNodes(set.Coord, set.Types, set.Box, null, null, new[] { "o_rmat", "o_atom_energy" });
            var counts = Enumerable.Range(0, o.NTypes).Select(t => set.Types.Count(x => x == t)).ToArray();
            var expected = reference.AtomEnergies((double[])nodes[0].Values, counts, set.Frames);
            var atomEnergy = (double[])nodes[1].Values;
            Assert.Equal(expected.Length, atomEnergy.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - atomEnergy[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"{set.Name} atom {i}: graph {atomEnergy[i]:R}, formula {expected[i]:R}");
            }

            var outputs = ev.Evaluate(set.Coord, set.Types, set.Box);
            Assert.Equal(atomEnergy.Take(set.Types.Length).Sum(), outputs[0].Energy, 12);
            Assert.True(atomEnergy.Max() - atomEnergy.Min() > 1e-3, "every atom has the same energy");

            // Forces and virial of the first frame against finite differences of the energy.
            var r = outputs[0];
            double fScale = Math.Max(MaxAbs(r.Force!), 1e-3);
            double vScale = Math.Max(MaxAbs(r.Virial!), 1e-3);
            Assert.True(MaxAbs(r.Force!) > 1e-4, $"the model exerts no force (max |F| {MaxAbs(r.Force!):E2})");
            var fd = FiniteDifferences.Forces(ev, set.FirstCoord, set.Types, set.FirstBox, h: Step, expected: r.Force, tolerance: 1e-6 * fScale);
            var fdv = FiniteDifferences.Virial(ev, set.FirstCoord, set.Types, set.FirstBox, h: Step, expected: r.Virial, tolerance: 1e-6 * vScale);
            double df = MaxAbs(fd.Values, r.Force!) / fScale;
            double dv = MaxAbs(fdv.Values, r.Virial!) / vScale;
            _out.WriteLine($"{descriptor} {variant} {activation} {set.Name}: |F + dE/dx| {df:E2}, |W + dE/dε| {dv:E2} (relative); " +
                           $"stencils shrunk at kinks: {fd.RefinedCount} of {fd.Values.Length} force, {fdv.RefinedCount} of 9 virial entries");
            Assert.True(df <= 1e-6, $"{set.Name}: forces differ from −dE/dx by {df:E3} of the force scale {fScale:G4}");
            Assert.True(dv <= 1e-6, $"{set.Name}: virial differs from −dE/dε by {dv:E3} of the virial scale {vScale:G4}");
            if (activation is not ("relu" or "relu6"))
            {
                // A smooth model never needs a smaller stencil: refinement is for kinks only.
                Assert.Equal(0, fd.RefinedCount + fdv.RefinedCount);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Float32ModelAgreesWithItsFloat64Twin(string descriptor, string variant, string activation)
    {
        // Same seed and names: the float32 weights are the float64 ones rounded.
        var o32 = SampleHarness.Tiny(descriptor, variant, activation, "float32");
        var g32 = SampleModelGenerator.Generate(o32);
        Assert.Empty(GraphValidator.FindProblems(g32));
        var ev32 = new DeepPotEvaluator(FrozenModelReader.FromGraph(g32, null, GraphFormat.Binary));
        var ev64 = new DeepPotEvaluator(SampleModelGenerator.Create(SampleHarness.Tiny(descriptor, variant, activation, "float64")));
        // deepmd-kit's precision float32 makes the nets float32; inputs and outputs stay float64 (Casts around the nets).
        Assert.Equal("float32", ev32.Model.Precision);
        Assert.False(ev32.IsSinglePrecision);

        // Measured: energies ≤ 5e-7 relative, forces and virials ≤ 6e-5 of their scale — except se_e3 with an activation
        // unbounded above (up to 8e-3): its nets grow with their input x·x/(r⁴σ²) ≈ 190 of the closest pair, the
        // descriptor sums terms e·G(e) of ~1e4 into values ~500 and the gradients cancel them down to forces ~0.5, so
        // float32 arithmetic loses ~1e-3 of the force scale. Rounding the weights to float32 alone (float64 arithmetic)
        // moves those forces by only 1.5e-5: it is the arithmetic, as in deepmd-kit's own float32 graphs.
        double bar = descriptor == "se_e3" && activation is ("gelu" or "gelu_tf" or "relu" or "softplus") ? 2e-2 : 1e-4;
        foreach (var set in WaterFrames.All())
        {
            var a = ev32.Evaluate(set.Coord, set.Types, set.Box);
            var b = ev64.Evaluate(set.Coord, set.Types, set.Box);
            double de = 0, df = 0, dv = 0, minE = 1;
            for (int f = 0; f < set.Frames; f++)
            {
                de = Math.Max(de, Math.Abs(a[f].Energy - b[f].Energy) / Math.Max(1, Math.Abs(b[f].Energy)));
                df = Math.Max(df, MaxAbs(a[f].Force!, b[f].Force!) / Math.Max(MaxAbs(b[f].Force!), 1e-3));
                dv = Math.Max(dv, MaxAbs(a[f].Virial!, b[f].Virial!) / Math.Max(MaxAbs(b[f].Virial!), 1e-3));
                minE = Math.Min(minE, Math.Abs(a[f].Energy - b[f].Energy) / Math.Abs(b[f].Energy));
            }

            _out.WriteLine($"{descriptor} {variant} {activation} {set.Name}: float32 vs float64 relative energy {de:E2}, force {df:E2}, virial {dv:E2}");
            Assert.True(de <= 1e-6, $"{set.Name}: energy off by {de:E3} (relative)");
            Assert.True(df <= bar, $"{set.Name}: forces off by {df:E3} of the force scale");
            Assert.True(dv <= bar, $"{set.Name}: virial off by {dv:E3} of the virial scale");

            // The float32 model really computes in float32: it is further from its twin than double round-off.
            Assert.True(minE > 1e-10, $"{set.Name}: the float32 model gives the float64 energies");
        }
    }
}
