using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Sample;

/// <summary>
/// Builds a GraphDef the way TensorFlow's Python front end does in graph mode: every op call reserves a
/// unique name in the current name scope (TF's case-insensitive <c>unique_name</c> counter), converts Python
/// literals into <c>Const</c>/<c>Pack</c> nodes inside the op's own scope (<c>Reshape_3/shape</c>,
/// <c>Reshape_3/shape/0</c>, <c>mul/y</c>), honours <c>control_dependencies</c> blocks, and tracks the static
/// shapes TF's gradient functions consult. Freezing keeps only what the outputs need (<see cref="Freeze"/>).
/// </summary>
internal sealed class GraphBuilder
{
    private readonly List<TfNode> _nodes = new();
    private readonly Dictionary<string, int> _namesInUse = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TfNode> _byName = new(StringComparer.Ordinal);
    private readonly List<ControlBlock> _controlStack = new();
    private string _scope = string.Empty;

    public IReadOnlyList<TfNode> Nodes => _nodes;

    // ---------------------------------------------------------------- names and scopes

    /// <summary>TF's <c>Graph.unique_name</c>: a name relative to the current scope, made unique case-insensitively.</summary>
    public string UniqueName(string name)
    {
        if (_scope.Length > 0)
        {
            name = _scope + "/" + name;
        }

        string key = name.ToLowerInvariant();
        _namesInUse.TryGetValue(key, out int i);
        _namesInUse[key] = i + 1;
        if (i > 0)
        {
            string baseKey = key;
            while (_namesInUse.ContainsKey(key))
            {
                key = string.Format(CultureInfo.InvariantCulture, "{0}_{1}", baseKey, i);
                i++;
            }

            _namesInUse[key] = 1;
            name = string.Format(CultureInfo.InvariantCulture, "{0}_{1}", name, i - 1);
        }

        return name;
    }

    /// <summary>Marks an absolute name as used (variables carry their variable-scope name verbatim).</summary>
    private void Reserve(string fullName)
    {
        string key = fullName.ToLowerInvariant();
        _namesInUse.TryGetValue(key, out int i);
        _namesInUse[key] = Math.Max(i, 1);
    }

    /// <summary><c>tf.name_scope(name)</c> (also what <c>tf.variable_scope(name)</c> opens): uniquified, nested.</summary>
    public IDisposable Scope(string name) => EnterAbsolute(UniqueName(name));

    /// <summary>Re-enters an existing absolute scope (an op's own scope while its inputs are converted).</summary>
    public IDisposable EnterAbsolute(string fullScope)
    {
        string previous = _scope;
        _scope = fullScope;
        return new Restore(() => _scope = previous);
    }

    /// <summary><c>tf.control_dependencies(nodes)</c>.</summary>
    public IDisposable ControlDependencies(params TfNode[] nodes)
    {
        var block = new ControlBlock(nodes, _nodes.Count);
        _controlStack.Add(block);
        return new Restore(() => _controlStack.Remove(block));
    }

    // ---------------------------------------------------------------- raw node creation

    /// <summary>Adds a node with an already-unique absolute name.</summary>
    public TfNode AddNode(string fullName, string op, IReadOnlyList<TfTensor> inputs, IEnumerable<KeyValuePair<string, AttrValue>> attrs,
        params (DataType DType, int[]? Shape)[] outputs)
    {
        if (_byName.ContainsKey(fullName))
        {
            throw new InvalidOperationException($"Duplicate node name '{fullName}'.");
        }

        var def = new NodeDef { Name = fullName, Op = op };
        foreach (var t in inputs)
        {
            def.Input.Add(t.Ref);
        }

        // TF adds a block's control inputs unless an input was itself created inside the block; a GraphDef lists
        // control inputs sorted by name.
        var inputNodes = new HashSet<TfNode>(inputs.Select(t => t.Node));
        var control = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var block in _controlStack)
        {
            if (inputNodes.Any(n => n.Seq >= block.Start))
            {
                continue;
            }

            foreach (var c in block.Nodes.Where(c => !inputNodes.Contains(c)))
            {
                control.Add(c.Name);
            }
        }

        foreach (string c in control)
        {
            def.Input.Add("^" + c);
        }

        foreach (var kv in attrs)
        {
            def.Attr[kv.Key] = kv.Value;
        }

