using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Ranges;

/// <summary>
/// Each embedding net's input range as deepmd-kit's tabulation derives it from min_nbor_dist (fact sheet §2.2–§2.4):
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
            throw new ModelStructureException("InvalidGraphMinNborDist", $"The graph's train_attr/min_nbor_dist is {v}; it must be a positive finite distance.");
        }

        throw new InvalidParameterException("InvalidMinNborDist", $"min_nbor_dist = {v} is not a positive finite distance (Å).");
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

    /// <summary>The per-net ranges of <paramref name="model"/> for a given min_nbor_dist.</summary>
    public static EmbeddingRange Measure(FrozenModel model, double minNborDist, MinNborDistSource source, string? origin = null,
        NeighborStatistics? statistics = null, IEnumerable<string>? notes = null)
    {
        ValidateMinNborDist(minNborDist, source);
        string kind = DescriptorKind(model);
        int ntypes = model.NTypes ?? throw new ModelStructureException("MissingNTypes", "The model's number of types is unknown (no descrpt_attr/ntypes and no t_avg).");
        var allNotes = new List<string>(notes ?? Enumerable.Empty<string>());
        var (davg, dstd) = Statistics(model, kind, ntypes);
        var (rcut, rcutSmth) = Cutoffs(model, allNotes);

        var (rawLower, rawUpper) = RawTypeRange(kind, davg, dstd, minNborDist, rcut, rcutSmth);
        var lower = rawLower.Select(Math.Floor).ToArray();
        var upper = rawUpper.Select(Math.Ceiling).ToArray();
        if (minNborDist >= rcut)
        {
            allNotes.Add($"min_nbor_dist {Format(minNborDist)} is not below rcut {Format(rcut)}: the switch is 0, so the range holds only absent neighbours.");
        }

        var specs = NetSpecs(model, kind, ntypes, allNotes);
        var nets = new Dictionary<string, EmbeddingNetInfo>(StringComparer.Ordinal);
        foreach (var n in model.EmbeddingNets)
        {
            if (!nets.ContainsKey(n.Name))
            {
                nets.Add(n.Name, n);
            }
        }

        var result = new List<NetRange>(specs.Count);
        foreach (var (name, centres) in specs)
        {
            if (!nets.TryGetValue(name, out var net))
            {
                throw new ModelStructureException("MissingEmbeddingNet",
                    $"deepmd-kit would tabulate {name}, but the graph has no such embedding net (its weights are missing or named unexpectedly).");
            }

            var range = new NetRange(name, centres.Min(t => lower[t]), centres.Max(t => upper[t]), net)
            {
                CentreTypes = centres,
                RawLower = centres.Min(t => rawLower[t]),
                RawUpper = centres.Max(t => rawUpper[t]),
            };
            if (range.Upper <= 0 || range.Upper <= range.Lower)
            {
                allNotes.Add($"{name}: the range [{Format(range.Lower)}, {Format(range.Upper)}] is degenerate (upper ≤ 0 or ≤ lower); a table cannot be built from it.");
            }

            result.Add(range);
        }

        var unused = model.EmbeddingNets.Select(n => n.Name).Where(n => !specs.Any(s => s.Name == n)).ToList();
        if (unused.Count > 0)
        {
            allNotes.Add($"Not tabulated by deepmd-kit (excluded types): {string.Join(", ", unused)}.");
        }

        return new EmbeddingRange(model, minNborDist, source, origin, result)
        {
            DescriptorType = model.DescriptorType,
            Rcut = rcut,
            RcutSmth = rcutSmth,
            Statistics = statistics,
            Notes = allNotes,
        };
    }

    /// <summary>deepmd-kit's descriptor letter; descriptors without tables (yet) are refused.</summary>
    internal static string DescriptorKind(FrozenModel model)
    {
        if (model.IsCompressed)
        {
            throw new UnsupportedModelException("ModelAlreadyCompressed",
                "The model is already compressed (it has tabulated embedding nets); deepmd-kit refuses to compress a model twice. Measure the original model.");
        }

        return model.DescriptorType switch
        {
            "se_e2_a" => "A",
            "se_e2_r" => "R",
            "se_e3" => "T",
            "se_atten" or "se_a_ebd_v2" or "hybrid" => throw new UnsupportedModelException("UnsupportedDescriptor",
                $"Embedding ranges of {model.DescriptorType} descriptors are not supported yet (only se_e2_a, se_e2_r and se_e3)."),
            "se_a_tpe" => throw new UnsupportedModelException("DescriptorNotCompressible",
                "se_e2_a with type embedding in concat mode cannot be compressed (deepmd-kit: only tebd_input_mode 'strip' is)."),
            null => throw new UnsupportedModelException("DescriptorNotCompressible", "The model's descriptor type is unknown, so its embedding ranges cannot be derived."),
            _ => throw new UnsupportedModelException("DescriptorNotCompressible", $"deepmd-kit cannot compress {model.DescriptorType} descriptors."),
        };
    }

    /// <summary>The tables deepmd-kit builds (§2.4): name and contributing centre types, in its loop order.</summary>
    private static List<(string Name, int[] Centres)> NetSpecs(FrozenModel model, string kind, int ntypes, List<string> notes)
    {
        var specs = new List<(string, int[])>();
        if (kind == "T")
        {
            for (int i = 0; i < ntypes; i++)
            {
                for (int j = i; j < ntypes; j++)
                {
                    specs.Add(($"filter_{i}_net_{j}", new[] { i }));
                }
            }

            return specs;
        }

        bool oneSide = model.TypeOneSide ?? throw new ModelStructureException("MissingEmbeddingNet",
            "No embedding nets were found, so type_one_side is unknown and no range can be assigned.");
        var excluded = new HashSet<(int, int)>();
        if (model.ExcludeTypes is { } pairs)
        {
            foreach (var p in pairs.Where(p => p.Length == 2))
            {
                excluded.Add((p[0], p[1]));
                excluded.Add((p[1], p[0]));
            }
        }
        else if (oneSide)
        {
            notes.Add("exclude_types is not known (no training script in the graph); no pair is taken as excluded.");
        }

        if (!oneSide)
        {
            for (int ii = 0; ii < ntypes * ntypes; ii++)
            {
                int i = ii / ntypes, j = ii % ntypes;
                if (!excluded.Contains((i, j)))
                {
                    specs.Add(($"filter_{i}_net_{j}", new[] { i }));
                }
            }

            return specs;
        }

        var sel = model.Sel;
        if (sel is null)
        {
            notes.Add("sel is not known; every centre type is taken to have neighbours (sel > 0).");
        }

        for (int ii = 0; ii < ntypes; ii++)
        {
            if (Enumerable.Range(0, ntypes).All(k => excluded.Contains((ii, k))))
            {
                continue;
            }

            // deepmd-kit indexes sel by the centre type here.
            var centres = Enumerable.Range(0, ntypes)
                .Where(t => !excluded.Contains((t, ii)) && (sel is null || (t < sel.Length && sel[t] > 0))).ToArray();
            if (centres.Length == 0)
            {
                throw new ModelStructureException("EmptyNetRange",
                    $"No centre type contributes to filter_-1_net_{ii} (every type is excluded with type {ii} or has sel 0), so deepmd-kit cannot size its table.");
            }

            specs.Add(($"filter_-1_net_{ii}", centres));
        }

        return specs;
    }

    private static (TensorValue Avg, TensorValue Std) Statistics(FrozenModel model, string kind, int ntypes)
    {
        var index = model.Index;
        var avg = index.TryGetConst("descrpt_attr/t_avg") ?? index.TryGetConst("t_avg");
        var std = index.TryGetConst("descrpt_attr/t_std") ?? index.TryGetConst("t_std");
        if (avg is null || std is null)
        {
            throw new ModelStructureException("MissingStatistics", "The graph has no descrpt_attr/t_avg and t_std constants (the descriptor's davg/dstd).");
        }

        int minCols = kind == "R" ? 1 : 4;
        foreach (var (t, n) in new[] { (avg, "t_avg"), (std, "t_std") })
        {
            if (t.DType is not (DataType.DtDouble or DataType.DtFloat) || t.Rank != 2 || t.Shape[0] != ntypes || t.Shape[1] < minCols)
            {
                throw new ModelStructureException("InvalidStatistics",
                    $"{n} is {t}; expected a float tensor of shape [{ntypes}, ndescrpt ≥ {minCols}].");
            }
        }

        if (avg.Shape[1] != std.Shape[1])
        {
            throw new ModelStructureException("InvalidStatistics", $"t_avg {avg} and t_std {std} differ in shape.");
        }

        var s = std.AsDoubleArray();
        var a = avg.AsDoubleArray();
        if (s.Any(x => x == 0 || double.IsNaN(x) || double.IsInfinity(x)) || a.Any(x => double.IsNaN(x) || double.IsInfinity(x)))
        {
            throw new ModelStructureException("InvalidStatistics", "t_avg/t_std contain NaN, infinite or (t_std) zero values.");
        }

        return (avg, std);
    }

    /// <summary>
    /// deepmd-kit takes rcut and rcut_smth from the descriptor built from the training script (Python floats). We use the
    /// embedded script's values when the graph has one; otherwise rcut = descrpt_attr/rcut (the same double) and
    /// rcut_smth = the env-mat op's float32 attr written as its shortest decimal (0.5, 1.8), i.e. the number in the script.
    /// </summary>
    private static (double Rcut, double RcutSmth) Cutoffs(FrozenModel model, List<string> notes)
    {
        double? rcut = model.Rcut, smth = model.RcutSmth;
        if (model.TrainingScriptJson is { } script
            && script.ValueKind == JsonValueKind.Object
            && script.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("descriptor", out var d) && d.ValueKind == JsonValueKind.Object)
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
            throw new ModelStructureException("MissingCutoff", "The model's rcut or rcut_smth is unknown, so the switch function cannot be evaluated.");
        }

        if (!(r > 0) || double.IsInfinity(r) || !(sm < r) || double.IsNaN(sm))
        {
            throw new ModelStructureException("InvalidCutoff", $"rcut = {Format(r)}, rcut_smth = {Format(sm)}: rcut must be positive and larger than rcut_smth.");
        }

        return (r, sm);
    }

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
