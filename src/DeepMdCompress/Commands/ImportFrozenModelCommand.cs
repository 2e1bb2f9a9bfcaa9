using System;
using System.Management.Automation;
using DeepMdCompress.Core.Model;

namespace DeepMdCompress.Commands;

/// <summary>Reads DeePMD frozen models (.pb or .pbtxt) and describes each one.</summary>
[Cmdlet(VerbsData.Import, "FrozenModel", DefaultParameterSetName = PathSet)]
[OutputType(typeof(FrozenModel))]
public sealed class ImportFrozenModelCommand : DeepMdCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        var files = ResolveInputPaths(literal ? LiteralPath : Path, literal);
        for (int i = 0; i < files.Count; i++)
        {
            string file = files[i];
            var progress = new ProgressRecord(1, "Importing frozen models", $"Reading {file}")
            {
                PercentComplete = files.Count > 1 ? i * 100 / files.Count : -1,
            };
            WriteProgress(progress);
            Run(file, () =>
            {
                var model = FrozenModelReader.Load(file, CancelToken);
                WriteVerbose($"{file}: {model.Format} {model.DescriptorType} {model.ModelType ?? "ener"} model, {model.NodeCount} nodes, "
                    + $"model_version {model.ModelVersion ?? "none"}{(model.IsCompressed ? ", compressed" : string.Empty)}.");
                WarnIfLegacy(model);

                // The bar goes before the model does, so it is not left up while the next stage works on it.
                WriteProgress(new ProgressRecord(1, "Importing frozen models", "Done") { RecordType = ProgressRecordType.Completed });
                WriteObject(model);
            });
        }

        WriteProgress(new ProgressRecord(1, "Importing frozen models", "Done") { RecordType = ProgressRecordType.Completed });
    }
}
