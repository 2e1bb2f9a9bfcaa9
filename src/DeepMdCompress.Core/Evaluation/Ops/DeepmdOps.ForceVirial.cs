using System;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation.Ops;

internal static partial class DeepmdOps
{
    /// <summary>Shapes shared by ProdForce and ProdVirial: frames, nloc, nall, nnei and ndescrpt = ncomp·nnei.</summary>
    private static (int Frames, int Nloc, int Nall, int Nnei, int Ndescrpt) CheckForceInputs(
        OpContext ctx, TensorValue netDeriv, TensorValue inDeriv, TensorValue nlist, TensorValue natoms, int ncomp)
    {
        var t = ctx.Type("T", DataType.DtDouble);
        ctx.RequireType(netDeriv, t, "net_deriv");
        ctx.RequireType(inDeriv, t, "in_deriv");
        ctx.RequireType(nlist, DataType.DtInt32, "nlist");
        ctx.RequireType(natoms, DataType.DtInt32, "natoms");
        ctx.RequireRank(netDeriv, 2, "net_deriv");
        ctx.RequireRank(inDeriv, 2, "in_deriv");
        ctx.RequireRank(nlist, 2, "nlist");
        ctx.RequireRank(natoms, 1, "natoms");
        var n = (int[])natoms.Data;
        if (n.Length < 3)
        {
            throw ctx.Error($"natoms must have at least 3 elements, got {n.Length}.");
        }

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
    /// ProdForceSeA/SeR(net_deriv, in_deriv, nlist, natoms) → force [frames, 3·nall] (evaluator-facts §2.9):
    /// per centre i (ascending), F_i −= net·deriv over all of i's components, then F_j += the components of
    /// each filled slot. Accumulated term by term in this order, as deepmd-kit's serial CPU kernel does.
    /// </summary>
    private static TensorValue[] ProdForce(OpContext ctx, TensorValue[] x, int ncomp)
    {
        ctx.RequireInputs(x, 4);
        var (frames, nloc, nall, nnei, ndescrpt) = CheckForceInputs(ctx, x[0], x[1], x[2], x[3], ncomp);
        var net = AsDoubles(x[0]);
        var env = AsDoubles(x[1]);
        var nlist = (int[])x[2].Data;
        var force = new double[Shapes.Count(new[] { frames, nall * 3 })];
        int first = 0, last = nloc;
        if (ctx.OpType == "ParallelProdForceSeA" && ctx.Bool("parallel", false))
        {
            first = (int)Math.Round(ctx.Float("start_frac", 0f) * nloc);
            last = (int)Math.Round(ctx.Float("end_frac", 1f) * nloc);
        }

        bool single = x[0].DType == DataType.DtFloat;
        for (int f = 0; f < frames; f++)
        {
            int fo = f * nall * 3;
            for (int i = first; i < last; i++)
            {
                int row = (f * nloc) + i;
                int nb = row * ndescrpt, eb = nb * 3;
                for (int q = 0; q < ndescrpt; q++)
                {
                    for (int d = 0; d < 3; d++)
                    {
                        int k = fo + (i * 3) + d;
                        force[k] = Round(force[k] - Round(net[nb + q] * env[eb + (q * 3) + d], single), single);
                    }
                }

                for (int s = 0; s < nnei; s++)
                {
                    int j = nlist[(row * nnei) + s];
                    if (j < 0)
                    {
                        continue;
                    }

                    for (int q = s * ncomp; q < (s + 1) * ncomp; q++)
                    {
                        for (int d = 0; d < 3; d++)
                        {
                            int k = fo + (j * 3) + d;
                            force[k] = Round(force[k] + Round(net[nb + q] * env[eb + (q * 3) + d], single), single);
                        }
                    }
                }
            }
        }

        return new[] { Real(x[0].DType, force, frames, nall * 3) };
    }

    /// <summary>
    /// ProdVirialSeA/SeR(net_deriv, in_deriv, rij, nlist, natoms) → virial [frames, 9], atom_virial
    /// [frames, 9·nall] (evaluator-facts §2.10): tmp = (−net_q)·rij_b·deriv_{q,a}, subtracted from component
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

        var net = AsDoubles(x[0]);
        var env = AsDoubles(x[1]);
        var rij = AsDoubles(x[2]);
        var nlist = (int[])x[3].Data;
        bool single = x[0].DType == DataType.DtFloat;
        var virial = new double[frames * 9];
        var atomVirial = new double[Shapes.Count(new[] { frames, nall * 9 })];
        var slot = new double[(long)nloc * nnei * 9 > int.MaxValue ? throw ctx.Error("too many neighbours.") : nloc * nnei * 9];
        for (int f = 0; f < frames; f++)
        {
            ctx.For(nloc, nnei * ncomp * 9, (start, end) =>
            {
                for (int i = start; i < end; i++)
                {
                    int row = (f * nloc) + i;
                    for (int s = 0; s < nnei; s++)
                    {
                        int o = ((i * nnei) + s) * 9;
                        Array.Clear(slot, o, 9);
                        if (nlist[(row * nnei) + s] < 0)
                        {
                            continue;
                        }

                        for (int q = s * ncomp; q < (s + 1) * ncomp; q++)
                        {
                            double pref = -net[(row * ndescrpt) + q];
                            for (int a = 0; a < 3; a++)
                            {
                                double e = env[(((row * ndescrpt) + q) * 3) + a];
                                for (int b = 0; b < 3; b++)
                                {
                                    double tmp = Round(Round(pref * rij[(((row * nnei) + s) * 3) + b], single) * e, single);
                                    slot[o + (a * 3) + b] = Round(slot[o + (a * 3) + b] - tmp, single);
                                }
                            }
                        }
                    }
                }
            });

            for (int i = 0; i < nloc; i++)
            {
                int row = (f * nloc) + i;
                for (int s = 0; s < nnei; s++)
                {
                    int j = nlist[(row * nnei) + s];
                    if (j < 0)
                    {
                        continue;
                    }

                    int o = ((i * nnei) + s) * 9;
                    for (int c = 0; c < 9; c++)
                    {
                        virial[(f * 9) + c] = Round(virial[(f * 9) + c] + slot[o + c], single);
                        int k = (f * nall * 9) + (j * 9) + c;
                        atomVirial[k] = Round(atomVirial[k] + slot[o + c], single);
                    }
                }
            }
        }

        return new[] { Real(x[0].DType, virial, frames, 9), Real(x[0].DType, atomVirial, frames, nall * 9) };
    }

    private static double Round(double v, bool single) => single ? (float)v : v;
}
