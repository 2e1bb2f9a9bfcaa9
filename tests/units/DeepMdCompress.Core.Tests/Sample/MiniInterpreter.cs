using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Tests.Sample;

/// <summary>
/// A deliberately small, slow, test-only interpreter of the standard TensorFlow ops that appear in the generated
/// models (semantics from evaluator-facts §3.2 and TensorFlow's op docs), used to prove the generator's graphs
/// before the project's evaluator is merged: deepmd-kit's custom ops are bypassed by feeding <c>o_rmat</c>.
/// Every value is held as double; DT_FLOAT results are rounded to float after each op.
/// </summary>
internal sealed class MiniInterpreter
{
    private readonly Dictionary<string, NodeDef> _nodes;
    private readonly Dictionary<string, Value[]> _memo = new(StringComparer.Ordinal);

    public MiniInterpreter(GraphDef graph, IDictionary<string, Value> feeds)
    {
        _nodes = graph.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var kv in feeds)
        {
            _memo[kv.Key] = new[] { kv.Value };
        }
    }

    public sealed class Value
    {
        public Value(int[] shape, double[] data, DataType dtype)
        {
            Shape = shape;
            Data = data;
            DType = dtype;
            if (data.Length != Count(shape))
            {
                throw new InvalidOperationException($"value of shape [{string.Join(",", shape)}] with {data.Length} elements");
            }
        }

        public int[] Shape { get; }

        public double[] Data { get; }

        public DataType DType { get; }

        public int[] Ints => Data.Select(d => (int)d).ToArray();

        public static Value Ints1(params int[] v) => new(new[] { v.Length }, v.Select(x => (double)x).ToArray(), DataType.DtInt32);
    }

    public Value Eval(string reference)
    {
        var (name, index) = GraphIndex.ParseInput(reference);
        return EvalNode(name)[index];
    }

    private Value[] EvalNode(string name)
    {
        if (_memo.TryGetValue(name, out var done))
        {
            return done;
        }

        var node = _nodes[name];
        var inputs = node.Input.Where(i => !i.StartsWith("^", StringComparison.Ordinal)).Select(Eval).ToArray();
        var outputs = Compute(node, inputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            if (outputs[k].DType == DataType.DtFloat)
            {
                var d = outputs[k].Data;
                for (int i = 0; i < d.Length; i++)
                {
                    d[i] = (float)d[i];
                }
            }
        }

        _memo[name] = outputs;
        return outputs;
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    private static DataType T(NodeDef n, Value[] inputs) =>
        n.Attr.TryGetValue("T", out var t) ? t.Type : inputs.Length > 0 ? inputs[0].DType : DataType.DtDouble;

    private static Value[] One(Value v) => new[] { v };

    private static Value Map(Value x, Func<double, double> f, DataType? dtype = null) =>
        new(x.Shape, x.Data.Select(f).ToArray(), dtype ?? x.DType);

    private static Value[] Compute(NodeDef n, Value[] x)
    {
        const double c = 0.7978845608028654, a = 0.044715;
        switch (n.Op)
        {
            case "Const":
            {
                var tv = TensorDecoder.Decode(n.Attr["value"].Tensor, n.Name);
                double[] data = tv.Data switch
                {
                    double[] d => (double[])d.Clone(),
                    float[] f => f.Select(v => (double)v).ToArray(),
                    int[] i => i.Select(v => (double)v).ToArray(),
                    _ => new double[tv.Count],
                };
                return One(new Value(tv.Shape, data, tv.DType));
            }

            case "Placeholder":
                throw new InvalidOperationException($"placeholder '{n.Name}' was not fed");
            case "Identity":
                return One(x[0]);
            case "Reshape":
            {
                var shape = x[1].Ints;
                int known = shape.Where(d => d >= 0).Aggregate(1, (p, d) => p * d);
                shape = shape.Select(d => d < 0 ? x[0].Data.Length / Math.Max(known, 1) : d).ToArray();
                return One(new Value(shape, x[0].Data, x[0].DType));
            }

            case "Shape":
                return One(Value.Ints1(x[0].Shape));
            case "ShapeN":
                return x.Select(v => Value.Ints1(v.Shape)).ToArray();
            case "StridedSlice":
            {
                if (x[0].Shape.Length != 1)
                {
                    throw new NotSupportedException("StridedSlice on rank > 1");
                }

                int dim = x[0].Shape[0];
                long bm = n.Attr["begin_mask"].I, em = n.Attr["end_mask"].I, sm = n.Attr["shrink_axis_mask"].I;
                int b = x[1].Ints[0], e = x[2].Ints[0];
                b = (bm & 1) != 0 ? 0 : b < 0 ? b + dim : b;
                e = (em & 1) != 0 ? dim : e < 0 ? e + dim : e;
                if ((sm & 1) != 0)
                {
                    return One(new Value(Array.Empty<int>(), new[] { x[0].Data[b] }, x[0].DType));
                }

                var d = x[0].Data.Skip(b).Take(Math.Max(0, e - b)).ToArray();
                return One(new Value(new[] { d.Length }, d, x[0].DType));
            }

            case "Pack":
            {
                var inner = x[0].Shape;
                return One(new Value(new[] { x.Length }.Concat(inner).ToArray(), x.SelectMany(v => v.Data).ToArray(), x[0].DType));
            }

            case "Slice":
            {
                var shape = x[0].Shape;
                var begin = x[1].Ints;
                var size = x[2].Ints.Select((s, i) => s < 0 ? shape[i] - begin[i] : s).ToArray();
                var outV = new double[Count(size)];
                var inS = Strides(shape);
                var outS = Strides(size);
                for (int o = 0; o < outV.Length; o++)
                {
                    int src = 0;
                    for (int k = 0; k < size.Length; k++)
                    {
                        src += ((o / outS[k] % size[k]) + begin[k]) * inS[k];
                    }

                    outV[o] = x[0].Data[src];
                }

                return One(new Value(size, outV, x[0].DType));
            }

            case "ConcatV2":
            {
                var values = x.Take(x.Length - 1).ToArray();
                int rank = values[0].Shape.Length;
                int axis = ((x[^1].Ints[0] % rank) + rank) % rank;
                var shape = (int[])values[0].Shape.Clone();
                shape[axis] = values.Sum(v => v.Shape[axis]);
                int outer = shape.Take(axis).Aggregate(1, (p, d) => p * d);
                var data = new List<double>();
                for (int o = 0; o < outer; o++)
                {
                    foreach (var v in values)
                    {
                        int chunk = v.Data.Length / Math.Max(outer, 1);
                        data.AddRange(v.Data.Skip(o * chunk).Take(chunk));
                    }
                }

                return One(new Value(shape, data.ToArray(), values[0].DType));
            }

            case "ConcatOffset":
            {
                int axis = x[0].Ints[0];
                var result = new List<Value>();
                int offset = 0;
                foreach (var s in x.Skip(1))
                {
                    var o = new int[s.Data.Length];
                    o[axis] = offset;
                    offset += s.Ints[axis];
                    result.Add(Value.Ints1(o));
                }

                return result.ToArray();
            }

            case "Pad":
            {
                var shape = x[0].Shape;
                var p = x[1].Ints;
                var outShape = shape.Select((d, i) => d + p[2 * i] + p[(2 * i) + 1]).ToArray();
                var outV = new double[Count(outShape)];
                var inS = Strides(shape);
                var outS = Strides(outShape);
                for (int i = 0; i < x[0].Data.Length; i++)
                {
                    int dst = 0;
                    for (int k = 0; k < shape.Length; k++)
                    {
                        dst += ((i / inS[k] % shape[k]) + p[2 * k]) * outS[k];
                    }

                    outV[dst] = x[0].Data[i];
                }

                return One(new Value(outShape, outV, x[0].DType));
            }

            case "MatMul":
                return One(BatchMatMul(x[0], x[1], n.Attr["transpose_a"].B, n.Attr["transpose_b"].B));
            case "BatchMatMulV2":
                return One(BatchMatMul(x[0], x[1], n.Attr["adj_x"].B, n.Attr["adj_y"].B));
            case "BiasAdd":
            case "AddV2":
            case "Add":
                return One(Broadcast(x[0], x[1], (p, q) => p + q));
            case "Sub":
                return One(Broadcast(x[0], x[1], (p, q) => p - q));
            case "Mul":
                return One(Broadcast(x[0], x[1], (p, q) => p * q));
            case "RealDiv":
                return One(Broadcast(x[0], x[1], (p, q) => p / q));
            case "Maximum":
                return One(Broadcast(x[0], x[1], Math.Max));
            case "Minimum":
                return One(Broadcast(x[0], x[1], Math.Min));
            case "FloorMod":
                return One(Broadcast(x[0], x[1], (p, q) => p - (Math.Floor(p / q) * q)));
            case "FloorDiv":
                return One(Broadcast(x[0], x[1], (p, q) => Math.Floor(p / q)));
            case "Pow":
                return One(Broadcast(x[0], x[1], Math.Pow));
            case "GreaterEqual":
            {
                var r = Broadcast(x[0], x[1], (p, q) => p >= q ? 1 : 0);
                return One(new Value(r.Shape, r.Data, DataType.DtBool));
            }

            case "Cast":
                return One(new Value(x[0].Shape, (double[])x[0].Data.Clone(), n.Attr["DstT"].Type));
            case "Neg":
                return One(Map(x[0], v => -v));
            case "AddN":
            {
                var sum = (double[])x[0].Data.Clone();
                foreach (var v in x.Skip(1))
                {
                    for (int i = 0; i < sum.Length; i++)
                    {
                        sum[i] += v.Data[i];
                    }
                }

                return One(new Value(x[0].Shape, sum, x[0].DType));
            }

            case "Sum":
            case "Mean":
            case "Prod":
                return One(Reduce(n.Op, x[0], x[1].Ints, n.Attr.TryGetValue("keep_dims", out var kd) && kd.B));
            case "Tanh":
                return One(Map(x[0], Math.Tanh));
            case "TanhGrad":
                return One(Zip(x[0], x[1], (y, dy) => dy * (1 - (y * y))));
            case "Relu":
                return One(Map(x[0], v => v > 0 ? v : 0));
            case "ReluGrad":
                return One(Zip(x[0], x[1], (g, f) => f > 0 ? g : 0));
            case "Relu6":
                return One(Map(x[0], v => Math.Min(Math.Max(v, 0), 6)));
            case "Relu6Grad":
                return One(Zip(x[0], x[1], (g, f) => f > 0 && f < 6 ? g : 0));
            case "Softplus":
                return One(Map(x[0], v => v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v))));
            case "SoftplusGrad":
                return One(Zip(x[0], x[1], (g, f) => g / (1 + Math.Exp(-f))));
            case "Sigmoid":
                return One(Map(x[0], v => 1 / (1 + Math.Exp(-v))));
            case "SigmoidGrad":
                return One(Zip(x[0], x[1], (y, dy) => dy * y * (1 - y)));
            case "GeluCustom":
                return One(Map(x[0], v => 0.5 * v * (1 + Math.Tanh(c * (v + (a * v * v * v))))));
            case "GeluGradCustom":
                return One(Zip(x[0], x[1], (dy, v) =>
                {
                    double t = Math.Tanh(c * (v + (a * v * v * v)));
                    return dy * ((0.5 * c * v * (1 - (t * t)) * ((3 * a * v * v) + 1)) + (0.5 * t) + 0.5);
                }));
            case "BroadcastGradientArgs":
            {
                var s0 = x[0].Ints;
                var s1 = x[1].Ints;
                if (s0.SequenceEqual(s1))
                {
                    return new[] { Value.Ints1(), Value.Ints1() };
                }

                int rank = Math.Max(s0.Length, s1.Length);
                var p0 = Enumerable.Repeat(1, rank - s0.Length).Concat(s0).ToArray();
                var p1 = Enumerable.Repeat(1, rank - s1.Length).Concat(s1).ToArray();
                var r0 = new List<int>();
                var r1 = new List<int>();
                for (int k = 0; k < rank; k++)
                {
                    if (p0[k] == 1 && p1[k] == 1)
                    {
                        r0.Add(k);
                        r1.Add(k);
                    }
                    else if (p0[k] == 1)
                    {
                        r0.Add(k);
                    }
                    else if (p1[k] == 1)
                    {
                        r1.Add(k);
                    }
                    else if (p0[k] != p1[k])
                    {
                        throw new InvalidOperationException("incompatible shapes in BroadcastGradientArgs");
                    }
                }

                return new[] { Value.Ints1(r0.ToArray()), Value.Ints1(r1.ToArray()) };
            }

            case "Fill":
            {
                var shape = x[0].Ints;
                return One(new Value(shape, Enumerable.Repeat(x[1].Data[0], Count(shape)).ToArray(), x[1].DType));
            }

            case "Tile":
            {
                var shape = x[0].Shape;
                var mult = x[1].Ints;
                var outShape = shape.Select((d, i) => d * mult[i]).ToArray();
                var outV = new double[Count(outShape)];
                var inS = Strides(shape);
                var outS = Strides(outShape);
                for (int o = 0; o < outV.Length; o++)
                {
                    int src = 0;
                    for (int k = 0; k < shape.Length; k++)
                    {
                        src += (o / outS[k] % outShape[k] % shape[k]) * inS[k];
                    }

                    outV[o] = x[0].Data[src];
                }

                return One(new Value(outShape, outV, x[0].DType));
            }

            case "GatherV2":
            {
                var ids = x[1].Ints;
                int row = x[0].Data.Length / x[0].Shape[0];
                var data = ids.SelectMany(i => x[0].Data.Skip(i * row).Take(row)).ToArray();
                return One(new Value(x[1].Shape.Concat(x[0].Shape.Skip(1)).ToArray(), data, x[0].DType));
            }

            case "Range":
            {
                int start = x[0].Ints[0], limit = x[1].Ints[0], delta = x[2].Ints[0];
                var r = new List<int>();
                for (int v = start; v < limit; v += delta)
                {
                    r.Add(v);
                }

                return One(Value.Ints1(r.ToArray()));
            }

            case "DynamicStitch":
            {
                int count = x.Length / 2;
                var map = new SortedDictionary<int, double>();
                for (int m = 0; m < count; m++)
                {
                    var idx = x[m].Ints;
                    for (int k = 0; k < idx.Length; k++)
                    {
                        map[idx[k]] = x[count + m].Data[k];
                    }
                }

                return One(new Value(new[] { map.Keys.Max() + 1 }, map.Values.ToArray(), x[count].DType));
            }

            default:
                throw new NotSupportedException($"MiniInterpreter: op {n.Op} ({n.Name})");
        }
    }

    private static Value Zip(Value p, Value q, Func<double, double, double> f)
    {
        if (p.Data.Length != q.Data.Length)
        {
            throw new InvalidOperationException("element count mismatch");
        }

        return new Value(p.Shape, p.Data.Select((v, i) => f(v, q.Data[i])).ToArray(), p.DType);
    }

    private static Value Broadcast(Value p, Value q, Func<double, double, double> f)
    {
        int rank = Math.Max(p.Shape.Length, q.Shape.Length);
        var ps = Enumerable.Repeat(1, rank - p.Shape.Length).Concat(p.Shape).ToArray();
        var qs = Enumerable.Repeat(1, rank - q.Shape.Length).Concat(q.Shape).ToArray();
        var shape = new int[rank];
        for (int k = 0; k < rank; k++)
        {
            shape[k] = ps[k] == qs[k] ? ps[k] : ps[k] == 1 ? qs[k] : qs[k] == 1 ? ps[k]
                : throw new InvalidOperationException($"cannot broadcast [{string.Join(",", p.Shape)}] with [{string.Join(",", q.Shape)}]");
        }

        var outV = new double[Count(shape)];
        var os = Strides(shape);
        var pst = Strides(ps);
        var qst = Strides(qs);
        for (int o = 0; o < outV.Length; o++)
        {
            int pi = 0, qi = 0;
            for (int k = 0; k < rank; k++)
            {
                int c = o / os[k] % shape[k];
                pi += (ps[k] == 1 ? 0 : c) * pst[k];
                qi += (qs[k] == 1 ? 0 : c) * qst[k];
            }

            outV[o] = f(p.Data[pi], q.Data[qi]);
        }

        return new Value(shape, outV, p.DType);
    }

    private static Value BatchMatMul(Value x, Value y, bool adjX, bool adjY)
    {
        int rx = x.Shape.Length, ry = y.Shape.Length;
        int xr = x.Shape[rx - 2], xc = x.Shape[rx - 1], yr = y.Shape[ry - 2], yc = y.Shape[ry - 1];
        int m = adjX ? xc : xr, k = adjX ? xr : xc, n = adjY ? yr : yc;
        if ((adjY ? yc : yr) != k)
        {
            throw new InvalidOperationException($"matmul inner dims {k} vs {(adjY ? yc : yr)}");
        }

        var bx = x.Shape.Take(rx - 2).ToArray();
        var by = y.Shape.Take(ry - 2).ToArray();
        if (!bx.SequenceEqual(by))
        {
            throw new NotSupportedException("batch broadcasting");
        }

        int batch = Count(bx);
        var outV = new double[batch * m * n];
        for (int b = 0; b < batch; b++)
        {
            int xo = b * xr * xc, yo = b * yr * yc, oo = b * m * n;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int t = 0; t < k; t++)
                    {
                        double xv = adjX ? x.Data[xo + (t * xc) + i] : x.Data[xo + (i * xc) + t];
                        double yv = adjY ? y.Data[yo + (j * yc) + t] : y.Data[yo + (t * yc) + j];
                        s += xv * yv;
                    }

                    outV[oo + (i * n) + j] = s;
                }
            }
        }

        return new Value(bx.Concat(new[] { m, n }).ToArray(), outV, x.DType);
    }

    private static Value Reduce(string op, Value x, int[] axesIn, bool keepDims)
    {
        int rank = x.Shape.Length;
        var axes = new HashSet<int>(axesIn.Select(v => ((v % rank) + rank) % rank));
        var keptShape = x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var outV = new double[Count(keptShape)];
        if (op == "Prod")
        {
            Array.Fill(outV, 1.0);
        }

        var inS = Strides(x.Shape);
        var ks = Strides(keptShape);
        for (int i = 0; i < x.Data.Length; i++)
        {
            int dst = 0;
            for (int k = 0; k < rank; k++)
            {
                dst += (axes.Contains(k) ? 0 : i / inS[k] % x.Shape[k]) * ks[k];
            }

            outV[dst] = op == "Prod" ? outV[dst] * x.Data[i] : outV[dst] + x.Data[i];
        }

        if (op == "Mean")
        {
            int n = axes.Aggregate(1, (p, k) => p * x.Shape[k]);
            for (int i = 0; i < outV.Length; i++)
            {
                outV[i] /= n;
            }
        }

        var shape = keepDims ? keptShape : x.Shape.Where((d, i) => !axes.Contains(i)).ToArray();
        return new Value(shape, outV, x.DType);
    }
}
