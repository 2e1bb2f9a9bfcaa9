using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation.Ops;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation;

// Plan-time fusions: node chains that run as one kernel, with the same bits as the nodes one by one, and without
// the intermediate tensors (docs/evaluator.md#speed). Each applies only to the built-in kernels of its ops.
public sealed partial class GraphInterpreter
{
    /// <summary>
    /// Applies the fusions to <paramref name="steps"/> and drops the steps folded into others; <paramref name="newIndex"/>
    /// maps old step indices to the returned array's (−1 for a folded step).
    /// </summary>
    private Step[] Fuse(Step[] steps, HashSet<int> fetched, out int[] newIndex)
    {
        var folded = new bool[steps.Length];
        var dense = new Dictionary<int, DenseFusion>();
        var concatSums = new Dictionary<int, ConcatSumFusion>();
        FusePadSums(steps, fetched, folded);
        FuseDenseLayers(steps, fetched, folded, dense);
        FuseConcatSums(steps, fetched, folded, concatSums);
        FuseResnetSums(steps, fetched, folded, dense, concatSums);
        FuseDenseGradients(steps, fetched, folded);
        FuseSliceSums(steps, fetched, folded);
        newIndex = Enumerable.Range(0, steps.Length).ToArray();
        if (!folded.Contains(true))
        {
            return steps;
        }

        var kept = new List<Step>(steps.Length);
        for (int s = 0; s < steps.Length; s++)
        {
            newIndex[s] = folded[s] ? -1 : kept.Count;
            if (!folded[s])
            {
                kept.Add(steps[s]);
            }
        }

        foreach (var step in kept)
        {
            for (int k = 0; k < step.Producer.Length; k++)
            {
                if (step.Producer[k] >= 0)
                {
                    step.Producer[k] = newIndex[step.Producer[k]];
                }
            }
        }

        return kept.ToArray();
    }

    /// <summary>Per step, the (step, input) pairs of the steps not folded away that read it.</summary>
    private static List<(int Step, int Input)>[] Readers(Step[] steps, bool[] folded)
    {
        var readers = new List<(int, int)>[steps.Length];
        for (int s = 0; s < steps.Length; s++)
        {
            readers[s] = new List<(int, int)>();
        }

        for (int s = 0; s < steps.Length; s++)
        {
            for (int k = 0; k < steps[s].Producer.Length && !folded[s]; k++)
            {
                if (steps[s].Producer[k] >= 0)
                {
                    readers[steps[s].Producer[k]].Add((s, k));
                }
            }
        }

        return readers;
    }

    /// <summary>A tensor that has a shape and no data: what Shape, ShapeN and Rank read of a tensor fused away.</summary>
    private static TensorValue ShapeStandIn(DataType dtype, int[] shape) => new(dtype, shape, new double[0]);

    /// <summary>How many inputs of the steps not folded away read each step.</summary>
    private static int[] Uses(Step[] steps, bool[] folded)
    {
        var uses = new int[steps.Length];
        for (int s = 0; s < steps.Length; s++)
        {
            if (folded[s])
            {
                continue;
            }

            foreach (int p in steps[s].Producer)
            {
                if (p >= 0)
                {
                    uses[p]++;
                }
            }
        }

        return uses;
    }

    /// <summary>
    /// Marks the inputs that hold the same constant every run: a Const's output, or an Identity of one (TF 1.x's
    /// <c>matrix/read</c>). Kernels may keep work derived from such an input (a packed weight matrix) across runs.
    /// </summary>
    private void MarkConstantInputs(Step[] steps)
    {
        var constant = new bool[steps.Length];
        for (int s = 0; s < steps.Length; s++)
        {
            var step = steps[s];
            var flags = new bool[step.Producer.Length];
            for (int k = 0; k < flags.Length; k++)
            {
                flags[k] = step.Producer[k] >= 0 && constant[step.Producer[k]];
            }

            step.ConstantInput = flags;
            constant[s] = step.IsConst || (_nodes[step.Node].Op == "Identity" && flags.Length == 1 && flags[0]);
        }
    }

