using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// Reads the embedding nets of a frozen model from its graph (weights <c>matrix_{l}</c>, <c>bias_{l}</c>) and refuses,
/// with a specific id, every net deepmd-kit's TF compression cannot tabulate (fact sheet §1, §3.1, §8).
/// </summary>
public static class EmbeddingNetReader
{
    /// <summary>Throws when the model as a whole cannot be tabulated (descriptor family, compressed, idt layers, activation).</summary>
    public static EmbeddingActivation CheckModel(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        if (model.IsCompressed)
        {
            throw new UnsupportedModelException("AlreadyCompressed",
                "The model has already been compressed (it contains TabulateFusion ops or model_type 'compressed_model'); deepmd-kit refuses to compress a model twice.");
        }

        switch (model.DescriptorType)
        {
            case "se_e2_a":
            case "se_e2_r":
            case "se_e3":
                break;
            case "se_a_tpe":
                throw new UnsupportedModelException("TypeEmbeddingConcatNotCompressible",
                    "The descriptor feeds the type embedding into the embedding net (se_a_tpe, tebd_input_mode 'concat'); deepmd-kit cannot compress it: \"compression of type embedded descriptor is not supported when tebd_input_mode is not set to 'strip'\".");
            case "se_atten":
            case "se_a_ebd_v2":
            case "hybrid":
                throw new UnsupportedModelException("DescriptorNotYetSupported",
                    $"Tabulating a {model.DescriptorType} descriptor is not supported yet (planned); only se_e2_a, se_e2_r and se_e3 can be tabulated now.");
            case null:
                throw new UnsupportedModelException("UnsupportedDescriptor", "The descriptor type of the model could not be determined, so its nets cannot be tabulated.");
            default:
                throw new UnsupportedModelException("UnsupportedDescriptor",
                    $"deepmd-kit cannot compress a {model.DescriptorType} descriptor (only se_e2_a, se_e2_r, se_e3, se_atten and se_a_ebd_v2 have tabulated kernels).");
        }

        if (model.ResnetDt == true)
        {
            string idt = model.GetGraphDef().Node.Select(n => n.Name)
                .FirstOrDefault(n => n.StartsWith("filter_type_", StringComparison.Ordinal) && n.Contains("/idt_")) ?? "an idt variable";
            throw new UnsupportedModelException("ResnetDtNotCompressible",
                $"The embedding nets have resnet timestep variables ({idt}); deepmd-kit refuses to compress them (\"descriptor resnet_dt must be false!\").");
        }

        return Activations.Parse(model.Activation);
    }

    /// <summary>Reads every net of the model, in the order of <see cref="FrozenModel.EmbeddingNets"/>.</summary>
    public static IReadOnlyList<EmbeddingNet> ReadAll(FrozenModel model)
    {
        var activation = CheckModel(model);
        return model.EmbeddingNets.Select(n => Read(model, n, activation)).ToArray();
    }

    /// <summary>Reads one net; the model-level checks of <see cref="CheckModel"/> are applied first.</summary>
    public static EmbeddingNet Read(FrozenModel model, EmbeddingNetInfo info) => Read(model, info, CheckModel(model));

