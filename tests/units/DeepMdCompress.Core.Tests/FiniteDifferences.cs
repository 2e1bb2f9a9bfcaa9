using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Forces and virials of an energy model by finite differences of its energy, the physics check of the evaluator
/// and of generated graphs: F = −dE/dx for every coordinate, W_ab = −dE/dε_ba for the homogeneous strain
/// r → r·(1 + ε) of coordinates and box together. All displaced frames of one pass go to the evaluator in one batch
/// (frames are independent, so batching changes no result).
/// </summary>
internal static class FiniteDifferences
{
    /// <summary>Default step: 1e-4 Å for coordinates, 1e-4 for strain; the five-point error O(h⁴) is then ~1e-12 relative.</summary>
    public const double DefaultStep = 1e-4;

    /// <summary>Stencil shrink factor of one refinement at a kink (see <see cref="Gradient"/>).</summary>
    public const int Shrink = 8;

    /// <summary>At most this many refinements: h/512 ≈ 2e-7 Å, where round-off is still ~1e-9 of the force scale.</summary>
    public const int MaxRefinements = 3;

    /// <summary>Five-point central difference f′(0) = [8(f(h) − f(−h)) − (f(2h) − f(−2h))] / 12h, error O(h⁴).</summary>
    public static double FivePoint(Func<double, double> f, double h) => FivePoint(f(-2 * h), f(-h), f(h), f(2 * h), h);

    public static double FivePoint(double m2, double m1, double p1, double p2, double h) => ((8 * (p1 - m1)) - (p2 - m2)) / (12 * h);

    /// <summary>−dE/dx for every coordinate (natoms·3, the layout of <see cref="ModelOutput.Force"/>); see <see cref="Gradient"/> for <paramref name="expected"/>.</summary>
    public static Result Forces(DeepPotEvaluator ev, double[] coord, int[] types, double[]? box, double[]? fparam = null, double[]? aparam = null,
        double h = DefaultStep, double[]? expected = null, double tolerance = 0)
    {
        var r = Gradient(ev, types, fparam, aparam, coord.Length, (k, t) =>
        {
            var x = (double[])coord.Clone();
            x[k] += t;
            return (x, box);
        }, h, expected?.Select(v => -v).ToArray(), tolerance);
        return r.Negated();
    }

    /// <summary>−dE/dε as the virial W_ab = −dE/dε_ba (row: force direction, column: displacement), 9 values row-major.</summary>
    public static Result Virial(DeepPotEvaluator ev, double[] coord, int[] types, double[]? box, double[]? fparam = null, double[]? aparam = null,
        double h = DefaultStep, double[]? expected = null, double tolerance = 0)
    {
        var r = Gradient(ev, types, fparam, aparam, 9, (k, t) =>
        {
            // Entry k = 3b + a of the result is strain component ε_ab.
            int a = k % 3, b = k / 3;
            var m = new double[3, 3];
            for (int i = 0; i < 3; i++)
            {
                m[i, i] = 1;
            }

            m[a, b] += t;
            return (EvaluatorTestData.Transform(coord, m), box is null ? null : EvaluatorTestData.Transform(box, m));
        }, h, expected?.Select(v => -v).ToArray(), tolerance);
        return r.Negated();
    }

    /// <summary>
    /// dE/dt along <paramref name="count"/> directions, <paramref name="displaced"/>(k, t) giving the coordinates and box
    /// at step t along direction k: the five-point estimate at step h. For piecewise-smooth models (relu, relu6) the
    /// energy has kinks, and a kink inside the stencil [−2h, 2h] makes the quotient miss the derivative by up to the
    /// slope jump. So where an estimate misses <paramref name="expected"/> by more than <paramref name="tolerance"/>,
    /// the stencil shrinks by 8 until two successive estimates agree to the tolerance — the kink is then outside both,
    /// and the wider one is the derivative the graph's gradient (ReluGrad, Relu6Grad) computes there. A wrong gradient
    /// gives estimates that agree with each other and still miss, so the check keeps its power.
    /// </summary>
    public static Result Gradient(DeepPotEvaluator ev, int[] types, double[]? fparam, double[]? aparam, int count,
        Func<int, double, (double[] Coord, double[]? Box)> displaced, double h, double[]? expected = null, double tolerance = 0) =>
        Gradient(points => Energies(ev, types, fparam, aparam, points, displaced), count, h, expected, tolerance);

    /// <summary>
    /// The procedure of the overload above on any energy: <paramref name="energies"/> maps a batch of points (direction k,
    /// step t) to their energies.
    /// </summary>
    public static Result Gradient(Func<IReadOnlyList<(int K, double T)>, double[]> energies, int count, double h, double[]? expected = null, double tolerance = 0)
    {
        var all = Enumerable.Range(0, count).ToList();
        var first = Estimates(energies, all, h);
        var result = all.Select(k => first[k]).ToArray();
        var refinements = new int[count];
        if (expected is null)
        {
            return new Result(result, refinements);
        }

        var pending = all.Where(k => !(Math.Abs(result[k] - expected[k]) <= tolerance)).ToList();
        var previous = first;
        double step = h;
        for (int n = 1; n <= MaxRefinements && pending.Count > 0; n++)
        {
            step /= Shrink;
            var next = Estimates(energies, pending, step);
            var still = new List<int>();
            foreach (int k in pending)
            {
                refinements[k] = n;
                result[k] = next[k];
                if (Math.Abs(next[k] - previous[k]) <= tolerance)
                {
                    result[k] = previous[k]; // both stencils are kink-free; the wider one has less round-off
                }
                else
                {
                    still.Add(k);
                }
            }

            pending = still;
            previous = next;
        }

        return new Result(result, refinements);
    }

    private static Dictionary<int, double> Estimates(Func<IReadOnlyList<(int K, double T)>, double[]> energies, List<int> directions, double h)
    {
        double[] offsets = { -2 * h, -h, h, 2 * h };
        var e = energies(directions.SelectMany(k => offsets.Select(t => (k, t))).ToList());
        var d = new Dictionary<int, double>();
        for (int i = 0; i < directions.Count; i++)
        {
            d[directions[i]] = FivePoint(e[4 * i], e[(4 * i) + 1], e[(4 * i) + 2], e[(4 * i) + 3], h);
        }

        return d;
    }

    private static double[] Energies(DeepPotEvaluator ev, int[] types, double[]? fparam, double[]? aparam, IReadOnlyList<(int K, double T)> points,
        Func<int, double, (double[] Coord, double[]? Box)> displaced)
    {
        var coords = new List<double>();
        var boxes = new List<double>();
        foreach (var (k, t) in points)
        {
            var (x, box) = displaced(k, t);
            coords.AddRange(x);
            if (box is not null)
            {
                boxes.AddRange(box);
            }
        }

        return ev.Evaluate(coords.ToArray(), types, boxes.Count > 0 ? boxes.ToArray() : null, fparam, aparam).Select(o => o.Energy).ToArray();
    }

    /// <summary>Derivatives and, per entry, how many times its stencil was shrunk (non-zero only where it missed the expected value).</summary>
    internal sealed class Result
    {
        public Result(double[] values, int[] refinements)
        {
            Values = values;
            Refinements = refinements;
        }

        public double[] Values { get; }

        public int[] Refinements { get; }

        public int RefinedCount => Refinements.Count(r => r > 0);

        public Result Negated() => new(Values.Select(v => -v).ToArray(), Refinements);
    }
}