    /// <summary>
    /// Folds the zero Pads of an AddN into it when the AddN is their only reader (TensorFlow's gradient of several
    /// Slices of one tensor: each slice's gradient is padded to the full shape, then all are added). The fused step
    /// reads the Pads' inputs; when the boxes are disjoint it writes the sum directly, without the padded tensors of
    /// the sum's full size (<see cref="Ops.StandardOps.SumOfDisjointPads"/>, the same bits), otherwise it pads and adds
    /// with the graph's own kernels. Only the built-in Pad and AddN kernels are fused.
    /// </summary>
    private void FusePadSums(Step[] steps, HashSet<int> fetched, bool[] folded)
    {
        if (!Registry.TryGet("Pad", out var pad) || !pad.Equals(Ops.StandardOps.PadKernel)
            || !Registry.TryGet("AddN", out var addN) || !addN.Equals(Ops.StandardOps.AddNKernel))
        {
            return;
        }

        var uses = Uses(steps, folded);
        foreach (var step in steps)
        {
            if (_nodes[step.Node].Op != "AddN" || step.Producer.Length < 2)
            {
                continue;
            }

            bool fusable = true;
            for (int k = 0; k < step.Producer.Length && fusable; k++)
            {
                int p = step.Producer[k];
                fusable = p >= 0 && step.Output[k] == 0 && uses[p] == 1 && !fetched.Contains(p)
                    && _nodes[steps[p].Node].Op == "Pad" && steps[p].Producer.Length == 2;
            }

            if (!fusable)
            {
                continue;
            }

            var padSteps = step.Producer.ToArray();
            var padNodes = padSteps.Select(p => _nodes[steps[p].Node]).ToArray();
            step.Producer = padSteps.SelectMany(p => steps[p].Producer).ToArray();
            step.Output = padSteps.SelectMany(p => steps[p].Output).ToArray();
            step.Fused = true;
            step.Kernel = (ctx, x) =>
            {
                if (Ops.StandardOps.SumOfDisjointPads(ctx, x) is { } sum)
                {
                    return new[] { sum };
                }

                var padded = new TensorValue[padNodes.Length];
                for (int k = 0; k < padded.Length; k++)
                {
                    padded[k] = pad(ctx.ForNode(padNodes[k]), new[] { x[2 * k], x[(2 * k) + 1] })[0];
                }

                return addN(ctx.ForNode(ctx.Node), padded); // the donation flags are the fused inputs', not these
            };
            foreach (int p in padSteps)
            {
                folded[p] = true;
            }
        }
    }

    /// <summary>
    /// Runs a dense layer, MatMul → BiasAdd (or Add of a vector) → optionally Tanh, as one kernel when the MatMul and
    /// the bias sum are each read only by the next node of the chain: the bias and tanh are applied to each tile of
    /// the product while it is in cache (<see cref="Ops.StandardOps.DenseLayer"/>), instead of two more passes over
    /// a tensor of a net's full size. Where the fused kernel does not apply (float, few rows) the graph's kernels
    /// run one after another.
    /// </summary>
    private void FuseDenseLayers(Step[] steps, HashSet<int> fetched, bool[] folded, Dictionary<int, DenseFusion> fused)
    {
        if (!Registry.TryGet("MatMul", out var matMul) || !matMul.Equals(StandardOps.MatMulKernel)
            || !Registry.TryGet("Tanh", out var tanh) || !tanh.Equals(StandardOps.TanhKernel))
        {
            return;
        }

        var uses = Uses(steps, folded);
        var consumer = new int[steps.Length];
        for (int s = 0; s < steps.Length; s++)
        {
            foreach (int p in steps[s].Producer)
            {
                if (p >= 0)
                {
                    consumer[p] = s;
                }
            }
        }

        for (int s = 0; s < steps.Length; s++)
        {
            var add = steps[s];
            if (folded[s] || add.Fused || !IsBiasSum(add, out var addKernel))
            {
                continue;
            }

            int side = Array.FindIndex(add.Producer, p => p >= 0 && !folded[p] && !steps[p].Fused && _nodes[steps[p].Node].Op == "MatMul");
            if (side < 0 || (side == 1 && _nodes[add.Node].Op.StartsWith("BiasAdd", StringComparison.Ordinal)))
            {
                continue;
            }

            int mm = add.Producer[side];
            if (add.Output[side] != 0 || uses[mm] != 1 || fetched.Contains(mm))
            {
                continue;
            }

            // The Tanh joins when it alone reads the sum; the fused step is then the Tanh's.
            int next = consumer[s];
            bool withTanh = uses[s] == 1 && !fetched.Contains(s) && !folded[next] && !steps[next].Fused
                && _nodes[steps[next].Node].Op == "Tanh" && steps[next].Producer.Length == 1;
            var target = withTanh ? steps[next] : add;
            var mmNode = _nodes[steps[mm].Node];
            var addNode = _nodes[add.Node];
            var tanhNode = withTanh ? _nodes[steps[next].Node] : null;
            target.Producer = new[] { steps[mm].Producer[0], steps[mm].Producer[1], add.Producer[1 - side] };
            target.Output = new[] { steps[mm].Output[0], steps[mm].Output[1], add.Output[1 - side] };
            target.Fused = true;
            var dense = new DenseFusion(mmNode, addNode, tanhNode, side, matMul, addKernel, tanh);
            target.Kernel = (ctx, x) => StandardOps.DenseLayer(ctx, mmNode, x[0], x[1], x[2], tanhNode is not null) is { } layer
                ? new[] { layer }
                : new[] { dense.RunNodes(ctx, x) };
            fused[withTanh ? next : s] = dense;
            folded[mm] = true;
            if (withTanh)
            {
                folded[s] = true;
            }
        }
    }

