using DeepMdCompress.Core.Sample;

namespace DeepMdCompress.Core.Tests.Sample;

/// <summary>
/// Generated-model configurations for the tests: <see cref="Small"/> for structure tests, and the configuration
/// matrix (descriptor × type_one_side/exclude_types variant × activation × precision) with tiny nets, sized for
/// the water frames of <see cref="WaterFrames"/>, for the numerical proofs and the compression matrix.
/// </summary>
internal static class SampleHarness
{
    public static SampleModelOptions Small(string descriptor, string activation = "tanh", string precision = "float64", bool typeOneSide = false,
        params int[][] exclude) => new()
        {
            Descriptor = descriptor,
            TypeMap = new List<string> { "O", "H" },
            Sel = new List<int> { 3, 4 },
            Rcut = 6.0,
            RcutSmth = 0.5,
            Neuron = new List<int> { 4, 8, 16 },
            AxisNeuron = 4,
            FittingNeuron = new List<int> { 8, 8 },
            Activation = activation,
            Precision = precision,
            TypeOneSide = typeOneSide,
            ExcludeTypes = exclude.ToList(),
            Seed = 7,
            MinNborDist = 0.9,
        };

    /// <summary>
    /// type_one_side/exclude_types variants of se_e2_a and se_e2_r (se_e3 supports neither: "plain" only).
    /// exclude: O–H; one_side_exclude: H–H (a centre type keeps one neighbour type); centre_all_excluded: O–O and
    /// O–H, so oxygen centres have no net at all (zero descriptor) and oxygen positions enter only through nothing.
    /// </summary>
    public static IReadOnlyList<string> Variants(string descriptor) =>
        descriptor == "se_e3" ? new[] { "plain" } : new[] { "plain", "one_side", "exclude", "one_side_exclude", "centre_all_excluded" };

    /// <summary>Every configuration the generator offers, as (descriptor, variant, activation, precision).</summary>
    public static IEnumerable<(string Descriptor, string Variant, string Activation, string Precision)> Matrix(string? precision = null)
    {
        foreach (string d in SampleModelOptions.PerTypeNetDescriptors)
        {
            foreach (string v in Variants(d))
            {
                foreach (string a in SampleModelOptions.Activations)
                {
                    foreach (string p in SampleModelOptions.Precisions.Where(p => precision is null || p == precision))
                    {
                        yield return (d, v, a, p);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A tiny model of one configuration: neuron 4, 8, 8 (both embedding resnet forms: 4→8 doubles the width, 8→8 adds),
    /// axis_neuron 4, fitting 8, 8 (the second layer is an idt resnet layer), rcut 3.5 Å, sel 6 O + 9 H (more than any
    /// atom of <see cref="WaterFrames"/> has, so no neighbour is ever cut off), min_nbor_dist 0.9 Å in the graph.
    /// No first layer 1→2: its resnet would carry the raw normalised input (up to ~15 for the closest neighbours) into
    /// the descriptor and saturate the random tanh fitting net, leaving a model without forces.
    /// </summary>
    public static SampleModelOptions Tiny(string descriptor, string variant, string activation, string precision) => new()
    {
        Descriptor = descriptor,
        TypeMap = new List<string> { "O", "H" },
        Sel = new List<int> { 6, 9 },
        Rcut = WaterFrames.Rcut,
        RcutSmth = 0.5,
        Neuron = new List<int> { 4, 8, 8 },
        AxisNeuron = 4,
        FittingNeuron = new List<int> { 8, 8 },
        Activation = activation,
        Precision = precision,
        TypeOneSide = variant is "one_side" or "one_side_exclude",
        ExcludeTypes = variant switch
        {
            "exclude" => new List<int[]> { new[] { 0, 1 } },
            "one_side_exclude" => new List<int[]> { new[] { 1, 1 } },
            "centre_all_excluded" => new List<int[]> { new[] { 0, 0 }, new[] { 0, 1 } },
            _ => new List<int[]>(),
        },
        Seed = 7,
        MinNborDist = WaterFrames.MinNborDist,
    };
}

/// <summary>
/// Small water-like configurations for generated models (rcut 3.5 Å): every atom has neighbours within rcut, one O–H
/// bond is 0.905 Å — just above the graphs' min_nbor_dist of 0.9 Å, so the tables' fine range is used up to its upper
/// end — and no pair (periodic images included) is closer than that, because inputs beyond a table are clamped by
/// design. Input order mixes the types, so the evaluator's type sort is exercised.
/// </summary>
internal static class WaterFrames
{
    public const double Rcut = 3.5;

    public const double MinNborDist = 0.9;

    /// <summary>O H H per molecule.</summary>
    private static readonly int[] MoleculeTypes = { 0, 1, 1 };

    /// <summary>Three molecules, open boundaries.</summary>
    public static readonly double[] ClusterCoord =
    {
        0.0, 0.0, 0.0, 0.905, 0.0, 0.0, -0.2404, 0.9294, 0.0,
        2.85, 0.3, 0.15, 2.0923, 0.7558, -0.2238, 2.546, -0.0091, 1.0065,
        1.1, 2.7, -0.5, 1.3162, 2.1438, -1.252, 1.721, 3.3914, -0.5356,
    };

    public static int[] ClusterTypes => Types(3);

    /// <summary>Four molecules in a triclinic cell (rows are cell vectors), periodic.</summary>
    public static readonly double[] BoxCoord =
    {
        0.4, 0.5, 0.3, 1.2473, 0.7621, 0.1202, -0.0807, 1.3193, 0.4387,
        3.3, 3.4, 0.5, 3.0439, 4.1498, 1.0421, 2.8731, 2.6467, 0.9146,
        3.4, 0.4, 3.2, 3.1437, 0.0479, 2.3444, 4.038, -0.2323, 3.5388,
        0.5, 3.3, 3.3, -0.0414, 2.844, 2.6516, 0.033, 3.2182, 4.0885,
    };

    public static readonly double[] Box = { 6.2, 0, 0, 0.4, 6.0, 0, -0.3, 0.2, 5.9 };

    public static int[] BoxTypes => Types(4);

    private static int[] Types(int molecules) => Enumerable.Repeat(MoleculeTypes, molecules).SelectMany(t => t).ToArray();

    /// <summary>The configuration moved by a seeded random displacement of at most <paramref name="amplitude"/> Å per component.</summary>
    public static double[] Jitter(double[] coord, int seed, double amplitude = 0.04)
    {
        var rng = new Random(seed);
        return coord.Select(x => x + (amplitude * ((2 * rng.NextDouble()) - 1))).ToArray();
    }

    /// <summary>A named set of frames: the configuration and a jittered copy (periodic: in a cell strained by 1 %).</summary>
    public sealed record FrameSet(string Name, double[] Coord, int[] Types, double[]? Box, int Frames)
    {
        /// <summary>The first frame alone.</summary>
        public double[] FirstCoord => Coord[..(3 * Types.Length)];

        public double[]? FirstBox => Box?[..9];
    }

    public static FrameSet Open() =>
        new("open", ClusterCoord.Concat(Jitter(ClusterCoord, 1)).ToArray(), ClusterTypes, null, 2);

    public static FrameSet Periodic() =>
        new("periodic", BoxCoord.Concat(Jitter(BoxCoord, 2).Select(x => 1.01 * x)).ToArray(), BoxTypes, Box.Concat(Box.Select(x => 1.01 * x)).ToArray(), 2);

    public static IReadOnlyList<FrameSet> All() => new[] { Open(), Periodic() };
}
