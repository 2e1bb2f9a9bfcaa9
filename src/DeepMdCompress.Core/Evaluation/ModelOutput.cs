using System;
using System.Globalization;

namespace DeepMdCompress;

/// <summary>
/// What a frozen model computes for one frame, with atoms in the caller's order (deepmd-kit's DeepPot /
/// DeepTensor conventions, docs/evaluator.md#input-preparation). Energy models fill Energy … AtomVirial; dipole and polar
/// models fill Tensor and AtomTensor.
/// </summary>
public sealed class ModelOutput
{
    internal ModelOutput(int frame, int atomCount, string modelType)
    {
        Frame = frame;
        AtomCount = atomCount;
        ModelType = modelType;
    }

    /// <summary>Index of the frame (0-based) among the frames of one call.</summary>
    public int Frame { get; }

    public int AtomCount { get; }

    /// <summary><c>model_attr/model_type</c>: ener, dipole or polar.</summary>
    public string ModelType { get; }

    /// <summary>Total energy (<c>o_energy</c>); NaN for tensor models, which have none.</summary>
    public double Energy { get; internal set; } = double.NaN;

    /// <summary>Forces, natoms·3 (x, y, z per atom), −dE/dx.</summary>
    public double[]? Force { get; internal set; }

    /// <summary>Total virial, 9 components row-major: Σ of the atomic virials (summed in type-sorted order, as deepmd-kit's C++ API does).</summary>
    public double[]? Virial { get; internal set; }

    /// <summary>Per-atom energies (<c>o_atom_energy</c>).</summary>
    public double[]? AtomEnergy { get; internal set; }

    /// <summary>Per-atom virials, natoms·9 (row-major 3×3 per atom, <c>o_atom_virial</c>).</summary>
    public double[]? AtomVirial { get; internal set; }

    /// <summary>
    /// Global tensor of a dipole (3) or polar (9) model: <c>o_global_&lt;type&gt;</c> when the graph has it,
    /// otherwise the sum of <see cref="AtomTensor"/> over the selected atoms.
    /// </summary>
    public double[]? Tensor { get; internal set; }

    /// <summary>
    /// Atomic tensors, output_dim each, in input order: of every atom (zeros for types outside model_attr/sel_type, as
    /// deepmd-kit 3.x) or of the selected atoms only (as deepmd-kit 2.2), per <see cref="DeepPotEvaluator.AtomTensorLayout"/>.
    /// </summary>
    public double[]? AtomTensor { get; internal set; }

    /// <summary>Input indices of the atoms <see cref="AtomTensor"/> belongs to.</summary>
    public int[]? TensorAtoms { get; internal set; }

    /// <summary>Largest |F_i| over atoms (null without forces or atoms).</summary>
    public double? MaxForce
    {
        get
        {
            if (Force is not { Length: > 0 } f)
            {
                return null;
            }

            double max = 0;
            for (int i = 0; i + 2 < f.Length; i += 3)
            {
                double n = Math.Sqrt((f[i] * f[i]) + (f[i + 1] * f[i + 1]) + (f[i + 2] * f[i + 2]));
                if (n > max || double.IsNaN(n))
                {
                    max = n;
                }
            }

            return max;
        }
    }

    public override string ToString() => ModelType == "ener"
        ? string.Format(CultureInfo.InvariantCulture, "frame {0}: E = {1:R} ({2} atoms)", Frame, Energy, AtomCount)
        : string.Format(CultureInfo.InvariantCulture, "frame {0}: {1} ({2} atoms)", Frame, ModelType, AtomCount);
}

/// <summary>The raw value of one graph node for a whole call (all frames), as the graph computes it.</summary>
public sealed class NodeValue
{
    internal NodeValue(string name, string dataType, int[] shape, Array values, int[] atomOrder)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Values = values;
        AtomOrder = atomOrder;
    }

    /// <summary>The tensor name asked for (<c>node</c> or <c>node:k</c>).</summary>
    public string Name { get; }

    /// <summary>TensorFlow dtype name, e.g. DT_DOUBLE.</summary>
    public string DataType { get; }

    public int[] Shape { get; }

    /// <summary>Elements in row-major order: double[], float[], int[], long[], bool[] or string[].</summary>
    public Array Values { get; }

    /// <summary>
    /// Per-atom axes of graph tensors are in type-sorted order: AtomOrder[k] is the input index of the atom at
    /// sorted position k.
    /// </summary>
    public int[] AtomOrder { get; }

    public override string ToString() => $"{Name} {DataType}[{string.Join(",", Shape)}]";
}
