using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Frames to evaluate, in the layout <see cref="DeepPotEvaluator.Evaluate"/> takes: coordinates of all frames
/// flattened, one type vector, boxes (nframes·9, or null for an open system) and frame/atomic parameters.
/// </summary>
public sealed class EvaluationFrames
{
    public EvaluationFrames(double[] coordinates, int[] atomTypes, double[]? box, double[]? frameParameters, double[]? atomParameters, int? frames = null, string? origin = null)
    {
        Coordinates = coordinates ?? throw new ArgumentNullException(nameof(coordinates));
        AtomTypes = atomTypes ?? throw new ArgumentNullException(nameof(atomTypes));
        Box = box is { Length: > 0 } ? box : null;
        FrameParameters = frameParameters is { Length: > 0 } ? frameParameters : null;
        AtomParameters = atomParameters is { Length: > 0 } ? atomParameters : null;
        Frames = frames ?? (atomTypes.Length == 0 ? 1 : coordinates.Length / (3 * atomTypes.Length));
        Origin = origin;
    }

    public double[] Coordinates { get; }

    public int[] AtomTypes { get; }

    public double[]? Box { get; }

    public double[]? FrameParameters { get; }

    public double[]? AtomParameters { get; }

    public int Frames { get; }

    /// <summary>Where the frames came from (a data system path), for messages.</summary>
    public string? Origin { get; }

    /// <summary>
    /// The first <paramref name="maxFrames"/> frames of a deepmd-kit data system (all sets in order), with types
    /// mapped to the model's type map as deepmd-kit does, and fparam/aparam from the sets when the model needs them.
    /// </summary>
    public static EvaluationFrames FromSystem(string path, IReadOnlyList<string>? modelTypeMap, int dimFParam, int dimAParam, int maxFrames = int.MaxValue)
    {
        if (maxFrames <= 0)
        {
            throw new InvalidParameterException(ErrorIds.InvalidMaxFrames, $"MaxFrames must be positive, got {maxFrames}.");
        }

        var system = DataSystem.Open(path);
        var types = system.MapTypes(modelTypeMap);
        var coords = new List<double>();
        var boxes = new List<double>();
        var fparam = new List<double>();
        var aparam = new List<double>();
        int count = 0;
        foreach (var set in system.Sets)
        {
            if (count >= maxFrames)
            {
                break;
            }

            int take = Math.Min(set.FrameCount, maxFrames - count);
            AddParameters(set, "fparam", dimFParam, take, fparam);
            AddParameters(set, "aparam", dimAParam * system.NAtoms, take, aparam);
            foreach (var frame in set.ReadFrames(types).Take(take))
            {
                coords.AddRange(frame.Coord);
                if (frame.Box is { } box)
                {
                    boxes.AddRange(box);
                }
            }

            count += take;
        }

        if (count == 0)
        {
            throw new DataFileException(ErrorIds.NoFrames, $"The data system {system.Path} has no frames.");
        }

        return new EvaluationFrames(coords.ToArray(), types, system.Pbc ? boxes.ToArray() : null, fparam.ToArray(), aparam.ToArray(), count, system.Path);
    }

    private static void AddParameters(DataSet set, string name, int perFrame, int frames, List<double> into)
    {
        if (perFrame <= 0)
        {
            return;
        }

        var values = set.ReadArray(name, out _)
            ?? throw new DataFileException(ErrorIds.MissingParameters, $"The model needs {name} ({perFrame} per frame) but {set.Path} has no {name}.npy.");
        if (values.Length < (long)frames * perFrame)
        {
            throw new DataFileException(ErrorIds.FrameCountMismatch, $"{set.Path}/{name}.npy has {values.Length} values; {frames} frame(s) need {frames * perFrame}.");
        }

        into.AddRange(values.Take(frames * perFrame));
    }
}
