using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Ranges;

namespace DeepMdCompress.Commands;

/// <summary>
/// Writes an SVG of a measured embedding range against the training data: the histogram of centre–neighbour
/// distances per type pair, with min_nbor_dist (where the fine tables end), rcut_smth and rcut marked. Shows whether
/// the tables cover what the data holds. The file opens in any browser.
/// </summary>
[Cmdlet(VerbsData.Export, "EmbeddingRangePlot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportEmbeddingRangePlotCommand : DeepMdCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string Activity = "Plotting neighbour distances";

    /// <summary>The range to plot (Measure-EmbeddingRange's output).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public EmbeddingRange InputObject { get; set; } = null!;

    /// <summary>The SVG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>System folders (or folders holding systems) whose distances are counted; default: those the range was measured on.</summary>
    [Parameter]
    [Alias("t")]
    [ValidateNotNullOrEmpty]
    public string[]? TrainingData { get; set; }

    /// <summary>Width of a histogram bin (Å).</summary>
    [Parameter]
    [ValidateRange(1e-4, 1.0)]
    public double BinWidth { get; set; } = 0.02;

    /// <summary>Frames read at most, in all.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxFrames { get; set; } = int.MaxValue;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string target = ResolveOutputPath(ParameterSetName == LiteralPathSet ? LiteralPath : Path);
        IReadOnlyList<string>? folders = TrainingData is null ? InputObject.Statistics?.Systems : ResolveTrainingData(TrainingData);
        if (folders is null || folders.Count == 0)
        {
            WriteError(new ErrorRecord(new InvalidOperationException(
                $"{InputObject.Model}: its min_nbor_dist ({InputObject.MinNborDistSource}) was not measured on training data; give -TrainingData (system folders)."),
                ErrorIds.NoDistanceData, ErrorCategory.InvalidArgument, InputObject));
            return;
        }

        if (!CheckOutputTarget(target, Force, InputObject.Model.Path)
            || !ShouldProcess(target, $"Write the neighbour distances of {string.Join(", ", folders)} against the range of {InputObject.Model}"))
        {
            return;
        }

        Run(target, () =>
        {
            WriteProgress(new ProgressRecord(6, Activity, $"Counting distances in {string.Join(", ", folders)}"));
            var model = InputObject.Model;
            var types = model.TypeMap ?? Enumerable.Range(0, model.NTypes ?? 1).Select(t => $"type{t}").ToArray();
            var histogram = DistanceHistogram.Compute(folders, types, InputObject.Rcut, BinWidth, MaxFrames, CancelToken);
            string svg = RangePlot.Svg(InputObject, histogram);
            AtomicFile.WriteText(target, Force, svg, CancelToken);
            WriteVerbose($"{target}: {histogram.Counts.Count} series over {histogram.Frames} frame(s); closest neighbour {histogram.Closest:G6} Å, min_nbor_dist {InputObject.MinNborDist:G6} Å.");
            if (PassThru)
            {
                WriteObject(new FileInfo(target));
            }
        }, Activity, 6);
    }
}
