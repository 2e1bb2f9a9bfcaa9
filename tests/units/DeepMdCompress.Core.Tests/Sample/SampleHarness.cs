using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Sample;

namespace DeepMdCompress.Core.Tests.Sample;

/// <summary>Small configurations and a way to run a generated graph from <c>o_rmat</c> on with <see cref="MiniInterpreter"/>.</summary>
internal static class SampleHarness
{
    /// <summary>Atoms per type of the test frames (sorted by type: 2 O, 3 H).</summary>
    public static readonly int[] Counts = { 2, 3 };

    public const int Frames = 2;

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
    /// A plausible normalised environment matrix: per slot s ∈ [−0.5, 3] and x/y/z in [−1.5, 1.5] (se_e2_r: s only),
    /// with the last slot of each type block padded as ProdEnvMat pads (s = −davg/dstd of the centre type, x/y/z = 0).
    /// </summary>
    public static double[] RandomRmat(int ndescrpt, int nnei, int seed)
    {
        int nloc = Counts.Sum();
        var rng = new Random(seed);
        int comps = ndescrpt / nnei;
        var r = new double[Frames * nloc * ndescrpt];
        for (int i = 0; i < r.Length; i++)
        {
            int c = i % comps;
            r[i] = c == 0 ? -0.5 + (3.5 * rng.NextDouble()) : -1.5 + (3 * rng.NextDouble());
        }

        return r;
    }

    public static string NetDerivName(GraphDef graph) =>
        graph.Node.Single(n => n.Op is "ProdForceSeA" or "ProdForceSeR").Input[0];

    private static Dictionary<string, MiniInterpreter.Value> Feeds(double[] rmat, int ndescrpt, DataType rmatType = DataType.DtDouble)
    {
        int nloc = Counts.Sum();
        var types = new List<double>();
        for (int f = 0; f < Frames; f++)
        {
            for (int t = 0; t < Counts.Length; t++)
            {
                types.AddRange(Enumerable.Repeat((double)t, Counts[t]));
            }
        }

        return new Dictionary<string, MiniInterpreter.Value>
        {
            ["t_natoms"] = MiniInterpreter.Value.Ints1(new[] { nloc, nloc }.Concat(Counts).ToArray()),
            ["t_type"] = new(new[] { types.Count }, types.ToArray(), DataType.DtInt32),
            ["o_rmat"] = new(new[] { Frames, nloc * ndescrpt }, (double[])rmat.Clone(), rmatType),
        };
    }

    public static double[] AtomEnergies(GraphDef graph, double[] rmat, int ndescrpt) =>
        new MiniInterpreter(graph, Feeds(rmat, ndescrpt)).Eval("o_atom_energy").Data;

    public static (double[] AtomEnergy, double[] Energy, double[] NetDeriv) Run(GraphDef graph, double[] rmat, int ndescrpt)
    {
        var it = new MiniInterpreter(graph, Feeds(rmat, ndescrpt));
        return (it.Eval("o_atom_energy").Data, it.Eval("o_energy").Data, it.Eval(NetDerivName(graph)).Data);
    }
}
