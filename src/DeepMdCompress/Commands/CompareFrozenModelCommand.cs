using System;
using System.Management.Automation;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Commands;

/// <summary>
/// Evaluates two models on the same frames (our TensorFlow-free evaluator) and reports the differences in
/// energy, forces and virial — e.g. a compressed model against its original.
/// </summary>
[Cmdlet(VerbsData.Compare, "FrozenModel", DefaultParameterSetName = ArraysSet)]
[OutputType(typeof(ModelComparison))]
public sealed class CompareFrozenModelCommand : FrameInputCmdlet
{

    /// <summary>The model taken as correct (usually the original): a FrozenModel or the path of a .pb/.pbtxt file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [FrozenModelArgument]
    [ValidateNotNull]
    public FrozenModel ReferenceModel { get; set; } = null!;

    /// <summary>The model checked against it (usually the compressed one), a model or a path; may come from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [FrozenModelArgument]
    [ValidateNotNull]
    public FrozenModel DifferenceModel { get; set; } = null!;

    /// <summary>
    /// Largest absolute error of total energy, any force component and any virial component for Passed: one number for
    /// all three, or per quantity (@{ Energy = 1e-8; Force = 1e-6; Virial = 1e-5 }; unnamed ones keep 1e-6).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public ComparisonTolerance Tolerance { get; set; } = new();

    protected override void ProcessRecord() => Run(DifferenceModel, () =>
    {
        var frames = ReadFrames(ReferenceModel);
        var progress = new FrameProgress(this, frames.Frames, $"{ReferenceModel} vs {DifferenceModel}", "Comparing frozen models");
        var result = ModelComparer.Compare(ReferenceModel, DifferenceModel, frames, Tolerance, progress, CancelToken);
        progress.Complete();
        WriteVerbose($"{ReferenceModel} vs {DifferenceModel}: {result}");
        WriteObject(result);
    });
}
