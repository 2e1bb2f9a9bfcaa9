using System;
using System.Management.Automation;
using DeepMdCompress.Core.Versioning;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Commands;

/// <summary>
/// Upgrades a model made by an old deepmd-kit (0.12 … 2.0) to the 2.1 layout in memory, like <c>dp convert-from</c>;
/// Export-FrozenModel writes the result. The input model and its file are never changed.
/// </summary>
[Cmdlet(VerbsData.Convert, ErrorIds.LegacyModel)]
[OutputType(typeof(FrozenModel))]
public sealed class ConvertLegacyModelCommand : DeepMdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>The deepmd-kit version that made the model; default: the detected one.</summary>
    [Parameter]
    [ValidateSet("0.12", "1.0", "1.1", "1.2", "1.3", "2.0")]
    public string? From { get; set; }

    /// <summary>Convert as -From says even when the graph looks like another version.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (!Run(InputObject, () => LegacyModelConverter.Convert(InputObject, From, Force, CancelToken), out var result))
        {
            return;
        }

        if (!result.Changed)
        {
            WriteWarning(result.From == SourceVersions.V2_1
                ? $"{InputObject} is already in the deepmd-kit 2.1 layout (model version {result.Detected.ModelVersion}); returned unchanged."
                : $"Converting {InputObject} from {result.From} changed nothing; returned unchanged.");
        }
        else
        {
            foreach (string step in result.Steps)
            {
                WriteVerbose(step);
            }
        }

        WriteObject(result.Model);
    }
}
