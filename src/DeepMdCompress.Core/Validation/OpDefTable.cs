using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Validation;

/// <summary>The kinds of attr values an OpDef can ask for (TensorFlow's attr type strings).</summary>
public enum AttrKind
{
    Type,
    Int,
    Float,
    Bool,
    String,
    Shape,
    Tensor,
    ListInt,
    ListType,
    ListShape,
}

/// <summary>
/// One attr of an op: its kind and whether the OpDef gives it a default (if not, a NodeDef must set it); for type
/// attrs also the default type, which a NodeDef that omits the attr gets.
/// </summary>
public sealed record AttrSpec(string Name, AttrKind Kind, bool HasDefault, DataType? DefaultType = null);

/// <summary>
/// One input or output argument of an OpDef (TensorFlow's ArgDef): its dtype is the value of the type attr
/// <see cref="TypeAttr"/> or the fixed <see cref="FixedType"/>; a list argument repeats it as many times as the int
/// attr <see cref="NumberAttr"/> says.
/// </summary>
public sealed record ArgSpec(string? TypeAttr, DataType? FixedType, string? NumberAttr);

/// <summary>
/// The part of a TensorFlow OpDef that decides whether a NodeDef is loadable: input arity (fixed, or a
/// multiple of a list-length attr such as <c>N</c>), output count and attrs. TensorFlow refuses a GraphDef
/// whose nodes name an unknown op, carry an attr the op does not define, miss a required attr or have the
/// wrong number of inputs — the checks this table serves.
/// </summary>
public sealed class OpSpec
{
    public OpSpec(string name, int fixedInputs, int outputs, AttrSpec[] attrs, string? lengthAttr = null, int inputsPerLength = 0, bool outputsPerLength = false)
    {
        Name = name;
        FixedInputs = fixedInputs;
        Outputs = outputs;
        Attrs = attrs.ToDictionary(a => a.Name, StringComparer.Ordinal);
        LengthAttr = lengthAttr;
        InputsPerLength = inputsPerLength;
        OutputsPerLength = outputsPerLength;
    }

    public string Name { get; }

    /// <summary>Inputs that exist regardless of the list length (e.g. ConcatV2's axis).</summary>
    public int FixedInputs { get; }

    /// <summary>Output count, or outputs per list element when <see cref="OutputsPerLength"/>.</summary>
    public int Outputs { get; }

    public IReadOnlyDictionary<string, AttrSpec> Attrs { get; }

    /// <summary>Attr holding a list length (N) that multiplies <see cref="InputsPerLength"/>.</summary>
    public string? LengthAttr { get; }

    public int InputsPerLength { get; }

    public bool OutputsPerLength { get; }

    /// <summary>Input arguments in order (null: not declared here, dtypes unchecked).</summary>
    public IReadOnlyList<ArgSpec>? InputArgs { get; internal set; }

    public IReadOnlyList<ArgSpec>? OutputArgs { get; internal set; }

    /// <summary>The dtype of each data input a node of this op takes (null entries: unknown), or null when the arguments cannot be resolved.</summary>
    public DataType?[]? InputTypes(NodeDef node) => Expand(InputArgs, node);

    /// <summary>The dtype of each output of a node of this op (null entries: unknown), or null when the arguments cannot be resolved.</summary>
    public DataType?[]? OutputTypes(NodeDef node) => Expand(OutputArgs, node);

    private DataType?[]? Expand(IReadOnlyList<ArgSpec>? args, NodeDef node)
    {
        if (args is null)
        {
            return null;
        }

        var types = new List<DataType?>();
        foreach (var arg in args)
        {
            DataType? type = arg.FixedType;
            if (arg.TypeAttr is { } name)
            {
                type = node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type ? v.Type
                    : Attrs.TryGetValue(name, out var spec) ? spec.DefaultType : null;
            }

            int count = 1;
            if (arg.NumberAttr is { } number)
            {
                if (!node.Attr.TryGetValue(number, out var n) || n.ValueCase != AttrValue.ValueOneofCase.I || n.I < 0 || n.I > 1 << 20)
                {
                    return null;
                }

                count = (int)n.I;
            }

            types.AddRange(Enumerable.Repeat(type, count));
        }

        return types.ToArray();
    }
}

