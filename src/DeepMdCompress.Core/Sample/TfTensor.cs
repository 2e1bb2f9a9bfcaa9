using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Sample;

/// <summary>Output <see cref="Index"/> of a node, as TensorFlow's graph-mode <c>tf.Tensor</c>.</summary>
internal sealed class TfTensor
{
    public TfTensor(TfNode node, int index, DataType dtype, int[]? shape)
    {
        Node = node;
        Index = index;
        DType = dtype;
        Shape = shape;
    }

    public TfNode Node { get; }

    public int Index { get; }

    public DataType DType { get; }

    /// <summary>Static shape: null = unknown rank, -1 = unknown dimension (TF's <c>get_shape()</c>).</summary>
    public int[]? Shape { get; set; }

    /// <summary>The input reference other nodes use: <c>name</c> or <c>name:k</c>.</summary>
    public string Ref => Index == 0 ? Node.Name : Node.Name + ":" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public int Rank => Shape?.Length ?? -1;

    public bool FullyDefined => Shape is { } s && s.All(d => d >= 0);

    public bool IsFloat => DType is DataType.DtDouble or DataType.DtFloat or DataType.DtHalf or DataType.DtBfloat16;

    public override string ToString() => Ref;
}

/// <summary>One operation of a graph under construction.</summary>
internal sealed class TfNode
{
    public TfNode(NodeDef def, int seq, IReadOnlyList<TfTensor> inputs)
    {
        Def = def;
        Seq = seq;
        Inputs = inputs;
        Outputs = System.Array.Empty<TfTensor>();
    }

    public NodeDef Def { get; }

    /// <summary>Creation order; a frozen graph keeps it.</summary>
    public int Seq { get; }

    public string Name => Def.Name;

    public string Op => Def.Op;

    public IReadOnlyList<TfTensor> Inputs { get; }

    public TfTensor[] Outputs { get; internal set; }

    /// <summary>Known int32 value of a Const (or of a Pack of scalar Consts, with unknown elements null).</summary>
    public int?[]? IntValue { get; internal set; }

    public AttrValue Attr(string name) => Def.Attr[name];

    public bool BoolAttr(string name) => Def.Attr.TryGetValue(name, out var v) && v.B;

    public override string ToString() => $"{Name} ({Op})";
}
