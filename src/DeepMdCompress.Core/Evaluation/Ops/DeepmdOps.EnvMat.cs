using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>deepmd-kit's custom ops (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from): environment matrix, force and virial.</summary>
internal static partial class DeepmdOps
{
    public static void Register(OpRegistry r)
    {
        r.Register((c, x) => ProdEnvMat(c, x, EnvMatKind.A), "ProdEnvMatA", "DescrptSeA", "DescrptNorot");
        r.Register((c, x) => ProdEnvMat(c, x, EnvMatKind.R), "ProdEnvMatR", "DescrptSeR");
        r.Register("ProdEnvMatAMix", (c, x) => ProdEnvMat(c, x, EnvMatKind.AMix));
        r.Register((c, x) => ProdForce(c, x, 4), "ProdForceSeA", "ProdForceNorot", "ParallelProdForceSeA");
        r.Register("ProdForceSeR", (c, x) => ProdForce(c, x, 1));
        r.Register((c, x) => ProdVirial(c, x, 4), "ProdVirialSeA", "ProdVirialNorot");
        r.Register("ProdVirialSeR", (c, x) => ProdVirial(c, x, 1));
    }

    internal enum EnvMatKind
    {
        A,
        R,
        AMix,
    }

    /// <summary>Attributes and sizes of one ProdEnvMat node.</summary>
    private sealed class EnvMatSpec
    {
        public EnvMatKind Kind;
        public float Rcut;
        public float RcutSmth;
        public int[] Sec = Array.Empty<int>(); // prefix sums of sel
        public int NTypes;
        public int Nnei => Sec[Sec.Length - 1];
        public int Ncomp => Kind == EnvMatKind.R ? 1 : 4;
        public int Ndescrpt => Nnei * Ncomp;
    }