/// <summary>OpDefs of every op DeePMD graphs use: TensorFlow's standard ops and deepmd-kit's op library.</summary>
public static class OpDefTable
{
    private static readonly Dictionary<string, OpSpec> Ops = Build();

    public static bool TryGet(string op, out OpSpec spec) => Ops.TryGetValue(op, out spec!);

    public static IEnumerable<string> KnownOps => Ops.Keys;

    private static AttrSpec Req(string name, AttrKind kind) => new(name, kind, false);

    private static AttrSpec Opt(string name, AttrKind kind) => new(name, kind, true);

    private static AttrSpec OptType(string name, DataType defaultType) => new(name, AttrKind.Type, true, defaultType);

    private static Dictionary<string, OpSpec> Build()
    {
        var d = new Dictionary<string, OpSpec>(StringComparer.Ordinal);
        void Add(OpSpec s) => d[s.Name] = s;
        void Simple(string name, int inputs, int outputs, params AttrSpec[] attrs) => Add(new OpSpec(name, inputs, outputs, attrs));

        var t = Req("T", AttrKind.Type);
        var tDouble = OptType("T", DataType.DtDouble); // deepmd ops: T = DT_DOUBLE by default

        // --- TensorFlow: sources and plumbing
        Simple("Const", 0, 1, Req("value", AttrKind.Tensor), Req("dtype", AttrKind.Type));
        Simple("Placeholder", 0, 1, Req("dtype", AttrKind.Type), Opt("shape", AttrKind.Shape));
        Simple("PlaceholderWithDefault", 1, 1, Req("dtype", AttrKind.Type), Req("shape", AttrKind.Shape));
        Simple("Identity", 1, 1, t);
        Simple("NoOp", 0, 0);
        Simple("StopGradient", 1, 1, t);

        // --- shapes and layout
        Simple("Reshape", 2, 1, t, OptType("Tshape", DataType.DtInt32));
        Simple("Shape", 1, 1, t, OptType("out_type", DataType.DtInt32));
        Add(new OpSpec("ShapeN", 0, 1, new[] { Req("N", AttrKind.Int), t, OptType("out_type", DataType.DtInt32) }, "N", 1, outputsPerLength: true));
        Simple("Size", 1, 1, t, OptType("out_type", DataType.DtInt32));
        Simple("Rank", 1, 1, t);
        Simple("ExpandDims", 2, 1, t, OptType("Tdim", DataType.DtInt32));
        Simple("Squeeze", 1, 1, t, Opt("squeeze_dims", AttrKind.ListInt));
        Simple("Slice", 3, 1, t, Req("Index", AttrKind.Type));
        Simple("StridedSlice", 4, 1, t, Req("Index", AttrKind.Type), Opt("begin_mask", AttrKind.Int), Opt("end_mask", AttrKind.Int),
            Opt("ellipsis_mask", AttrKind.Int), Opt("new_axis_mask", AttrKind.Int), Opt("shrink_axis_mask", AttrKind.Int));
        Add(new OpSpec("ConcatV2", 1, 1, new[] { Req("N", AttrKind.Int), t, OptType("Tidx", DataType.DtInt32) }, "N", 1));
        Add(new OpSpec("ConcatOffset", 1, 1, new[] { Req("N", AttrKind.Int), OptType("shape_type", DataType.DtInt32) }, "N", 1, outputsPerLength: true));
        Add(new OpSpec("Pack", 0, 1, new[] { Req("N", AttrKind.Int), t, Opt("axis", AttrKind.Int) }, "N", 1));
        Add(new OpSpec("Unpack", 1, 1, new[] { Req("num", AttrKind.Int), t, Opt("axis", AttrKind.Int) }, "num", 0, outputsPerLength: true));
        Simple("Fill", 2, 1, t, OptType("index_type", DataType.DtInt32));
        Simple("Pad", 2, 1, t, OptType("Tpaddings", DataType.DtInt32));
        Simple("Tile", 2, 1, t, OptType("Tmultiples", DataType.DtInt32));
        Simple("Transpose", 2, 1, t, OptType("Tperm", DataType.DtInt32));
        Simple("GatherV2", 3, 1, Req("Tparams", AttrKind.Type), Req("Tindices", AttrKind.Type), Req("Taxis", AttrKind.Type), Opt("batch_dims", AttrKind.Int));
        Simple("OneHot", 4, 1, t, Opt("axis", AttrKind.Int), OptType("TI", DataType.DtInt64));
        Add(new OpSpec("DynamicStitch", 0, 1, new[] { Req("N", AttrKind.Int), t }, "N", 2));
        Simple("MatrixDiag", 1, 1, t);
        Simple("Range", 3, 1, OptType("Tidx", DataType.DtInt32));
        Simple("Cast", 1, 1, Req("SrcT", AttrKind.Type), Req("DstT", AttrKind.Type), Opt("Truncate", AttrKind.Bool));
        Simple("ZerosLike", 1, 1, t);
        Simple("OnesLike", 1, 1, t);

        // --- reductions
        foreach (string r in new[] { "Sum", "Mean", "Prod", "Max", "Min" })
        {
            Simple(r, 2, 1, t, Opt("keep_dims", AttrKind.Bool), OptType("Tidx", DataType.DtInt32));
        }

        // --- linear algebra
        Simple("MatMul", 2, 1, t, Opt("transpose_a", AttrKind.Bool), Opt("transpose_b", AttrKind.Bool), Opt("grad_a", AttrKind.Bool), Opt("grad_b", AttrKind.Bool));
        Simple("BatchMatMul", 2, 1, t, Opt("adj_x", AttrKind.Bool), Opt("adj_y", AttrKind.Bool), Opt("grad_x", AttrKind.Bool), Opt("grad_y", AttrKind.Bool));
        Simple("BatchMatMulV2", 2, 1, t, Opt("adj_x", AttrKind.Bool), Opt("adj_y", AttrKind.Bool), Opt("grad_x", AttrKind.Bool), Opt("grad_y", AttrKind.Bool));
        Simple("BiasAdd", 2, 1, t, Opt("data_format", AttrKind.String));
        Simple("BiasAddGrad", 1, 1, t, Opt("data_format", AttrKind.String));
        Add(new OpSpec("AddN", 0, 1, new[] { Req("N", AttrKind.Int), t }, "N", 1));

        // --- element-wise
        foreach (string b in new[]
                 {
                     "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorMod", "FloorDiv", "Maximum", "Minimum", "Pow",
                     "GreaterEqual", "Greater", "Less", "LessEqual", "Equal", "NotEqual", "SquaredDifference",
                     "TanhGrad", "SigmoidGrad", "ReluGrad", "Relu6Grad", "SoftplusGrad", "RsqrtGrad", "SqrtGrad", "ReciprocalGrad",
                 })
        {
            Simple(b, 2, 1, t);
        }

        Simple("BroadcastGradientArgs", 2, 2, OptType("T", DataType.DtInt32));
        foreach (string u in new[] { "Tanh", "Relu", "Relu6", "Softplus", "Sigmoid", "Neg", "Exp", "Log", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Abs", "Erf", "Sign" })
        {
            Simple(u, 1, 1, t);
        }

        Simple("Select", 3, 1, t);
        Simple("SelectV2", 3, 1, t);

        // --- deepmd-kit op library (fact sheets: evaluator §2.1, compression §4.1); float attrs are float32
        var envA = new[] { tDouble, Req("rcut_a", AttrKind.Float), Req("rcut_r", AttrKind.Float), Req("rcut_r_smth", AttrKind.Float), Req("sel_a", AttrKind.ListInt), Req("sel_r", AttrKind.ListInt) };
        foreach (string a in new[] { "ProdEnvMatA", "DescrptSeA", "DescrptNorot" })
        {
            Simple(a, 7, 4, envA);
        }

        foreach (string r in new[] { "ProdEnvMatR", "DescrptSeR" })
        {
            Simple(r, 7, 4, tDouble, Req("rcut", AttrKind.Float), Req("rcut_smth", AttrKind.Float), Req("sel", AttrKind.ListInt));
        }

        Simple("ProdEnvMatAMix", 7, 6, envA);
        foreach (string f in new[] { "ProdForceSeA", "ProdForceNorot" })
        {
            Simple(f, 4, 1, tDouble, Req("n_a_sel", AttrKind.Int), Req("n_r_sel", AttrKind.Int));
        }

        Simple("ParallelProdForceSeA", 4, 1, tDouble, Req("n_a_sel", AttrKind.Int), Req("n_r_sel", AttrKind.Int),
            Opt("parallel", AttrKind.Bool), Opt("start_frac", AttrKind.Float), Opt("end_frac", AttrKind.Float));
        foreach (string v in new[] { "ProdVirialSeA", "ProdVirialNorot" })
        {
            Simple(v, 5, 2, tDouble, Req("n_a_sel", AttrKind.Int), Req("n_r_sel", AttrKind.Int));
        }

        Simple("ProdForceSeR", 4, 1, tDouble);
        Simple("ProdVirialSeR", 5, 2, tDouble);
        Simple("GeluCustom", 1, 1, tDouble);
        Simple("GeluGradCustom", 2, 1, tDouble);
        Simple("GeluGradGradCustom", 3, 1, tDouble);

        var lls = Req("last_layer_size", AttrKind.Int);
        var sorted = Opt("is_sorted", AttrKind.Bool);
        Simple("TabulateFusion", 4, 1, tDouble, lls);
        Simple("TabulateFusionGrad", 6, 2, tDouble);
        Simple("TabulateFusionGradGrad", 7, 1, t);
        Simple("TabulateFusionSeA", 4, 1, tDouble, lls);
        Simple("TabulateFusionSeAGrad", 6, 2, tDouble);
        Simple("TabulateFusionSeAGradGrad", 7, 1, t, sorted);
        Simple("TabulateFusionSeAtten", 5, 1, tDouble, lls, sorted);
        Simple("TabulateFusionSeAttenGrad", 7, 3, tDouble, sorted);
        Simple("TabulateFusionSeAttenGradGrad", 9, 1, t, sorted);
        Simple("TabulateFusionSeT", 4, 1, tDouble, lls);
        Simple("TabulateFusionSeTGrad", 6, 2, tDouble);
        Simple("TabulateFusionSeTGradGrad", 7, 1, t);
        Simple("TabulateFusionSeR", 3, 1, tDouble, lls);
        Simple("TabulateFusionSeRGrad", 5, 1, tDouble);
        Simple("TabulateFusionSeRGradGrad", 5, 1, t);
        Signatures(d);
        return d;
    }

    /// <summary>
    /// The ArgDefs of every op, as "inputs -> outputs": a type attr name (T, Tidx, …) or a fixed dtype (int32, bool),
    /// "N*T" for a list of N (the int attr) elements of type T.
    /// </summary>
    private static void Signatures(Dictionary<string, OpSpec> d)
    {
        void Sig(string signature, params string[] ops)
        {
            var sides = signature.Split(new[] { "->" }, StringSplitOptions.None);
            foreach (string op in ops)
            {
                d[op].InputArgs = Args(sides[0]);
                d[op].OutputArgs = Args(sides[1]);
            }
        }

        Sig("-> dtype", "Const", "Placeholder");
        Sig("dtype -> dtype", "PlaceholderWithDefault");
        Sig(" -> ", "NoOp");
        Sig("T -> T", "Identity", "StopGradient", "Squeeze", "MatrixDiag", "ZerosLike", "OnesLike", "BiasAddGrad",
            "Tanh", "Relu", "Relu6", "Softplus", "Sigmoid", "Neg", "Exp", "Log", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Abs", "Erf", "Sign");
        Sig("T, Tshape -> T", "Reshape");
        Sig("T -> out_type", "Shape", "Size");
        Sig("N*T -> N*out_type", "ShapeN");
        Sig("T -> int32", "Rank");
        Sig("T, Tdim -> T", "ExpandDims");
        Sig("T, Index, Index -> T", "Slice");
        Sig("T, Index, Index, Index -> T", "StridedSlice");
        Sig("N*T, Tidx -> T", "ConcatV2");
        Sig("int32, N*shape_type -> N*shape_type", "ConcatOffset");
        Sig("N*T -> T", "Pack", "AddN");
        Sig("T -> num*T", "Unpack");
        Sig("index_type, T -> T", "Fill");
        Sig("T, Tpaddings -> T", "Pad");
        Sig("T, Tmultiples -> T", "Tile");
        Sig("T, Tperm -> T", "Transpose");
        Sig("Tparams, Tindices, Taxis -> Tparams", "GatherV2");
        Sig("TI, int32, T, T -> T", "OneHot");
        Sig("N*int32, N*T -> T", "DynamicStitch");
        Sig("Tidx, Tidx, Tidx -> Tidx", "Range");
        Sig("SrcT -> DstT", "Cast");
        Sig("T, Tidx -> T", "Sum", "Mean", "Prod", "Max", "Min");
        Sig("T, T -> T", "MatMul", "BatchMatMul", "BatchMatMulV2", "BiasAdd", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorMod", "FloorDiv",
            "Maximum", "Minimum", "Pow", "SquaredDifference", "TanhGrad", "SigmoidGrad", "ReluGrad", "Relu6Grad", "SoftplusGrad", "RsqrtGrad",
            "SqrtGrad", "ReciprocalGrad", "GeluGradCustom");
        Sig("T, T -> bool", "GreaterEqual", "Greater", "Less", "LessEqual", "Equal", "NotEqual");
        Sig("T, T -> T, T", "BroadcastGradientArgs");
        Sig("bool, T, T -> T", "Select", "SelectV2");

        // deepmd-kit (evaluator-facts §2.1, compression-facts §4.1): coordinates, statistics and results in T, indices int32.
        Sig("T, int32, int32, T, int32, T, T -> T, T, T, int32", "ProdEnvMatA", "DescrptSeA", "DescrptNorot", "ProdEnvMatR", "DescrptSeR");
        Sig("T, int32, int32, T, int32, T, T -> T, T, T, int32, int32, bool", "ProdEnvMatAMix");
        Sig("T, T, int32, int32 -> T", "ProdForceSeA", "ProdForceNorot", "ParallelProdForceSeA", "ProdForceSeR");
        Sig("T, T, T, int32, int32 -> T, T", "ProdVirialSeA", "ProdVirialNorot", "ProdVirialSeR");
        Sig("T -> T", "GeluCustom");
        Sig("T, T, T -> T", "GeluGradGradCustom");
        Sig("T, T, T, T -> T", "TabulateFusion", "TabulateFusionSeA", "TabulateFusionSeT");
        Sig("T, T, T, T, T, T -> T, T", "TabulateFusionGrad", "TabulateFusionSeAGrad", "TabulateFusionSeTGrad");
        Sig("T, T, T, T, T, T, T -> T", "TabulateFusionGradGrad", "TabulateFusionSeAGradGrad", "TabulateFusionSeTGradGrad");
        Sig("T, T, T, T, T -> T", "TabulateFusionSeAtten");
        Sig("T, T, T, T, T, T, T -> T, T, T", "TabulateFusionSeAttenGrad");
        Sig("T, T, T, T, T, T, T, T, T -> T", "TabulateFusionSeAttenGradGrad");
        Sig("T, T, T -> T", "TabulateFusionSeR");
        Sig("T, T, T, T, T -> T", "TabulateFusionSeRGrad", "TabulateFusionSeRGradGrad");
    }

    private static ArgSpec[] Args(string list) => list.Split(',').Select(a => a.Trim()).Where(a => a.Length > 0).Select(a =>
    {
        int star = a.IndexOf('*');
        string? number = star < 0 ? null : a.Substring(0, star);
        string type = a.Substring(star + 1);
        DataType? fixedType = type switch
        {
            "int32" => DataType.DtInt32,
            "int64" => DataType.DtInt64,
            "bool" => DataType.DtBool,
            _ => null,
        };
        return new ArgSpec(fixedType is null ? type : null, fixedType, number);
    }).ToArray();
}
