using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// Tabulates a model's embedding nets as deepmd-kit's <c>DPTabulate.build</c> does (docs/tables.md), after forecasting
/// the size, optionally choosing the step from a ladder by the worst interpolation error.
/// </summary>
public static class Tabulator
{
    /// <summary>Bytes added to the graph per table besides its coefficients (table, table_info and op nodes).</summary>
    private const long NodeOverhead = 1024;

    /// <summary>
    /// Builds a table for every net of <paramref name="range"/>. Progress is reported on the calling thread before
    /// each net (the work inside a net is spread over all cores).
    /// </summary>
    public static TabulatedModel Tabulate(EmbeddingRange range, TabulationSettings? settings = null,
        IProgress<TabulationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (range is null)
        {
            throw new ArgumentNullException(nameof(range));
        }

        settings ??= new TabulationSettings();
        settings.Validate();
        var jobs = ReadNets(range);
        long graphBytes = range.Model.GetGraphDef().CalculateSize();
        var result = TabulateNets(jobs, settings, graphBytes, progress, cancellationToken);
        double stride0 = Stride0(result.Step, jobs[0]), stride1 = Stride1(result.Step, jobs[0]);
        return new TabulatedModel(range, result.Step, settings.Extrapolate, settings.Frequency, stride0, stride1,
            result.Tables, settings.MaxError, result.Trials, settings.SeTIntervalRule);
    }

    /// <summary>Bytes of all tables at <paramref name="step"/>, computed without building anything.</summary>
    public static long ForecastBytes(EmbeddingRange range, double step, int extrapolate = 5)
    {
        if (range is null)
        {
            throw new ArgumentNullException(nameof(range));
        }

        TabulationSettings.CheckStep(step, "Step");
        var jobs = ReadNets(range);
        return Forecast(jobs, step, extrapolate, -1);
    }

    /// <summary>One net to tabulate with its range.</summary>
    internal readonly struct NetJob
    {
        public NetJob(EmbeddingNet net, string name, double lower, double upper, TableLayout layout = TableLayout.Standard, double strideFactor = 1)
        {
            Net = net;
            Name = name;
            Lower = lower;
            Upper = upper;
            Layout = layout;
            StrideFactor = strideFactor;
        }

        /// <summary>How the table maps inputs to rows (the net's descriptor family says).</summary>
        public TableLayout Layout { get; }

        /// <summary>The family's factor on dp compress's strides (se_e3: 10).</summary>
        public double StrideFactor { get; }

        public EmbeddingNet Net { get; }

        public string Name { get; }

        public double Lower { get; }

        public double Upper { get; }
    }

    internal sealed class Result
    {
        public Result(double step, IReadOnlyList<NetTable> tables, IReadOnlyList<StepTrial> trials)
        {
            Step = step;
            Tables = tables;
            Trials = trials;
        }

        public double Step { get; }

        public IReadOnlyList<NetTable> Tables { get; }

        public IReadOnlyList<StepTrial> Trials { get; }
    }

    /// <summary>The size forecast, the -MaxError ladder and the builds, on nets already read (also used by the benchmark).</summary>
    internal static Result TabulateNets(IReadOnlyList<NetJob> jobs, TableLayout layout, TabulationSettings settings, long graphBytes,
        IProgress<TabulationProgress>? progress, CancellationToken cancellationToken) =>
        TabulateNets(jobs.Select(j => new NetJob(j.Net, j.Name, j.Lower, j.Upper, layout, layout == TableLayout.SeT ? 10 : 1)).ToList(),
            settings, graphBytes, progress, cancellationToken);

    internal static Result TabulateNets(IReadOnlyList<NetJob> jobs, TabulationSettings settings, long graphBytes,
        IProgress<TabulationProgress>? progress, CancellationToken cancellationToken)
    {
        settings.Validate();
        if (settings.MaxError is not double target)
        {
            CheckSize(jobs, settings, settings.Step, graphBytes);
            var tables = BuildAll(jobs, settings, settings.Step, progress, cancellationToken);
            return new Result(settings.Step, tables, Array.Empty<StepTrial>());
        }

        var trials = new List<StepTrial>();
        string? stoppedBySize = null;
        foreach (double step in settings.StepLadder.Distinct().OrderByDescending(s => s))
        {
            long bytes = Forecast(jobs, step, settings.Extrapolate, settings.Frequency) + graphBytes + NodeOverhead * jobs.Count;
            if (bytes > TabulationLimits.ProtobufLimit)
            {
                stoppedBySize = $" Step {F(step)} and finer would exceed protobuf's 2 GB limit ({bytes} bytes).";
                break;
            }

            var tables = BuildAll(jobs, settings, step, progress, cancellationToken);
            double worstValue = tables.Count == 0 ? 0 : tables.Max(t => t.MaxValueError);
            double worstDeriv = tables.Count == 0 ? 0 : tables.Max(t => t.MaxDerivativeError);
            bool accepted = worstValue <= target;
            trials.Add(new StepTrial(step, worstValue, worstDeriv, tables.Sum(t => t.Bytes), accepted));
            if (accepted)
            {
                return new Result(step, tables, trials);
            }
        }

        if (trials.Count == 0)
        {
            // Not even the largest step fits: the same refusal as for a given step.
            CheckSize(jobs, settings, settings.StepLadder.Max(), graphBytes);
        }

        string tried = string.Join("; ", trials.Select(t => $"step {F(t.Step)}: {t.MaxValueError.ToString("G3", CultureInfo.InvariantCulture)}"));
        throw new InvalidParameterException(ErrorIds.MaxErrorNotReached,
            $"No step of the ladder reaches a worst value error of {F(target)} (tried {tried}).{stoppedBySize} Allow a larger -MaxError or give -Step directly.");
    }

