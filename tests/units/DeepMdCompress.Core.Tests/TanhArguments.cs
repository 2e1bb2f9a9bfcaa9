namespace DeepMdCompress.Core.Tests;

/// <summary>Arguments for the tanh accuracy tests: random signs and magnitudes spread evenly over many decades.</summary>
internal static class TanhArguments
{
    /// <summary><paramref name="count"/> values ±3·10^e, e uniform in [<paramref name="lowest"/>, <paramref name="lowest"/> + <paramref name="decades"/>).</summary>
    public static double[] Spread(int seed, int count, double lowest, double decades)
    {
        var rng = new Random(seed);
        var x = new double[count];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (rng.Next(2) == 0 ? -1 : 1) * Math.Pow(10, (rng.NextDouble() * decades) + lowest) * 3;
        }

        return x;
    }
}
