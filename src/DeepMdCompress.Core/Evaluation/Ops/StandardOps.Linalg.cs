using System;
using System.Runtime.CompilerServices;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class StandardOps
{
    private static void RegisterLinalg(OpRegistry r)
    {
        r.Register("MatMul", MatMul);
        r.Register("BatchMatMul", (c, x) => BatchMatMul(c, x, broadcast: false));
        r.Register(BatchMatMulV2, "BatchMatMulV2", "BatchMatMulV3");
    }

    private static TensorValue[] BatchMatMulV2(OpContext ctx, TensorValue[] x) => BatchMatMul(ctx, x, broadcast: true);

    internal static OpKernel MatMulKernel => MatMul;

    /// <summary>
    /// A fused dense layer, tanh(MatMul(a, b) + bias) or MatMul(a, b) + bias, for the interpreter's fusion: double
    /// operands of rank 2, a bias vector of the product's width and at least <see cref="PackedRows"/> rows; null
    /// otherwise (the interpreter then runs the nodes one by one). The bias and tanh are applied to each finished tile
    /// of the product (the packed Gemm.Multiply),
    /// with the same operations as the BiasAdd and Tanh kernels, so the bits are theirs.
    /// </summary>
    internal static TensorValue? DenseLayer(OpContext ctx, NodeDef matMul, TensorValue a, TensorValue b, TensorValue bias, bool tanh) =>
        DenseLayer(ctx, matMul, a, b, bias, tanh, false, out _);

    /// <summary>
    /// <see cref="DenseLayer(OpContext, NodeDef, TensorValue, TensorValue, TensorValue, bool)"/>, and with
    /// <paramref name="resnet"/> also a resnet's concat([a, a, …]) + layer in <paramref name="sum"/>, computed from each
    /// finished block (null, and no layer either, where the product's width is not a multiple of a's).
    /// </summary>
    internal static TensorValue? DenseLayer(OpContext ctx, NodeDef matMul, TensorValue a, TensorValue b, TensorValue bias, bool tanh, bool resnet,
        out TensorValue? sum)
    {
        sum = null;
        if (a.Data is not double[] ad || b.Data is not double[] bd || bias.Data is not double[] biasData || a.DType != b.DType
            || a.DType != bias.DType || a.Rank != 2 || b.Rank != 2 || bias.Rank != 1)
        {
            return null;
        }

        var attrs = ctx.ForNode(matMul);
        bool ta = attrs.Bool("transpose_a", false), tb = attrs.Bool("transpose_b", false);
        int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1];
        int n = tb ? b.Shape[0] : b.Shape[1];
        if ((tb ? b.Shape[1] : b.Shape[0]) != k || biasData.Length != n || m < PackedRows)
        {
            return null;
        }

        if (resnet && (ta || k == 0 || n % k != 0))
        {
            return null;
        }

        var packed = Pack(ctx, bd, 0, k, n, tb);
        var c = ctx.NewArray<double>(m * n, zeroed: false);
        var s = resnet ? ctx.NewArray<double>(m * n, zeroed: false) : null;
        PackedProduct(ctx, ad, 0, ta ? 1 : a.Shape[1], ta ? a.Shape[1] : 1, packed, c, m, biasData, tanh, s);
        sum = s is null ? null : new TensorValue(a.DType, new[] { m, n }, s);
        return new TensorValue(a.DType, new[] { m, n }, c);
    }

    /// <summary>Rows of A for which threads split a packed product by columns (each then reads only its share of B).</summary>
    private const int ColumnSplitRows = 256;

    /// <summary>
    /// C = A·B (+ bias, tanh) on the context's threads: by blocks of tile rows, or — for a product of few rows and
    /// a wide B, such as a fitting layer of one frame — by strips of B's columns.
    /// </summary>
    private static void PackedProduct(OpContext ctx, double[] a, int aOff, int sai, int sap, Gemm.PackedMatrix b, double[] c, int m,
        double[]? bias, bool tanh, double[]? resnet = null)
    {
        long work = (long)b.K * b.N;
        if (m <= ColumnSplitRows && b.Strips > 1)
        {
            ctx.For(b.Strips, work / b.Strips * m, (s, e) => Gemm.Multiply(a, aOff, sai, sap, b, c, 0, 0, m, bias, tanh, s, e, resnet));
            return;
        }

        int tiles = (m + Gemm.TileRows - 1) / Gemm.TileRows;
        ctx.For(tiles, Gemm.TileRows * work, (s, e) =>
            Gemm.Multiply(a, aOff, sai, sap, b, c, 0, s * Gemm.TileRows, Math.Min(m, e * Gemm.TileRows), bias, tanh, resnet: resnet));
    }

    /// <summary>B packed for the packed Gemm.Multiply; once per constant (input 1 of <paramref name="ctx"/>'s step).</summary>
    private static Gemm.PackedMatrix Pack(OpContext ctx, double[] b, int off, int k, int n, bool transposed) =>
        ctx.IsConstant(1)
            ? PackedWeights.GetValue(b, _ => new PackedPair()).Get(transposed, () => Gemm.Pack(b, off, transposed ? 1 : n, transposed ? k : 1, k, n))
            : Gemm.Pack(b, off, transposed ? 1 : n, transposed ? k : 1, k, n);

    /// <summary>MatMul(a, b; transpose_a, transpose_b), rank 2.</summary>
    private static TensorValue[] MatMul(OpContext ctx, TensorValue[] x)
    {
        ctx.RequireInputs(x, 2);
        var (a, b) = (x[0], x[1]);
        ctx.RequireRank(a, 2, "a");
        ctx.RequireRank(b, 2, "b");
        bool ta = ctx.Bool("transpose_a", false), tb = ctx.Bool("transpose_b", false);
        return new[] { Product(ctx, a, b, ta, tb, Array.Empty<int>(), 1, new[] { 0 }, new[] { 0 }) };
    }

    /// <summary>
    /// BatchMatMul (v1: identical batch dimensions) and BatchMatMulV2 (numpy-broadcast batch dimensions);
    /// adj_x / adj_y transpose the last two axes.
    /// </summary>
    private static TensorValue[] BatchMatMul(OpContext ctx, TensorValue[] x, bool broadcast)
    {
        ctx.RequireInputs(x, 2);
        var (a, b) = (x[0], x[1]);
        if (a.Rank < 2 || b.Rank < 2)
        {
            throw ctx.Error($"inputs must have rank at least 2, got {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}.");
        }

        var batchA = a.Shape.Take(a.Rank - 2).ToArray();
        var batchB = b.Shape.Take(b.Rank - 2).ToArray();
        int[] batch;
        if (!broadcast)
        {
            if (!Shapes.SameShape(batchA, batchB))
            {
                throw ctx.Error($"batch dimensions of {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} must be equal.");
            }

            batch = batchA;
        }
        else
        {
            batch = Shapes.Broadcast(batchA, batchB)
                ?? throw ctx.Error($"batch dimensions of {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} are not broadcast-compatible.");
        }

        int nb = Shapes.Count(batch);
        var mapA = BroadcastMap(batchA, batch);
        var mapB = BroadcastMap(batchB, batch);
        return new[] { Product(ctx, a, b, ctx.Bool("adj_x", false), ctx.Bool("adj_y", false), batch, nb, mapA, mapB) };
    }

    /// <summary>out[batch…, m, n] = op(a)[batch…]·op(b)[batch…]; mapA/mapB give each output batch's source matrices.</summary>
    private static TensorValue Product(OpContext ctx, TensorValue a, TensorValue b, bool ta, bool tb, int[] batch, int nb, int[] mapA, int[] mapB)
    {
        if (a.DType != b.DType)
        {
            throw ctx.Error($"operands have different dtypes ({TensorDecoder.Name(a.DType)} and {TensorDecoder.Name(b.DType)}).");
        }

        int ar = a.Shape[a.Rank - 2], ac = a.Shape[a.Rank - 1];
        int br = b.Shape[b.Rank - 2], bc = b.Shape[b.Rank - 1];
        int m = ta ? ac : ar, k = ta ? ar : ac;
        int kb = tb ? bc : br, n = tb ? br : bc;
        if (k != kb)
        {
            throw ctx.Error($"inner dimensions do not match: {Shapes.Format(a.Shape)}{(ta ? "ᵀ" : string.Empty)} · {Shapes.Format(b.Shape)}{(tb ? "ᵀ" : string.Empty)}.");
        }

        var shape = batch.Concat(new[] { m, n }).ToArray();
        int sizeA = ar * ac, sizeB = br * bc, sizeC = m * n;
        int sai = ta ? 1 : ac, sap = ta ? ac : 1;
        switch (a.Data)
        {
            case double[] ad:
            {
                var bd = (double[])b.Data;
                var c = ctx.NewArray<double>(Shapes.Count(shape), zeroed: false);
                if (sizeC == 0)
                {
                    return new TensorValue(a.DType, shape, c);
                }

                if (nb == 1 && m >= PackedRows)
                {
                    // One large product (a net layer): B packed once into strips, threads take blocks of tile rows.
                    var packed = Pack(ctx, bd, mapB[0] * sizeB, k, n, tb);
                    PackedProduct(ctx, ad, mapA[0] * sizeA, sai, sap, packed, c, m, null, false);
                }
                else if (nb == 1)
                {
                    var bp = tb ? PackB(bd, mapB[0] * sizeB, k, n) : bd;
                    int bOff = tb ? 0 : mapB[0] * sizeB;
                    int aOff = mapA[0] * sizeA;
                    if (m <= Gemm.FewRows)
                    {
                        Gemm.MultiplyFewRows(ad, aOff, sai, sap, bp, bOff, c, 0, m, k, n);
                    }
                    else
                    {
                        ctx.For(m, (long)k * n, (s, e) => Gemm.Multiply(ad, aOff, sai, sap, bp, bOff, c, 0, s, e, k, n));
                    }
                }
                else
                {
                    ctx.For(nb, (long)m * k * n, [MethodImpl(Jit.Optimized)] (s, e) =>
                    {
                        var scratch = tb ? new double[k * n] : null;
                        for (int i = s; i < e; i++)
                        {
                            int bOff = mapB[i] * sizeB;
                            if (scratch is not null)
                            {
                                Gemm.PackTransposed(bd, bOff, k, n, scratch);
                            }

                            if (m <= Gemm.FewRows)
                            {
                                Gemm.MultiplyFewRows(ad, mapA[i] * sizeA, sai, sap, scratch ?? bd, scratch is null ? bOff : 0, c, i * sizeC, m, k, n);
                            }
                            else
                            {
                                Gemm.Multiply(ad, mapA[i] * sizeA, sai, sap, scratch ?? bd, scratch is null ? bOff : 0, c, i * sizeC, 0, m, k, n);
                            }
                        }
                    });
                }

                return new TensorValue(a.DType, shape, c);
            }

            case float[] af:
            {
                var bf = (float[])b.Data;
                var c = ctx.NewArray<float>(Shapes.Count(shape), zeroed: false);
                if (sizeC == 0)
                {
                    return new TensorValue(a.DType, shape, c);
                }

                ctx.For(nb, (long)m * k * n, (s, e) =>
                {
                    var scratch = tb ? new float[k * n] : null;
                    for (int i = s; i < e; i++)
                    {
                        int bOff = mapB[i] * sizeB;
                        if (scratch is not null)
                        {
                            Gemm.PackTransposed(bf, bOff, k, n, scratch);
                        }

                        Gemm.Multiply(af, mapA[i] * sizeA, sai, sap, scratch ?? bf, scratch is null ? bOff : 0, c, i * sizeC, 0, m, k, n);
                    }
                });
                return new TensorValue(a.DType, shape, c);
            }

            default:
                throw ctx.Error($"is not defined for {TensorDecoder.Name(a.DType)} tensors.");
        }
    }

    /// <summary>
    /// Packed forms of constant weight matrices (as given and transposed), kept as long as the interpreter keeps the
    /// constant: a net layer's B is packed once, not every frame.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<double[], PackedPair> PackedWeights = new();

    private sealed class PackedPair
    {
        private Gemm.PackedMatrix? _plain, _transposed;

        public Gemm.PackedMatrix Get(bool transposed, Func<Gemm.PackedMatrix> pack) =>
            transposed ? _transposed ??= pack() : _plain ??= pack();
    }

    /// <summary>Rows of A from which packing B into strips pays for itself (below it, e.g. the 4-row products of a descriptor, it does not).</summary>
    private const int PackedRows = 16;

    private static double[] PackB(double[] b, int off, int k, int n)
    {
        var p = new double[k * n];
        Gemm.PackTransposed(b, off, k, n, p);
        return p;
    }
}