    /// <summary>
    /// Runs Add(ConcatV2(parts…), y) as one pass when the ConcatV2 is read only by the Add (an embedding net's resnet
    /// step: concat([x, x]) + tanh(…)): <see cref="StandardOps.ConcatSum"/>, without the concatenated tensor.
    /// </summary>
    private void FuseConcatSums(Step[] steps, HashSet<int> fetched, bool[] folded, Dictionary<int, ConcatSumFusion> fused)
    {
        if (!Registry.TryGet("ConcatV2", out var concat) || !concat.Equals(StandardOps.ConcatV2Kernel))
        {
            return;
        }

        var readers = Readers(steps, folded);
        for (int s = 0; s < steps.Length; s++)
        {
            var add = steps[s];
            if (folded[s] || add.Fused || !IsBiasSum(add, out var addKernel) || _nodes[add.Node].Op == "BiasAdd")
            {
                continue;
            }

            int side = Array.FindIndex(add.Producer, p => p >= 0 && !folded[p] && !steps[p].Fused && _nodes[steps[p].Node].Op == "ConcatV2");
            if (side < 0)
            {
                continue;
            }

            // The Add must be the concatenation's only data reader; the shape readers TF's Add gradient adds
            // (BroadcastGradientArgs of Shape(concat), …) read a stand-in with its shape, output 1 of the fused step.
            int c = add.Producer[side];
            var shapeReaders = readers[c].Where(r => r.Step != s).ToList();
            if (add.Output[side] != 0 || fetched.Contains(c) || readers[c].Count(r => r.Step == s) != 1
                || shapeReaders.Any(r => r.Step < s || steps[r.Step].Fused || _nodes[steps[r.Step].Node].Op is not ("Shape" or "ShapeN" or "Rank")))
            {
                continue;
            }

            foreach (var (reader, input) in shapeReaders)
            {
                steps[reader].Producer[input] = s;
                steps[reader].Output[input] = 1;
            }

            var concatNode = _nodes[steps[c].Node];
            var addNode = _nodes[add.Node];
            int other = 1 - side;
            add.Producer = steps[c].Producer.Concat(new[] { add.Producer[other] }).ToArray();
            add.Output = steps[c].Output.Concat(new[] { add.Output[other] }).ToArray();
            add.Fused = true;
            var concatSum = new ConcatSumFusion(concatNode, addNode, side, steps[c].Producer.Length - 1, concat, addKernel);
            add.Kernel = (ctx, x) => StandardOps.ConcatSum(ctx, x) is { } sum
                ? new[] { sum, ShapeStandIn(sum.DType, sum.Shape) }
                : concatSum.RunNodes(ctx, x.Take(x.Length - 1).ToArray(), x[x.Length - 1]);
            folded[c] = true;
            fused[s] = concatSum;
        }
    }

