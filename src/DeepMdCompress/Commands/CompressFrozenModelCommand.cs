using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Commands;

/// <summary>
/// <c>dp compress -i graph.pb -o graph-compress.pb</c> in one command: ranges, tables, compressed graph,
/// written atomically. Writes nothing but the output file (no compress.json, no checkpoint folder).
/// </summary>
[Cmdlet(VerbsData.Compress, "FrozenModel", DefaultParameterSetName = StepSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CompressionSummary))]
[OutputType(typeof(FileInfo))]
public sealed class CompressFrozenModelCommand : DeepMdCmdlet
{
    private const string StepSet = "Step";
    private const string MaxErrorSet = "MaxError";
    private const string Activity = "Compressing frozen model";

    /// <summary>
    /// dp compress -i: the original frozen model (.pb or .pbtxt), taken literally (no wildcards: pipe Get-ChildItem for
    /// many), hence also -LiteralPath.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("i", "Input", "FullName", "LiteralPath", "PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string InputPath { get; set; } = string.Empty;

    /// <summary>
    /// dp compress -o: the compressed model's file (.pb: binary, .pbtxt: text), a folder (existing, or ending in a
    /// separator; created with -Force) or a name template ({BaseName}, {Name}, {Extension}, {Step}). Without it the
    /// output sits next to the input as {BaseName}_compressed{Extension}, dp compress's default name.
    /// </summary>
    [Parameter(Position = 1)]
    [Alias("o", "Output")]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>Binary (.pb) or Text (.pbtxt); by default chosen from the output file's extension.</summary>
    [Parameter]
    public GraphFileFormat? Format { get; set; }

    /// <summary>dp compress -s: stride of the fine table (the coarse one is 10·Step).</summary>
    [Parameter(ParameterSetName = StepSet)]
    [Alias("s")]
    public double Step { get; set; } = 0.01;

    /// <summary>dp compress -e: the coarse table reaches upper·Extrapolate (an integer ≥ 1).</summary>
    [Parameter]
    [Alias("e")]
    public double Extrapolate { get; set; } = 5;

    /// <summary>dp compress -f: overflow-check frequency, stored in table_info.</summary>
    [Parameter]
    [Alias("f")]
    public double Frequency { get; set; } = -1;

    /// <summary>Which se_e3 table rows get the fine interval length: Legacy (deepmd-kit 2.2.9 … 3.1.1) or Current (3.1.2 and later).</summary>
    [Parameter]
    public SeTIntervalRule SeTIntervalRule { get; set; } = SeTIntervalRule.Legacy;

    /// <summary>dp compress -t: training script whose systems give min_nbor_dist when the graph has none.</summary>
    [Parameter]
    [Alias("t")]
    [ValidateNotNullOrEmpty]
    public string? TrainingScript { get; set; }

    /// <summary>min_nbor_dist in Å, overriding the graph and the training data.</summary>
    [Parameter]
    public double MinNborDist { get; set; }

    /// <summary>Training system folders to scan for min_nbor_dist (instead of a training script).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? TrainingData { get; set; }

    /// <summary>Choose the largest step of the ladder whose worst table value error is at most this.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MaxErrorSet)]
    public double MaxError { get; set; }

    /// <summary>Replace an existing output file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the compressed file (a FileInfo) instead of the summary, as Export-FrozenModel -PassThru does.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<(string Input, string Output)> _jobs = new();
    private TabulationSettings _settings = new();
    private MinNborDistInput _minNborDist = new();
    private string? _output;

