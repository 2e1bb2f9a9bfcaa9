using System;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;

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
        var format = Format is { } f ? (f == GraphFileFormat.Text ? GraphFormat.Text : GraphFormat.Binary) : GraphFile.FormatFromExtension(target);
        var (source, describe) = InputObject.BaseObject switch
        {
            FrozenModel m => (m, $"{m.NodeCount}-node graph"),
            TabulatedModel t => (t.Model, $"compressed graph of {t.Tables.Count} tabulated net(s)"),
            _ => (null, string.Empty),
        };
        if (source is null)
        {
            WriteError(new ErrorRecord(new ArgumentException($"InputObject must be a DeepMdCompress.FrozenModel or TabulatedModel, not {InputObject.BaseObject.GetType().FullName}."),
                "InvalidInputType", ErrorCategory.InvalidArgument, InputObject));
            return;
        }

        if (source.Path is { } sourcePath && string.Equals(System.IO.Path.GetFullPath(sourcePath), System.IO.Path.GetFullPath(target), StringComparison.OrdinalIgnoreCase))
        {
            WriteError(new ErrorRecord(new InvalidOperationException($"Refusing to overwrite the model's own input file '{target}'; write to another path."),
                "OutputIsInput", ErrorCategory.InvalidOperation, target));
            return;
        }

        if (Directory.Exists(target))
        {
            WriteError(new ErrorRecord(new IOException($"Output path '{target}' is a directory."), "OutputPathIsDirectory", ErrorCategory.WriteError, target));
            return;
        }

        bool exists = File.Exists(target);
        if (exists && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"'{target}' already exists; use -Force to overwrite it."), "OutputFileExists", ErrorCategory.ResourceExists, target));
            return;
        }

        if (!ShouldProcess(target, $"Write {describe} as {format}{(exists ? " (overwrite)" : string.Empty)}"))
        {
            return;
        }

        WriteProgress(new ProgressRecord(2, "Exporting frozen model", $"Writing {target}"));
        try
        {
            var graph = InputObject.BaseObject is TabulatedModel tabulated
                ? ModelCompressor.Build(tabulated, source.Path, CancelToken).Model.GetGraphDef()
                : source.GetGraphDef();
            GraphFile.Write(graph, target, format, overwrite: Force, CancelToken);
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsReportable(ex))
        {
            WriteError(ToErrorRecord(ex, target));
            return;
        }
        finally
        {
            WriteProgress(new ProgressRecord(2, "Exporting frozen model", "Done") { RecordType = ProgressRecordType.Completed });
        }

        if (PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }
}
