using System;
using System.Text;

namespace DeepMdCompress.Core.Sample;

/// <summary>
/// A small deterministic generator (SplitMix64 + Box–Muller) so a seed gives the same weights on every runtime
/// (.NET Framework and .NET alike). Each variable draws from its own stream, keyed by seed and variable name, so a
/// net's weights do not change when other parts of the model are added or removed.
/// </summary>
internal sealed class SampleRandom
{
    private ulong _state;
    private double? _spare;

    public SampleRandom(int seed, string stream)
    {
        _state = unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ Fnv1a(stream));
        NextULong();
    }

    public ulong NextULong()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            ulong z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + ((hi - lo) * NextDouble());

    public double Normal(double mean, double stddev)
    {
        if (_spare is double s)
        {
            _spare = null;
            return mean + (stddev * s);
        }

        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);

        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return mean + (stddev * r * Math.Cos(2 * Math.PI * u2));
    }

    public double[] Normals(int count, double mean, double stddev)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = Normal(mean, stddev);
        }

        return values;
    }

    private static ulong Fnv1a(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 0x100000001B3UL);
        }

        return hash;
    }
}
