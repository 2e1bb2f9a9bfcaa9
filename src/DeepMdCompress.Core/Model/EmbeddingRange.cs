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
}