    private static List<NetTable> BuildAll(IReadOnlyList<NetJob> jobs, TabulationSettings settings, double step,
        IProgress<TabulationProgress>? progress, CancellationToken cancellationToken)
    {
        var tables = new List<NetTable>(jobs.Count);
        for (int i = 0; i < jobs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var job = jobs[i];
            progress?.Report(new TabulationProgress(i, jobs.Count, job.Name, step));
            var plan = Plan(job, step, settings.Extrapolate, settings.Frequency);
            tables.Add(TableBuilder.Build(job.Net, plan, settings.SeTIntervalRule, cancellationToken));
        }

        return tables;
    }

    private static void CheckSize(IReadOnlyList<NetJob> jobs, TabulationSettings settings, double step, long graphBytes)
    {
        long bytes = Forecast(jobs, step, settings.Extrapolate, settings.Frequency);
        long total = bytes + graphBytes + NodeOverhead * jobs.Count;
        if (total <= TabulationLimits.ProtobufLimit)
        {
            return;
        }

        double? fits = TabulationSettings.DefaultStepLadder.Concat(settings.StepLadder).Distinct().OrderBy(s => s)
            .Where(s => Forecast(jobs, s, settings.Extrapolate, settings.Frequency) + graphBytes + NodeOverhead * jobs.Count <= TabulationLimits.ProtobufLimit)
            .Select(s => (double?)s).FirstOrDefault();
        string advice = fits is double s
            ? $"The smallest step of the ladder ({string.Join(", ", TabulationSettings.DefaultStepLadder.Select(F))}) that fits is {F(s)}."
            : "Not even the largest step of the ladder fits; narrow the range (a larger min_nbor_dist) or lower -Extrapolate.";
        throw new ResourceLimitException(ErrorIds.GraphTooLarge,
            $"The tables at step {F(step)} would take {bytes} bytes ({total} with the rest of the graph), above protobuf's 2 GB limit for a graph. {advice}");
    }

    private static long Forecast(IReadOnlyList<NetJob> jobs, double step, int extrapolate, int frequency)
    {
        long total = 0;
        foreach (var job in jobs)
        {
            long bytes = Plan(job, step, extrapolate, frequency).Bytes(job.Net.LastLayerSize, job.Net.IsFloat32);
            total = bytes > long.MaxValue / 2 - total ? long.MaxValue / 2 : total + bytes;
        }

        return total;
    }

    private static TablePlan Plan(NetJob job, double step, int extrapolate, int frequency) =>
        TablePlan.Create(job.Name, job.Layout, job.Lower, job.Upper, extrapolate, Stride0(step, job), Stride1(step, job), frequency);

    /// <summary>dp compress passes table_config [e, s, 10·s, f]; a family may scale both strides (se_e3 by 10, docs/tables.md).</summary>
    internal static double Stride0(double step, double factor) => factor == 1 ? step : step * factor;

    internal static double Stride1(double step, double factor) => factor == 1 ? 10 * step : 10 * step * factor;

    private static double Stride0(double step, NetJob job) => Stride0(step, job.StrideFactor);

    private static double Stride1(double step, NetJob job) => Stride1(step, job.StrideFactor);

    /// <summary>Matches every range to its net in the graph and reads the net, refusing what deepmd-kit cannot tabulate.</summary>
    private static List<NetJob> ReadNets(EmbeddingRange range)
    {
        var model = range.Model;
        var activation = EmbeddingNetReader.CheckModel(model);
        if (range.Nets.Count == 0)
        {
            throw new InvalidParameterException(ErrorIds.NoNetsToTabulate, "The embedding range lists no nets, so there is nothing to tabulate.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var jobs = new List<NetJob>(range.Nets.Count);
        foreach (var r in range.Nets)
        {
            if (!seen.Add(r.Name))
            {
                throw new InvalidParameterException(ErrorIds.DuplicateNet, $"The embedding range lists net {r.Name} twice.");
            }

            var info = r.Net ?? model.EmbeddingNets.FirstOrDefault(n => n.Name == r.Name)
                ?? throw new InvalidParameterException(ErrorIds.NetNotFound,
                    $"The model has no embedding net {r.Name} (it has {string.Join(", ", model.EmbeddingNets.Select(n => n.Name))}).");
            var spec = info.Descriptor?.Spec ?? model.Descriptors.FirstOrDefault()?.Spec;
            jobs.Add(new NetJob(EmbeddingNetReader.Read(model, info, activation), r.Name, r.Lower, r.Upper,
                spec?.TableLayout ?? TableLayout.Standard, spec?.StrideFactor ?? 1));
        }

        return jobs;
    }

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