    /// <summary>
    /// ProdEnvMatA/R/AMix(coord, type, natoms, box, mesh, davg, dstd) → descrpt, descrpt_deriv, rij, nlist
    /// (+ ntype, nmask for AMix). Mesh length 0: no PBC; 6: PBC (wrap, ghosts, nlist mapped back); 1/7 (AMix
    /// only): the same; &gt; 16: the neighbour list is inside the mesh tensor (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).
    /// </summary>
    private static TensorValue[] ProdEnvMat(OpContext ctx, TensorValue[] x, EnvMatKind kind)
    {
        ctx.RequireInputs(x, 7);
        var (coord, type, natoms, box, mesh, davg, dstd) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        var t = ctx.Type("T", DataType.DtDouble);
        if (t is not (DataType.DtDouble or DataType.DtFloat))
        {
            throw ctx.Error($"T must be float or double, got {TensorDecoder.Name(t)}.");
        }

        ctx.RequireType(coord, t, "coord");
        ctx.RequireType(box, t, "box");
        ctx.RequireType(davg, t, "davg");
        ctx.RequireType(dstd, t, "dstd");
        ctx.RequireType(type, DataType.DtInt32, "type");
        ctx.RequireType(mesh, DataType.DtInt32, "mesh");
        ctx.RequireRank(coord, 2, "coord");
        ctx.RequireRank(type, 2, "type");
        ctx.RequireRank(box, 2, "box");
        ctx.RequireRank(mesh, 1, "mesh");
        ctx.RequireRank(davg, 2, "davg");
        ctx.RequireRank(dstd, 2, "dstd");

        var n = NatomsCounts(ctx, natoms);
        int nloc = n[0], nall = n[1], ntypes = n.Length - 2;
        if (nloc < 0 || nall < nloc)
        {
            throw ctx.Error($"natoms gives nloc = {nloc} and nall = {nall}.");
        }

        var spec = new EnvMatSpec { Kind = kind, NTypes = ntypes };
        int[] sel;
        if (kind == EnvMatKind.R)
        {
            spec.Rcut = ctx.Float("rcut");
            spec.RcutSmth = ctx.Float("rcut_smth");
            sel = ctx.Ints("sel");
        }
        else
        {
            spec.Rcut = ctx.Float("rcut_r");
            spec.RcutSmth = ctx.Float("rcut_r_smth");
            sel = ctx.Ints("sel_a");
            var selR = ctx.Ints("sel_r");
            if (selR.Any(s => s != 0))
            {
                throw ctx.Error($"sel_r must be all zeros (rotation-free part unsupported), got [{string.Join(", ", selR)}].");
            }

            if (kind == EnvMatKind.A && sel.Length != ntypes)
            {
                throw ctx.Error($"sel_a has {sel.Length} entries but natoms describes {ntypes} types.");
            }

            if (kind == EnvMatKind.AMix && sel.Length != 1)
            {
                throw ctx.Error($"sel_a must have one entry for mixed types, got {sel.Length}.");
            }
        }

        if (sel.Any(s => s < 0))
        {
            throw ctx.Error($"sel [{string.Join(", ", sel)}] has a negative entry.");
        }

        spec.Sec = new int[sel.Length + 1];
        for (int i = 0; i < sel.Length; i++)
        {
            spec.Sec[i + 1] = checked(spec.Sec[i] + sel[i]);
        }

        int nframes = coord.Shape[0];
        int nnei = spec.Nnei, ndescrpt = spec.Ndescrpt;
        if (type.Shape[0] != nframes || box.Shape[0] != nframes)
        {
            throw ctx.Error($"coord, type and box must have the same number of frames ({nframes}, {type.Shape[0]}, {box.Shape[0]}).");
        }

        if (davg.Shape[0] != ntypes || dstd.Shape[0] != ntypes)
        {
            throw ctx.Error($"davg and dstd must have {ntypes} rows, got {davg.Shape[0]} and {dstd.Shape[0]}.");
        }

        if (coord.Shape[1] != (long)nall * 3 || type.Shape[1] != nall || box.Shape[1] != 9)
        {
            throw ctx.Error($"expected coord [{nframes}, {3L * nall}], type [{nframes}, {nall}] and box [{nframes}, 9], got {Shapes.Format(coord.Shape)}, {Shapes.Format(type.Shape)} and {Shapes.Format(box.Shape)}.");
        }

        if (davg.Shape[1] != ndescrpt || dstd.Shape[1] != ndescrpt)
        {
            throw ctx.Error($"davg and dstd must have {ndescrpt} columns, got {davg.Shape[1]} and {dstd.Shape[1]}.");
        }

        int meshLength = mesh.Shape[0];
        MeshMode mode = meshLength switch
        {
            0 => MeshMode.NoPbc,
            6 => MeshMode.Pbc,
            1 when kind == EnvMatKind.AMix => MeshMode.NoPbc,
            7 when kind == EnvMatKind.AMix => MeshMode.Pbc,
            1 or 7 => throw ctx.Error("Mixed types are not supported by this OP.", ErrorIds.MixedTypesUnsupported),
            16 => throw ctx.Error("a mesh of 16 carries LAMMPS neighbour-list pointers, which cannot be used outside LAMMPS.", ErrorIds.UnsupportedMesh),
            > 16 => MeshMode.ListInMesh,
            _ => throw ctx.Error($"invalid mesh tensor (length {meshLength}).", ErrorIds.InvalidMesh),
        };

        foreach (int ty in (int[])type.Data)
        {
            if (ty >= ntypes)
            {
                throw ctx.Error($"atom type {ty} is not below ntypes = {ntypes}.", ErrorIds.UnknownAtomType);
            }
        }

        var output = new EnvMatOutput(ctx, nframes, nloc, nnei, ndescrpt, kind == EnvMatKind.AMix);
        var coordD = AsDoubles(coord);
        var boxD = AsDoubles(box);
        var avgD = AsDoubles(davg);
        var stdD = AsDoubles(dstd);
        var types = (int[])type.Data;
        for (int f = 0; f < nframes; f++)
        {
            var frame = new EnvMatFrame
            {
                Frame = f,
                Nloc = nloc,
                Nall = nall,
                Coord = new ArraySegment<double>(coordD, f * nall * 3, nall * 3),
                Type = new ArraySegment<int>(types, f * nall, nall),
                Box = new ArraySegment<double>(boxD, f * 9, 9),
                Mesh = (int[])mesh.Data,
                Mode = mode,
            };
            if (t == DataType.DtDouble)
            {
                ComputeFrame<F64>(ctx, spec, frame, avgD, stdD, output);
            }
            else
            {
                ComputeFrame<F32>(ctx, spec, frame, avgD, stdD, output);
            }
        }

        return output.ToTensors(t, nframes, nloc, nnei, ndescrpt);
    }

