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

    /// <summary>The model taken as correct (usually the original).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public FrozenModel ReferenceModel { get; set; } = null!;

    /// <summary>The model checked against it (usually the compressed one); may come from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel DifferenceModel { get; set; } = null!;

    /// <summary>Largest absolute error of total energy, any force component and any virial component for Passed.</summary>
    [Parameter]
    public double Tolerance { get; set; } = 1e-6;

    protected override void ProcessRecord()
    {
        try
        {
            var frames = ReadFrames(ReferenceModel);
            var progress = new FrameProgress(this, frames.Frames, $"{ReferenceModel} vs {DifferenceModel}", "Comparing frozen models");
            var result = ModelComparer.Compare(ReferenceModel, DifferenceModel, frames, Tolerance, progress, CancelToken);
            progress.Complete();
            WriteObject(result);
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsReportable(ex))
        {
            WriteError(ToErrorRecord(ex, DifferenceModel));
        }
    }
}
