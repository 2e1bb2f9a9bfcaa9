using System;

namespace DeepMdCompress.Core.Embedding;

/// <summary>How a layer combines its input with φ(x·W + b); decided by the widths alone (docs/tables.md#embedding-nets).</summary>
public enum EmbeddingLayerKind
{
    /// <summary>y = φ(x·W + b).</summary>
    Plain,

    /// <summary>Same width: y = x + φ(x·W + b).</summary>
    Residual,

    /// <summary>Doubled width: y = concat(x, x) + φ(x·W + b).</summary>
    ResidualDoubled,
}

/// <summary>One layer of an embedding net: weight <c>matrix_{l}</c> [InputWidth, OutputWidth] (row-major) and bias <c>bias_{l}</c>.</summary>
public sealed class EmbeddingLayer
{
    private readonly double[] _weights;
    private readonly double[] _bias;

    public EmbeddingLayer(int inputWidth, int outputWidth, double[] weights, double[] bias)
    {
        if (inputWidth <= 0 || outputWidth <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inputWidth), $"layer widths must be positive ({inputWidth} -> {outputWidth})");
        }

        if (weights is null || weights.Length != (long)inputWidth * outputWidth)
        {
            throw new ArgumentException($"a [{inputWidth}, {outputWidth}] layer needs {(long)inputWidth * outputWidth} weights, got {weights?.Length ?? 0}", nameof(weights));
        }

        if (bias is null || bias.Length != outputWidth)
        {
            throw new ArgumentException($"a layer of width {outputWidth} needs {outputWidth} biases, got {bias?.Length ?? 0}", nameof(bias));
        }

        InputWidth = inputWidth;
        OutputWidth = outputWidth;
        _weights = weights;
        _bias = bias;
        Kind = KindOf(inputWidth, outputWidth);
    }

    public int InputWidth { get; }

    public int OutputWidth { get; }

    public EmbeddingLayerKind Kind { get; }

    /// <summary>The residual rule of deepmd-kit's <c>embedding_net</c>: equal width adds the input, doubled width adds it twice side by side.</summary>
    public static EmbeddingLayerKind KindOf(int inputWidth, int outputWidth) =>
        outputWidth == inputWidth ? EmbeddingLayerKind.Residual
        : outputWidth == 2 * inputWidth ? EmbeddingLayerKind.ResidualDoubled
        : EmbeddingLayerKind.Plain;

    /// <summary>The weight matrix, row-major [InputWidth, OutputWidth] (the layer's own array: do not modify).</summary>
    public double[] GetWeights() => _weights;

    /// <summary>The bias vector (the layer's own array: do not modify).</summary>
    public double[] GetBias() => _bias;

    internal double[] Weights => _weights;

    internal double[] Bias => _bias;

    public override string ToString() => $"{InputWidth} -> {OutputWidth} ({Kind})";
}
