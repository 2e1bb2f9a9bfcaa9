using System;
using System.Linq;
using DeepMdCompress.Core.Compression;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// TensorFlow's approximate gelu (deepmd-kit's gelu_tf) with the constants the graph itself holds:
/// half·x·(one + tanh(scale·(x + cubic·x³))). TensorFlow writes the cubic coefficient as a float32 literal cast to the
/// net's dtype (0.044714998453855515 in a float64 net), and deepmd-kit tabulates the values the graph computes, so the
/// table must use the graph's constants rather than the exact 0.044715 (docs/tables.md, "activations").
/// </summary>
public sealed class GraphGelu
{
    public GraphGelu(double half, double one, double scale, double cubic)
    {
        Half = half;
        One = one;
        Scale = scale;
        Cubic = cubic;
    }

    public double Half { get; }

    public double One { get; }

    public double Scale { get; }

    public double Cubic { get; }

    /// <summary>φ(x) in the graph's order of operations: (half·x)·(one + tanh(scale·(x + cubic·x³))).</summary>
    public double Value(double x) => Half * x * (One + Activations.Tanh(Scale * (x + Cubic * (x * x * x))));

    /// <summary>
    /// Reads the constants of the gelu that follows <paramref name="preActivation"/> (the layer's bias add): the Mul of
    /// x by half, the Pow x³ and its coefficient, the Mul by scale of x + cubic·x³, and the Add of one to the Tanh.
    /// Null when the graph does not have that layout.
    /// </summary>
    internal static GraphGelu? Read(GraphIndex index, Consumers consumers, NodeDef preActivation)
    {
        var next = consumers.Of(preActivation);
        var pow = next.FirstOrDefault(n => n.Op == "Pow");
        var halfMul = next.FirstOrDefault(n => n.Op == "Mul");
        var inner = next.FirstOrDefault(n => n.Op is "Add" or "AddV2");
        if (pow is null || halfMul is null || inner is null)
        {
            return null;
        }

        var cubicMul = consumers.Of(pow).FirstOrDefault(n => n.Op == "Mul");
        var scaleMul = consumers.Of(inner).FirstOrDefault(n => n.Op == "Mul");
        var tanh = scaleMul is null ? null : consumers.Of(scaleMul).FirstOrDefault(n => n.Op == "Tanh");
        var outer = tanh is null ? null : consumers.Of(tanh).FirstOrDefault(n => n.Op is "Add" or "AddV2");
        double? half = OtherConstant(index, halfMul, preActivation.Name);
        double? cubic = cubicMul is null ? null : OtherConstant(index, cubicMul, pow.Name);
        double? scale = scaleMul is null ? null : OtherConstant(index, scaleMul, inner.Name);
        double? one = outer is null ? null : OtherConstant(index, outer, tanh!.Name);
        double? exponent = OtherConstant(index, pow, preActivation.Name);
        return half is double h && cubic is double c && scale is double s && one is double o && exponent == 3
            ? new GraphGelu(h, o, s, c)
            : null;
    }

    /// <summary>The scalar constant (possibly through a Cast, as TensorFlow casts float literals) that <paramref name="node"/> takes besides <paramref name="input"/>.</summary>
    private static double? OtherConstant(GraphIndex index, NodeDef node, string input)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        string other = GraphIndex.ParseInput(node.Input[GraphIndex.ParseInput(node.Input[0]).Node == input ? 1 : 0]).Node;
        var source = index.Find(other);
        if (source is { Op: "Cast" } && source.Input.Count == 1)
        {
            source = index.Find(GraphIndex.ParseInput(source.Input[0]).Node);
        }

        if (source is not { Op: "Const" })
        {
            return null;
        }

        var value = index.TryGetConst(source.Name);
        if (value is not { Count: 1 } || value.DType is not (DataType.DtDouble or DataType.DtFloat))
        {
            return null;
        }

        // A float32 constant widens exactly; the cast to the net's double dtype is exact too.
        return value.ScalarDouble();
    }
}
