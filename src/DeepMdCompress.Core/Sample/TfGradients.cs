using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Sample;

/// <summary>
/// Symbolic reverse-mode differentiation emitted the way <c>tf.gradients(ys, xs)</c> emits it in graph mode:
/// the ops between xs and ys are processed from ys backwards in TensorFlow's queue order (an op is ready once
/// every consumer on the path has been processed), multiple contributions to one tensor are summed by an
/// <c>AddN</c> in the <c>gradients/</c> scope, and each op's gradient nodes live in
/// <c>gradients/&lt;op name&gt;_grad/</c> and use TF's own op vocabulary (TanhGrad, Pad for Slice,
/// ConcatOffset for ConcatV2, BroadcastGradientArgs + Sum + Reshape for broadcasting binary ops, ...).
/// Nodes TF would create only for gradients nobody asked for (weights, biases) are left out when they come
/// after the needed ones in their scope, so the names of the kept nodes match TF's.
/// </summary>
internal sealed class TfGradients
{
    private readonly GraphBuilder _g;
    private HashSet<TfNode> _between = new();

    private TfGradients(GraphBuilder g) => _g = g;

    /// <summary><c>tf.gradients(y, x)[0]</c> with the default <c>grad_ys</c> (ones).</summary>
    public static TfTensor Gradients(GraphBuilder g, TfTensor y, TfTensor x) => new TfGradients(g).Run(y, x);

    private TfTensor Run(TfTensor y, TfTensor x)
    {
        // Consumers of each output, for the forward reachability from x.
        var consumers = new Dictionary<(TfNode, int), List<TfNode>>();
        foreach (var node in _g.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                var key = (input.Node, input.Index);
                if (!consumers.TryGetValue(key, out var list))
                {
                    consumers[key] = list = new List<TfNode>();
                }

                list.Add(node);
            }
        }

        // _MarkReachedOps: forward from x through float ("trainable") tensors only.
        var reached = new HashSet<TfNode>();
        var queue = new Queue<TfNode>();
        queue.Enqueue(x.Node);
        while (queue.Count > 0)
        {
            var op = queue.Dequeue();
            if (!reached.Add(op))
            {
                continue;
            }

            foreach (var output in op.Outputs.Where(o => o.IsFloat))
            {
                if (consumers.TryGetValue((op, output.Index), out var cs))
                {
                    foreach (var c in cs)
                    {
                        queue.Enqueue(c);
                    }
                }
            }
        }

        // Ops between x and y, and the pending count of each (edges from other between ops).
        var betweenList = new List<TfNode>();
        queue.Enqueue(y.Node);
        while (queue.Count > 0)
        {
            var op = queue.Dequeue();
            if (reached.Remove(op))
            {
                _between.Add(op);
                betweenList.Add(op);
                foreach (var input in op.Inputs)
                {
                    queue.Enqueue(input.Node);
                }
            }
        }

        if (!_between.Contains(x.Node))
        {
            throw new InvalidOperationException($"'{y.Ref}' does not depend on '{x.Ref}'.");
        }

        var pending = new Dictionary<TfNode, int>();
        foreach (var op in betweenList)
        {
            foreach (var input in op.Inputs.Where(i => _between.Contains(i.Node)))
            {
                pending[input.Node] = Pending(pending, input.Node) + 1;
            }
        }

        // xs ops fed only from outside the path get no gradient function call (TF's stop ops).
        var stop = new HashSet<TfNode>();
        if (x.Node.Inputs.All(i => Pending(pending, i.Node) <= 0))
        {
            stop.Add(x.Node);
        }

        var grads = new Dictionary<TfNode, List<TfTensor>[]>();
        using (_g.Scope("gradients"))
        {
            var shapeY = _g.Shape(y);
            string onesName = _g.UniqueName("grad_ys_0");
            TfTensor one;
            using (_g.EnterAbsolute(onesName))
            {
                one = _g.ConstScalar(1.0, y.DType, "Const");
            }

            SetGrad(grads, y, _g.FillNamed(onesName, shapeY, one));

            var ready = new Queue<TfNode>();
            if (Pending(pending, y.Node) == 0)
            {
                ready.Enqueue(y.Node);
            }

            while (ready.Count > 0)
            {
                var op = ready.Dequeue();
                var outGrads = Aggregate(grads, op);
                if (outGrads.Any(o => o is not null) && !stop.Contains(op))
                {
                    TfTensor?[] inGrads;
                    using (_g.Scope(op.Name + "_grad"))
                    {
                        inGrads = GradientOf(op, outGrads);
                    }

                    for (int i = 0; i < op.Inputs.Count; i++)
                    {
                        if (inGrads[i] is { } ig)
                        {
                            ig.Shape = Merge(ig.Shape, op.Inputs[i].Shape);
                            SetGrad(grads, op.Inputs[i], ig);
                        }
                    }
                }

                foreach (var input in op.Inputs)
                {
                    int p = Pending(pending, input.Node) - 1;
                    pending[input.Node] = p;
                    if (p == 0)
                    {
                        ready.Enqueue(input.Node);
                    }
                }
            }
        }