    // Parameter mistakes stop the command before any input is read (about_DeepMdCompress_Errors).
    protected override void BeginProcessing()
    {
        try
        {
            _settings = new TabulationSettings
            {
                Step = Step,
                Extrapolate = RequireInteger(Extrapolate, "Extrapolate", ErrorIds.InvalidExtrapolate, "dp compress -e takes an int"),
                Frequency = RequireInteger(Frequency, "Frequency", ErrorIds.InvalidFrequency, "dp compress -f takes an int"),
                MaxError = ParameterSetName == MaxErrorSet ? MaxError : null,
                SeTIntervalRule = SeTIntervalRule,
            };
            _settings.Validate();
        }
        catch (DeepMdException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, null));
        }

        _minNborDist = MinNborDistParameters(MyInvocation.BoundParameters.ContainsKey(nameof(MinNborDist)) ? MinNborDist : null, TrainingScript, TrainingData);

        if (OutputPath is not null)
        {
            _output = ResolveOutputFolderOrTemplate(OutputPath, Force);
        }
    }

    protected override void ProcessRecord()
    {
        string input = ResolveInputPaths(new[] { InputPath }, literal: true) is { Count: 1 } paths ? paths[0] : string.Empty;
        if (input.Length > 0)
        {
            _jobs.Add((input, OutputNaming.For(input, _output, _settings.Step)));
        }
    }

    // Every input is known here, so two that would write one file are refused before any work.
    protected override void EndProcessing()
    {
        try
        {
            OutputNaming.CheckClashes(_jobs);
        }
        catch (DeepMdException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, _output));
        }

        for (int k = 0; k < _jobs.Count; k++)
        {
            if (_jobs.Count > 1)
            {
                WriteProgress(new ProgressRecord(4, "Compressing frozen models", $"{k + 1} of {_jobs.Count}: {_jobs[k].Input}")
                    { PercentComplete = 100 * k / _jobs.Count });
            }

            Compress(_jobs[k].Input, _jobs[k].Output);
        }

        if (_jobs.Count > 1)
        {
            WriteProgress(new ProgressRecord(4, "Compressing frozen models", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    private void Compress(string input, string output) => Run(input, () =>
    {
        AtomicFile.CheckTarget(output, Force, input);
        WriteProgress(new ProgressRecord(3, Activity, $"Reading {input}") { PercentComplete = 0, ParentActivityId = _jobs.Count > 1 ? 4 : -1 });
        var model = FrozenModelReader.Load(input, CancelToken);
        var progress = new CallbackProgress<CompressionProgress>(p =>
            WriteProgress(new ProgressRecord(3, Activity, p.Stage) { PercentComplete = p.Percent, CurrentOperation = p.Detail, ParentActivityId = _jobs.Count > 1 ? 4 : -1 }));
        var compressed = ModelCompressor.Compress(model, _minNborDist, _settings, Path.GetFileName(input), progress, CancelToken);
        foreach (string note in compressed.Tabulated.Range.Notes.Concat(compressed.Graph.Notes))
        {
            WriteVerbose($"{input}: {note}");
        }

        WriteVerbose($"{input}: min_nbor_dist {compressed.Tabulated.Range.MinNborDist.ToString("R", CultureInfo.InvariantCulture)} Å from {compressed.Tabulated.Range.MinNborDistSource}"
            + (compressed.Tabulated.Range.MinNborDistOrigin is { } origin ? $" ({origin})" : string.Empty)
            + $"; {compressed.Tabulated.Tables.Count} net(s) tabulated with step {compressed.Tabulated.Step.ToString("R", CultureInfo.InvariantCulture)}.");
        var graph = compressed.Model.GetGraphDef();
        if (!ShouldProcess(output, $"Write the compressed model ({compressed.Tabulated.Tables.Count} tabulated nets, step {compressed.Tabulated.Step}) from {input}"))
        {
            // -WhatIf: everything but the write was done, so the summary is the preview.
            WriteObject(new CompressionSummary(input, output, compressed.Tabulated, new FileInfo(input).Length, graph.CalculateSize(),
                model, compressed.Model, compressed.Graph.Notes) { IsPreview = true });
            return;
        }

        if (WriteGraph(() => graph, output, FormatFor(output, Format), Force, Activity))
        {
            WriteObject(PassThru
                ? new FileInfo(output)
                : new CompressionSummary(input, output, compressed.Tabulated, new FileInfo(input).Length, new FileInfo(output).Length,
                    model, compressed.Model, compressed.Graph.Notes));
        }
    }, Activity, 3);
}
