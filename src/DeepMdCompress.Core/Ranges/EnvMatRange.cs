using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Ranges;

/// <summary>
/// Each embedding net's input range as deepmd-kit's tabulation derives it from min_nbor_dist (docs/tables.md#ranges):
/// per centre type, lower = −davg/dstd (an absent neighbour) and upper = ((1/min_nbor_dist)·sw − davg)/dstd (the
/// closest approach), se_e3 uses ±(sw/(min_nbor_dist·dstd_xyz))²; then floor(lower), ceil(upper), and the nets
/// deepmd-kit tabulates with the centre types each one covers.
/// </summary>
public static class EnvMatRange
{
    /// <summary>deepmd-kit's <c>_spline5_switch</c>: 1 below rmin, 0 from rmax on, a quintic in between.</summary>
    public static double Switch(double x, double rmin, double rmax)
    {
        if (x < rmin)
        {
            return 1;
        }

        if (x < rmax)
        {
            double u = (x - rmin) / (rmax - rmin);
            return u * u * u * (-6 * u * u + 15 * u - 10) + 1;
        }

        return 0;
    }

    /// <summary>Refuses a min_nbor_dist that is not a positive finite number.</summary>
    public static void ValidateMinNborDist(double value, MinNborDistSource source)
    {
        if (value > 0 && !double.IsInfinity(value))
        {
            return;
        }

        string v = value.ToString("R", CultureInfo.InvariantCulture);
        if (source == MinNborDistSource.Graph)
        {
            throw new ModelStructureException(ErrorIds.InvalidGraphMinNborDist, $"The graph's train_attr/min_nbor_dist is {v}; it must be a positive finite distance.");
        }

        throw new InvalidParameterException(ErrorIds.InvalidMinNborDist, $"min_nbor_dist = {v} is not a positive finite distance (Å).");
    }

    /// <summary>
    /// Per centre type: the normalised environment-matrix range before rounding. <paramref name="kind"/> is deepmd-kit's
    /// descriptor letter "A", "R" or "T". Statistics stored as float32 are combined in float32, as numpy does.
    /// </summary>
    public static (double[] Lower, double[] Upper) RawTypeRange(string kind, TensorValue davg, TensorValue dstd, double minNborDist, double rcut, double rcutSmth)
    {
        int ntypes = dstd.Shape[0], cols = dstd.Shape[1];
        double sw = Switch(minNborDist, rcutSmth, rcut);
        var avg = davg.AsDoubleArray();
        var std = dstd.AsDoubleArray();
        bool stdSingle = dstd.DType == DataType.DtFloat;
        bool bothSingle = stdSingle && davg.DType == DataType.DtFloat;
        var lower = new double[ntypes];
        var upper = new double[ntypes];
        for (int t = 0; t < ntypes; t++)
        {
            if (kind == "T")
            {
                double lo = double.PositiveInfinity, up = double.NegativeInfinity;
                for (int c = 1; c <= 3; c++)
                {
                    double s = std[t * cols + c];
                    double var;
                    if (stdSingle)
                    {
                        float q = (float)((float)sw / (float)((float)minNborDist * (float)s));
                        var = (float)(q * q);
                    }
                    else
                    {
                        double q = sw / (minNborDist * s);
                        var = q * q;
                    }

                    lo = Math.Min(lo, -var);
                    up = Math.Max(up, var);
                }

                lower[t] = lo;
                upper[t] = up;
            }
            else
            {
                double a = avg[t * cols], s = std[t * cols];
                if (bothSingle)
                {
                    lower[t] = (float)((float)-a / (float)s);
                    upper[t] = (float)((float)((float)(1 / minNborDist * sw) - (float)a) / (float)s);
                }
                else
                {
                    lower[t] = -a / s;
                    upper[t] = (1 / minNborDist * sw - a) / s;
                }
            }
        }

        return (lower, upper);
    }

    /// <summary>The per-net ranges of <paramref name="model"/> for a given min_nbor_dist: each descriptor (hybrid member) by its own rule.</summary>
    public static EmbeddingRange Measure(FrozenModel model, double minNborDist, MinNborDistSource source, string? origin = null,
        NeighborStatistics? statistics = null, IEnumerable<string>? notes = null)
    {
        ValidateMinNborDist(minNborDist, source);
        CompressionCapability.EnsureFamilies(model);
        int ntypes = model.NTypes ?? throw new ModelStructureException(ErrorIds.MissingNTypes, "The model's number of types is unknown (no descrpt_attr/ntypes and no t_avg).");
        var allNotes = new List<string>(notes ?? Enumerable.Empty<string>());
        var result = new List<NetRange>();
        double firstRcut = double.NaN, firstSmth = double.NaN;
        foreach (var part in model.Descriptors)
        {
            var (davg, dstd) = Statistics(model, part, ntypes);
            var (rcut, rcutSmth) = Cutoffs(model, part, allNotes);
            if (double.IsNaN(firstRcut))
            {
                (firstRcut, firstSmth) = (rcut, rcutSmth);
            }

            var (rawLower, rawUpper) = RawTypeRange(part.Spec.RangeRule, davg, dstd, minNborDist, rcut, rcutSmth);
            var lower = rawLower.Select(Math.Floor).ToArray();
            var upper = rawUpper.Select(Math.Ceiling).ToArray();
            if (minNborDist >= rcut)
            {
                allNotes.Add($"min_nbor_dist {Format(minNborDist)} is not below rcut {Format(rcut)}{Of(part)}: the switch is 0, so the range holds only absent neighbours.");
            }

            foreach (var tabulated in part.Spec.TabulatedNets(part, ntypes, allNotes))
            {
                var centres = tabulated.Centres;
                var range = new NetRange(tabulated.Net.Name, centres.Min(t => lower[t]), centres.Max(t => upper[t]), tabulated.Net)
                {
                    CentreTypes = centres,
                    RawLower = centres.Min(t => rawLower[t]),
                    RawUpper = centres.Max(t => rawUpper[t]),
                };
                if (range.Upper <= 0 || range.Upper <= range.Lower)
                {
                    allNotes.Add($"{range.Name}: the range [{Format(range.Lower)}, {Format(range.Upper)}] is degenerate (upper ≤ 0 or ≤ lower); a table cannot be built from it.");
                }

                result.Add(range);
            }
        }

        var unused = model.EmbeddingNets.Select(n => n.Name).Where(n => !result.Any(r => r.Name == n)).ToList();
        if (unused.Count > 0)
        {
            allNotes.Add($"Not tabulated by deepmd-kit (excluded types): {string.Join(", ", unused)}.");
        }

        return new EmbeddingRange(model, minNborDist, source, origin, result)
        {
            DescriptorType = model.DescriptorType,
            Rcut = firstRcut,
            RcutSmth = firstSmth,
            Statistics = statistics,
            Notes = allNotes,
        };
    }

