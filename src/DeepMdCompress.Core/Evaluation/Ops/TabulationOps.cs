using System;
using System.Runtime.CompilerServices;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Evaluation.Kernels;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// deepmd-kit's TabulateFusion* ops of compressed graphs (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from), executed with the
/// tabulation kernels. Shape rules are the op's own; the legacy TabulateFusion/TabulateFusionGrad names run
/// the SeA kernels, as deepmd-kit's op library does.
/// </summary>
internal static class TabulationOps
{
    public static void Register(OpRegistry registry, ExtrapolationMode mode)
    {
        registry.Register((ctx, x) => SeA(ctx, x, mode, atten: false), "TabulateFusionSeA", "TabulateFusion");
        registry.Register((ctx, x) => SeAGrad(ctx, x, mode, atten: false), "TabulateFusionSeAGrad", "TabulateFusionGrad");
        registry.Register((ctx, x) => SeA(ctx, x, mode, atten: true), "TabulateFusionSeAtten");
        registry.Register((ctx, x) => SeAGrad(ctx, x, mode, atten: true), "TabulateFusionSeAttenGrad");
        registry.Register((ctx, x) => SeT(ctx, x, mode), "TabulateFusionSeT");
        registry.Register((ctx, x) => SeTGrad(ctx, x, mode), "TabulateFusionSeTGrad");
        registry.Register((ctx, x) => SeR(ctx, x, mode), "TabulateFusionSeR");
        registry.Register((ctx, x) => SeRGrad(ctx, x, mode), "TabulateFusionSeRGrad");

        // The gradients take the forward output ("descriptor") only for its last dimension L.
        registry.ReadsShapeOnly("TabulateFusionSeAGrad", 5);
        registry.ReadsShapeOnly("TabulateFusionGrad", 5);
        registry.ReadsShapeOnly("TabulateFusionSeAttenGrad", 6);
        registry.ReadsShapeOnly("TabulateFusionSeTGrad", 5);
        registry.ReadsShapeOnly("TabulateFusionSeRGrad", 4);
    }

    private static TensorValue[] SeA(OpContext ctx, TensorValue[] x, ExtrapolationMode mode, bool atten)
    {
        ctx.RequireInputs(x, atten ? 5 : 4);
        var (table, info, single) = Table(ctx, x);
        var emX = x[2];
        var em = x[3];
        ctx.RequireRank(emX, 2, "em_x");
        ctx.RequireRank(em, 3, "em");
        int nloc = em.Shape[0], nnei = em.Shape[1];
        int l = (int)ctx.Int("last_layer_size");
        CheckTable(ctx, table, l);
        if (em.Shape[2] != 4 || emX.Count != nloc * nnei)
        {
            throw ctx.Error($"em must be [nloc, nnei, 4] and em_x [nloc·nnei, 1]; got em {Shapes.Format(em.Shape)} and em_x {Shapes.Format(emX.Shape)}.");
        }

        var shape = new[] { nloc, 4, l };
        if (single)
        {
            var output = new float[nloc * 4 * l];
            if (atten)
            {
                TabulateKernels.SeAttenForward((float[])table.Data, info, (float[])emX.Data, (float[])em.Data, TwoEmbed<float>(ctx, x[4], nloc * nnei, l),
                    nloc, nnei, l, ctx.Bool("is_sorted", true), output, mode);
            }
            else
            {
                TabulateKernels.SeAForward((float[])table.Data, info, (float[])emX.Data, (float[])em.Data, nloc, nnei, l, output, mode);
            }

            return new[] { new TensorValue(DataType.DtFloat, shape, output) };
        }

        // Double runs the vectorised kernels, atoms split across threads (each atom writes only its own output rows).
        var cm = ChannelMajor(table, l);
        var emXD = (double[])emX.Data;
        var emD = (double[])em.Data;
        var twoD = atten ? TwoEmbed<double>(ctx, x[4], nloc * nnei, l) : Array.Empty<double>();
        bool sorted = !atten || ctx.Bool("is_sorted", true);
        var result = ctx.NewArray<double>(nloc * 4 * l, zeroed: false);
        ctx.For(nloc, (long)nnei * l * 4, (s, e) =>
        {
            var emXPart = emXD.AsSpan(s * nnei, (e - s) * nnei);
            var emPart = emD.AsSpan(s * nnei * 4, (e - s) * nnei * 4);
            var outPart = result.AsSpan(s * 4 * l, (e - s) * 4 * l);
            if (atten)
            {
                TabulateKernels.SeAttenForward(cm, info, emXPart, emPart, twoD.AsSpan(s * nnei * l, (e - s) * nnei * l), e - s, nnei, sorted, outPart, mode);
            }
            else
            {
                TabulateKernels.SeAForward(cm, info, emXPart, emPart, e - s, nnei, outPart, mode);
            }
        });

        return new[] { new TensorValue(DataType.DtDouble, shape, result) };
    }

