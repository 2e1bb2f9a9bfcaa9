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
public sealed class CompareFrozenModelCommand : DeepMdCmdlet
{
    private const string ArraysSet = "Arrays";
    private const string SystemSet = "System";

    /// <summary>The model taken as correct (usually the original).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public FrozenModel ReferenceModel { get; set; } = null!;

    /// <summary>The model checked against it (usually the compressed one); may come from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel DifferenceModel { get; set; } = null!;

    /// <summary>Cartesian coordinates in Å, frame after frame (nframes·natoms·3 values).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ArraysSet)]
    [Alias("Coord")]
    public double[] Coordinate { get; set; } = Array.Empty<double>();

    /// <summary>Type index of each atom, shared by all frames.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ArraysSet)]
    [Alias("Type")]
    public int[] AtomType { get; set; } = Array.Empty<int>();

    /// <summary>Cell vectors a, b, c (9 values for every frame, or 9 per frame); omit for an open system.</summary>
    [Parameter(ParameterSetName = ArraysSet)]
    [AllowEmptyCollection]
    public double[]? Box { get; set; }

    [Parameter(ParameterSetName = ArraysSet)]
    [AllowEmptyCollection]
    [Alias("FParam")]
    public double[]? FrameParameter { get; set; }

    [Parameter(ParameterSetName = ArraysSet)]
    [AllowEmptyCollection]
    [Alias("AParam")]
    public double[]? AtomParameter { get; set; }

    /// <summary>A deepmd-kit data system whose frames are used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SystemSet)]
    [ValidateNotNullOrEmpty]
    public string SystemPath { get; set; } = string.Empty;

    /// <summary>Use at most this many frames of -SystemPath.</summary>
    [Parameter(ParameterSetName = SystemSet)]
    [ValidateRange(1, int.MaxValue)]
    public int MaxFrames { get; set; } = int.MaxValue;

    /// <summary>Largest absolute error of total energy, any force component and any virial component for Passed.</summary>
    [Parameter]
    public double Tolerance { get; set; } = 1e-6;

    protected override void ProcessRecord()
    {
        try
        {
            var frames = ParameterSetName == SystemSet
                ? FramesFromSystem(ReferenceModel, SystemPath, MaxFrames)
                : new EvaluationFrames(Coordinate, AtomType, Box, FrameParameter, AtomParameter);
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
