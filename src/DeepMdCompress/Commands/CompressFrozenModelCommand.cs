using System;
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
public sealed class CompressFrozenModelCommand : DeepMdCmdlet
{
    private const string StepSet = "Step";
    private const string MaxErrorSet = "MaxError";
    private const string Activity = "Compressing frozen model";

    /// <summary>dp compress -i: the original frozen model (.pb or .pbtxt).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("i", "Input", "FullName")]
    [ValidateNotNullOrEmpty]
    public string InputPath { get; set; } = string.Empty;

    /// <summary>dp compress -o: where to write the compressed model (.pb: binary, .pbtxt: text).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("o", "Output")]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = string.Empty;

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

    protected override void ProcessRecord()
    {
        string input = ResolveInputPaths(new[] { InputPath }, literal: true) is { Count: 1 } paths ? paths[0] : string.Empty;
        if (input.Length == 0)
        {
            return;
        }

        string output = ResolveOutputPath(OutputPath);
        try
        {
            var settings = new TabulationSettings
            {
                Step = Step,
                Extrapolate = RequireInteger(Extrapolate, "Extrapolate", ErrorIds.InvalidExtrapolate, "dp compress -e takes an int"),
                Frequency = RequireInteger(Frequency, "Frequency", ErrorIds.InvalidFrequency, "dp compress -f takes an int"),
                MaxError = ParameterSetName == MaxErrorSet ? MaxError : null,
                SeTIntervalRule = SeTIntervalRule,
            };
            settings.Validate();
            AtomicFile.CheckTarget(output, Force, input);

            var minNborDist = new MinNborDistInput { WorkingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath };
            if (MyInvocation.BoundParameters.ContainsKey(nameof(MinNborDist)))
            {
                minNborDist.Value = MinNborDist;
            }

            if (TrainingScript is not null)
            {
                minNborDist.TrainingScript = ResolveFileSystemPath(TrainingScript);
            }

            if (TrainingData is not null)
            {
                minNborDist.TrainingData = ResolveTrainingData(TrainingData);
            }

            WriteProgress(new ProgressRecord(3, Activity, $"Reading {input}") { PercentComplete = 0 });
            var model = FrozenModelReader.Load(input, CancelToken);
            var progress = new CallbackProgress<CompressionProgress>(p =>
                WriteProgress(new ProgressRecord(3, Activity, p.Stage) { PercentComplete = p.Percent, CurrentOperation = p.Detail }));
            var compressed = ModelCompressor.Compress(model, minNborDist, settings, InputPath, progress, CancelToken);
            foreach (string note in compressed.Graph.Notes)
            {
                WriteVerbose(note);
            }

            if (!ShouldProcess(output, $"Write the compressed model ({compressed.Tabulated.Tables.Count} tabulated nets, step {settings.Step}) from {input}"))
            {
                return;
            }

            WriteProgress(new ProgressRecord(3, Activity, $"Writing {output}") { PercentComplete = 95 });
            GraphFile.Write(compressed.Model.GetGraphDef(), output, GraphFile.FormatFromExtension(output), overwrite: Force, CancelToken);
            WriteObject(new CompressionSummary(input, output, compressed.Tabulated, new FileInfo(input).Length, new FileInfo(output).Length,
                model.NodeCount, compressed.Model.NodeCount, compressed.Graph.Notes));
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsReportable(ex))
        {
            WriteError(ToErrorRecord(ex, input));
        }
        finally
        {
            WriteProgress(new ProgressRecord(3, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
