using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class DeepmdOps
{
    /// <summary>Shapes shared by ProdForce and ProdVirial: frames, nloc, nall, nnei and ndescrpt = ncomp·nnei.</summary>
    /// <summary>The natoms input of deepmd-kit's ops: int32 [nloc, nall, count of type 0, …], at least one type.</summary>
    private static int[] NatomsCounts(OpContext ctx, TensorValue natoms)
    {
        ctx.RequireType(natoms, DataType.DtInt32, "natoms");
        ctx.RequireRank(natoms, 1, "natoms");
        var n = (int[])natoms.Data;
        if (n.Length < 3)
        {
            throw ctx.Error($"natoms must have at least 3 elements, got {n.Length}.");
        }

        return n;
    }

    private static (int Frames, int Nloc, int Nall, int Nnei, int Ndescrpt) CheckForceInputs(
        OpContext ctx, TensorValue netDeriv, TensorValue inDeriv, TensorValue nlist, TensorValue natoms, int ncomp)
    {
        var t = ctx.Type("T", DataType.DtDouble);
        ctx.RequireType(netDeriv, t, "net_deriv");
        ctx.RequireType(inDeriv, t, "in_deriv");
        ctx.RequireType(nlist, DataType.DtInt32, "nlist");
        ctx.RequireRank(netDeriv, 2, "net_deriv");
        ctx.RequireRank(inDeriv, 2, "in_deriv");
        ctx.RequireRank(nlist, 2, "nlist");
        var n = NatomsCounts(ctx, natoms);

        int nloc = n[0], nall = n[1];
        int nframes = netDeriv.Shape[0];
        if (inDeriv.Shape[0] != nframes || nlist.Shape[0] != nframes)
        {
            throw ctx.Error("net_deriv, in_deriv and nlist must have the same number of frames.");
        }

        if (nloc <= 0)
        {
            return (nframes, Math.Max(0, nloc), Math.Max(0, nall), 0, 0);
        }

        int ndescrpt = netDeriv.Shape[1] / nloc;
        int nnei = nlist.Shape[1] / nloc;
        if (netDeriv.Shape[1] != ndescrpt * nloc || nlist.Shape[1] != nnei * nloc
            || inDeriv.Shape[1] != (long)nloc * ndescrpt * 3 || ndescrpt != nnei * ncomp || nall < nloc)
        {
            throw ctx.Error($"inconsistent shapes: net_deriv {Shapes.Format(netDeriv.Shape)}, in_deriv {Shapes.Format(inDeriv.Shape)}, nlist {Shapes.Format(nlist.Shape)} for nloc = {nloc}, nall = {nall} and {ncomp} component(s) per neighbour.");
        }

        foreach (int j in (int[])nlist.Data)
        {
            if (j >= nall)
            {
                throw ctx.Error($"neighbour index {j} is not below nall = {nall}.");
            }
        }

        return (nframes, nloc, nall, nnei, ndescrpt);
    }

    /// <summary>
    /// ProdForceSeA/SeR(net_deriv, in_deriv, nlist, natoms) → force [frames, 3·nall] (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from):
    /// per centre i (ascending), F_i −= net·deriv over all of i's components, then F_j += the components of
    /// each filled slot. Accumulated term by term in this order, as deepmd-kit's serial CPU kernel does.
    /// </summary>
    private static TensorValue[] ProdForce(OpContext ctx, TensorValue[] x, int ncomp)
    {
        ctx.RequireInputs(x, 4);
        var (frames, nloc, nall, nnei, ndescrpt) = CheckForceInputs(ctx, x[0], x[1], x[2], x[3], ncomp);
        int first = 0, last = nloc;
        if (ctx.OpType == "ParallelProdForceSeA" && ctx.Bool("parallel", false))
        {
            first = (int)Math.Round(ctx.Float("start_frac", 0f) * nloc);
            last = (int)Math.Round(ctx.Float("end_frac", 1f) * nloc);
        }

        var net = AsDoubles(x[0]);
        var env = AsDoubles(x[1]);
        var nlist = (int[])x[2].Data;
        var force = ctx.NewArray<double>(Shapes.Count(new[] { frames, nall * 3 }));
        if (x[0].DType == DataType.DtFloat)
        {
            ProdForce<F32>(net, env, nlist, force, frames, nloc, nall, nnei, ndescrpt, ncomp, first, last);
        }
        else
        {
            ProdForce<F64>(net, env, nlist, force, frames, nloc, nall, nnei, ndescrpt, ncomp, first, last);
        }

        return new[] { Real(x[0].DType, force, frames, nall * 3) };
    }

    [MethodImpl(Jit.Optimized)]
    private static void ProdForce<P>(double[] net, double[] env, int[] nlist, double[] force,
        int frames, int nloc, int nall, int nnei, int ndescrpt, int ncomp, int first, int last)
        where P : struct, IRounding
    {
        P p = default;
        for (int f = 0; f < frames; f++)
        {
            int fo = f * nall * 3;
            for (int i = first; i < last; i++)
            {
                int row = (f * nloc) + i;
                int nb = row * ndescrpt, eb = nb * 3;

                // The three components are independent chains: keep them in registers, in q order.
                double f0 = force[fo + (i * 3)], f1 = force[fo + (i * 3) + 1], f2 = force[fo + (i * 3) + 2];
                for (int q = 0; q < ndescrpt; q++)
                {
                    double n = net[nb + q];
                    int e = eb + (q * 3);
                    f0 = p.R(f0 - p.R(n * env[e]));
                    f1 = p.R(f1 - p.R(n * env[e + 1]));
                    f2 = p.R(f2 - p.R(n * env[e + 2]));
                }

                force[fo + (i * 3)] = f0;
                force[fo + (i * 3) + 1] = f1;
                force[fo + (i * 3) + 2] = f2;
                for (int s = 0; s < nnei; s++)
                {
                    int j = nlist[(row * nnei) + s];
                    if (j < 0)
                    {
                        continue;
                    }

                    int k = fo + (j * 3);
                    double g0 = force[k], g1 = force[k + 1], g2 = force[k + 2];
                    for (int q = s * ncomp; q < (s + 1) * ncomp; q++)
                    {
                        double n = net[nb + q];
                        int e = eb + (q * 3);
                        g0 = p.R(g0 + p.R(n * env[e]));
                        g1 = p.R(g1 + p.R(n * env[e + 1]));
                        g2 = p.R(g2 + p.R(n * env[e + 2]));
                    }

                    force[k] = g0;
                    force[k + 1] = g1;
                    force[k + 2] = g2;
                }
            }
        }
    }

    /// <summary>
    /// ProdVirialSeA/SeR(net_deriv, in_deriv, rij, nlist, natoms) → virial [frames, 9], atom_virial
    /// [frames, 9·nall] (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from): tmp = (−net_q)·rij_b·deriv_{q,a}, subtracted from component
    /// 3a + b of the total and of the neighbour's atomic virial. Slot sums are formed in parallel over centres
    /// and then added in (centre, slot) order, so the result does not depend on the thread count.
    /// </summary>
    private static TensorValue[] ProdVirial(OpContext ctx, TensorValue[] x, int ncomp)
    {
        ctx.RequireInputs(x, 5);
        var (frames, nloc, nall, nnei, ndescrpt) = CheckForceInputs(ctx, x[0], x[1], x[3], x[4], ncomp);
        ctx.RequireType(x[2], x[0].DType, "rij");
        if (x[2].Rank != 2 || x[2].Shape[0] != frames || x[2].Shape[1] != nloc * nnei * 3)
        {
            throw ctx.Error($"rij must have shape [{frames}, {nloc * nnei * 3}], got {Shapes.Format(x[2].Shape)}.");
        }

        if ((long)nloc * nnei * 9 > int.MaxValue)
        {
            throw ctx.Error("too many neighbours.");
        }

        var net = AsDoubles(x[0]);
        var env = AsDoubles(x[1]);
        var rij = AsDoubles(x[2]);
        var nlist = (int[])x[3].Data;
        var virial = new double[frames * 9];
        var atomVirial = ctx.NewArray<double>(Shapes.Count(new[] { frames, nall * 9 }));
        if (x[0].DType == DataType.DtFloat)
        {
            ProdVirial<F32>(ctx, net, env, rij, nlist, virial, atomVirial, frames, nloc, nall, nnei, ndescrpt, ncomp);
        }
        else
        {
            ProdVirial<F64>(ctx, net, env, rij, nlist, virial, atomVirial, frames, nloc, nall, nnei, ndescrpt, ncomp);
        }

        return new[] { Real(x[0].DType, virial, frames, 9), Real(x[0].DType, atomVirial, frames, nall * 9) };
    }

    /// <summary>
    /// One slot's 3×3 virial sum in double with four-wide vectors: row a accumulates −(pref·r_b)·deriv_{q,a} over the
    /// slot's components in order, as the scalar path does per element; written to slot[o … o + 8] (and one spare
    /// element after it, which the next slot overwrites or nobody reads).
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static void VirialSlotLanes(double[] net, double[] env, double[] rij, int r, int q0, int ncomp, double[] slot, int o, double[] rbuf)
    {
        (rbuf[0], rbuf[1], rbuf[2]) = (rij[r], rij[r + 1], rij[r + 2]);
        var rv = new Vector<double>(rbuf);
        Vector<double> v0 = Vector<double>.Zero, v1 = v0, v2 = v0;
        for (int q = q0; q < q0 + ncomp; q++)
        {
            var pb = new Vector<double>(-net[q]) * rv;
            int e = q * 3;
            v0 -= pb * new Vector<double>(env[e]);
            v1 -= pb * new Vector<double>(env[e + 1]);
            v2 -= pb * new Vector<double>(env[e + 2]);
        }

        v0.CopyTo(slot, o);
        v1.CopyTo(slot, o + 3);
        v2.CopyTo(slot, o + 6);
    }

    [MethodImpl(Jit.Optimized)]
    private static void ProdVirial<P>(OpContext ctx, double[] net, double[] env, double[] rij, int[] nlist, double[] virial, double[] atomVirial,
        int frames, int nloc, int nall, int nnei, int ndescrpt, int ncomp)
        where P : struct, IRounding
    {
        P p = default;

        // Slot sums of a block of centres, formed in parallel, then added in order; only filled slots are written
        // (the adding pass skips padding), and a block's buffer stays in cache.
        const int Block = 128;
        var slot = ctx.NewArray<double>((Math.Min(nloc, Block) * nnei * 9) + Vector<double>.Count, zeroed: false);

        // In double with four-wide vectors a slot's row a of the 3×3 sum is one vector (lanes b = 0, 1, 2 and one spare).
        bool lanes = typeof(P) == typeof(F64) && Vector.IsHardwareAccelerated && Vector<double>.Count == 4;
        var sum = new double[9];
        for (int f = 0; f < frames; f++)
        {
            Array.Copy(virial, f * 9, sum, 0, 9);
            for (int b0 = 0; b0 < nloc; b0 += Block)
            {
                int b1 = Math.Min(nloc, b0 + Block);
                ctx.For(b1 - b0, nnei * ncomp * 9, [MethodImpl(Jit.Optimized)] (start, end) =>
                {
                    var rbuf = new double[Vector<double>.Count];
                    for (int i = b0 + start; i < b0 + end; i++)
                    {
                        int row = (f * nloc) + i;
                        for (int s = 0; s < nnei; s++)
                        {
                            if (nlist[(row * nnei) + s] < 0)
                            {
                                continue;
                            }

                            int r = ((row * nnei) + s) * 3;
                            int o = (((i - b0) * nnei) + s) * 9;
                            if (lanes)
                            {
                                VirialSlotLanes(net, env, rij, r, (row * ndescrpt) + (s * ncomp), ncomp, slot, o, rbuf);
                                continue;
                            }

                            double r0 = rij[r], r1 = rij[r + 1], r2 = rij[r + 2];
                            double v00 = 0, v01 = 0, v02 = 0, v10 = 0, v11 = 0, v12 = 0, v20 = 0, v21 = 0, v22 = 0;
                            for (int q = s * ncomp; q < (s + 1) * ncomp; q++)
                            {
                                double pref = -net[(row * ndescrpt) + q];
                                double p0 = p.R(pref * r0), p1 = p.R(pref * r1), p2 = p.R(pref * r2);
                                int e = ((row * ndescrpt) + q) * 3;
                                double e0 = env[e], e1 = env[e + 1], e2 = env[e + 2];
                                v00 = p.R(v00 - p.R(p0 * e0));
                                v01 = p.R(v01 - p.R(p1 * e0));
                                v02 = p.R(v02 - p.R(p2 * e0));
                                v10 = p.R(v10 - p.R(p0 * e1));
                                v11 = p.R(v11 - p.R(p1 * e1));
                                v12 = p.R(v12 - p.R(p2 * e1));
                                v20 = p.R(v20 - p.R(p0 * e2));
                                v21 = p.R(v21 - p.R(p1 * e2));
                                v22 = p.R(v22 - p.R(p2 * e2));
                            }

                            slot[o] = v00;
                            slot[o + 1] = v01;
                            slot[o + 2] = v02;
                            slot[o + 3] = v10;
                            slot[o + 4] = v11;
                            slot[o + 5] = v12;
                            slot[o + 6] = v20;
                            slot[o + 7] = v21;
                            slot[o + 8] = v22;
                        }
                    }
                });

                for (int i = b0; i < b1; i++)
                {
                    int row = (f * nloc) + i;
                    for (int s = 0; s < nnei; s++)
                    {
                        int j = nlist[(row * nnei) + s];
                        if (j < 0)
                        {
                            continue;
                        }

                        int o = (((i - b0) * nnei) + s) * 9;
                        int k = (f * nall * 9) + (j * 9);
                        for (int c = 0; c < 9; c++)
                        {
                            sum[c] = p.R(sum[c] + slot[o + c]);
                            atomVirial[k + c] = p.R(atomVirial[k + c] + slot[o + c]);
                        }
                    }
                }
            }

            Array.Copy(sum, 0, virial, f * 9, 9);
        }

        ctx.ReturnScratch(slot);
    }
}
