using System;
using System.Management.Automation;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Commands;

/// <summary>
/// Runs a frozen model on atomic configurations without TensorFlow and returns what deepmd-kit's DeepPot
/// (energy, forces, virials) or DeepTensor (dipole, polar) would, one object per frame; with -Output the raw
/// values of any graph nodes.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "FrozenModel")]
[OutputType(typeof(ModelOutput), typeof(NodeValue))]
public sealed class InvokeFrozenModelCommand : DeepMdCmdlet
{
    /// <summary>Frames per graph run are chosen so that one run covers about this many atoms (progress granularity, memory).</summary>
    private const int AtomsPerRun = 4096;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>Cartesian coordinates in Å: x, y, z per atom, frame after frame (nframes·natoms·3 values).</summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyCollection]
    [Alias("Coord")]
    public double[] Coordinate { get; set; } = Array.Empty<double>();

    /// <summary>Type index of each atom (into the model's type map), shared by all frames.</summary>
    [Parameter(Mandatory = true)]
    [AllowEmptyCollection]
    [Alias("Type")]
    public int[] AtomType { get; set; } = Array.Empty<int>();

    /// <summary>Cell vectors a, b, c (9 values, used for every frame, or 9 per frame); omit for an open system.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public double[]? Box { get; set; }

    [Parameter]
    [AllowEmptyCollection]
    [Alias("FParam")]
    public double[]? FrameParameter { get; set; }

    [Parameter]
    [AllowEmptyCollection]
    [Alias("AParam")]
    public double[]? AtomParameter { get; set; }

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
            if (Output is { Length: > 0 })
            {
                foreach (var value in evaluator.EvaluateNodes(Coordinate, AtomType, Box, FrameParameter, AtomParameter, Output, cancellationToken: CancelToken))
                {
                    WriteObject(value);
                }

                return;
            }

            int natoms = AtomType.Length;
            int frames = natoms == 0 ? 1 : Coordinate.Length / Math.Max(1, 3 * natoms);
            evaluator.FramesPerRun = Math.Max(1, AtomsPerRun / Math.Max(1, natoms));
            var progress = frames > 1 ? new FrameProgress(this, frames, target) : null;
            var results = evaluator.Evaluate(Coordinate, AtomType, Box, FrameParameter, AtomParameter, progress: progress, cancellationToken: CancelToken);
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

    /// <summary>Reports frames done; Evaluate calls it synchronously on the pipeline thread.</summary>
    private sealed class FrameProgress : IProgress<int>
    {
        private readonly InvokeFrozenModelCommand _cmdlet;
        private readonly int _frames;
        private readonly ProgressRecord _record;

        public FrameProgress(InvokeFrozenModelCommand cmdlet, int frames, string target)
        {
            _cmdlet = cmdlet;
            _frames = frames;
            _record = new ProgressRecord(1, "Evaluating frozen model", target);
            Report(0);
        }

        public void Report(int value)
        {
            _record.PercentComplete = (int)(100L * value / _frames);
            _record.StatusDescription = $"{value} of {_frames} frames";
            _cmdlet.WriteProgress(_record);
        }

        public void Complete()
        {
            _record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_record);
        }
    }
}