    private enum MeshMode
    {
        NoPbc,
        Pbc,
        ListInMesh,
    }

    private sealed class EnvMatFrame
    {
        public int Frame;
        public int Nloc;
        public int Nall;
        public ArraySegment<double> Coord;
        public ArraySegment<int> Type;
        public ArraySegment<double> Box;
        public int[] Mesh = Array.Empty<int>();
        public MeshMode Mode;
    }

    private sealed class EnvMatOutput
    {
        public readonly double[] Descrpt, Deriv, Rij;
        public readonly int[] Nlist;
        public readonly int[]? NType;
        public readonly bool[]? NMask;

        /// <summary>Output buffers; the kernel writes every element (zeros included), so they need no clearing.</summary>
        public EnvMatOutput(OpContext ctx, int nframes, int nloc, int nnei, int ndescrpt, bool mixed)
        {
            Descrpt = ctx.NewArray<double>(Shapes.Count(new[] { nframes, nloc, ndescrpt }), zeroed: false);
            Deriv = ctx.NewArray<double>(Shapes.Count(new[] { nframes, nloc, ndescrpt, 3 }), zeroed: false);
            Rij = ctx.NewArray<double>(Shapes.Count(new[] { nframes, nloc, nnei, 3 }), zeroed: false);
            Nlist = ctx.NewArray<int>(Shapes.Count(new[] { nframes, nloc, nnei }), zeroed: false);
            if (mixed)
            {
                NType = ctx.NewArray<int>(Nlist.Length, zeroed: false);
                NMask = ctx.NewArray<bool>(Nlist.Length, zeroed: false);
            }
        }

        public TensorValue[] ToTensors(DataType t, int nframes, int nloc, int nnei, int ndescrpt)
        {
            var result = new List<TensorValue>
            {
                Real(t, Descrpt, nframes, nloc * ndescrpt),
                Real(t, Deriv, nframes, nloc * ndescrpt * 3),
                Real(t, Rij, nframes, nloc * nnei * 3),
                new(DataType.DtInt32, new[] { nframes, nloc * nnei }, Nlist),
            };
            if (NType is not null && NMask is not null)
            {
                result.Add(new TensorValue(DataType.DtInt32, new[] { nframes, nloc * nnei }, NType));
                result.Add(new TensorValue(DataType.DtBool, new[] { nframes, nloc * nnei }, NMask));
            }

            return result.ToArray();
        }
    }

