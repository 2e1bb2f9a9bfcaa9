using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Ranges;

/// <summary>
/// Where min_nbor_dist may come from, in order of precedence: an explicit value, the graph's
/// <c>train_attr/min_nbor_dist</c>, a training script's systems, system folders. A scan of training data is done at
/// most once per instance and reused for every model measured with it (e.g. all models of a pipeline).
/// </summary>
public sealed class MinNborDistInput
{
    private NeighborStatistics? _scriptStats, _dataStats;
    private TrainingScript? _script;
    private DeepMdException? _failure;

    /// <summary>An explicit min_nbor_dist (Å).</summary>
    public double? Value { get; set; }

    /// <summary>Path of a training script (input.json) whose training systems are scanned.</summary>
    public string? TrainingScript { get; set; }

    /// <summary>System folders (or folders holding systems) scanned directly.</summary>
    public IReadOnlyList<string>? TrainingData { get; set; }

    /// <summary>The caller's current directory, the second place a script's relative system path is looked up in.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The parsed training script, once <see cref="RangeMeasurement.Measure"/> has used it.</summary>
    public TrainingScript? Script => _script;

    internal NeighborStatistics ScriptStatistics(CancellationToken ct, IProgress<MinNborDistProgress>? progress) =>
        _scriptStats ??= Once(() =>
        {
            _script ??= Data.TrainingScript.Load(TrainingScript!);
            var systems = _script.ResolveSystems(WorkingDirectory);
            // dp compress hands the script's model.type_map to the data loader, which remaps (and checks) the types.
            return MinNborDist.Compute(systems, _script.SetPrefix, ct, progress, _script.TypeMap);
        });

    internal NeighborStatistics DataStatistics(CancellationToken ct, IProgress<MinNborDistProgress>? progress) =>
        _dataStats ??= Once(() =>
        {
            var systems = TrainingData!.SelectMany(SystemLocator.Expand).ToList();
            if (systems.Count == 0)
            {
                throw new DataFileException(ErrorIds.NoSystemFound,
                    $"No data system (a folder with type.raw) was found under {string.Join(", ", TrainingData!)}.", DeepMdErrorKind.ObjectNotFound);
            }

            return MinNborDist.Compute(systems, "set", ct, progress);
        });

    /// <summary>Bad training data fails every model of a pipeline the same way, without being read again.</summary>
    private NeighborStatistics Once(Func<NeighborStatistics> compute)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        try
        {
            return compute();
        }
        catch (DeepMdException ex)
        {
            _failure = ex;
            throw;
        }
    }
}

/// <summary>Measure-EmbeddingRange without PowerShell: choose min_nbor_dist by precedence, then derive the per-net ranges.</summary>
public static class RangeMeasurement
{
    /// <summary>
    /// The embedding ranges of <paramref name="model"/>. min_nbor_dist is the first available of: <see cref="MinNborDistInput.Value"/>,
    /// the graph's <c>train_attr/min_nbor_dist</c>, a scan of the training script's systems, a scan of the given system folders.
    /// Inputs that lose to a higher-precedence one are named in <see cref="EmbeddingRange.Notes"/> (and in <paramref name="ignored"/>).
    /// </summary>
    public static EmbeddingRange Measure(FrozenModel model, MinNborDistInput input, out IReadOnlyList<string> ignored,
        CancellationToken cancellationToken = default, IProgress<MinNborDistProgress>? progress = null)
    {
        // Refuse models without tables before reading any training data.
        Descriptors.CompressionCapability.EnsureFamilies(model);
        var notes = new List<string>();
        var skipped = new List<string>();
        ignored = skipped;
        bool hasScript = !string.IsNullOrEmpty(input.TrainingScript);
        bool hasData = input.TrainingData is { Count: > 0 };

        if (input.Value is double value)
        {
            EnvMatRange.ValidateMinNborDist(value, MinNborDistSource.Parameter);
            Ignore(skipped, "-MinNborDist", model.MinNborDist is not null, hasScript, hasData);
            return Finish(model, value, MinNborDistSource.Parameter, null, null, notes, skipped);
        }

        if (model.MinNborDist is double graph)
        {
            EnvMatRange.ValidateMinNborDist(graph, MinNborDistSource.Graph);
            Ignore(skipped, "the graph's train_attr/min_nbor_dist", false, hasScript, hasData);
            return Finish(model, graph, MinNborDistSource.Graph, "train_attr/min_nbor_dist", null, notes, skipped);
        }

        if (hasScript)
        {
            var stats = input.ScriptStatistics(cancellationToken, progress);
            Ignore(skipped, "-TrainingScript", false, false, hasData);
            CompareScript(model, input.Script!, notes);
            return Finish(model, stats.MinNborDist, MinNborDistSource.TrainingScript, input.Script!.Path, stats, notes, skipped);
        }

        if (hasData)
        {
            var stats = input.DataStatistics(cancellationToken, progress);
            return Finish(model, stats.MinNborDist, MinNborDistSource.TrainingData, string.Join(", ", stats.Systems), stats, notes, skipped);
        }

        throw new InvalidParameterException(ErrorIds.MinNborDistUnavailable,
            "The model has no train_attr/min_nbor_dist; give -MinNborDist, -TrainingScript (input.json with the training systems) or -TrainingData (system folders)."
            + (model.TrainingScript is not null ? " (The graph embeds a training script, but its system paths refer to the machine it was trained on.)" : string.Empty));
    }

    private static EmbeddingRange Finish(FrozenModel model, double value, MinNborDistSource source, string? origin, NeighborStatistics? stats,
        List<string> notes, List<string> skipped) =>
        EnvMatRange.Measure(model, value, source, origin, stats, skipped.Concat(notes));

    private static void Ignore(List<string> skipped, string winner, bool graph, bool script, bool data)
    {
        if (graph)
        {
            skipped.Add($"The graph's train_attr/min_nbor_dist was ignored: {winner} takes precedence.");
        }

        if (script)
        {
            skipped.Add($"-TrainingScript was ignored: {winner} takes precedence.");
        }

        if (data)
        {
            skipped.Add($"-TrainingData was ignored: {winner} takes precedence.");
        }
    }

    /// <summary>dp compress builds the descriptor from the script when the graph embeds none; say so when the two disagree.</summary>
    private static void CompareScript(FrozenModel model, TrainingScript script, List<string> notes)
    {
        string F(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "?";
        if (script.Rcut is double rc && model.Rcut is double mrc && rc != mrc)
        {
            notes.Add($"The training script's rcut {F(rc)} differs from the graph's {F(mrc)}; the graph's is used.");
        }

        if (script.RcutSmth is double rs && model.RcutSmth is double mrs && rs != mrs && model.TrainingScriptJson is null)
        {
            notes.Add($"The training script's rcut_smth {F(rs)} differs from the graph's {F(mrs)}; the graph's is used.");
        }

        if (script.TypeMap is { } tm && model.TypeMap is { } mtm && !tm.SequenceEqual(mtm))
        {
            notes.Add($"The training script's type_map ({string.Join(" ", tm)}) differs from the graph's ({string.Join(" ", mtm)}); types do not matter for min_nbor_dist.");
        }
    }
}
