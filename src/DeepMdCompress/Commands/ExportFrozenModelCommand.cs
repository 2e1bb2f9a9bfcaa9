using System;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Commands;

public enum GraphFileFormat
{
    Binary,
    Text,
}

/// <summary>
/// Writes a model's GraphDef to a .pb or .pbtxt file, atomically. A TabulatedModel is written as the
/// compressed graph (TabulateFusion ops instead of the embedding nets), as <c>dp compress</c> would.
/// </summary>
[Cmdlet(VerbsData.Export, "FrozenModel", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFrozenModelCommand : DeepMdCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    // Path comes first so that `$model | Export-FrozenModel ./x.pb` binds the path, as Export-Csv does.
    /// <summary>A FrozenModel, or a TabulatedModel (then the compressed graph is written).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject InputObject { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>Binary (.pb) or Text (.pbtxt); by default chosen from the output file's extension.</summary>
    [Parameter]
    public GraphFileFormat? Format { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string target = ResolveOutputPath(ParameterSetName == LiteralPathSet ? LiteralPath : Path);
        var format = FormatFor(target, Format);
        var (source, describe) = InputObject.BaseObject switch
        {
            FrozenModel m => (m, $"{m.NodeCount}-node graph"),
            TabulatedModel t => (t.Model, $"compressed graph of {t.Tables.Count} tabulated net(s)"),
            _ => (null, string.Empty),
        };
        if (source is null)
        {
            WriteError(new ErrorRecord(new ArgumentException($"InputObject must be a DeepMdCompress.FrozenModel or TabulatedModel, not {InputObject.BaseObject.GetType().FullName}."),
                ErrorIds.InvalidInputType, ErrorCategory.InvalidArgument, InputObject));
            return;
        }

        bool exists = File.Exists(target);
        if (!CheckOutputTarget(target, Force, source.Path)
            || !ShouldProcess(target, $"Write {describe} as {format}{(exists ? " (overwrite)" : string.Empty)}"))
        {
            return;
        }

        var graph = InputObject.BaseObject is TabulatedModel tabulated
            ? (Func<GraphDef>)(() => ModelCompressor.Build(tabulated, source.Path, CancelToken).Model.GetGraphDef())
            : source.GetGraphDef;
        if (WriteGraph(graph, target, format, Force, "Exporting frozen model") && PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }
}