    private static TensorValue[] SeAGrad(OpContext ctx, TensorValue[] x, ExtrapolationMode mode, bool atten)
    {
        ctx.RequireInputs(x, atten ? 7 : 6);
        var (table, info, single) = Table(ctx, x);
        var emX = x[2];
        var em = x[3];
        var dy = x[atten ? 5 : 4];
        var descriptor = x[atten ? 6 : 5];
        ctx.RequireRank(em, 3, "em");
        ctx.RequireRank(dy, 3, "dy");
        ctx.RequireRank(descriptor, 3, "descriptor");
        int nloc = em.Shape[0], nnei = em.Shape[1];
        int l = descriptor.Shape[2];
        CheckTable(ctx, table, l);
        if (dy.Count != nloc * 4 * l || emX.Count != nloc * nnei)
        {
            throw ctx.Error($"dy must be [nloc, 4, L] = [{nloc}, 4, {l}]; got {Shapes.Format(dy.Shape)}.");
        }

        var twoShape = atten ? x[4].Shape : Array.Empty<int>();
        if (single)
        {
            var dx = new float[emX.Count];
            var de = new float[em.Count];
            var dt = atten ? new float[nloc * nnei * l] : Array.Empty<float>();
            if (atten)
            {
                TabulateKernels.SeAttenGrad((float[])table.Data, info, (float[])emX.Data, (float[])em.Data, TwoEmbed<float>(ctx, x[4], nloc * nnei, l), (float[])dy.Data,
                    nloc, nnei, l, ctx.Bool("is_sorted", true), dx, de, dt, mode);
                return new[] { Make(emX.Shape, dx), Make(em.Shape, de), Make(twoShape, dt) };
            }

            TabulateKernels.SeAGrad((float[])table.Data, info, (float[])emX.Data, (float[])em.Data, (float[])dy.Data, nloc, nnei, l, dx, de, mode);
            return new[] { Make(emX.Shape, dx), Make(em.Shape, de) };
        }

        var cm = ChannelMajor(table, l);
        var emXD = (double[])emX.Data;
        var emD = (double[])em.Data;
        var dyD = (double[])dy.Data;
        var twoD = atten ? TwoEmbed<double>(ctx, x[4], nloc * nnei, l) : Array.Empty<double>();
        bool sorted = !atten || ctx.Bool("is_sorted", true);
        var ddx = ctx.NewArray<double>(emX.Count, zeroed: false);
        var dde = ctx.NewArray<double>(em.Count, zeroed: false);
        var ddt = atten ? ctx.NewArray<double>(nloc * nnei * l, zeroed: false) : Array.Empty<double>();
        ctx.For(nloc, (long)nnei * l * 6, (s, e) =>
        {
            int n = e - s;
            var emXPart = emXD.AsSpan(s * nnei, n * nnei);
            var emPart = emD.AsSpan(s * nnei * 4, n * nnei * 4);
            var dyPart = dyD.AsSpan(s * 4 * l, n * 4 * l);
            var dxPart = ddx.AsSpan(s * nnei, n * nnei);
            var dePart = dde.AsSpan(s * nnei * 4, n * nnei * 4);
            if (atten)
            {
                TabulateKernels.SeAttenGrad(cm, info, emXPart, emPart, twoD.AsSpan(s * nnei * l, n * nnei * l), dyPart, n, nnei, sorted,
                    dxPart, dePart, ddt.AsSpan(s * nnei * l, n * nnei * l), mode);
            }
            else if (TabulateKernels.HasWideSeA)
            {
                TabulateKernels.SeAGradWide(cm, info, emXPart, emPart, dyPart, n, nnei, dxPart, dePart, mode);
            }
            else
            {
                TabulateKernels.SeAGrad(cm, info, emXPart, emPart, dyPart, n, nnei, dxPart, dePart, mode);
            }
        });

        return atten
            ? new[] { Make(emX.Shape, ddx), Make(em.Shape, dde), Make(twoShape, ddt) }
            : new[] { Make(emX.Shape, ddx), Make(em.Shape, dde) };
    }