    /// <summary>Per centre type, the normalised range before rounding, by the descriptor's <paramref name="rule"/>.</summary>
    public static (double[] Lower, double[] Upper) RawTypeRange(RangeRule rule, TensorValue davg, TensorValue dstd, double minNborDist, double rcut, double rcutSmth) =>
        RawTypeRange(rule == RangeRule.ThreeBody ? "T" : "A", davg, dstd, minNborDist, rcut, rcutSmth);

    private static string Of(DescriptorPart part) => part.Index < 0 ? string.Empty : $" (hybrid member {part.Index}, {part.Type})";

    private static (TensorValue Avg, TensorValue Std) Statistics(FrozenModel model, DescriptorPart part, int ntypes)
    {
        var index = model.Index;
        var avg = index.TryGetConst(part.AttrScope + "/t_avg") ?? (part.Index < 0 ? index.TryGetConst("t_avg") : null);
        var std = index.TryGetConst(part.AttrScope + "/t_std") ?? (part.Index < 0 ? index.TryGetConst("t_std") : null);
        if (avg is null || std is null)
        {
            throw new ModelStructureException(ErrorIds.MissingStatistics, $"The graph has no {part.AttrScope}/t_avg and t_std constants (the descriptor's davg/dstd).");
        }

        int minCols = part.Spec.StatisticsPerNeighbour;
        foreach (var (t, n) in new[] { (avg, "t_avg"), (std, "t_std") })
        {
            if (t.DType is not (DataType.DtDouble or DataType.DtFloat) || t.Rank != 2 || t.Shape[0] != ntypes || t.Shape[1] < minCols)
            {
                throw new ModelStructureException(ErrorIds.InvalidStatistics,
                    $"{n} is {t}; expected a float tensor of shape [{ntypes}, ndescrpt ≥ {minCols}].");
            }
        }

        if (avg.Shape[1] != std.Shape[1])
        {
            throw new ModelStructureException(ErrorIds.InvalidStatistics, $"t_avg {avg} and t_std {std} differ in shape.");
        }

        var s = std.AsDoubleArray();
        var a = avg.AsDoubleArray();
        if (s.Any(x => x == 0 || double.IsNaN(x) || double.IsInfinity(x)) || a.Any(x => double.IsNaN(x) || double.IsInfinity(x)))
        {
            throw new ModelStructureException(ErrorIds.InvalidStatistics, "t_avg/t_std contain NaN, infinite or (t_std) zero values.");
        }

        return (avg, std);
    }

    /// <summary>
    /// deepmd-kit takes rcut and rcut_smth from the descriptor built from the training script (Python floats). We use the
    /// embedded script's values when the graph has one; otherwise rcut = descrpt_attr/rcut (the same double) and
    /// rcut_smth = the env-mat op's float32 attr written as its shortest decimal (0.5, 1.8), i.e. the number in the script.
    /// </summary>
    private static (double Rcut, double RcutSmth) Cutoffs(FrozenModel model, DescriptorPart part, List<string> notes)
    {
        double? rcut = part.Index < 0 ? model.Rcut ?? part.Rcut : part.Rcut, smth = part.RcutSmth;
        if (part.Script is { ValueKind: JsonValueKind.Object } d)
        {
            if (d.TryGetProperty("rcut", out var rc) && rc.ValueKind == JsonValueKind.Number)
            {
                rcut = rc.GetDouble();
            }

            if (d.TryGetProperty("rcut_smth", out var rs) && rs.ValueKind == JsonValueKind.Number)
            {
                smth = rs.GetDouble();
            }
        }

        if (rcut is not double r || smth is not double sm)
        {
            throw new ModelStructureException(ErrorIds.MissingCutoff, "The model's rcut or rcut_smth is unknown, so the switch function cannot be evaluated.");
        }

        if (!(r > 0) || double.IsInfinity(r) || !(sm < r) || double.IsNaN(sm))
        {
            throw new ModelStructureException(ErrorIds.InvalidCutoff, $"rcut = {Format(r)}, rcut_smth = {Format(sm)}: rcut must be positive and larger than rcut_smth.");
        }

        return (r, sm);
    }

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
