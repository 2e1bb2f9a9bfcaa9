using System;
using System.Management.Automation;
using DeepMdCompress.Core.Evaluation;

namespace DeepMdCompress.Commands;

/// <summary>
/// The frames a model is evaluated on, shared by Invoke-FrozenModel and Compare-FrozenModel: arrays
/// (-Coordinate, -AtomType, -Box, -FrameParameter, -AtomParameter) or a deepmd-kit data system (-SystemPath).
/// </summary>
public abstract class FrameInputCmdlet : DeepMdCmdlet
{
    protected const string ArraysSet = "Arrays";
    protected const string SystemSet = "System";

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

    /// <summary>A deepmd-kit data system (type.raw, set.*/coord.npy, box.npy) whose frames are used.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SystemSet)]
    [ValidateNotNullOrEmpty]
    public string SystemPath { get; set; } = string.Empty;

    /// <summary>Use at most this many frames of -SystemPath (in set order).</summary>
    [Parameter(ParameterSetName = SystemSet)]
    [ValidateRange(1, int.MaxValue)]
    public int MaxFrames { get; set; } = int.MaxValue;

    protected bool FromSystem => ParameterSetName == SystemSet;

    /// <summary>The frames to evaluate; a data system's types are mapped to <paramref name="model"/>'s type map.</summary>
    protected EvaluationFrames ReadFrames(FrozenModel model) => FromSystem
        ? EvaluationFrames.FromSystem(ResolveFileSystemPath(SystemPath), model.TypeMap, model.DimFParam ?? 0, model.DimAParam ?? 0, MaxFrames)
        : new EvaluationFrames(Coordinate, AtomType, Box, FrameParameter, AtomParameter);
}
