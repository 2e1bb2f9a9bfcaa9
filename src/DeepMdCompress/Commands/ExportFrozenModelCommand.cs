using System;
using System.IO;
using System.Management.Automation;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;

namespace DeepMdCompress.Commands;

public enum GraphFileFormat
{
    Binary,
    Text,
}

/// <summary>Writes a model's GraphDef to a .pb or .pbtxt file, atomically.</summary>
[Cmdlet(VerbsData.Export, "FrozenModel", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFrozenModelCommand : DeepMdCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    // Path comes first so that `$model | Export-FrozenModel ./x.pb` binds the path, as Export-Csv does.
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

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
        if (InputObject.Path is { } source && string.Equals(System.IO.Path.GetFullPath(source), System.IO.Path.GetFullPath(target), StringComparison.OrdinalIgnoreCase))
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

        string action = $"Write {InputObject.NodeCount}-node graph as {format}{(exists ? " (overwrite)" : string.Empty)}";
        if (!ShouldProcess(target, action))
        {
            return;
        }

        WriteProgress(new ProgressRecord(2, "Exporting frozen model", $"Writing {target}"));
        try
        {
            GraphFile.Write(InputObject.GetGraphDef(), target, format, overwrite: Force, CancelToken);
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