    /// <summary>
    /// Folds a resnet step, concat([x, x, …]) + Reshape(tanh layer) fused by <see cref="FuseConcatSums"/>, into the
    /// dense layer it adds (fused by <see cref="FuseDenseLayers"/>) when x is that layer's own input: the layer's kernel
    /// then writes the sum from each finished block of rows while the block and its input are in cache
    /// (<see cref="StandardOps.DenseLayer(OpContext, NodeDef, TensorValue, TensorValue, TensorValue, bool, bool, out TensorValue?)"/>),
    /// instead of a pass over both tensors. The dense step's outputs become (layer, sum, the concatenation's shape
    /// stand-in); the Reshape still runs for the layer's other readers.
    /// </summary>
    private void FuseResnetSums(Step[] steps, HashSet<int> fetched, bool[] folded, Dictionary<int, DenseFusion> dense,
        Dictionary<int, ConcatSumFusion> concatSums)
    {
        if (!Registry.TryGet("Reshape", out var reshape) || !reshape.Equals(StandardOps.ReshapeKernel))
        {
            return;
        }

        var readers = Readers(steps, folded);
        // Ascending, so that a layer's input already points at the previous layer's fused sum.
        foreach (int s in concatSums.Keys.OrderBy(k => k))
        {
            var concatSum = concatSums[s];
            var add = steps[s];
            int parts = concatSum.Parts, last = add.Producer.Length - 1, r = add.Producer[last];
            if (folded[s] || fetched.Contains(s) || r < 0 || add.Output[last] != 0 || folded[r] || steps[r].Fused
                || _nodes[steps[r].Node].Op != "Reshape" || steps[r].Producer.Length != 2)
            {
                continue;
            }

            // The Reshape's shape and the concatenation's axis are constants the layer's kernel keeps (their steps may
            // come after the layer's, so it cannot read them as inputs).
            int d = steps[r].Producer[0];
            if (d < 0 || steps[r].Output[0] != 0 || !dense.TryGetValue(d, out var layer) || layer.Tanh is null || folded[d]
                || ConstantValue(steps, steps[r].Producer[1], steps[r].Output[1]) is not { } shape
                || ConstantValue(steps, add.Producer[parts], add.Output[parts]) is not { } axis)
            {
                continue;
            }

            var layerStep = steps[d];
            bool sameInput = true;
            for (int p = 0; p < parts && sameInput; p++)
            {
                sameInput = add.Producer[p] == layerStep.Producer[0] && add.Output[p] == layerStep.Output[0];
            }

            if (!sameInput)
            {
                continue;
            }

            foreach (var (reader, input) in readers[s])
            {
                steps[reader].Output[input] += 1; // the sum is the layer step's output 1, the shape stand-in its output 2
                steps[reader].Producer[input] = d;
            }

            var reshapeNode = _nodes[steps[r].Node];
            layerStep.Kernel = (ctx, x) =>
            {
                if (ResnetApplies(ctx, x[0], x[1], layer.MatMul, shape, parts) && StandardOps.ConcatAxisIsLast(ctx, axis)
                    && StandardOps.DenseLayer(ctx, layer.MatMul, x[0], x[1], x[2], true, true, out var sum) is { } fusedLayer && sum is not null)
                {
                    return new[] { fusedLayer, sum, ShapeStandIn(sum.DType, sum.Shape) };
                }

                var y = layer.RunNodes(ctx, x);
                var reshaped = reshape(ctx.ForNode(reshapeNode), new[] { y, shape })[0];
                var joined = Enumerable.Repeat(x[0], parts).Concat(new[] { axis }).ToArray();
                var outputs = concatSum.RunNodes(ctx, joined, reshaped);
                return new[] { y, outputs[0], outputs[1] };
            };
            folded[s] = true;
            dense.Remove(d); // a second resnet sum of the same layer stays a ConcatSum of its own
        }
    }