    internal static EmbeddingNet Read(FrozenModel model, EmbeddingNetInfo info, EmbeddingActivation activation)
    {
        var index = model.Index;
        int depth = info.Neuron.Length;
        if (depth == 0)
        {
            throw new ModelStructureException("InvalidEmbeddingNet", $"Net {info.Name}: no layer weights {info.MatrixName(1)} in the graph.");
        }

        if (depth == 1)
        {
            throw new UnsupportedModelException("SingleLayerNet",
                $"Net {info.Name} has a single layer; deepmd-kit's TF tabulation cannot tabulate a one-layer embedding net (its _make_data needs a second layer).");
        }

        var layers = new List<EmbeddingLayer>(depth);
        DataType precision = DataType.DtInvalid;
        int inputWidth = 1;
        for (int l = 1; l <= depth; l++)
        {
            if (index.Contains(info.IdtName(l)))
            {
                throw new UnsupportedModelException("ResnetDtNotCompressible",
                    $"Net {info.Name} has a resnet timestep {info.IdtName(l)}; deepmd-kit refuses to compress it (\"descriptor resnet_dt must be false!\").");
            }

            var w = ReadConst(index, info.MatrixName(l), info.Name);
            var b = index.Find(info.BiasName(l)) is null
                ? throw new UnsupportedModelException("MissingBias",
                    $"Net {info.Name} has no bias {info.BiasName(l)} (a bias-free layer); deepmd-kit's tabulation requires every layer to have a bias.")
                : ReadConst(index, info.BiasName(l), info.Name);

            if (w.Rank != 2)
            {
                throw new ModelStructureException("InvalidEmbeddingNet", $"Net {info.Name}: {info.MatrixName(l)} has rank {w.Rank}; a weight matrix has rank 2.");
            }

            if (l == 1 && w.Shape[0] != 1)
            {
                throw new UnsupportedModelException("TypeEmbeddingConcatNotCompressible",
                    $"Net {info.Name} takes {w.Shape[0]} inputs ({info.MatrixName(1)} is [{w.Shape[0]}, {w.Shape[1]}]); only nets of the scalar s(r) can be tabulated, not nets fed with a type embedding (concat mode).");
            }

            if (w.Shape[0] != inputWidth)
            {
                throw new ModelStructureException("InvalidEmbeddingNet",
                    $"Net {info.Name}: {info.MatrixName(l)} is [{w.Shape[0]}, {w.Shape[1]}] but the previous layer gives {inputWidth} values.");
            }

            if (b.Count != w.Shape[1])
            {
                throw new ModelStructureException("InvalidEmbeddingNet",
                    $"Net {info.Name}: {info.BiasName(l)} has {b.Count} values for a layer of width {w.Shape[1]}.");
            }

            if (w.DType != b.DType)
            {
                throw new ModelStructureException("InvalidEmbeddingNet",
                    $"Net {info.Name}: {info.MatrixName(l)} is {TensorDecoder.Name(w.DType)} but {info.BiasName(l)} is {TensorDecoder.Name(b.DType)}.");
            }

            // The last layer's dtype is deepmd-kit's data_type (§2.8).
            precision = w.DType;
            layers.Add(new EmbeddingLayer(w.Shape[0], w.Shape[1], Finite(w, info.MatrixName(l)), Finite(b, info.BiasName(l))));
            inputWidth = w.Shape[1];
        }

        return new EmbeddingNet(info.Name, activation, precision, layers, info);
    }

    private static TensorValue ReadConst(GraphIndex index, string name, string net)
    {
        var node = index.Find(name);
        if (node is null)
        {
            throw new ModelStructureException("InvalidEmbeddingNet", $"Net {net}: the graph has no node {name}.");
        }

        // Checked before decoding: our tensor decoder does not read half-precision values at all.
        if (node.Attr.TryGetValue("value", out var attr) && attr.Tensor?.Dtype is DataType.DtHalf or DataType.DtBfloat16)
        {
            throw new UnsupportedModelException("HalfPrecisionNotSupported",
                $"Net {net}: {name} is {TensorDecoder.Name(attr.Tensor.Dtype)}; deepmd-kit's compression does not support half precision.");
        }

        var value = index.TryGetConst(name)
            ?? throw new ModelStructureException("InvalidEmbeddingNet", $"Net {net}: {name} is a {node.Op} node, not a constant.");
        return value.DType is DataType.DtDouble or DataType.DtFloat
            ? value
            : throw new ModelStructureException("InvalidEmbeddingNet", $"Net {net}: {name} is {TensorDecoder.Name(value.DType)}, not a float tensor.");
    }

    private static double[] Finite(TensorValue value, string name)
    {
        var data = value.AsDoubleArray();
        foreach (double x in data)
        {
            if (double.IsNaN(x) || double.IsInfinity(x))
            {
                throw new ModelStructureException("InvalidWeights", $"Embedding-net weight {name} contains NaN or infinite values.");
            }
        }

        // AsDoubleArray returns the tensor's own array for DT_DOUBLE; the net keeps a copy so nothing it holds is shared.
        return value.DType == DataType.DtDouble ? (double[])data.Clone() : data;
    }
}