    private static TensorValue[] SeT(OpContext ctx, TensorValue[] x, ExtrapolationMode mode)
    {
        ctx.RequireInputs(x, 4);
        var (table, info, single) = Table(ctx, x);
        var emX = x[2];
        var em = x[3];
        ctx.RequireRank(emX, 2, "em_x");
        ctx.RequireRank(em, 3, "em");
        int nloc = em.Shape[0], ni = em.Shape[1], nj = em.Shape[2];
        int l = (int)ctx.Int("last_layer_size");
        CheckTable(ctx, table, l);
        if (emX.Count != nloc * ni * nj)
        {
            throw ctx.Error($"em_x must hold nloc·ni·nj = {nloc * ni * nj} values; got {Shapes.Format(emX.Shape)}.");
        }

        var shape = new[] { nloc, l };
        if (single)
        {
            var output = new float[nloc * l];
            TabulateKernels.SeTForward((float[])table.Data, info, (float[])emX.Data, nloc, ni, nj, l, output, mode);
            return new[] { Make(shape, output) };
        }

        var cm = ChannelMajor(table, l);
        var emXD = (double[])emX.Data;
        var result = ctx.NewArray<double>(nloc * l, zeroed: false);
        ctx.For(nloc, (long)ni * nj * l * 2, (s, e) =>
            TabulateKernels.SeTForward(cm, info, emXD.AsSpan(s * ni * nj, (e - s) * ni * nj), e - s, ni, nj, result.AsSpan(s * l, (e - s) * l), mode));
        return new[] { Make(shape, result) };
    }

    private static TensorValue[] SeTGrad(OpContext ctx, TensorValue[] x, ExtrapolationMode mode)
    {
        ctx.RequireInputs(x, 6);
        var (table, info, single) = Table(ctx, x);
        var emX = x[2];
        var em = x[3];
        var dy = x[4];
        var descriptor = x[5];
        ctx.RequireRank(em, 3, "em");
        ctx.RequireRank(dy, 2, "dy");
        ctx.RequireRank(descriptor, 2, "descriptor");
        int nloc = em.Shape[0], ni = em.Shape[1], nj = em.Shape[2];
        int l = descriptor.Shape[1];
        CheckTable(ctx, table, l);
        if (dy.Count != nloc * l || emX.Count != nloc * ni * nj)
        {
            throw ctx.Error($"dy must be [nloc, L] = [{nloc}, {l}]; got {Shapes.Format(dy.Shape)}.");
        }

        if (single)
        {
            var dx = new float[emX.Count];
            var de = new float[em.Count];
            TabulateKernels.SeTGrad((float[])table.Data, info, (float[])emX.Data, (float[])dy.Data, nloc, ni, nj, l, dx, de, mode);
            return new[] { Make(emX.Shape, dx), Make(em.Shape, de) };
        }

        var cm = ChannelMajor(table, l);
        var emXD = (double[])emX.Data;
        var dyD = (double[])dy.Data;
        var ddx = ctx.NewArray<double>(emX.Count, zeroed: false);
        var dde = ctx.NewArray<double>(em.Count, zeroed: false);
        int pairs = ni * nj;
        ctx.For(nloc, (long)pairs * l * 3, (s, e) =>
            TabulateKernels.SeTGrad(cm, info, emXD.AsSpan(s * pairs, (e - s) * pairs), dyD.AsSpan(s * l, (e - s) * l), e - s, ni, nj,
                ddx.AsSpan(s * pairs, (e - s) * pairs), dde.AsSpan(s * pairs, (e - s) * pairs), mode));
        return new[] { Make(emX.Shape, ddx), Make(em.Shape, dde) };
    }

    private static TensorValue[] SeR(OpContext ctx, TensorValue[] x, ExtrapolationMode mode)
    {
        ctx.RequireInputs(x, 3);
        var (table, info, single) = Table(ctx, x);
        var em = x[2];
        ctx.RequireRank(em, 2, "em");
        int nloc = em.Shape[0], nnei = em.Shape[1];
        int l = (int)ctx.Int("last_layer_size");
        CheckTable(ctx, table, l);
        var shape = new[] { nloc, nnei, l };
        if (single)
        {
            var output = new float[nloc * nnei * l];
            TabulateKernels.SeRForward((float[])table.Data, info, (float[])em.Data, nloc, nnei, l, output, mode);
            return new[] { Make(shape, output) };
        }

        var cm = ChannelMajor(table, l);
        var emD = (double[])em.Data;
        var result = ctx.NewArray<double>(nloc * nnei * l, zeroed: false);
        ctx.For(nloc, (long)nnei * l, (s, e) =>
            TabulateKernels.SeRForward(cm, info, emD.AsSpan(s * nnei, (e - s) * nnei), e - s, nnei, result.AsSpan(s * nnei * l, (e - s) * nnei * l), mode));
        return new[] { Make(shape, result) };
    }

