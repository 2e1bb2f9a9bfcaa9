using System;
using System.Collections.Generic;
using System.Globalization;

namespace DeepMdCompress;

/// <summary>What a min_nbor_dist scan of training data found, and where.</summary>
public sealed class NeighborStatistics
{
    public NeighborStatistics(double minNborDist, double minDistanceSquared, IReadOnlyList<string> systems, int sets, long frames,
        string? closestSet, int closestFrame, int[]? closestAtoms, int[]? closestShift, IReadOnlyList<string> warnings, TimeSpan elapsed)
    {
        MinNborDist = minNborDist;
        MinDistanceSquared = minDistanceSquared;
        Systems = systems;
        Sets = sets;
        Frames = frames;
        ClosestSet = closestSet;
        ClosestFrame = closestFrame;
        ClosestAtoms = closestAtoms;
        ClosestShift = closestShift;
        Warnings = warnings;
        Elapsed = elapsed;
    }

    /// <summary>sqrt of the smallest squared distance, at most 10 Å (deepmd-kit's cap).</summary>
    public double MinNborDist { get; }

    public double MinDistanceSquared { get; }

    /// <summary>The system folders scanned, in order.</summary>
    public IReadOnlyList<string> Systems { get; }

    public int Sets { get; }

    public long Frames { get; }

    /// <summary>The set folder holding the closest pair (null when no pair is closer than 10 Å).</summary>
    public string? ClosestSet { get; }

    /// <summary>Frame index of the closest pair within <see cref="ClosestSet"/>.</summary>
    public int ClosestFrame { get; }

    /// <summary>Atom indices (type.raw order) of the closest pair.</summary>
    public int[]? ClosestAtoms { get; }

    /// <summary>Cell shift of the second atom of the pair (0 0 0 = same image).</summary>
    public int[]? ClosestShift { get; }

    /// <summary>deepmd-kit's warnings (sets without neighbours) and ours (left-handed cells, the 10 Å cap).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public TimeSpan Elapsed { get; }

    public override string ToString() =>
        ClosestSet is null
            ? $"{MinNborDist.ToString("R", CultureInfo.InvariantCulture)} Å (cap; {Frames} frames)"
            : $"{MinNborDist.ToString("R", CultureInfo.InvariantCulture)} Å: atoms {ClosestAtoms![0]} and {ClosestAtoms[1]} (shift {string.Join(" ", ClosestShift!)}) of frame {ClosestFrame} in {ClosestSet} ({Frames} frames)";
}
