using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Ranges;

/// <summary>
/// How often each centre saw a neighbour at each distance in training data: per (centre type, neighbour type),
/// counts of centre–neighbour distances in bins of <see cref="BinWidth"/> from 0 to <see cref="Cutoff"/>, periodic
/// images included. What a descriptor's embedding nets are fed, in distance terms, next to the range the tables
/// cover (<see cref="RangePlot"/>).
/// </summary>
public sealed class DistanceHistogram
{
    private DistanceHistogram(double cutoff, double binWidth, IReadOnlyList<string> typeNames, long[][] counts, long frames, double closest)
    {
        Cutoff = cutoff;
        BinWidth = binWidth;
        TypeNames = typeNames;
        Counts = counts;
        Frames = frames;
        Closest = closest;
    }

    /// <summary>Largest distance counted (Å): the descriptor's rcut.</summary>
    public double Cutoff { get; }

    /// <summary>Width of a bin (Å).</summary>
    public double BinWidth { get; }

    /// <summary>The model's type names; pair (i, j) is Counts[i·types + j].</summary>
    public IReadOnlyList<string> TypeNames { get; }

    /// <summary>Per (centre type, neighbour type): the count in each bin.</summary>
    public IReadOnlyList<long[]> Counts { get; }

    /// <summary>Frames read.</summary>
    public long Frames { get; }

    /// <summary>The closest centre–neighbour distance seen (Å), +∞ when none was within the cutoff.</summary>
    public double Closest { get; }

    /// <summary>"O-H" for pair index <paramref name="pair"/>: centre type, then neighbour type.</summary>
    public string PairName(int pair) => $"{TypeNames[pair / TypeNames.Count]}-{TypeNames[pair % TypeNames.Count]}";

    /// <summary>The histogram of the systems in <paramref name="folders"/> (system folders or folders holding systems).</summary>
    public static DistanceHistogram Compute(IReadOnlyList<string> folders, IReadOnlyList<string> typeMap, double cutoff, double binWidth,
        long maxFrames = long.MaxValue, CancellationToken cancellationToken = default)
    {
        var systems = folders.SelectMany(SystemLocator.Expand).Select(p => DataSystem.Open(p)).ToList();
        if (systems.Count == 0)
        {
            throw new DataFileException(ErrorIds.NoSystemFound,
                $"No data system (a folder with type.raw) was found under {string.Join(", ", folders)}.", DeepMdErrorKind.ObjectNotFound) { Target = folders[0] };
        }

        return Compute(systems, typeMap, cutoff, binWidth, maxFrames, cancellationToken);
    }

    /// <summary>
    /// Counts the distances in <paramref name="systems"/> (types mapped to <paramref name="typeMap"/>), at most
    /// <paramref name="maxFrames"/> frames in all.
    /// </summary>
    public static DistanceHistogram Compute(IReadOnlyList<DataSystem> systems, IReadOnlyList<string> typeMap, double cutoff, double binWidth,
        long maxFrames = long.MaxValue, CancellationToken cancellationToken = default)
    {
        if (!(cutoff > 0) || double.IsInfinity(cutoff))
        {
            throw new ArgumentOutOfRangeException(nameof(cutoff), "the cutoff must be a positive finite distance");
        }

        if (!(binWidth > 0) || binWidth > cutoff)
        {
            throw new ArgumentOutOfRangeException(nameof(binWidth), "the bin width must be positive and at most the cutoff");
        }

        int types = typeMap.Count, bins = (int)Math.Ceiling(cutoff / binWidth);
        var counts = Enumerable.Range(0, types * types).Select(_ => new long[bins]).ToArray();
        double cut2 = cutoff * cutoff, closest2 = double.PositiveInfinity;
        long frames = 0;
        DataSystem.CheckCompatible(systems, typeMap);
        foreach (var system in systems)
        {
            var atomTypes = system.MapTypes(typeMap);
            foreach (var set in system.Sets)
            {
                foreach (var frame in set.ReadFrames(atomTypes))
                {
                    if (frames == maxFrames)
                    {
                        return new DistanceHistogram(cutoff, binWidth, typeMap.ToArray(), counts, frames, Math.Sqrt(closest2));
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    var t = system.MixedType ? system.MapTypes(frame.Types, typeMap) : frame.Types;
                    var shifts = MinNborDist.ImageShifts(system.Pbc ? frame.Box : null, cutoff, set.Path, frame.Index);
                    var x = frame.Coord;
                    int natoms = t.Length;
                    for (int i = 0; i < natoms; i++)
                    {
                        if (t[i] < 0)
                        {
                            continue;
                        }

                        for (int j = 0; j < natoms; j++)
                        {
                            if (t[j] < 0)
                            {
                                continue;
                            }

                            var row = counts[(t[i] * types) + t[j]];
                            foreach (var s in shifts)
                            {
                                if (i == j && s.A == 0 && s.B == 0 && s.C == 0)
                                {
                                    continue;
                                }

                                double dx = x[3 * j] + s.X - x[3 * i], dy = x[(3 * j) + 1] + s.Y - x[(3 * i) + 1], dz = x[(3 * j) + 2] + s.Z - x[(3 * i) + 2];
                                double d2 = (dx * dx) + (dy * dy) + (dz * dz);
                                if (d2 < cut2)
                                {
                                    row[Math.Min(bins - 1, (int)(Math.Sqrt(d2) / binWidth))]++;
                                    closest2 = Math.Min(closest2, d2);
                                }
                            }
                        }
                    }

                    frames++;
                }
            }
        }

        return new DistanceHistogram(cutoff, binWidth, typeMap.ToArray(), counts, frames, Math.Sqrt(closest2));
    }
}
