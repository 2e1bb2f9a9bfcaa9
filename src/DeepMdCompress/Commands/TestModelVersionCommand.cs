using System;
using System.Management.Automation;
using DeepMdCompress.Core.Versioning;

namespace DeepMdCompress.Commands;

/// <summary>
/// Tells which deepmd-kit made a model, whether deepmd-kit 2.2.9 … 3.x loads it, whether it can be compressed, and
/// what to do next. -Quiet answers only "can it go straight to compression?" as $true/$false.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ModelVersion")]
[OutputType(typeof(ModelVersionInfo), typeof(bool))]
public sealed class TestModelVersionCommand : DeepMdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>Return only $true (loadable and compressible) or $false, like Test-Path.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        if (!Run(InputObject, () => ModelVersionInspector.Inspect(InputObject), out var info))
        {
            return;
        }

        if (Quiet)
        {
            WriteObject(info.IsLoadable && info.IsCompressible);
        }
        else
        {
            WriteVerbose($"{InputObject}: {info.Evidence}");
            WriteObject(info);
        }
    }
}
