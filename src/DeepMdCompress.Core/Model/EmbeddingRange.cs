using System;
using System.Collections.Generic;

namespace DeepMdCompress;

/// <summary>Where the min_nbor_dist used for the table ranges came from (in order of precedence).</summary>
public enum MinNborDistSource
{
    /// <summary>Given by the user (-MinNborDist).</summary>
    Parameter,

    /// <summary>The graph's <c>train_attr/min_nbor_dist</c> node.</summary>
    Graph,

    /// <summary>Computed from the systems named by a training script (-TrainingScript).</summary>
    TrainingScript,

    /// <summary>Computed from system folders given directly (-TrainingData).</summary>
    TrainingData,
}

/// <summary>The input range of one embedding net: the table covers [Lower, Upper) finely, then coarsely up to Upper·extrapolate.</summary>
public sealed class NetRange
{
    public NetRange(string name, double lower, double upper, EmbeddingNetInfo? net = null)
    {
        Name = name;
        Lower = lower;
        Upper = upper;
        Net = net;
    }

    /// <summary>deepmd-kit's table key, e.g. <c>filter_0_net_1</c> or <c>filter_-1_net_0</c>.</summary>
    public string Name { get; }

    /// <summary>floor of the smallest normalised s(r) the net sees.</summary>
    public double Lower { get; }

    /// <summary>ceil of the largest normalised s(r) the net sees (at min_nbor_dist).</summary>
    public double Upper { get; }

    /// <summary>The net in the graph this range belongs to.</summary>
    public EmbeddingNetInfo? Net { get; }

    /// <summary>The centre types whose range went into this net's (one for two-side nets; the non-excluded types with sel &gt; 0 for type_one_side).</summary>
    public IReadOnlyList<int> CentreTypes { get; init; } = Array.Empty<int>();

    /// <summary>The smallest normalised s(r) before deepmd-kit's floor.</summary>
    public double RawLower { get; init; } = double.NaN;

    /// <summary>The largest normalised s(r) before deepmd-kit's ceil.</summary>
    public double RawUpper { get; init; } = double.NaN;

    public override string ToString() => $"{Name} [{Lower}, {Upper}]";
}

/// <summary>Per-net input ranges of a model's embedding nets, as <c>dp compress</c> derives them from min_nbor_dist.</summary>
public sealed class EmbeddingRange
{
    public EmbeddingRange(FrozenModel model, double minNborDist, MinNborDistSource source, string? origin, IReadOnlyList<NetRange> nets)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        MinNborDist = minNborDist;
        MinNborDistSource = source;
        MinNborDistOrigin = origin;
        Nets = nets ?? throw new ArgumentNullException(nameof(nets));
    }

    public FrozenModel Model { get; }

    public double MinNborDist { get; }

    public MinNborDistSource MinNborDistSource { get; }

    /// <summary>The script or system folders min_nbor_dist was computed from, when it was computed.</summary>
    public string? MinNborDistOrigin { get; }

    public IReadOnlyList<NetRange> Nets { get; }

    /// <summary>The descriptor the ranges were computed for (se_e2_a, se_e2_r or se_e3).</summary>
    public string? DescriptorType { get; init; }

    /// <summary>The rcut used in the switch function.</summary>
    public double Rcut { get; init; } = double.NaN;

    /// <summary>The rcut_smth used in the switch function.</summary>
    public double RcutSmth { get; init; } = double.NaN;

    /// <summary>The training-data scan behind <see cref="MinNborDist"/>, when it was computed from data.</summary>
    public NeighborStatistics? Statistics { get; init; }

    /// <summary>Where min_nbor_dist was found by a scan: the two atoms, the periodic shift, the frame and the set.</summary>
    public string? ClosestPair => Statistics is { ClosestSet: { } set, ClosestAtoms: { Length: 2 } atoms } s
        ? string.Format(System.Globalization.CultureInfo.InvariantCulture, "atoms {0} and {1} (shift {2}) in frame {3} of {4} ({5} frames scanned)",
            atoms[0], atoms[1], string.Join(" ", s.ClosestShift ?? Array.Empty<int>()), s.ClosestFrame,
            System.IO.Path.Combine(System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(set)) ?? string.Empty, System.IO.Path.GetFileName(set)), s.Frames)
        : null;

    /// <summary>How the inputs were chosen and anything unusual about the ranges.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Model} (min_nbor_dist {MinNborDist.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, {Nets.Count} nets)";
}