    private static TensorValue[] SeRGrad(OpContext ctx, TensorValue[] x, ExtrapolationMode mode)
    {
        ctx.RequireInputs(x, 5);
        var (table, info, single) = Table(ctx, x);
        var em = x[2];
        var dy = x[3];
        var descriptor = x[4];
        ctx.RequireRank(em, 2, "em");
        ctx.RequireRank(dy, 3, "dy");
        ctx.RequireRank(descriptor, 3, "descriptor");
        int nloc = em.Shape[0], nnei = em.Shape[1];
        int l = descriptor.Shape[2];
        CheckTable(ctx, table, l);
        if (dy.Count != nloc * nnei * l)
        {
            throw ctx.Error($"dy must be [nloc, nnei, L] = [{nloc}, {nnei}, {l}]; got {Shapes.Format(dy.Shape)}.");
        }

        if (single)
        {
            var de = new float[em.Count];
            TabulateKernels.SeRGrad((float[])table.Data, info, (float[])em.Data, (float[])dy.Data, nloc, nnei, l, de, mode);
            return new[] { Make(em.Shape, de) };
        }

        var cm = ChannelMajor(table, l);
        var emD = (double[])em.Data;
        var dyD = (double[])dy.Data;
        var dde = ctx.NewArray<double>(em.Count, zeroed: false);
        ctx.For(nloc, (long)nnei * l, (s, e) =>
            TabulateKernels.SeRGrad(cm, info, emD.AsSpan(s * nnei, (e - s) * nnei), dyD.AsSpan(s * nnei * l, (e - s) * nnei * l), e - s, nnei,
                dde.AsSpan(s * nnei, (e - s) * nnei), mode));
        return new[] { Make(em.Shape, dde) };
    }

    /// <summary>The table, its info and whether T is float; every floating input must have the op's type T.</summary>
    private static (TensorValue Table, TableInfo Info, bool Single) Table(OpContext ctx, TensorValue[] x)
    {
        var t = ctx.Type("T", DataType.DtDouble);
        if (t is not (DataType.DtDouble or DataType.DtFloat))
        {
            throw ctx.Error($"T must be float or double, not {TensorDecoder.Name(t)}.");
        }

        for (int i = 0; i < x.Length; i++)
        {
            ctx.RequireType(x[i], t, $"input {i}");
        }

        ctx.RequireRank(x[0], 2, "table");
        ctx.RequireRank(x[1], 1, "table_info");
        if (x[1].Count < 6)
        {
            throw ctx.Error($"table_info must have 6 elements, got {x[1].Count}.");
        }

        var info = x[1].Data is float[] f ? TableInfo.FromValues(f) : TableInfo.FromValues((double[])x[1].Data);
        return (x[0], info, t == DataType.DtFloat);
    }

    /// <summary>Channel-major copies of the double tables, one per table buffer. Graph tensors are never written after
    /// they are produced and a frozen graph's tables are constants the interpreter decodes once, so every run after the
    /// first reuses the copy; an entry goes away with its table.</summary>
    private static readonly ConditionalWeakTable<double[], ChannelMajorTable> Prepared = new();

    private static ChannelMajorTable ChannelMajor(TensorValue table, int lastLayerSize)
    {
        var data = (double[])table.Data;
        var cm = Prepared.GetValue(data, d => new ChannelMajorTable(d, lastLayerSize));
        return cm.LastLayerSize == lastLayerSize ? cm : new ChannelMajorTable(data, lastLayerSize);
    }

    private static void CheckTable(OpContext ctx, TensorValue table, int lastLayerSize)
    {
        if (lastLayerSize <= 0 || table.Shape[1] != 6 * lastLayerSize)
        {
            throw ctx.Error($"the table has {table.Shape[1]} columns but last_layer_size {lastLayerSize} needs {6 * lastLayerSize}.");
        }
    }

    private static T[] TwoEmbed<T>(OpContext ctx, TensorValue twoEmbed, int rows, int l)
    {
        ctx.RequireRank(twoEmbed, 2, "two_embed");
        if (twoEmbed.Count != rows * l)
        {
            throw ctx.Error($"two_embed must be [nloc·nnei, L] = [{rows}, {l}]; got {Shapes.Format(twoEmbed.Shape)}.");
        }

        return (T[])twoEmbed.Data;
    }

    private static TensorValue Make(int[] shape, double[] data) => new(DataType.DtDouble, (int[])shape.Clone(), data);

    private static TensorValue Make(int[] shape, float[] data) => new(DataType.DtFloat, (int[])shape.Clone(), data);
}