    internal static double[] AsDoubles(TensorValue t) => t.Data switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, v => (double)v),
        _ => throw new InvalidCastException($"{t} is not a floating-point tensor"),
    };

    internal static TensorValue Real(DataType t, double[] values, params int[] shape) =>
        t == DataType.DtFloat
            ? new TensorValue(t, shape, Array.ConvertAll(values, v => (float)v))
            : new TensorValue(t, shape, values);

    private static void ComputeFrame<P>(OpContext ctx, EnvMatSpec spec, EnvMatFrame frame, double[] avg, double[] std, EnvMatOutput output)
        where P : struct, IRounding
    {
        int nloc = frame.Nloc;
        double[] ext;
        int[] extType;
        int[]? mapping = null;
        List<int>[]? given = null;
        var coord = frame.Coord.ToArray();
        var type = frame.Type.ToArray();
        if (frame.Mode == MeshMode.Pbc)
        {
            var box = frame.Box.ToArray();
            var cell = PeriodicCell.Create<P>(box, 0);
            if (!(cell.Volume > 0) || double.IsInfinity(cell.Volume))
            {
                throw ctx.Error($"the box of frame {frame.Frame} has volume {cell.Volume}; a periodic cell needs a positive finite volume.", ErrorIds.DegenerateBox);
            }

            PeriodicImages.Wrap<P>(coord, frame.Nall, cell);
            var fake = spec.Kind == EnvMatKind.AMix ? FakeTypes(type) : type;
            (ext, extType, mapping) = PeriodicImages.Extend<P>(coord, fake, nloc, cell, spec.Rcut);
        }
        else
        {
            ext = coord;
            extType = spec.Kind == EnvMatKind.AMix ? FakeTypes(type) : type;
            if (frame.Mode == MeshMode.ListInMesh)
            {
                given = ReadMeshList(ctx, frame.Mesh, nloc, frame.Nall);
            }
        }

        int nall = extType.Length;
        var search = given is null ? new NeighborSearch<P>(ext, nall, spec.Rcut) : null;
        int nnei = spec.Nnei, ndescrpt = spec.Ndescrpt, ncomp = spec.Ncomp;
        int f = frame.Frame;
        P p = default;
        double rmin = spec.RcutSmth, rmax = spec.Rcut;
        double diff = (float)(spec.Rcut - spec.RcutSmth); // float32 subtraction (docs/evaluator.md#numerics)
        float rcF = spec.Rcut;
        float rc2F = (float)(rcF * rcF);

        // std repeated for the three directions of each derivative, so a centre's normalisation is two vector passes.
        var std3 = new double[std.Length * 3];
        for (int q = 0; q < std.Length; q++)
        {
            std3[3 * q] = std3[(3 * q) + 1] = std3[(3 * q) + 2] = std[q];
        }

        // A padding slot's normalised row is the same for every centre of a type ((0 − avg)/std and 0/std): computed once.
        var padDescrpt = new double[std.Length];
        var padDeriv = new double[std3.Length];
        Normalize<P>(new double[std.Length], avg, std, padDescrpt);
        Normalize<P>(new double[std3.Length], default, std3, padDeriv);

        ctx.For(nloc, nall / 4 + (nnei * 16), [MethodImpl(Jit.Optimized)] (start, end) =>
        {
            var candidates = new List<int>();
            var format = new SlotFormatter(spec.Sec);
            var fmt = new int[nnei];
            var entries = new EnvMatEntries(nnei, ncomp, rmin, rmax, diff);
            var raw = new double[ndescrpt];
            var rawDeriv = new double[ndescrpt * 3];
            for (int i = start; i < end; i++)
            {
                ctx.CancellationToken.ThrowIfCancellationRequested();

                // Candidates, then formatting into slots (float32 cutoff test and sort key).
                if (given is not null)
                {
                    candidates.Clear();
                    candidates.AddRange(given[i]);
                }
                else
                {
                    search!.Candidates(i, candidates);
                }

                format.Fill(ext, extType, i, candidates, rc2F, fmt);

                // Raw environment matrix (padding slots are zero), then normalisation (docs/evaluator.md).
                int centreType = type[i];
                long baseD = ((long)f * nloc + i) * ndescrpt;
                long baseR = ((long)f * nloc + i) * nnei;
                entries.Clear();
                for (int s = 0; s < nnei; s++)
                {
                    int j = fmt[s];
                    if (j >= 0)
                    {
                        int r = (int)((baseR + s) * 3);
                        output.Rij[r] = p.R(ext[3 * j] - ext[3 * i]);
                        output.Rij[r + 1] = p.R(ext[(3 * j) + 1] - ext[(3 * i) + 1]);
                        output.Rij[r + 2] = p.R(ext[(3 * j) + 2] - ext[(3 * i) + 2]);
                        entries.Add(s, output.Rij, r);
                    }
                    else
                    {
                        Array.Clear(output.Rij, (int)((baseR + s) * 3), 3);
                    }

                    int mapped = j >= 0 && mapping is not null ? mapping[j] : j;
                    output.Nlist[baseR + s] = mapped;
                    if (output.NType is not null && output.NMask is not null)
                    {
                        output.NType[baseR + s] = mapped >= 0 ? type[mapped] : spec.NTypes;
                        output.NMask[baseR + s] = mapped >= 0;
                    }
                }

                entries.Compute<P>(raw, rawDeriv);
                if (centreType >= 0)
                {
                    // Each type's block: its filled slots (the first ones) normalised, its padding slots copied.
                    int ti = centreType * ndescrpt;
                    for (int t = 0; t < spec.Sec.Length - 1; t++)
                    {
                        int first = spec.Sec[t], filled = first, last = spec.Sec[t + 1];
                        while (filled < last && fmt[filled] >= 0)
                        {
                            filled++;
                        }

                        int q0 = first * ncomp, q1 = filled * ncomp, q2 = last * ncomp;
                        Normalize<P>(raw.AsSpan(q0, q1 - q0), avg.AsSpan(ti + q0, q1 - q0), std.AsSpan(ti + q0, q1 - q0), output.Descrpt.AsSpan((int)baseD + q0, q1 - q0));
                        Normalize<P>(rawDeriv.AsSpan(3 * q0, 3 * (q1 - q0)), default, std3.AsSpan(3 * (ti + q0), 3 * (q1 - q0)), output.Deriv.AsSpan((int)(3 * (baseD + q0)), 3 * (q1 - q0)));
                        padDescrpt.AsSpan(ti + q1, q2 - q1).CopyTo(output.Descrpt.AsSpan((int)baseD + q1, q2 - q1));
                        padDeriv.AsSpan(3 * (ti + q1), 3 * (q2 - q1)).CopyTo(output.Deriv.AsSpan((int)(3 * (baseD + q1)), 3 * (q2 - q1)));
                    }
                }
                else
                {
                    // A padding centre (type < 0) has an all-zero row.
                    Array.Clear(output.Descrpt, (int)baseD, ndescrpt);
                    Array.Clear(output.Deriv, (int)(3 * baseD), 3 * ndescrpt);
                }
            }
        });
    }

    /// <summary>
    /// target = (value − avg) / std per element, or value / std when <paramref name="avg"/> is empty, each step rounded
    /// to P; in double the elements go through SIMD vectors (the same IEEE operations, so the same bits).
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static void Normalize<P>(ReadOnlySpan<double> value, ReadOnlySpan<double> avg, ReadOnlySpan<double> std, Span<double> target)
        where P : struct, IRounding
    {
        int q = 0;
        if (typeof(P) == typeof(F64) && Vector.IsHardwareAccelerated)
        {
            var v = MemoryMarshal.Cast<double, Vector<double>>(value);
            var sd = MemoryMarshal.Cast<double, Vector<double>>(std);
            var t = MemoryMarshal.Cast<double, Vector<double>>(target);
            if (avg.IsEmpty)
            {
                for (int k = 0; k < t.Length; k++)
                {
                    t[k] = v[k] / sd[k];
                }
            }
            else
            {
                var a = MemoryMarshal.Cast<double, Vector<double>>(avg);
                for (int k = 0; k < t.Length; k++)
                {
                    t[k] = (v[k] - a[k]) / sd[k];
                }
            }

            q = t.Length * Vector<double>.Count;
        }

        P p = default;
        for (; q < target.Length; q++)
        {
            target[q] = avg.IsEmpty ? p.R(value[q] / std[q]) : p.R(p.R(value[q] - avg[q]) / std[q]);
        }
    }

    /// <summary>
    /// Formatting for one centre (docs/evaluator.md): keeps the candidates within the float32 cutoff, orders each type's by (float32 d², index)
    /// and fills that type's slots; the rest of a type's slots are −1. The order is one ulong per candidate (d² bits
    /// above the index: a non-negative float's bits sort like its value), grouped by type first, so the sort is a
    /// primitive one instead of a comparer per pair.
    /// </summary>
    private sealed class SlotFormatter
    {
        private readonly int[] _sec;
        private readonly int[] _count;
        private ulong[] _keys = new ulong[64];
        private ulong[] _sorted = new ulong[64];
        private int[] _types = new int[64];

        public SlotFormatter(int[] sec)
        {
            _sec = sec;
            _count = new int[sec.Length];
        }

        [MethodImpl(Jit.Optimized)]
        public unsafe void Fill(double[] ext, int[] extType, int i, List<int> candidates, float rc2, int[] fmt)
        {
            int ntypes = _sec.Length - 1;
            if (_keys.Length < candidates.Count)
            {
                int size = Math.Max(candidates.Count, 2 * _keys.Length);
                _keys = new ulong[size];
                _sorted = new ulong[size];
                _types = new int[size];
            }

            Array.Clear(_count, 0, _count.Length);
            int n = 0;
            float xi = (float)ext[3 * i], yi = (float)ext[(3 * i) + 1], zi = (float)ext[(3 * i) + 2];
            foreach (int j in candidates)
            {
                // Negative types are padding atoms; types without slots can never be placed.
                int t = extType[j];
                if (t < 0 || t >= ntypes)
                {
                    continue;
                }

                float dx = (float)((float)ext[3 * j] - xi);
                float dy = (float)((float)ext[(3 * j) + 1] - yi);
                float dz = (float)((float)ext[(3 * j) + 2] - zi);
                float d2 = (float)((float)((float)(dx * dx) + (float)(dy * dy)) + (float)(dz * dz));
                if (d2 <= rc2)
                {
                    _keys[n] = ((ulong)*(uint*)&d2 << 32) | (uint)j;
                    _types[n++] = t;
                    _count[t + 1]++;
                }
            }

            for (int t = 0; t < ntypes; t++)
            {
                _count[t + 1] += _count[t];
            }

            for (int k = 0; k < n; k++)
            {
                _sorted[_count[_types[k]]++] = _keys[k];
            }

            // _count[t] is now the end of type t's run.
            for (int t = 0; t < ntypes; t++)
            {
                int first = t == 0 ? 0 : _count[t - 1], length = _count[t] - first;
                Array.Sort(_sorted, first, length);
                int slots = _sec[t + 1] - _sec[t], filled = Math.Min(length, slots);
                for (int e = 0; e < filled; e++)
                {
                    fmt[_sec[t] + e] = (int)(uint)_sorted[first + e];
                }

                for (int e = filled; e < slots; e++)
                {
                    fmt[_sec[t] + e] = -1;
                }
            }
        }
    }

    /// <summary>
    /// The filled slots of one centre, collected first and then computed together: in double four (a vector's worth)
    /// at a time, each lane going through exactly the operations of <see cref="EnvMatEntry{P}"/> (the switch's
    /// branches become selects of values computed for every lane), so every slot gets the bits it would get alone.
    /// </summary>
    internal sealed class EnvMatEntries
    {
        private readonly int _ncomp;
        private readonly double _rmin, _rmax, _diff;
        private readonly double[] _x, _y, _z, _u = new double[3], _lanes;
        private readonly int[] _slots;
        private int _count;

        public EnvMatEntries(int nnei, int ncomp, double rmin, double rmax, double diff)
        {
            int padded = nnei + Vector<double>.Count;
            (_ncomp, _rmin, _rmax, _diff) = (ncomp, rmin, rmax, diff);
            _x = new double[padded];
            _y = new double[padded];
            _z = new double[padded];
            _slots = new int[nnei];
            _lanes = new double[16 * Vector<double>.Count];
        }

        public void Clear() => _count = 0;

        /// <summary>Slot <paramref name="slot"/> with u = rij[offset … offset + 2].</summary>
        public void Add(int slot, double[] rij, int offset)
        {
            _x[_count] = rij[offset];
            _y[_count] = rij[offset + 1];
            _z[_count] = rij[offset + 2];
            _slots[_count++] = slot;
        }

        /// <summary>Writes each added slot's values to value[slot·ncomp …] and derivatives to deriv[slot·3·ncomp …].</summary>
        [MethodImpl(Jit.Optimized)]
        public void Compute<P>(double[] value, double[] deriv)
            where P : struct, IRounding
        {
            int w = Vector<double>.Count, f = 0;
            if (typeof(P) == typeof(F64) && Vector.IsHardwareAccelerated)
            {
                for (; f + w <= _count; f += w)
                {
                    Lanes(f);
                    for (int lane = 0; lane < w; lane++)
                    {
                        int s = _slots[f + lane];
                        for (int c = 0; c < _ncomp; c++)
                        {
                            value[(s * _ncomp) + c] = _lanes[(c * w) + lane];
                        }

                        for (int q = 0; q < 3 * _ncomp; q++)
                        {
                            deriv[(s * 3 * _ncomp) + q] = _lanes[((4 + q) * w) + lane];
                        }
                    }
                }
            }

            for (; f < _count; f++)
            {
                int s = _slots[f];
                (_u[0], _u[1], _u[2]) = (_x[f], _y[f], _z[f]);
                EnvMatEntry<P>(_u, _rmin, _rmax, _diff, _ncomp, value.AsSpan(s * _ncomp, _ncomp), deriv.AsSpan(s * 3 * _ncomp, 3 * _ncomp));
            }
        }

        /// <summary>Slots f … f + width − 1 in double: values to lane rows 0–3, derivatives (3c + d) to rows 4–15.</summary>
        [MethodImpl(Jit.Optimized)]
        private void Lanes(int f)
        {
            int w = Vector<double>.Count;
            var one = Vector<double>.One;
            var zero = Vector<double>.Zero;
            Vector<double> x = new(_x, f), y = new(_y, f), z = new(_z, f);
            var nr2 = (x * x) + (y * y) + (z * z);
            var inr = one / Vector.SquareRoot(nr2);
            var nr = nr2 * inr;
            var inr2 = inr * inr;
            var inr4 = inr2 * inr2;
            var inr3 = inr4 * nr;

            // Switch: the polynomial for every lane, then 1 below rmin and 0 from rmax on, as the scalar branches give.
            var uu = (nr - new Vector<double>(_rmin)) / new Vector<double>(_diff);
            var du = new Vector<double>(1.0 / _diff);
            var uu2 = uu * uu;
            var uu3 = uu2 * uu;
            var poly = (new Vector<double>(-6.0) * uu * uu) + (new Vector<double>(15.0) * uu) - new Vector<double>(10.0);
            var a = new Vector<double>(3.0) * uu * uu * poly;
            var b = uu3 * ((new Vector<double>(-12.0) * uu) + new Vector<double>(15.0));
            var below = Vector.LessThan(nr, new Vector<double>(_rmin));
            var inside = Vector.LessThan(nr, new Vector<double>(_rmax));
            var sw = Vector.ConditionalSelect(below, one, Vector.ConditionalSelect(inside, (uu3 * poly) + one, zero));
            var dsw = Vector.ConditionalSelect(below, zero, Vector.ConditionalSelect(inside, (a + b) * du, zero));

            var v0 = one / nr;
            for (int d = 0; d < 3; d++)
            {
                var ud = d == 0 ? x : d == 1 ? y : z;
                ((ud * inr3 * sw) - (v0 * dsw * ud * inr)).CopyTo(_lanes, (4 + d) * w);
            }

            (v0 * sw).CopyTo(_lanes, 0);
            if (_ncomp == 4)
            {
                var two = new Vector<double>(2.0);
                for (int k = 0; k < 3; k++)
                {
                    var uk = k == 0 ? x : k == 1 ? y : z;
                    var vk = uk / nr2;
                    for (int d = 0; d < 3; d++)
                    {
                        var ud = d == 0 ? x : d == 1 ? y : z;
                        var t = two * uk * ud * inr4;
                        if (k == d)
                        {
                            t -= inr2;
                        }

                        ((t * sw) - (vk * dsw * ud * inr)).CopyTo(_lanes, (4 + (3 * (k + 1)) + d) * w);
                    }

                    (vk * sw).CopyTo(_lanes, (k + 1) * w);
                }
            }
        }
    }

    /// <summary>
    /// One filled slot: u = x_j − x_i → values (1/r, x/r², y/r², z/r²)·sw (A) or sw/r (R) and their derivatives
    /// with respect to the centre position (docs/evaluator.md#numerics), each step rounded to precision P.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    internal static void EnvMatEntry<P>(double[] u, double rmin, double rmax, double diff, int ncomp, Span<double> value, Span<double> deriv)
        where P : struct, IRounding
    {
        P p = default;
        double nr2 = p.R(p.R(p.R(u[0] * u[0]) + p.R(u[1] * u[1])) + p.R(u[2] * u[2]));
        double inr = p.R(1.0 / p.R(Math.Sqrt(nr2)));
        double nr = p.R(nr2 * inr);
        double inr2 = p.R(inr * inr);
        double inr4 = p.R(inr2 * inr2);
        double inr3 = p.R(inr4 * nr);
        Switch<P>(nr, rmin, rmax, diff, out double sw, out double dsw);
        value[0] = p.R(1.0 / nr);
        for (int d = 0; d < 3; d++)
        {
            deriv[d] = p.R(p.R(p.R(u[d] * inr3) * sw) - p.R(p.R(p.R(value[0] * dsw) * u[d]) * inr));
        }

        if (ncomp == 4)
        {
            for (int k = 0; k < 3; k++)
            {
                value[k + 1] = p.R(u[k] / nr2);
                for (int d = 0; d < 3; d++)
                {
                    double a = p.R(p.R(p.R(2.0 * u[k]) * u[d]) * inr4);
                    if (k == d)
                    {
                        a = p.R(a - inr2);
                    }

                    deriv[((k + 1) * 3) + d] = p.R(p.R(a * sw) - p.R(p.R(p.R(value[k + 1] * dsw) * u[d]) * inr));
                }
            }
        }

        for (int c = 0; c < ncomp; c++)
        {
            value[c] = p.R(value[c] * sw);
        }
    }

    /// <summary>
    /// deepmd-kit's quintic switch between rmin and rmax: t = (r − rmin)/diff with diff the float32
    /// difference of the float32 attrs; sw = t³(−6t² + 15t − 10) + 1.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    internal static void Switch<P>(double r, double rmin, double rmax, double diff, out double sw, out double dsw)
        where P : struct, IRounding
    {
        P p = default;
        if (r < rmin)
        {
            sw = 1;
            dsw = 0;
        }
        else if (r < rmax)
        {
            double uu = p.R(p.R(r - rmin) / diff);
            double du = p.R(1.0 / diff);
            double uu2 = p.R(uu * uu);
            double uu3 = p.R(uu2 * uu);
            double poly = p.R(p.R(p.R(p.R(-6.0 * uu) * uu) + p.R(15.0 * uu)) - 10.0);
            sw = p.R(p.R(uu3 * poly) + 1.0);
            double a = p.R(p.R(p.R(3.0 * uu) * uu) * poly);
            double b = p.R(uu3 * p.R(p.R(-12.0 * uu) + 15.0));
            dsw = p.R(p.R(a + b) * du);
        }
        else
        {
            sw = 0;
            dsw = 0;
        }
    }

    /// <summary>AMix searches all atoms as one type: 0 for real atoms, −1 for padding (type &lt; 0).</summary>
    private static int[] FakeTypes(int[] type) => Array.ConvertAll(type, t => t >= 0 ? 0 : -1);

    /// <summary>Mesh longer than 16: [16, 16+nloc) ilist, [16+nloc, 16+2nloc) numneigh, then the neighbour indices.</summary>
    private static List<int>[] ReadMeshList(OpContext ctx, int[] mesh, int nloc, int nall)
    {
        if (mesh.Length < 16 + (2 * nloc))
        {
            throw ctx.Error($"a mesh of length {mesh.Length} cannot hold the neighbour list of {nloc} atoms.", ErrorIds.InvalidMesh);
        }

        var lists = new List<int>[nloc];
        for (int i = 0; i < nloc; i++)
        {
            lists[i] = new List<int>();
        }

        int k = 16 + (2 * nloc);
        for (int ii = 0; ii < nloc; ii++)
        {
            int centre = mesh[16 + ii];
            int count = mesh[16 + nloc + ii];
            if (centre < 0 || centre >= nloc || count < 0 || k + count > mesh.Length)
            {
                throw ctx.Error($"the neighbour list in the mesh tensor is inconsistent at entry {ii}.", ErrorIds.InvalidMesh);
            }

            for (int c = 0; c < count; c++)
            {
                int j = mesh[k + c];
                if (j < 0 || j >= nall)
                {
                    throw ctx.Error($"neighbour index {j} is not in [0, {nall}).", ErrorIds.InvalidMesh);
                }

                lists[centre].Add(j);
            }

            k += count;
        }

        return lists;
    }
}