        return grads.TryGetValue(x.Node, out var xg) && xg[x.Index].Count == 1
            ? xg[x.Index][0]
            : throw new InvalidOperationException($"No gradient reached '{x.Ref}'.");
    }

    private static int Pending(Dictionary<TfNode, int> pending, TfNode node) => pending.TryGetValue(node, out int p) ? p : 0;

    private static void SetGrad(Dictionary<TfNode, List<TfTensor>[]> grads, TfTensor t, TfTensor grad)
    {
        if (!grads.TryGetValue(t.Node, out var lists))
        {
            grads[t.Node] = lists = t.Node.Outputs.Select(_ => new List<TfTensor>()).ToArray();
        }

        lists[t.Index].Add(grad);
    }

    /// <summary>TF's <c>_AggregatedGrads</c>: several contributions to one output are summed by AddN (in the gradients scope).</summary>
    private TfTensor?[] Aggregate(Dictionary<TfNode, List<TfTensor>[]> grads, TfNode op)
    {
        var result = new TfTensor?[op.Outputs.Length];
        if (!grads.TryGetValue(op, out var lists))
        {
            return result;
        }

        for (int i = 0; i < lists.Length; i++)
        {
            if (lists[i].Count == 0)
            {
                continue;
            }

            result[i] = lists[i].Count == 1 ? lists[i][0] : _g.AddN(lists[i]);
            lists[i] = new List<TfTensor> { result[i]! };
        }

        return result;
    }

    private static int[]? Merge(int[]? a, int[]? b)
    {
        if (a is null)
        {
            return b;
        }

        if (b is null || a.Length != b.Length)
        {
            return a;
        }

        return a.Select((d, i) => d >= 0 ? d : b[i]).ToArray();
    }

    private bool Needed(TfTensor t) => _between.Contains(t.Node);

    // ---------------------------------------------------------------- gradient functions (TF 2.x math_grad/array_grad/nn_grad)

    private TfTensor?[] GradientOf(TfNode op, TfTensor?[] outGrads)
    {
        var grad = outGrads[0] ?? throw new InvalidOperationException($"'{op.Name}': no gradient for output 0.");
        var x = op.Inputs.Count > 0 ? op.Inputs[0] : null;
        switch (op.Op)
        {
            case "Identity":
                return new TfTensor?[] { grad };
            case "AddN":
                return op.Inputs.Select(_ => (TfTensor?)grad).ToArray();
            case "Reshape":
                return new TfTensor?[] { _g.Reshape(grad, _g.Shape(x!)), null };
            case "Cast":
                return new TfTensor?[] { x!.IsFloat && grad.IsFloat ? _g.Cast(grad, x.DType) : null };
            case "Tanh":
                return new TfTensor?[] { _g.Elementwise2("TanhGrad", op.Outputs[0], grad, 0) };
            case "Sigmoid":
                return new TfTensor?[] { _g.Elementwise2("SigmoidGrad", op.Outputs[0], grad, 0) };
            case "Relu":
                return new TfTensor?[] { _g.Elementwise2("ReluGrad", grad, op.Outputs[0], 0) };
            case "Relu6":
                return new TfTensor?[] { _g.Elementwise2("Relu6Grad", grad, op.Outputs[0], 0) };
            case "Softplus":
                return new TfTensor?[] { _g.Elementwise2("SoftplusGrad", grad, x!, 0) };
            case "GeluCustom":
                // deepmd-kit registers GeluGradCustom(dy, x) as the gradient of its GeluCustom op.
                return new TfTensor?[] { _g.Elementwise2("GeluGradCustom", grad, x!, 0) };
            case "BiasAdd":
                // The bias gradient (BiasAddGrad) is not needed for forces and comes last in its scope.
                return new TfTensor?[] { grad, null };
            case "MatMul":
                return MatMulGrad(op, grad);
            case "BatchMatMulV2":
                return BatchMatMulGrad(op, grad);
            case "AddV2":
            case "Add":
                return AddSubGrad(op, grad, negateY: false);
            case "Sub":
                return AddSubGrad(op, grad, negateY: true);
            case "Mul":
                return MulGrad(op, grad);
            case "RealDiv":
                return RealDivGrad(op, grad);
            case "Slice":
                return SliceGrad(op, grad);
            case "ConcatV2":
                return ConcatGrad(op, grad);
            case "Mean":
                return MeanGrad(op, grad);
            case "Pow":
                return PowGrad(op, grad);
            case "Neg":
                return new TfTensor?[] { _g.Unary("Neg", grad) };
            case "Maximum":
                return MaximumMinimumGrad(op, grad, "GreaterEqual");
            case "Minimum":
                return MaximumMinimumGrad(op, grad, "LessEqual");
            default:
                throw new NotSupportedException($"No gradient function for op '{op.Op}' ({op.Name}).");
        }
    }

    private TfTensor?[] MatMulGrad(TfNode op, TfTensor grad)
    {
        var a = op.Inputs[0];
        var b = op.Inputs[1];
        bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
        TfTensor ga;
        TfTensor? gb = null;
        if (!ta && !tb)
        {
            ga = _g.MatMul(grad, b, transposeB: true);
            if (Needed(b))
            {
                gb = _g.MatMul(a, grad, transposeA: true);
            }
        }
        else if (!ta && tb)
        {
            ga = _g.MatMul(grad, b);
            if (Needed(b))
            {
                gb = _g.MatMul(grad, a, transposeA: true);
            }
        }
        else if (ta && !tb)
        {
            ga = _g.MatMul(b, grad, transposeB: true);
            if (Needed(b))
            {
                gb = _g.MatMul(a, grad);
            }
        }
        else
        {
            ga = _g.MatMul(b, grad, transposeA: true, transposeB: true);
            if (Needed(b))
            {
                gb = _g.MatMul(grad, a, transposeA: true, transposeB: true);
            }
        }

        return new TfTensor?[] { ga, gb };
    }

    private TfTensor?[] BatchMatMulGrad(TfNode op, TfTensor grad)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        bool adjX = op.BoolAttr("adj_x"), adjY = op.BoolAttr("adj_y");
        TfTensor gx, gy;
        if (!adjX)
        {
            if (!adjY)
            {
                gx = _g.MatMul(grad, y, false, true);
                gy = _g.MatMul(x, grad, true, false);
            }
            else
            {
                gx = _g.MatMul(grad, y, false, false);
                gy = _g.MatMul(grad, x, true, false);
            }
        }
        else if (!adjY)
        {
            gx = _g.MatMul(y, grad, false, true);
            gy = _g.MatMul(x, grad, false, false);
        }
        else
        {
            gx = _g.MatMul(y, grad, true, true);
            gy = _g.MatMul(grad, x, true, true);
        }

        bool mayHaveBatch = x.Rank is < 0 or > 2 || y.Rank is < 0 or > 2;
        bool batchMatch = x.Shape is { } sxs && y.Shape is { } sys && sxs.Length == sys.Length
            && sxs.Take(sxs.Length - 2).All(d => d >= 0) && sxs.Take(sxs.Length - 2).SequenceEqual(sys.Take(sys.Length - 2));
        if (!mayHaveBatch || batchMatch)
        {
            return new TfTensor?[] { gx, gy };
        }

        var sx = _g.Shape(x);
        var sy = _g.Shape(y);
        var bx = _g.StridedSlice(sx, 0, -2, beginMask: 1);
        var by = _g.StridedSlice(sy, 0, -2, beginMask: 1);
        var (rx, ry) = BroadcastGradientArgs(bx, by);
        gx = _g.Reshape(_g.Reduce("Sum", gx, rx), sx);
        gy = _g.Reshape(_g.Reduce("Sum", gy, ry), sy);
        return new TfTensor?[] { gx, gy };
    }

    private (TfTensor, TfTensor) BroadcastGradientArgs(TfTensor s0, TfTensor s1)
    {
        var node = _g.AddNode(_g.UniqueName("BroadcastGradientArgs"), "BroadcastGradientArgs", new[] { s0, s1 },
            new[] { GraphBuilder.A("T", DataType.DtInt32) }, (DataType.DtInt32, new[] { -1 }), (DataType.DtInt32, new[] { -1 }));
        return (node.Outputs[0], node.Outputs[1]);
    }

    /// <summary>
    /// TF's SmartBroadcastGradientArgs for partially known shapes: Shape ops (not Consts) and BroadcastGradientArgs;
    /// both operands must then be reduced.
    /// </summary>
    private (TfTensor Sx, TfTensor Rx, TfTensor Sy, TfTensor Ry) SmartBroadcast(TfTensor x, TfTensor y)
    {
        var sx = _g.Shape(x, optimize: false);
        var sy = _g.Shape(y, optimize: false);
        var (rx, ry) = BroadcastGradientArgs(sx, sy);
        return (sx, rx, sy, ry);
    }

    private static bool FullySpecifiedAndEqual(TfTensor x, TfTensor y, TfTensor grad) =>
        x.FullyDefined && y.FullyDefined && grad.FullyDefined && x.Shape!.SequenceEqual(y.Shape!) && x.Shape!.SequenceEqual(grad.Shape!);

    private TfTensor?[] AddSubGrad(TfNode op, TfTensor grad, bool negateY)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        if (FullySpecifiedAndEqual(x, y, grad))
        {
            return new TfTensor?[] { grad, negateY ? _g.Unary("Neg", grad) : grad };
        }

        var (sx, rx, sy, ry) = SmartBroadcast(x, y);
        var gx = _g.Reshape(_g.Reduce("Sum", grad, rx), sx);
        TfTensor? gy = null;
        if (Needed(y))
        {
            gy = _g.Reshape(_g.Reduce("Sum", negateY ? _g.Unary("Neg", grad) : grad, ry), sy);
        }

        return new TfTensor?[] { gx, gy };
    }

    private TfTensor?[] MulGrad(TfNode op, TfTensor grad)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        var (sx, rx, sy, ry) = SmartBroadcast(x, y);
        var gx = _g.Reshape(_g.Reduce("Sum", _g.Elementwise2("Mul", grad, y, 0), rx), sx);
        TfTensor? gy = null;
        if (Needed(y))
        {
            gy = _g.Reshape(_g.Reduce("Sum", _g.Elementwise2("Mul", x, grad, 1), ry), sy);
        }

        return new TfTensor?[] { gx, gy };
    }

    private TfTensor?[] RealDivGrad(TfNode op, TfTensor grad)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        var sx = _g.Shape(x);
        var sy = _g.Shape(y);
        var (rx, ry) = BroadcastGradientArgs(sx, sy);
        var gx = _g.Reshape(_g.Reduce("Sum", _g.Elementwise2("RealDiv", grad, y, 0), rx), sx);
        TfTensor? gy = null;
        if (Needed(y))
        {
            var q = _g.Elementwise2("RealDiv", _g.Elementwise2("RealDiv", _g.Unary("Neg", x), y, 0), y, 0);
            gy = _g.Reshape(_g.Reduce("Sum", _g.Mul(grad, q), ry), sy);
        }

        return new TfTensor?[] { gx, gy };
    }

    private TfTensor?[] SliceGrad(TfNode op, TfTensor grad)
    {
        var input = op.Inputs[0];
        var begin = op.Inputs[1];
        var rank = _g.ConstInt(input.Rank, "Rank");
        var sliceSize = _g.Shape(op.Outputs[0]);
        var shape = _g.IntArg(new object[] { rank, 1 }, "stack");
        var before = _g.Reshape(begin, shape);
        var inputShape = _g.Shape(input);
        var after = _g.Reshape(_g.Sub(_g.Sub(inputShape, sliceSize), begin), shape);
        var paddings = _g.Concat(new object[] { before, after }, 1);
        return new TfTensor?[] { _g.Pad(grad, paddings), null, null };
    }

    private TfTensor?[] ConcatGrad(TfNode op, TfTensor grad)
    {
        int n = op.Inputs.Count - 1;
        var axis = op.Inputs[n];
        var values = op.Inputs.Take(n).ToList();
        if (n > 16)
        {
            throw new NotSupportedException($"'{op.Name}': TF differentiates a concat of more than 16 tensors with Split; not supported.");
        }

        var rank = _g.ConstInt(values[0].Rank, "Rank");
        var mod = _g.Binary("FloorMod", "mod", axis, rank);
        var sizes = _g.ShapeN(values);
        var offsets = _g.AddNode(_g.UniqueName("ConcatOffset"), "ConcatOffset", new[] { mod }.Concat(sizes).ToList(),
            new[] { GraphBuilder.A("N", (long)n) }, sizes.Select(s => (DataType.DtInt32, s.Shape)).ToArray()).Outputs;
        var result = new TfTensor?[n + 1];
        for (int k = 0; k < n; k++)
        {
            result[k] = _g.SliceNamed(_g.UniqueName("Slice"), grad, offsets[k], sizes[k]);
        }

        return result;
    }

    /// <summary>
    /// Gradient of Mean for a dynamic input shape, in the Tile form of TF 1.x (<c>reduced_shape</c> via
    /// DynamicStitch, Tile, Prod, FloorDiv), which only uses ops of the shipped models' census.
    /// </summary>
    private TfTensor?[] MeanGrad(TfNode op, TfTensor grad)
    {
        var input = op.Inputs[0];
        var axes = op.Inputs[1];
        var inputShape = _g.Shape(input, optimize: false);
        var size = _g.ConstInt(input.Rank, "Size");
        var normalized = _g.Binary("FloorMod", "mod", _g.Add(axes, size), size);
        var axesShape = _g.Shape(normalized);
        string rangeName = _g.UniqueName("range");
        TfTensor start, delta;
        using (_g.EnterAbsolute(rangeName))
        {
            start = _g.ConstInt(0, "start");
            delta = _g.ConstInt(1, "delta");
        }

        var range = _g.AddNode(rangeName, "Range", new[] { start, size, delta }, new[] { GraphBuilder.A("Tidx", DataType.DtInt32) }, (DataType.DtInt32, new[] { input.Rank })).Outputs[0];
        string fillName = _g.UniqueName("Fill");
        TfTensor fillValue;
        using (_g.EnterAbsolute(fillName))
        {
            fillValue = _g.ConstInt(1, "value");
        }

        var ones = _g.FillNamed(fillName, axesShape, fillValue);
        var keptDims = _g.AddNode(_g.UniqueName("DynamicStitch"), "DynamicStitch", new[] { range, normalized, inputShape, ones },
            new[] { GraphBuilder.A("N", 2L), GraphBuilder.A("T", DataType.DtInt32) }, (DataType.DtInt32, new[] { input.Rank })).Outputs[0];
        var tileScaling = _g.Binary("FloorDiv", "floordiv", inputShape, _g.GenBinary("Maximum", keptDims, 1));
        var sumGrad = _g.Tile(_g.Reshape(grad, keptDims), tileScaling);

        var inSize = _g.Shape(input, optimize: false);
        var outSize = _g.Shape(op.Outputs[0], optimize: false);
        var prodIn = _g.ReduceNamed(_g.UniqueName("Prod"), "Prod", inSize, _g.ConstInts(new[] { 0 }, "Const"), false);
        var c1 = _g.ConstInts(new[] { 0 }, "Const");
        var prodOut = _g.ReduceNamed(_g.UniqueName("Prod"), "Prod", outSize, c1, false);
        var factor = _g.Binary("FloorDiv", "floordiv", prodIn, _g.GenBinary("Maximum", prodOut, 1));
        return new TfTensor?[] { _g.Div(sumGrad, _g.Cast(factor, grad.DType)), null };
    }

    /// <summary>
    /// Gradient of Maximum/Minimum (clip_by_value): the incoming gradient where x won (x ≥ y, resp. x ≤ y), zero
    /// elsewhere, selected with SelectV2 as TF 2.x does, and the loser's share for y.
    /// </summary>
    private TfTensor?[] MaximumMinimumGrad(TfNode op, TfTensor grad, string compare)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        var (sx, rx, sy, ry) = SmartBroadcast(x, y);
        var zeros = _g.Unary("ZerosLike", grad);
        var mask = _g.AddNode(_g.UniqueName(compare), compare, new[] { x, y }, new[] { GraphBuilder.A("T", x.DType) }, (DataType.DtBool, grad.Shape)).Outputs[0];
        TfTensor Select(TfTensor a, TfTensor b) =>
            _g.AddNode(_g.UniqueName("SelectV2"), "SelectV2", new[] { mask, a, b }, new[] { GraphBuilder.A("T", grad.DType) }, (grad.DType, grad.Shape)).Outputs[0];
        var gx = _g.Reshape(_g.Reduce("Sum", Select(grad, zeros), rx), sx);
        TfTensor? gy = null;
        if (Needed(y))
        {
            gy = _g.Reshape(_g.Reduce("Sum", Select(zeros, grad), ry), sy);
        }

        return new TfTensor?[] { gx, gy };
    }

    /// <summary>Gradient of Pow w.r.t. the base (gelu_tf's x³): grad·y·x^(y−1), reduced to x's shape.</summary>
    private TfTensor?[] PowGrad(TfNode op, TfTensor grad)
    {
        var x = op.Inputs[0];
        var y = op.Inputs[1];
        if (Needed(y))
        {
            throw new NotSupportedException($"'{op.Name}': gradient w.r.t. the exponent is not supported.");
        }

        var (sx, rx, _, _) = SmartBroadcast(x, y);
        var gx = _g.Mul(_g.Mul(grad, y), _g.GenBinary("Pow", x, _g.Sub(y, 1.0)));
        return new TfTensor?[] { _g.Reshape(_g.Reduce("Sum", gx, rx), sx), null };
    }
}
