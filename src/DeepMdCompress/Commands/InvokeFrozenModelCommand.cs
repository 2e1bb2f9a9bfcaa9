using System;
using System.Management.Automation;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Commands;

/// <summary>
/// Runs a frozen model on atomic configurations without TensorFlow and returns what deepmd-kit's DeepPot
/// (energy, forces, virials) or DeepTensor (dipole, polar) would, one object per frame; with -Output the raw
/// values of any graph nodes.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "FrozenModel", DefaultParameterSetName = ArraysSet)]
[OutputType(typeof(ModelOutput), typeof(NodeValue))]
public sealed class InvokeFrozenModelCommand : DeepMdCmdlet
{
    /// <summary>Frames per graph run are chosen so that one run covers about this many atoms (progress granularity, memory).</summary>
    private const int AtomsPerRun = 4096;

    private const string ArraysSet = "Arrays";
    private const string SystemSet = "System";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>Cartesian coordinates in Å: x, y, z per atom, frame after frame (nframes·natoms·3 values).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ArraysSet)]
    [AllowEmptyCollection]
    [Alias("Coord")]
    public double[] Coordinate { get; set; } = Array.Empty<double>();

    /// <summary>Type index of each atom (into the model's type map), shared by all frames.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ArraysSet)]
    [AllowEmptyCollection]
    [Alias("Type")]
    public int[] AtomType { get; set; } = Array.Empty<int>();

    /// <summary>Cell vectors a, b, c (9 values, used for every frame, or 9 per frame); omit for an open system.</summary>
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

    /// <summary>A deepmd-kit data system (type.raw, set.*/coord.npy, box.npy) whose frames are evaluated.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SystemSet)]
    [ValidateNotNullOrEmpty]
    public string SystemPath { get; set; } = string.Empty;

    /// <summary>Evaluate at most this many frames of -SystemPath (in set order).</summary>
    [Parameter(ParameterSetName = SystemSet)]
    [ValidateRange(1, int.MaxValue)]
    public int MaxFrames { get; set; } = int.MaxValue;

    /// <summary>Graph tensors (node or node:k) to return raw instead of the model outputs, e.g. o_descriptor.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Output { get; set; }

    protected override void ProcessRecord()
    {
        string target = InputObject.Path ?? InputObject.ToString();
        try
        {
            var evaluator = new DeepPotEvaluator(InputObject);
            var input = ParameterSetName == SystemSet
                ? FramesFromSystem(InputObject, SystemPath, MaxFrames)
                : new EvaluationFrames(Coordinate, AtomType, Box, FrameParameter, AtomParameter);
            if (Output is { Length: > 0 })
            {
                foreach (var value in evaluator.EvaluateNodes(input.Coordinates, input.AtomTypes, input.Box, input.FrameParameters, input.AtomParameters, Output,
                             ParameterSetName == SystemSet ? input.Frames : null, CancelToken))
                {
                    WriteObject(value);
                }

                return;
            }

            int natoms = input.AtomTypes.Length;
            int frames = natoms == 0 ? 1 : input.Coordinates.Length / Math.Max(1, 3 * natoms);
            evaluator.FramesPerRun = Math.Max(1, AtomsPerRun / Math.Max(1, natoms));
            var progress = frames > 1 ? new FrameProgress(this, frames, target) : null;
            var results = evaluator.Evaluate(input.Coordinates, input.AtomTypes, input.Box, input.FrameParameters, input.AtomParameters,
                ParameterSetName == SystemSet ? input.Frames : null, progress, CancelToken);
            progress?.Complete();
            foreach (var r in results)
            {
                WriteObject(r);
            }
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsReportable(ex))
        {
            WriteError(ToErrorRecord(ex, InputObject));
        }
    }
}
