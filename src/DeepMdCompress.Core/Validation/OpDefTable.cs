using System;
using System.Collections.Generic;
using System.Linq;

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

/// <summary>One attr of an op: its kind and whether the OpDef gives it a default (if not, a NodeDef must set it).</summary>
public sealed record AttrSpec(string Name, AttrKind Kind, bool HasDefault);

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
}

/// <summary>OpDefs of every op DeePMD graphs use: TensorFlow's standard ops and deepmd-kit's op library.</summary>
public static class OpDefTable
{
    private static readonly Dictionary<string, OpSpec> Ops = Build();

    public static bool TryGet(string op, out OpSpec spec) => Ops.TryGetValue(op, out spec!);

    public static IEnumerable<string> KnownOps => Ops.Keys;

    private static AttrSpec Req(string name, AttrKind kind) => new(name, kind, false);

    private static AttrSpec Opt(string name, AttrKind kind) => new(name, kind, true);

    private static Dictionary<string, OpSpec> Build()
    {
        var d = new Dictionary<string, OpSpec>(StringComparer.Ordinal);
        void Add(OpSpec s) => d[s.Name] = s;
        void Simple(string name, int inputs, int outputs, params AttrSpec[] attrs) => Add(new OpSpec(name, inputs, outputs, attrs));

        var t = Req("T", AttrKind.Type);
        var tDouble = Opt("T", AttrKind.Type); // deepmd ops: T = DT_DOUBLE by default

        // --- TensorFlow: sources and plumbing
        Simple("Const", 0, 1, Req("value", AttrKind.Tensor), Req("dtype", AttrKind.Type));
        Simple("Placeholder", 0, 1, Req("dtype", AttrKind.Type), Opt("shape", AttrKind.Shape));
        Simple("PlaceholderWithDefault", 1, 1, Req("dtype", AttrKind.Type), Req("shape", AttrKind.Shape));
        Simple("Identity", 1, 1, t);
        Simple("NoOp", 0, 0);
        Simple("StopGradient", 1, 1, t);

        // --- shapes and layout
        Simple("Reshape", 2, 1, t, Opt("Tshape", AttrKind.Type));
        Simple("Shape", 1, 1, t, Opt("out_type", AttrKind.Type));
        Add(new OpSpec("ShapeN", 0, 1, new[] { Req("N", AttrKind.Int), t, Opt("out_type", AttrKind.Type) }, "N", 1, outputsPerLength: true));
        Simple("Size", 1, 1, t, Opt("out_type", AttrKind.Type));
        Simple("Rank", 1, 1, t);
        Simple("ExpandDims", 2, 1, t, Opt("Tdim", AttrKind.Type));
        Simple("Squeeze", 1, 1, t, Opt("squeeze_dims", AttrKind.ListInt));
        Simple("Slice", 3, 1, t, Req("Index", AttrKind.Type));
        Simple("StridedSlice", 4, 1, t, Req("Index", AttrKind.Type), Opt("begin_mask", AttrKind.Int), Opt("end_mask", AttrKind.Int),
            Opt("ellipsis_mask", AttrKind.Int), Opt("new_axis_mask", AttrKind.Int), Opt("shrink_axis_mask", AttrKind.Int));
        Add(new OpSpec("ConcatV2", 1, 1, new[] { Req("N", AttrKind.Int), t, Opt("Tidx", AttrKind.Type) }, "N", 1));
        Add(new OpSpec("ConcatOffset", 1, 1, new[] { Req("N", AttrKind.Int), Opt("shape_type", AttrKind.Type) }, "N", 1, outputsPerLength: true));
        Add(new OpSpec("Pack", 0, 1, new[] { Req("N", AttrKind.Int), t, Opt("axis", AttrKind.Int) }, "N", 1));
        Add(new OpSpec("Unpack", 1, 1, new[] { Req("num", AttrKind.Int), t, Opt("axis", AttrKind.Int) }, "num", 0, outputsPerLength: true));
        Simple("Fill", 2, 1, t, Opt("index_type", AttrKind.Type));
        Simple("Pad", 2, 1, t, Opt("Tpaddings", AttrKind.Type));
        Simple("Tile", 2, 1, t, Opt("Tmultiples", AttrKind.Type));
        Simple("Transpose", 2, 1, t, Opt("Tperm", AttrKind.Type));
        Simple("GatherV2", 3, 1, Req("Tparams", AttrKind.Type), Req("Tindices", AttrKind.Type), Req("Taxis", AttrKind.Type), Opt("batch_dims", AttrKind.Int));
        Simple("OneHot", 4, 1, t, Opt("axis", AttrKind.Int), Opt("TI", AttrKind.Type));
        Add(new OpSpec("DynamicStitch", 0, 1, new[] { Req("N", AttrKind.Int), t }, "N", 2));
        Simple("MatrixDiag", 1, 1, t);
        Simple("Range", 3, 1, Opt("Tidx", AttrKind.Type));
        Simple("Cast", 1, 1, Req("SrcT", AttrKind.Type), Req("DstT", AttrKind.Type), Opt("Truncate", AttrKind.Bool));
        Simple("ZerosLike", 1, 1, t);
        Simple("OnesLike", 1, 1, t);

        // --- reductions
        foreach (string r in new[] { "Sum", "Mean", "Prod", "Max", "Min" })
        {
            Simple(r, 2, 1, t, Opt("keep_dims", AttrKind.Bool), Opt("Tidx", AttrKind.Type));
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

        Simple("BroadcastGradientArgs", 2, 2, Opt("T", AttrKind.Type));
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
        return d;
    }
}