        var node = new TfNode(def, _nodes.Count, inputs);
        node.Outputs = outputs.Select((o, k) => new TfTensor(node, k, o.DType, o.Shape)).ToArray();
        _nodes.Add(node);
        _byName[fullName] = node;
        return node;
    }

    private TfTensor Single(string fullName, string op, IReadOnlyList<TfTensor> inputs, IEnumerable<KeyValuePair<string, AttrValue>> attrs, DataType dtype, int[]? shape) =>
        AddNode(fullName, op, inputs, attrs, (dtype, shape)).Outputs[0];

    // ---------------------------------------------------------------- attributes

    public static KeyValuePair<string, AttrValue> A(string key, DataType t) => new(key, new AttrValue { Type = t });

    public static KeyValuePair<string, AttrValue> A(string key, long i) => new(key, new AttrValue { I = i });

    public static KeyValuePair<string, AttrValue> A(string key, bool b) => new(key, new AttrValue { B = b });

    public static KeyValuePair<string, AttrValue> A(string key, float f) => new(key, new AttrValue { F = f });

    public static KeyValuePair<string, AttrValue> A(string key, string s) => new(key, new AttrValue { S = ByteString.CopyFromUtf8(s) });

    public static KeyValuePair<string, AttrValue> A(string key, IEnumerable<int> list)
    {
        var lv = new AttrValue.Types.ListValue();
        lv.I.AddRange(list.Select(x => (long)x));
        return new(key, new AttrValue { List = lv });
    }

    public static KeyValuePair<string, AttrValue> AShape(string key, params int[] dims) =>
        new(key, new AttrValue { Shape = TensorEncoder.Shape(dims.Select(d => (long)d).ToArray()) });

    private static KeyValuePair<string, AttrValue>[] T(DataType t) => new[] { A("T", t) };

    // ---------------------------------------------------------------- constants, placeholders, variables

    public TfTensor Placeholder(string name, DataType dtype, params int[] shape) =>
        Single(UniqueName(name), "Placeholder", Array.Empty<TfTensor>(), new[] { A("dtype", dtype), AShape("shape", shape) }, dtype, shape);

    public TfTensor Const(TensorProto value, string name = "Const")
    {
        var shape = value.TensorShape.Dim.Select(d => (int)d.Size).ToArray();
        var node = AddNode(UniqueName(name), "Const", Array.Empty<TfTensor>(), new[] { A("dtype", value.Dtype), new KeyValuePair<string, AttrValue>("value", new AttrValue { Tensor = value }) },
            (value.Dtype, shape));
        if (value.Dtype == DataType.DtInt32)
        {
            node.IntValue = TensorDecoder.Decode(value, node.Name).AsInt32Array().Select(v => (int?)v).ToArray();
        }

        return node.Outputs[0];
    }

    public TfTensor ConstInt(int value, string name = "Const") => Const(TensorEncoder.ScalarInt32(value), name);

    public TfTensor ConstInts(int[] values, string name = "Const") => Const(TensorEncoder.Int32s(values, values.Length), name);

    /// <summary>A Python float converted to a tensor of <paramref name="dtype"/> (what <c>x * 0.5</c> does to 0.5).</summary>
    public TfTensor ConstScalar(double value, DataType dtype, string name = "Const") => Const(Scalar(value, dtype), name);

    public static TensorProto Scalar(double value, DataType dtype) => dtype switch
    {
        DataType.DtDouble => TensorEncoder.ScalarDouble(value),
        DataType.DtFloat => TensorEncoder.Floats(new[] { (float)value }),
        DataType.DtInt32 => TensorEncoder.ScalarInt32(checked((int)value)),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported scalar dtype"),
    };

    public static TensorProto Values(double[] values, DataType dtype, params long[] shape) => dtype switch
    {
        DataType.DtDouble => TensorEncoder.Doubles(values, shape),
        DataType.DtFloat => TensorEncoder.Floats(values.Select(v => (float)v).ToArray(), shape),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported weight dtype"),
    };

    /// <summary>A frozen <c>tf.get_variable</c>: <c>Const</c> named after the variable plus its <c>/read</c> Identity.</summary>
    public TfTensor Variable(string fullName, TensorProto value)
    {
        Reserve(fullName);
        var shape = value.TensorShape.Dim.Select(d => (int)d.Size).ToArray();
        var c = AddNode(fullName, "Const", Array.Empty<TfTensor>(), new[] { A("dtype", value.Dtype), new KeyValuePair<string, AttrValue>("value", new AttrValue { Tensor = value }) },
            (value.Dtype, shape)).Outputs[0];
        string read = fullName + "/read";
        Reserve(read);
        return Single(read, "Identity", new[] { c }, T(value.Dtype), value.Dtype, shape);
    }

    // ---------------------------------------------------------------- conversion of Python literals

    /// <summary>
    /// TF's conversion of an int list argument: all literals → one Const; a single tensor → itself;
    /// a mix → auto-packing (<c>name/0</c>, <c>name/2</c> Consts and a Pack named <c>name</c>).
    /// </summary>
    public TfTensor IntArg(object value, string name)
    {
        switch (value)
        {
            case TfTensor t:
                return t;
            case int i:
                return ConstInt(i, name);
            case int[] ints:
                return ConstInts(ints, name);
            case object[] items when items.All(o => o is int):
                return ConstInts(items.Cast<int>().ToArray(), name);
            case object[] items:
            {
                string scope = UniqueName(name);
                var elems = new List<TfTensor>();
                using (EnterAbsolute(scope))
                {
                    for (int k = 0; k < items.Length; k++)
                    {
                        elems.Add(items[k] is TfTensor et ? et : ConstInt((int)items[k], k.ToString(CultureInfo.InvariantCulture)));
                    }
                }

                return PackNamed(scope, elems);
            }

            default:
                throw new ArgumentException($"cannot convert {value?.GetType().Name ?? "null"} to an int32 tensor", nameof(value));
        }
    }

    private TfTensor PackNamed(string fullName, IReadOnlyList<TfTensor> values)
    {
        var dtype = values[0].DType;
        int[]? inner = values[0].Shape;
        var t = Single(fullName, "Pack", values, new[] { A("N", values.Count), A("T", dtype), A("axis", 0L) }, dtype,
            inner is null ? null : new[] { values.Count }.Concat(inner).ToArray());
        if (dtype == DataType.DtInt32 && values.All(v => v.Rank == 0))
        {
            t.Node.IntValue = values.Select(v => v.Node.IntValue is { Length: 1 } iv ? iv[0] : null).ToArray();
        }

        return t;
    }

    private static int?[]? IntValue(TfTensor t) => t.Node.IntValue;

    // ---------------------------------------------------------------- array ops

    public TfTensor Identity(TfTensor x, string name = "Identity") =>
        Single(UniqueName(name), "Identity", new[] { x }, T(x.DType), x.DType, x.Shape);

    public TfTensor Reshape(TfTensor x, object shape, string name = "Reshape")
    {
        string n = UniqueName(name);
        TfTensor s;
        using (EnterAbsolute(n))
        {
            s = IntArg(shape, "shape");
        }

        return ReshapeNamed(n, x, s);
    }

    private TfTensor ReshapeNamed(string fullName, TfTensor x, TfTensor shape)
    {
        int[]? outShape = null;
        if (IntValue(shape) is { } v)
        {
            outShape = v.Select(d => d ?? -1).ToArray();
            int unknown = Array.IndexOf(outShape, -1);
            if (unknown >= 0 && outShape.Count(d => d == -1) == 1 && x.FullyDefined && x.Shape!.All(d => d > 0))
            {
                long total = x.Shape!.Aggregate(1L, (a, d) => a * d);
                long rest = outShape.Where(d => d >= 0).Aggregate(1L, (a, d) => a * d);
                if (rest > 0)
                {
                    outShape[unknown] = (int)(total / rest);
                }
            }
        }
        else if (shape.Shape is { Length: 1 } ss && ss[0] >= 0)
        {
            outShape = Enumerable.Repeat(-1, ss[0]).ToArray();
        }

        return Single(fullName, "Reshape", new[] { x, shape }, new[] { A("T", x.DType), A("Tshape", DataType.DtInt32) }, x.DType, outShape);
    }

    /// <summary><c>tf.shape(x)</c>; with a fully known static shape (and <paramref name="optimize"/>) TF writes a Const instead.</summary>
    public TfTensor Shape(TfTensor x, bool optimize = true, string name = "Shape")
    {
        string n = UniqueName(name);
        if (optimize && x.FullyDefined)
        {
            var c = AddNode(n, "Const", Array.Empty<TfTensor>(), new[]
            {
                A("dtype", DataType.DtInt32),
                new KeyValuePair<string, AttrValue>("value", new AttrValue { Tensor = TensorEncoder.Int32s(x.Shape!, x.Shape!.Length) }),
            }, (DataType.DtInt32, new[] { x.Shape!.Length }));
            c.IntValue = x.Shape!.Select(d => (int?)d).ToArray();
            return c.Outputs[0];
        }

        return Single(n, "Shape", new[] { x }, new[] { A("T", x.DType), A("out_type", DataType.DtInt32) }, DataType.DtInt32,
            x.Shape is null ? new[] { -1 } : new[] { x.Shape.Length });
    }

    public TfTensor[] ShapeN(IReadOnlyList<TfTensor> xs, string name = "ShapeN") =>
        AddNode(UniqueName(name), "ShapeN", xs, new[] { A("N", xs.Count), A("T", xs[0].DType), A("out_type", DataType.DtInt32) },
            xs.Select(x => (DataType.DtInt32, (int[]?)(x.Shape is null ? new[] { -1 } : new[] { x.Shape.Length }))).ToArray()).Outputs;

    /// <summary>A Python subscript on a tensor (<c>t[i]</c>, <c>t[a:b]</c>, <c>t[:-2]</c>), i.e. StridedSlice with Const stacks.</summary>
    public TfTensor StridedSlice(TfTensor x, int begin, int end, int beginMask = 0, int endMask = 0, int shrinkAxisMask = 0, string name = "strided_slice")
    {
        string n = UniqueName(name);
        TfTensor b, e, s;
        using (EnterAbsolute(n))
        {
            b = ConstInts(new[] { begin }, "stack");
            e = ConstInts(new[] { end }, "stack_1");
            s = ConstInts(new[] { 1 }, "stack_2");
        }

        int[]? outShape;
        if (shrinkAxisMask != 0)
        {
            outShape = Array.Empty<int>();
        }
        else if (x.Shape is { Length: 1 } xs && xs[0] >= 0)
        {
            int dim = xs[0];
            int lo = (beginMask & 1) != 0 ? 0 : (begin < 0 ? begin + dim : begin);
            int hi = (endMask & 1) != 0 ? dim : (end < 0 ? end + dim : end);
            outShape = new[] { Math.Max(0, Math.Min(hi, dim) - Math.Max(0, lo)) };
        }
        else
        {
            outShape = new[] { -1 };
        }

        var t = Single(n, "StridedSlice", new[] { x, b, e, s }, new[]
        {
            A("Index", DataType.DtInt32), A("T", x.DType), A("begin_mask", (long)beginMask), A("ellipsis_mask", 0L),
            A("end_mask", (long)endMask), A("new_axis_mask", 0L), A("shrink_axis_mask", (long)shrinkAxisMask),
        }, x.DType, outShape);
        return t;
    }

    /// <summary><c>t[i]</c>.</summary>
    public TfTensor Item(TfTensor x, int i) => StridedSlice(x, i, i + 1, shrinkAxisMask: 1);

    public TfTensor Slice(TfTensor x, object begin, object size, string name = "Slice")
    {
        string n = UniqueName(name);
        TfTensor b, s;
        using (EnterAbsolute(n))
        {
            b = IntArg(begin, "begin");
            s = IntArg(size, "size");
        }

        return SliceNamed(n, x, b, s);
    }

    internal TfTensor SliceNamed(string fullName, TfTensor x, TfTensor begin, TfTensor size)
    {
        int[]? outShape = null;
        if (x.Shape is { } xs)
        {
            var bv = IntValue(begin);
            var sv = IntValue(size);
            outShape = new int[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                int? sz = sv is not null && i < sv.Length ? sv[i] : null;
                int? bg = bv is not null && i < bv.Length ? bv[i] : null;
                outShape[i] = sz is int z && z >= 0 ? z : sz == -1 && bg is int g && xs[i] >= 0 ? xs[i] - g : -1;
            }
        }

        return Single(fullName, "Slice", new[] { x, begin, size }, new[] { A("Index", DataType.DtInt32), A("T", x.DType) }, x.DType, outShape);
    }

    /// <summary><c>tf.concat(values, axis)</c>; a Python list among the values becomes a Const <c>values_k</c>.</summary>
    public TfTensor Concat(IReadOnlyList<object> values, int axis, string name = "concat")
    {
        string n = UniqueName(name);
        if (values.Count == 1)
        {
            // TF's degenerate case: an Identity inside the scope (concat/concat); the axis Const is dead.
            using (EnterAbsolute(n))
            {
                ConstInt(axis, "concat_dim");
                return Identity((TfTensor)values[0], "concat");
            }
        }

        var tensors = new List<TfTensor>();
        TfTensor axisT;
        using (EnterAbsolute(n))
        {
            for (int k = 0; k < values.Count; k++)
            {
                tensors.Add(values[k] is TfTensor t ? t : IntArg(values[k], "values_" + k.ToString(CultureInfo.InvariantCulture)));
            }

            axisT = ConstInt(axis, "axis");
        }

        return ConcatNamed(n, tensors, axisT, axis);
    }

    private TfTensor ConcatNamed(string fullName, IReadOnlyList<TfTensor> values, TfTensor axisT, int axis)
    {
        int[]? outShape = null;
        int rank = values.Select(v => v.Rank).FirstOrDefault(r => r >= 0);
        if (values.All(v => v.Rank == rank) && rank > 0)
        {
            int ax = axis < 0 ? axis + rank : axis;
            outShape = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (i == ax)
                {
                    outShape[i] = values.All(v => v.Shape![i] >= 0) ? values.Sum(v => v.Shape![i]) : -1;
                }
                else
                {
                    outShape[i] = values.Select(v => v.Shape![i]).Where(d => d >= 0).DefaultIfEmpty(-1).First();
                }
            }
        }

        var inputs = values.Concat(new[] { axisT }).ToList();
        return Single(fullName, "ConcatV2", inputs, new[] { A("N", values.Count), A("T", values[0].DType), A("Tidx", DataType.DtInt32) }, values[0].DType, outShape);
    }

    public TfTensor Fill(object dims, double value, DataType dtype, string name = "Fill")
    {
        string n = UniqueName(name);
        TfTensor d, v;
        using (EnterAbsolute(n))
        {
            d = IntArg(dims, "dims");
            v = ConstScalar(value, dtype, "value");
        }

        return FillNamed(n, d, v);
    }

    internal TfTensor FillNamed(string fullName, TfTensor dims, TfTensor value)
    {
        int[]? outShape = IntValue(dims)?.Select(x => x ?? -1).ToArray() ?? (dims.Shape is { Length: 1 } ds && ds[0] >= 0 ? Enumerable.Repeat(-1, ds[0]).ToArray() : null);
        return Single(fullName, "Fill", new[] { dims, value }, new[] { A("T", value.DType), A("index_type", DataType.DtInt32) }, value.DType, outShape);
    }

    public TfTensor Tile(TfTensor x, object multiples, string name = "Tile")
    {
        string n = UniqueName(name);
        TfTensor m;
        using (EnterAbsolute(n))
        {
            m = IntArg(multiples, "multiples");
        }

        int[]? outShape = null;
        if (x.Shape is { } xs)
        {
            var mv = IntValue(m);
            outShape = xs.Select((d, i) => d >= 0 && mv is not null && mv[i] is int k ? d * k : -1).ToArray();
        }

        return Single(n, "Tile", new[] { x, m }, new[] { A("T", x.DType), A("Tmultiples", DataType.DtInt32) }, x.DType, outShape);
    }

    public TfTensor Pad(TfTensor x, TfTensor paddings, string name = "Pad") =>
        Single(UniqueName(name), "Pad", new[] { x, paddings }, new[] { A("T", x.DType), A("Tpaddings", DataType.DtInt32) }, x.DType,
            x.Shape is null ? null : Enumerable.Repeat(-1, x.Shape.Length).ToArray());

    /// <summary><c>tf.nn.embedding_lookup(params, ids)</c>: GatherV2 named by the scope, plus its Identity.</summary>
    public TfTensor EmbeddingLookup(TfTensor parameters, TfTensor ids, string name = "embedding_lookup")
    {
        string n = UniqueName(name);
        TfTensor axis;
        using (EnterAbsolute(n))
        {
            axis = ConstInt(0, "axis");
        }

        int[]? outShape = parameters.Shape is { } ps && ids.Shape is { } idsShape ? idsShape.Concat(ps.Skip(1)).ToArray() : null;
        var g = Single(n, "GatherV2", new[] { parameters, ids, axis }, new[]
        {
            A("Taxis", DataType.DtInt32), A("Tindices", ids.DType), A("Tparams", parameters.DType), A("batch_dims", 0L),
        }, parameters.DType, outShape);
        using (EnterAbsolute(n))
        {
            return Identity(g);
        }
    }

    public TfTensor Cast(TfTensor x, DataType dtype, string name = "Cast")
    {
        if (x.DType == dtype)
        {
            return x;
        }

        return Single(UniqueName(name), "Cast", new[] { x }, new[] { A("DstT", dtype), A("SrcT", x.DType), A("Truncate", false) }, dtype, x.Shape);
    }

    // ---------------------------------------------------------------- math ops

    /// <summary>
    /// A Python operator on tensors (<c>x + y</c>, <c>x * 0.5</c>, <c>3 * t</c>): scope <paramref name="scopeName"/>
    /// (already unique when <paramref name="absolute"/>), literals become <c>x</c>/<c>y</c> Consts of the other operand's dtype.
    /// </summary>
    public TfTensor Binary(string op, string scopeName, object x, object y, bool absolute = false)
    {
        string n = absolute ? scopeName : UniqueName(scopeName);
        TfTensor xt, yt;
        using (EnterAbsolute(n))
        {
            var known = x as TfTensor ?? (TfTensor)y;
            xt = x as TfTensor ?? ConstScalar(Convert.ToDouble(x, CultureInfo.InvariantCulture), known.DType, "x");
            yt = y as TfTensor ?? ConstScalar(Convert.ToDouble(y, CultureInfo.InvariantCulture), known.DType, "y");
        }

        return BinaryNamed(n, op, xt, yt);
    }

    internal TfTensor BinaryNamed(string fullName, string op, TfTensor x, TfTensor y)
    {
        if (x.DType != y.DType)
        {
            throw new InvalidOperationException($"{op} '{fullName}': dtype mismatch {x.DType} vs {y.DType}.");
        }

        var outType = op is "GreaterEqual" or "Greater" ? DataType.DtBool : x.DType;
        return Single(fullName, op, new[] { x, y }, T(x.DType), outType, Broadcast(x.Shape, y.Shape, fullName));
    }

    public TfTensor Add(object x, object y) => Binary("AddV2", "add", x, y);

    public TfTensor Mul(object x, object y) => Binary("Mul", "mul", x, y);

    public TfTensor Div(object x, object y) => Binary("RealDiv", "truediv", x, y);

    public TfTensor Sub(object x, object y) => Binary("Sub", "sub", x, y);

    /// <summary>A generated binary op wrapper (<c>gen_math_ops.maximum(x, y, name)</c>): the literal is converted inside the op scope as <c>y</c>.</summary>
    public TfTensor GenBinary(string op, TfTensor x, object y, string? name = null) => Binary(op, name ?? op, x, y);

    public TfTensor AddN(IReadOnlyList<TfTensor> xs, string name = "AddN")
    {
        if (xs.Count == 1)
        {
            return xs[0];
        }

        int[]? shape = xs.Select(x => x.Shape).FirstOrDefault(s => s is not null);
        return Single(UniqueName(name), "AddN", xs, new[] { A("N", xs.Count), A("T", xs[0].DType) }, xs[0].DType, shape);
    }

    public TfTensor Unary(string op, TfTensor x, string? name = null) => Single(UniqueName(name ?? op), op, new[] { x }, T(x.DType), x.DType, x.Shape);

    /// <summary>A two-input op whose output has the shape of input <paramref name="shapeFrom"/> (TanhGrad, ReluGrad, ...).</summary>
    public TfTensor Elementwise2(string op, TfTensor a, TfTensor b, int shapeFrom, string? name = null) =>
        Single(UniqueName(name ?? op), op, new[] { a, b }, T(a.DType), a.DType, shapeFrom == 0 ? a.Shape : b.Shape);

    /// <summary><c>tf.matmul</c>: MatMul for rank 2, BatchMatMulV2 (adj_x/adj_y) above.</summary>
    public TfTensor MatMul(TfTensor a, TfTensor b, bool transposeA = false, bool transposeB = false, string name = "MatMul")
    {
        string n = UniqueName(name);
        bool batch = a.Rank != 2 || b.Rank != 2;
        if (!batch)
        {
            int[] shape = { a.Shape![transposeA ? 1 : 0], b.Shape![transposeB ? 0 : 1] };
            return Single(n, "MatMul", new[] { a, b }, new[] { A("T", a.DType), A("transpose_a", transposeA), A("transpose_b", transposeB) }, a.DType, shape);
        }

        int[]? outShape = null;
        if (a.Shape is { } sa && b.Shape is { } sb)
        {
            var batchShape = Broadcast(sa.Take(sa.Length - 2).ToArray(), sb.Take(sb.Length - 2).ToArray(), n)!;
            int m = transposeA ? sa[sa.Length - 1] : sa[sa.Length - 2];
            int k = transposeB ? sb[sb.Length - 2] : sb[sb.Length - 1];
            outShape = batchShape.Concat(new[] { m, k }).ToArray();
        }

        return Single(n, "BatchMatMulV2", new[] { a, b }, new[] { A("T", a.DType), A("adj_x", transposeA), A("adj_y", transposeB) }, a.DType, outShape);
    }

    public TfTensor BiasAdd(TfTensor x, TfTensor bias, string name = "BiasAdd") =>
        Single(UniqueName(name), "BiasAdd", new[] { x, bias }, new[] { A("T", x.DType), A("data_format", "NHWC") }, x.DType, x.Shape);

    /// <summary><c>tf.reduce_sum/mean/prod(x, axis)</c> with the axis converted inside the op scope (<c>reduction_indices</c>).</summary>
    public TfTensor Reduce(string op, TfTensor x, object axis, bool keepDims = false, string? name = null)
    {
        string n = UniqueName(name ?? op);
        TfTensor ax;
        using (EnterAbsolute(n))
        {
            ax = IntArg(axis, "reduction_indices");
        }

        return ReduceNamed(n, op, x, ax, keepDims);
    }

    internal TfTensor ReduceNamed(string fullName, string op, TfTensor x, TfTensor axis, bool keepDims)
    {
        int[]? outShape = null;
        if (x.Shape is { } xs && IntValue(axis) is { } av && av.All(a => a is not null))
        {
            var axes = new HashSet<int>(av.Select(a => a!.Value < 0 ? a.Value + xs.Length : a.Value));
            outShape = keepDims ? xs.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray() : xs.Where((d, i) => !axes.Contains(i)).ToArray();
        }
        else if (axis.Shape is { Length: 0 } && x.Shape is { Length: > 0 } xs2 && !keepDims)
        {
            outShape = Enumerable.Repeat(-1, xs2.Length - 1).ToArray();
        }

        return Single(fullName, op, new[] { x, axis }, new[] { A("T", x.DType), A("Tidx", DataType.DtInt32), A("keep_dims", keepDims) }, x.DType, outShape);
    }

    internal static int[]? Broadcast(int[]? a, int[]? b, string context)
    {
        if (a is null || b is null)
        {
            return null;
        }

        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            result[i] = da == db ? da : da == 1 ? db : db == 1 ? da : da == -1 ? db : db == -1 ? da
                : throw new InvalidOperationException($"'{context}': incompatible shapes [{string.Join(",", a)}] and [{string.Join(",", b)}].");
        }

        return result;
    }

    // ---------------------------------------------------------------- freezing

    /// <summary>
    /// What freezing does: keep the nodes the named outputs need (data and control inputs), in creation order.
    /// </summary>
    public GraphDef Freeze(IEnumerable<string> outputNodes)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        foreach (string o in outputNodes)
        {
            if (_byName.ContainsKey(o) && keep.Add(o))
            {
                stack.Push(o);
            }
        }

        while (stack.Count > 0)
        {
            var node = _byName[stack.Pop()];
            foreach (string input in node.Def.Input)
            {
                string src = GraphIndex.ParseInput(input).Node;
                if (keep.Add(src))
                {
                    stack.Push(src);
                }
            }
        }

        // deepmd-kit's frozen 2.x graphs carry an empty `versions {}` (producer 0), and so do ours.
        var graph = new GraphDef { Versions = new VersionDef() };
        foreach (var node in _nodes)
        {
            if (keep.Contains(node.Name))
            {
                graph.Node.Add(node.Def.Clone());
            }
        }

        return graph;
    }

    private sealed class ControlBlock
    {
        public ControlBlock(TfNode[] nodes, int start)
        {
            Nodes = nodes;
            Start = start;
        }

        public TfNode[] Nodes { get; }

        public int Start { get; }
    }

    private sealed class Restore : IDisposable
    {
        private Action? _action;

        public Restore(Action action) => _action = action;

        public void Dispose()
        {
            _action?.Invoke();
            _action = null;
        }
    }
}
