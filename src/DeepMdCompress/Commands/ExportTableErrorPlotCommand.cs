using System;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress.Commands;

/// <summary>
/// Writes an SVG of a tabulated model's table errors versus x, one series per net, with each net's range marked
/// (lower, upper from min_nbor_dist, max): where the tables are good and where they are not, beyond the maxima
/// New-TabulatedModel reports. The file opens in any browser.
/// </summary>
[Cmdlet(VerbsData.Export, "TableErrorPlot", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTableErrorPlotCommand : DeepMdCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string Activity = "Plotting table errors";

    /// <summary>The tables to plot (New-TabulatedModel's output).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TabulatedModel InputObject { get; set; } = null!;

    /// <summary>The SVG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string target = ResolveOutputPath(ParameterSetName == LiteralPathSet ? LiteralPath : Path);
        if (!CheckOutputTarget(target, Force, InputObject.Model.Path)
            || !ShouldProcess(target, $"Write the error plot of {InputObject.Tables.Count} table(s) of {InputObject.Model}"))
        {
            return;
        }

        Run(target, () =>
        {
            WriteProgress(new ProgressRecord(5, Activity, $"Measuring {InputObject.Tables.Count} table(s)"));
            string svg = TableErrorPlot.Svg(InputObject, CancelToken);
            AtomicFile.WriteText(target, Force, svg, CancelToken);
            WriteVerbose($"{target}: {InputObject.Tables.Count} series of value and derivative error.");
            if (PassThru)
            {
                WriteObject(new FileInfo(target));
            }
        }, Activity, 5);
    }
}
