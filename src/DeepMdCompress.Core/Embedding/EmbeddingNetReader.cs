using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// Reads the embedding nets of a frozen model from its graph (weights <c>matrix_{l}</c>, <c>bias_{l}</c>) and refuses,
/// with a specific id, every net deepmd-kit's TF compression cannot tabulate (docs/tables.md#embedding-nets).
/// </summary>
public static class EmbeddingNetReader
{
    /// <summary>
    /// Throws deepmd-kit's refusal when the model's nets cannot be tabulated (compressed, descriptor family, idt layers,
    /// activation, net layout; the one capability check of docs/descriptors.md) and returns the activation.
    /// </summary>
    public static EmbeddingActivation CheckModel(FrozenModel model)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        CompressionCapability.EnsureDescriptors(model);
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
            throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet, $"Net {info.Name}: no layer weights {info.MatrixName(1)} in the graph.");
        }


        var layers = new List<EmbeddingLayer>(depth);
        DataType precision = DataType.DtInvalid;
        int inputWidth = 1;
        for (int l = 1; l <= depth; l++)
        {
            var w = ReadConst(index, info.MatrixName(l), info.Name);
            var b = ReadConst(index, info.BiasName(l), info.Name);

            if (w.Rank != 2)
            {
                throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet, $"Net {info.Name}: {info.MatrixName(l)} has rank {w.Rank}; a weight matrix has rank 2.");
            }

            if (w.Shape[0] != inputWidth)
            {
                throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet,
                    $"Net {info.Name}: {info.MatrixName(l)} is [{w.Shape[0]}, {w.Shape[1]}] but the previous layer gives {inputWidth} values.");
            }

            if (b.Count != w.Shape[1])
            {
                throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet,
                    $"Net {info.Name}: {info.BiasName(l)} has {b.Count} values for a layer of width {w.Shape[1]}.");
            }

            if (w.DType != b.DType)
            {
                throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet,
                    $"Net {info.Name}: {info.MatrixName(l)} is {TensorDecoder.Name(w.DType)} but {info.BiasName(l)} is {TensorDecoder.Name(b.DType)}.");
            }

            // The last layer's dtype is deepmd-kit's data_type (docs/tables.md#embedding-nets).
            precision = w.DType;
            layers.Add(new EmbeddingLayer(w.Shape[0], w.Shape[1], Finite(w, info.MatrixName(l)), Finite(b, info.BiasName(l))));
            inputWidth = w.Shape[1];
        }

        return new EmbeddingNet(info.Name, activation, precision, layers, info, activation == EmbeddingActivation.GeluTf ? GeluOf(model, info) : null);
    }

    /// <summary>The gelu constants after the net's first layer, as the graph holds them (null: not TensorFlow's layout).</summary>
    private static GraphGelu? GeluOf(FrozenModel model, EmbeddingNetInfo info)
    {
        var index = model.Index;
        var consumers = new Compression.Consumers(index.Nodes);
        var weight = index.Find(info.MatrixName(1));
        var matmul = weight is null ? null : consumers.Of(weight).SelectMany(n => n.Op == "Identity" ? consumers.Of(n) : new[] { n }).FirstOrDefault(n => n.Op == "MatMul");
        var biasAdd = matmul is null ? null : consumers.Of(matmul).FirstOrDefault(n => n.Op is "BiasAdd" or "Add" or "AddV2");
        return biasAdd is null ? null : GraphGelu.Read(index, consumers, biasAdd);
    }

    private static TensorValue ReadConst(GraphIndex index, string name, string net)
    {
        var node = index.Find(name);
        if (node is null)
        {
            throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet, $"Net {net}: the graph has no node {name}.");
        }

        // Checked before decoding: our tensor decoder does not read half-precision values at all.
        if (node.Attr.TryGetValue("value", out var attr) && attr.Tensor?.Dtype is DataType.DtHalf or DataType.DtBfloat16)
        {
            throw new UnsupportedModelException(ErrorIds.HalfPrecisionNotSupported,
                $"Net {net}: {name} is {TensorDecoder.Name(attr.Tensor.Dtype)}; deepmd-kit's compression does not support half precision.");
        }

        var value = index.TryGetConst(name)
            ?? throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet, $"Net {net}: {name} is a {node.Op} node, not a constant.");
        return value.DType is DataType.DtDouble or DataType.DtFloat
            ? value
            : throw new ModelStructureException(ErrorIds.InvalidEmbeddingNet, $"Net {net}: {name} is {TensorDecoder.Name(value.DType)}, not a float tensor.");
    }

    private static double[] Finite(TensorValue value, string name)
    {
        var data = value.AsDoubleArray();
        foreach (double x in data)
        {
            if (double.IsNaN(x) || double.IsInfinity(x))
            {
                throw new ModelStructureException(ErrorIds.InvalidWeights, $"Embedding-net weight {name} contains NaN or infinite values.");
            }
        }

        // AsDoubleArray returns the tensor's own array for DT_DOUBLE; the net keeps a copy so nothing it holds is shared.
        return value.DType == DataType.DtDouble ? (double[])data.Clone() : data;
    }
}
