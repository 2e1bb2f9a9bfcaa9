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
[OutputType(typeof(ModelOutput), typeof(NodeValue), typeof(TableUsage))]
public sealed class InvokeFrozenModelCommand : FrameInputCmdlet
{
    /// <summary>Frames per graph run are chosen so that one run covers about this many atoms (progress granularity, memory).</summary>
    private const int AtomsPerRun = 4096;


    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FrozenModel InputObject { get; set; } = null!;

    /// <summary>Dipole/polar atomic tensors for every atom (deepmd-kit 3.x, the default) or for the selected atoms only (2.2).</summary>
    [Parameter]
    public AtomTensorLayout AtomTensorLayout { get; set; } = AtomTensorLayout.AllAtoms;

    /// <summary>Graph tensors (node or node:k) to return raw instead of the model outputs, e.g. o_descriptor.</summary>
    /// <summary>Instead of the outputs, where a compressed model's table inputs fell (per TabulateFusion op): fine, coarse, beyond.</summary>
    [Parameter]
    public SwitchParameter TableUsage { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Output { get; set; }

    protected override void ProcessRecord()
    {
        string target = InputObject.Path ?? InputObject.ToString();
        Run(InputObject, () =>
        {
            var evaluator = new DeepPotEvaluator(InputObject) { AtomTensorLayout = AtomTensorLayout };
            var input = ReadFrames(InputObject);
            if (TableUsage)
            {
                foreach (var usage in TableUsageMeter.Measure(evaluator, input, CancelToken))
                {
                    WriteObject(usage);
                }

                return;
            }
            if (Output is { Length: > 0 })
            {
                foreach (var value in evaluator.EvaluateNodes(input.Coordinates, input.AtomTypes, input.Box, input.FrameParameters, input.AtomParameters, Output,
                             FromSystem ? input.Frames : null, CancelToken))
                {
                    WriteObject(value);
                }

                return;
            }

            int natoms = input.AtomTypes.Length;
            int frames = natoms == 0 ? 1 : input.Coordinates.Length / Math.Max(1, 3 * natoms);
            evaluator.FramesPerRun = Math.Max(1, AtomsPerRun / Math.Max(1, natoms));
            var progress = frames > 1 ? new FrameProgress(this, frames, target) : null;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var results = evaluator.Evaluate(input.Coordinates, input.AtomTypes, input.Box, input.FrameParameters, input.AtomParameters,
                FromSystem ? input.Frames : null, progress, CancelToken);
            progress?.Complete();
            WriteVerbose($"{target}: {frames} frame(s) of {natoms} atoms ({(input.Box is null ? "open" : "periodic")}, "
                + $"{(evaluator.IsSinglePrecision ? "float32" : "float64")}) in {watch.Elapsed.TotalMilliseconds:F0} ms.");
            foreach (var r in results)
            {
                WriteObject(r);
            }
        });
    }
}
