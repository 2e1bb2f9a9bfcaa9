using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;

namespace DeepMdCompress;

/// <summary>
/// Where the inputs of one TabulateFusion op of a compressed graph fell, over the frames evaluated: below the table,
/// in its fine part [lower, upper), in a coarse part (up to max = upper·extrapolate, and se_e3's [−max, lower)), or at
/// or beyond max, where every released deepmd-kit clamps. Inputs in the coarse parts or beyond come from neighbours
/// closer than the training data's min_nbor_dist: the model is used outside its data. This gives the check frequency
/// (-f, stored by dp compress but read by no kernel) a meaning on our side.
/// </summary>
public sealed class TableUsage
{
    internal TableUsage(string node, string op, TableInfo info, long below, long fine, long coarse, long beyond)
    {
        Node = node;
        Op = op;
        Info = info;
        BelowLower = below;
        Fine = fine;
        Coarse = coarse;
        BeyondMax = beyond;
    }

    /// <summary>The TabulateFusion node (named after the net it replaced).</summary>
    public string Node { get; }

    public string Op { get; }

    public TableInfo Info { get; }

    public long Inputs => BelowLower + Fine + Coarse + BeyondMax;

    public long BelowLower { get; }

    public long Fine { get; }

    public long Coarse { get; }

    public long BeyondMax { get; }

    /// <summary>Whether any input left the fine part of the table (the range the training data covers).</summary>
    public bool OutsideData => Coarse + BeyondMax > 0;

}

/// <summary>Counts the inputs of a compressed graph's TabulateFusion ops by table part (<see cref="TableUsage"/>).</summary>
public static class TableUsageMeter
{
    private static readonly HashSet<string> Forward = new(StringComparer.Ordinal)
    {
        "TabulateFusion", "TabulateFusionSeA", "TabulateFusionSeAtten", "TabulateFusionSeT", "TabulateFusionSeR",
    };

    /// <summary>The usage of every table of <paramref name="evaluator"/>'s graph on the given frames (empty for an uncompressed graph).</summary>
    public static IReadOnlyList<TableUsage> Measure(DeepPotEvaluator evaluator, EvaluationFrames frames, CancellationToken cancellationToken = default)
    {
        var index = evaluator.Model.Index;
        var ops = evaluator.Model.GetGraphDef().Node.Where(n => Forward.Contains(n.Op)).ToList();
        if (ops.Count == 0 || frames.Frames == 0)
        {
            return Array.Empty<TableUsage>();
        }

        // The input the row locator reads: em_x (input 2) for SeA, SeAtten and SeT; em (input 2) for SeR. Frames are
        // evaluated one at a time so that a long trajectory needs one frame's memory.
        var inputs = ops.Select(n => n.Input[2]).ToList();
        var infos = ops.Select(n => TableInfo.FromValues((index.TryGetConst(GraphIndex.ParseInput(n.Input[1]).Node)
            ?? throw new ModelStructureException(ErrorIds.InvalidModelAttribute, $"The table_info of {n.Name} is not a constant.")).AsDoubleArray())).ToList();
        var counts = new long[ops.Count, 4];
        for (int f = 0; f < frames.Frames; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int natoms = frames.AtomTypes.Length;
            var feeds = evaluator.PrepareFeeds(Slice(frames.Coordinates, f, frames.Frames, 3 * natoms)!, frames.AtomTypes, Slice(frames.Box, f, frames.Frames, 9),
                Slice(frames.FrameParameters, f, frames.Frames, evaluator.DimFParam), Slice(frames.AtomParameters, f, frames.Frames, natoms * evaluator.DimAParam), 1);
            var values = evaluator.EvaluateNodes(feeds, inputs, cancellationToken);
            for (int k = 0; k < ops.Count; k++)
            {
                var info = infos[k];
                bool seT = ops[k].Op == "TabulateFusionSeT";
                foreach (double x in values[k].AsDoubleArray())
                {
                    int part = x >= info.Max ? 3 : x >= info.Upper ? 2 : x >= info.Lower ? 1 : seT && x >= -info.Max ? 2 : 0;
                    counts[k, part]++;
                }
            }
        }

        var result = new List<TableUsage>(ops.Count);
        for (int k = 0; k < ops.Count; k++)
        {
            result.Add(new TableUsage(ops[k].Name, ops[k].Op, infos[k], counts[k, 0], counts[k, 1], counts[k, 2], counts[k, 3]));
        }

        return result;
    }

    // Frame f of an array of perFrame values per frame; an array shared by all frames (or null) is passed on as it is.
    private static double[]? Slice(double[]? values, int frame, int frames, int perFrame)
    {
        if (values is null || perFrame <= 0 || values.Length != perFrame * frames)
        {
            return values;
        }

        int per = perFrame;
        var slice = new double[per];
        Array.Copy(values, frame * per, slice, 0, per);
        return slice;
    }
}
