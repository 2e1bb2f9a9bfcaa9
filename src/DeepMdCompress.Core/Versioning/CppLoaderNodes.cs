using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Versioning;

/// <summary>The nodes deepmd-kit's C++ inference reads from an energy model (docs/versions.md#what-deepmd-kits-c-inference-loads), with the dtypes it reads them as.</summary>
public static class CppLoaderNodes
{
    /// <summary>Scalars read with <c>session_get_scalar</c>; null dtype = more than one is accepted (rcut: double or float).</summary>
    public static IReadOnlyList<(string Name, DataType? DType)> EnergyScalars { get; } = new (string, DataType?)[]
    {
        ("model_attr/model_version", DataType.DtString),
        ("descrpt_attr/rcut", null),
        ("descrpt_attr/ntypes", DataType.DtInt32),
        ("fitting_attr/dfparam", DataType.DtInt32),
        ("fitting_attr/daparam", DataType.DtInt32),
        ("model_attr/model_type", DataType.DtString),
        ("model_attr/tmap", DataType.DtString),
    };

    /// <summary>Inputs fed (t_fparam/t_aparam only when dfparam/daparam &gt; 0) and outputs fetched by DeepPot.</summary>
    public static IReadOnlyList<string> EnergyTensors { get; } = new[]
    {
        "t_coord", "t_type", "t_box", "t_mesh", "t_natoms", "o_energy", "o_force", "o_atom_energy", "o_atom_virial",
    };

    /// <summary>What every deepmd-kit C++ model class (DeepPot, DeepTensor, DipoleChargeModifier) reads.</summary>
    private static readonly string[] CommonScalars = { "model_attr/model_version", "descrpt_attr/rcut", "descrpt_attr/ntypes", "model_attr/model_type" };

    /// <summary>
    /// The loader-read nodes that <paramref name="model"/> lacks or holds with another dtype, each as a short text.
    /// Energy models (model type "ener" or none) are checked against the whole DeepPot list; other model types only
    /// against what every C++ model class reads.
    /// </summary>
    public static IReadOnlyList<string> Missing(FrozenModel model)
    {
        var index = model.Index;
        bool energy = model.ModelType is null or "ener";
        var missing = new List<string>();
        foreach (var (name, dtype) in EnergyScalars.Where(s => energy || CommonScalars.Contains(s.Name)))
        {
            var node = index.Find(name);
            var value = node?.Op == "Const" && node.Attr.TryGetValue("value", out var v) ? v.Tensor : null;
            if (value is null)
            {
                missing.Add(name);
            }
            else if (dtype is { } expected ? value.Dtype != expected : value.Dtype is not (DataType.DtDouble or DataType.DtFloat))
            {
                missing.Add($"{name} ({TensorDecoder.Name(value.Dtype)}, read as {(dtype is { } e ? TensorDecoder.Name(e) : "DT_DOUBLE or DT_FLOAT")})");
            }
        }

        if (energy)
        {
            var tensors = EnergyTensors.ToList();
            if (model.DimFParam > 0)
            {
                tensors.Add("t_fparam");
            }

            if (model.DimAParam > 0)
            {
                tensors.Add("t_aparam");
            }

            missing.AddRange(tensors.Where(t => !index.Contains(t)));
        }

        return missing;
    }
}
