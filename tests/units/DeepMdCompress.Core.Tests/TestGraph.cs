using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Tests;

/// <summary>Builds small GraphDefs node by node for the per-op tests and runs them on the interpreter.</summary>
internal sealed class TestGraph
{
    public GraphDef Def { get; } = new();

    public string Const(string name, TensorValue value)
    {
        var n = new NodeDef { Name = name, Op = "Const" };
        n.Attr["dtype"] = new AttrValue { Type = value.DType };
        n.Attr["value"] = new AttrValue { Tensor = Proto(value) };
        Def.Node.Add(n);
        return name;
    }

    public string D(string name, double[] values, params int[] shape) => Const(name, Shapes.Of(values, shape));

    public string I(string name, int[] values, params int[] shape) => Const(name, Shapes.Of(values, shape));

    public string Op(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs)
        {
            n.Attr[k] = v;
        }

        Def.Node.Add(n);
        return name;
    }

    public string Placeholder(string name, DataType dtype) =>
        Op(name, "Placeholder", Array.Empty<string>(), ("dtype", new AttrValue { Type = dtype }));

    public TensorValue Run(string fetch, Dictionary<string, TensorValue>? feeds = null) =>
        new GraphInterpreter(Def).Run(feeds ?? new Dictionary<string, TensorValue>(), fetch);

    public TensorValue[] Run(params string[] fetches) =>
        new GraphInterpreter(Def).Run(new Dictionary<string, TensorValue>(), fetches);

    public static (string, AttrValue) B(string key, bool v) => (key, new AttrValue { B = v });

    public static (string, AttrValue) Int(string key, long v) => (key, new AttrValue { I = v });

    public static (string, AttrValue) F(string key, float v) => (key, new AttrValue { F = v });

    public static (string, AttrValue) T(string key, DataType v) => (key, new AttrValue { Type = v });

    public static (string, AttrValue) Ints(string key, params long[] v)
    {
        var list = new AttrValue.Types.ListValue();
        list.I.AddRange(v);
        return (key, new AttrValue { List = list });
    }

    public static TensorProto Proto(TensorValue v)
    {
        var shape = v.Shape.Select(d => (long)d).ToArray();
        switch (v.Data)
        {
            case double[] d:
                return TensorEncoder.Doubles(d, shape);
            case float[] f:
                return TensorEncoder.Floats(f, shape);
            case int[] i:
                return TensorEncoder.Int32s(i, shape);
            case long[] l:
                return new TensorProto { Dtype = DataType.DtInt64, TensorShape = TensorEncoder.Shape(shape), TensorContent = ByteString.CopyFrom(l.SelectMany(BitConverter.GetBytes).ToArray()) };
            case bool[] b:
                return new TensorProto { Dtype = DataType.DtBool, TensorShape = TensorEncoder.Shape(shape), TensorContent = ByteString.CopyFrom(b.Select(x => (byte)(x ? 1 : 0)).ToArray()) };
            default:
                throw new ArgumentException("unsupported tensor");
        }
    }
}