    /// <summary>
    /// The value of output 0 of a Const step, decoded from its node; null for anything else, and for a constant that
    /// does not decode (the Const's own kernel then reports it when it runs, as without the fusion).
    /// </summary>
    private TensorValue? ConstantValue(Step[] steps, int producer, int output)
    {
        if (producer < 0 || output != 0 || !steps[producer].IsConst || !_nodes[steps[producer].Node].Attr.TryGetValue("value", out var v) || v.Tensor is null)
        {
            return null;
        }

        try
        {
            return TensorDecoder.Decode(v.Tensor, _nodes[steps[producer].Node].Name);
        }
        catch (DeepMdException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the fused resnet sum is the graph's: the Reshape of the product a·b to <paramref name="shape"/> leaves it
    /// [rows, columns], and <paramref name="parts"/> copies of a are as wide as it.
    /// </summary>
    private static bool ResnetApplies(OpContext ctx, TensorValue a, TensorValue b, NodeDef matMul, TensorValue shape, int parts)
    {
        if (a.Rank != 2 || b.Rank != 2 || shape.Rank != 1 || shape.Count != 2)
        {
            return false;
        }

        var attrs = ctx.ForNode(matMul);
        int m = attrs.Bool("transpose_a", false) ? a.Shape[1] : a.Shape[0];
        int n = attrs.Bool("transpose_b", false) ? b.Shape[0] : b.Shape[1];
        var dims = ctx.IntValues(shape, "shape");
        return !attrs.Bool("transpose_a", false) && parts * a.Shape[1] == n && dims[1] == n && (dims[0] == m || (dims[0] == -1 && n > 0));
    }

    /// <summary>A dense layer fused by <see cref="FuseDenseLayers"/>: its nodes, and how to run them one by one.</summary>
    private sealed class DenseFusion
    {
        private readonly OpKernel _matMul, _add, _tanh;

        public DenseFusion(NodeDef matMul, NodeDef add, NodeDef? tanh, int side, OpKernel matMulKernel, OpKernel addKernel, OpKernel tanhKernel)
        {
            (MatMul, Add, Tanh, Side, _matMul, _add, _tanh) = (matMul, add, tanh, side, matMulKernel, addKernel, tanhKernel);
        }

        public NodeDef MatMul { get; }

        public NodeDef Add { get; }

        public NodeDef? Tanh { get; }

        public int Side { get; }

        /// <summary>x = (a, b, bias, …): the graph's own kernels, one after another.</summary>
        public TensorValue RunNodes(OpContext ctx, TensorValue[] x)
        {
            var y = _matMul(ctx.ForNode(MatMul), new[] { x[0], x[1] })[0];
            y = _add(ctx.ForNode(Add), Side == 0 ? new[] { y, x[2] } : new[] { x[2], y })[0];
            return Tanh is null ? y : _tanh(ctx.ForNode(Tanh), new[] { y })[0];
        }
    }

    /// <summary>A concat + y fused by <see cref="FuseConcatSums"/>: its nodes, and how to run them one by one.</summary>
    private sealed class ConcatSumFusion
    {
        private readonly NodeDef _concat, _add;
        private readonly int _side;
        private readonly OpKernel _concatKernel, _addKernel;

        public ConcatSumFusion(NodeDef concat, NodeDef add, int side, int parts, OpKernel concatKernel, OpKernel addKernel)
        {
            (_concat, _add, _side, Parts, _concatKernel, _addKernel) = (concat, add, side, parts, concatKernel, addKernel);
        }

        /// <summary>Tensors the concatenation joins (its inputs but the axis).</summary>
        public int Parts { get; }

        /// <summary>concatInputs = (parts…, axis): the sum and the concatenation's shape stand-in, by the graph's kernels.</summary>
        public TensorValue[] RunNodes(OpContext ctx, TensorValue[] concatInputs, TensorValue y)
        {
            var joined = _concatKernel(ctx.ForNode(_concat), concatInputs)[0];
            var sum = _addKernel(ctx.ForNode(_add), _side == 0 ? new[] { joined, y } : new[] { y, joined })[0];
            return new[] { sum, ShapeStandIn(joined.DType, joined.Shape) };
        }
    }

    /// <summary>
    /// Runs a resnet layer's input gradient, AddN(Slices of dy…, MatMul(TanhGrad(y, dz), W)), as one kernel when the
    /// AddN alone reads the MatMul, the MatMul alone reads the TanhGrad (a frozen graph has no weight gradients) and
    /// the AddN alone reads each Slice: <see cref="StandardOps.DenseGradientSum"/>, in row blocks that stay in cache,
    /// without the TanhGrad's, the product's or the slices' tensors. A MatMul of any other input joins without its
    /// TanhGrad.
    /// </summary>
    private void FuseDenseGradients(Step[] steps, HashSet<int> fetched, bool[] folded)
    {
        if (!Registry.TryGet("MatMul", out var matMul) || !matMul.Equals(StandardOps.MatMulKernel)
            || !Registry.TryGet("AddN", out var addN) || !addN.Equals(StandardOps.AddNKernel))
        {
            return;
        }

        bool sliceBuiltIn = Registry.TryGet("Slice", out var slice) && slice.Equals(StandardOps.SliceKernel);
        bool tanhGradBuiltIn = Registry.TryGet("TanhGrad", out var tanhGrad) && tanhGrad.Equals(StandardOps.TanhGradKernel);
        var uses = Uses(steps, folded);
        bool Single(int p, int output) => SoleReader(steps, p, output, uses, fetched, folded);

        foreach (var step in steps)
        {
            if (step.Fused || _nodes[step.Node].Op != "AddN" || step.Producer.Length < 2)
            {
                continue;
            }

            int position = Array.FindIndex(step.Producer, p => Single(p, 0) && _nodes[steps[p].Node].Op == "MatMul" && steps[p].Producer.Length == 2);
            if (position < 0 || step.Output[position] != 0)
            {
                continue;
            }

            int mm = step.Producer[position];
            int tg = steps[mm].Producer[0];
            bool withTanhGrad = tanhGradBuiltIn && Single(tg, steps[mm].Output[0]) && _nodes[steps[tg].Node].Op == "TanhGrad" && steps[tg].Producer.Length == 2;
            var producers = new List<int>();
            var outputs = new List<int>();
            if (withTanhGrad)
            {
                producers.AddRange(new[] { steps[tg].Producer[0], steps[mm].Producer[1], steps[tg].Producer[1] });
                outputs.AddRange(new[] { steps[tg].Output[0], steps[mm].Output[1], steps[tg].Output[1] });
            }
            else
            {
                producers.AddRange(steps[mm].Producer);
                outputs.AddRange(steps[mm].Output);
            }

            var inputs = Enumerable.Range(0, step.Producer.Length).Where(k => k != position).ToArray();
            var terms = SliceTerms.Fold(steps, _nodes, step, inputs, k => sliceBuiltIn && IsSoleSlice(steps, step, k, uses, fetched, folded),
                folded, producers, outputs);

            var mmNode = _nodes[steps[mm].Node];
            var tgNode = withTanhGrad ? _nodes[steps[tg].Node] : null;
            folded[mm] = true;
            if (withTanhGrad)
            {
                folded[tg] = true;
            }

            step.Producer = producers.ToArray();
            step.Output = outputs.ToArray();
            step.Fused = true;
            step.Kernel = (ctx, x) =>
            {
                if (StandardOps.DenseGradientSum(ctx, mmNode, x, tgNode is not null, terms.Sliced, position) is { } sum)
                {
                    return new[] { sum };
                }

                var a = tgNode is null ? x[0] : tanhGrad(ctx.ForNode(tgNode), new[] { x[0], x[2] })[0];
                var product = matMul(ctx.ForNode(mmNode), new[] { a, x[1] })[0];
                var all = terms.Run(ctx, x, tgNode is null ? 2 : 3, slice).ToList();
                all.Insert(position, product);
                return addN(ctx.ForNode(ctx.Node), all.ToArray());
            };
        }
    }

    /// <summary>
    /// Reads the Slices an AddN alone reads in place (TensorFlow's gradient of ConcatV2 slices a gradient into its
    /// parts; a resnet adds them up): <see cref="StandardOps.SumOfSlices"/>, without the sliced copies.
    /// </summary>
    private void FuseSliceSums(Step[] steps, HashSet<int> fetched, bool[] folded)
    {
        if (!Registry.TryGet("Slice", out var slice) || !slice.Equals(StandardOps.SliceKernel)
            || !Registry.TryGet("AddN", out var addN) || !addN.Equals(StandardOps.AddNKernel))
        {
            return;
        }

        var uses = Uses(steps, folded);
        foreach (var step in steps)
        {
            if (step.Fused || _nodes[step.Node].Op != "AddN" || step.Producer.Length < 2)
            {
                continue;
            }

            var inputs = Enumerable.Range(0, step.Producer.Length).ToArray();
            if (!inputs.Any(k => IsSoleSlice(steps, step, k, uses, fetched, folded)))
            {
                continue;
            }

            var producers = new List<int>();
            var outputs = new List<int>();
            var terms = SliceTerms.Fold(steps, _nodes, step, inputs, k => IsSoleSlice(steps, step, k, uses, fetched, folded), folded, producers, outputs);
            step.Producer = producers.ToArray();
            step.Output = outputs.ToArray();
            step.Fused = true;
            step.Kernel = (ctx, x) => StandardOps.SumOfSlices(ctx, x, terms.Sliced) is { } sum
                ? new[] { sum }
                : addN(ctx.ForNode(ctx.Node), terms.Run(ctx, x, 0, slice));
        }
    }

    /// <summary>Whether output <paramref name="output"/> of step <paramref name="p"/> is read by one input alone, is not fetched, and its step is not fused or folded.</summary>
    private static bool SoleReader(Step[] steps, int p, int output, int[] uses, HashSet<int> fetched, bool[] folded) =>
        p >= 0 && !folded[p] && !steps[p].Fused && output == 0 && uses[p] == 1 && !fetched.Contains(p);

    /// <summary>Whether input <paramref name="k"/> of <paramref name="step"/> is a Slice only it reads, which it may read in place.</summary>
    private bool IsSoleSlice(Step[] steps, Step step, int k, int[] uses, HashSet<int> fetched, bool[] folded)
    {
        int p = step.Producer[k];
        return SoleReader(steps, p, step.Output[k], uses, fetched, folded) && _nodes[steps[p].Node].Op == "Slice" && steps[p].Producer.Length == 3;
    }

    /// <summary>
    /// Some of an AddN's terms, in order, with the Slices among them folded into the fused step: a sliced term arrives
    /// as the Slice's (source, begin, size), any other as itself.
    /// </summary>
    private sealed class SliceTerms
    {
        private readonly NodeDef?[] _slices;

        private SliceTerms(NodeDef?[] slices, bool[] sliced) => (_slices, Sliced) = (slices, sliced);

        public bool[] Sliced { get; }

        /// <summary>
        /// The terms at <paramref name="step"/>'s <paramref name="inputs"/>; those <paramref name="isSlice"/> accepts are
        /// folded. The fused step's inputs for them are appended to <paramref name="producers"/> and <paramref name="outputs"/>.
        /// </summary>
        public static SliceTerms Fold(Step[] steps, NodeDef[] nodes, Step step, int[] inputs, Func<int, bool> isSlice, bool[] folded,
            List<int> producers, List<int> outputs)
        {
            var slices = new NodeDef?[inputs.Length];
            var sliced = new bool[inputs.Length];
            for (int t = 0; t < inputs.Length; t++)
            {
                int k = inputs[t], p = step.Producer[k];
                sliced[t] = isSlice(k);
                if (sliced[t])
                {
                    slices[t] = nodes[steps[p].Node];
                    producers.AddRange(steps[p].Producer);
                    outputs.AddRange(steps[p].Output);
                    folded[p] = true;
                }
                else
                {
                    producers.Add(p);
                    outputs.Add(step.Output[k]);
                }
            }

            return new SliceTerms(slices, sliced);
        }

        /// <summary>The terms from x[start…], the sliced ones cut by the graph's Slice kernel.</summary>
        public TensorValue[] Run(OpContext ctx, TensorValue[] x, int start, OpKernel slice)
        {
            var terms = new TensorValue[Sliced.Length];
            for (int t = 0, at = start; t < terms.Length; t++)
            {
                terms[t] = Sliced[t] ? slice(ctx.ForNode(_slices[t]!), new[] { x[at], x[at + 1], x[at + 2] })[0] : x[at];
                at += Sliced[t] ? 3 : 1;
            }

            return terms;
        }
    }

    /// <summary>Whether <paramref name="step"/> is a built-in BiasAdd (NHWC) or Add/AddV2, the sums a dense layer's bias is added by.</summary>
    private bool IsBiasSum(Step step, out OpKernel kernel)
    {
        var node = _nodes[step.Node];
        kernel = null!;
        if (step.Producer.Length != 2 || !Registry.TryGet(node.Op, out kernel))
        {
            return false;
        }

        return node.Op switch
        {
            "BiasAdd" => kernel.Equals(StandardOps.BiasAddKernel)
                && (!node.Attr.TryGetValue("data_format", out var f) || f.S.ToStringUtf8() == "NHWC"),
            "Add" or "AddV2" => kernel.Equals(StandardOps.AddKernel),
            _ => false,
        };
    }
}
