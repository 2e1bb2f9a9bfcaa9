using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Numerics;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// A periodic cell: box rows a, b, c, |volume| and the reciprocal rows (b×c, c×a, a×b)/V
/// (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from). Every arithmetic step is rounded by the kernel precision P.
/// </summary>
internal sealed class PeriodicCell
{
    private PeriodicCell(double[] box, double[] rec, double volume)
    {
        Box = box;
        Rec = rec;
        Volume = volume;
    }

    /// <summary>Row-major box (a = 0..2, b = 3..5, c = 6..8).</summary>
    public double[] Box { get; }

    /// <summary>Row-major reciprocal: fractional f_d = Σ_k Rec[3d + k]·r_k.</summary>
    public double[] Rec { get; }

    public double Volume { get; }

    public static PeriodicCell Create<P>(double[] box, int offset)
        where P : struct, IRounding
    {
        P p = default;
        var b = new double[9];
        Array.Copy(box, offset, b, 0, 9);

        // |a·(b×c)| expanded along the first row, in the order deepmd-kit's region code uses.
        double v = p.R(p.R(p.R(b[0] * p.R(p.R(b[4] * b[8]) - p.R(b[7] * b[5])))
                            - p.R(b[1] * p.R(p.R(b[3] * b[8]) - p.R(b[6] * b[5]))))
                       + p.R(b[2] * p.R(p.R(b[3] * b[7]) - p.R(b[6] * b[4]))));
        v = Math.Abs(v);
        double vi = p.R(1.0 / v);
        var r = new double[9];
        r[0] = p.R(p.R(p.R(b[4] * b[8]) - p.R(b[7] * b[5])) * vi);
        r[4] = p.R(p.R(p.R(b[0] * b[8]) - p.R(b[6] * b[2])) * vi);
        r[8] = p.R(p.R(p.R(b[0] * b[4]) - p.R(b[3] * b[1])) * vi);
        r[1] = p.R(p.R(p.R(-b[3] * b[8]) + p.R(b[6] * b[5])) * vi);
        r[2] = p.R(p.R(p.R(b[3] * b[7]) - p.R(b[6] * b[4])) * vi);
        r[3] = p.R(p.R(p.R(-b[1] * b[8]) + p.R(b[7] * b[2])) * vi);
        r[5] = p.R(p.R(p.R(-b[0] * b[7]) + p.R(b[6] * b[1])) * vi);
        r[6] = p.R(p.R(p.R(b[1] * b[5]) - p.R(b[4] * b[2])) * vi);
        r[7] = p.R(p.R(p.R(-b[0] * b[5]) + p.R(b[3] * b[2])) * vi);
        return new PeriodicCell(b, r, v);
    }

    public void ToFractional<P>(double x, double y, double z, out double f0, out double f1, out double f2)
        where P : struct, IRounding
    {
        P p = default;
        var r = Rec;
        f0 = p.R(p.R(p.R(x * r[0]) + p.R(y * r[1])) + p.R(z * r[2]));
        f1 = p.R(p.R(p.R(x * r[3]) + p.R(y * r[4])) + p.R(z * r[5]));
        f2 = p.R(p.R(p.R(x * r[6]) + p.R(y * r[7])) + p.R(z * r[8]));
    }

    public void ToCartesian<P>(double f0, double f1, double f2, out double x, out double y, out double z)
        where P : struct, IRounding
    {
        P p = default;
        var b = Box;
        x = p.R(p.R(p.R(f0 * b[0]) + p.R(f1 * b[3])) + p.R(f2 * b[6]));
        y = p.R(p.R(p.R(f0 * b[1]) + p.R(f1 * b[4])) + p.R(f2 * b[7]));
        z = p.R(p.R(p.R(f0 * b[2]) + p.R(f1 * b[5])) + p.R(f2 * b[8]));
    }

    /// <summary>Distances between opposite faces: V / |b×c|, V / |c×a|, V / |a×b|.</summary>
    public double[] FaceDistances()
    {
        var b = Box;
        double Face(int u, int w)
        {
            double t0 = (b[u + 1] * b[w + 2]) - (b[u + 2] * b[w + 1]);
            double t1 = (b[u + 2] * b[w]) - (b[u] * b[w + 2]);
            double t2 = (b[u] * b[w + 1]) - (b[u + 1] * b[w]);
            return Volume * (1.0 / Math.Sqrt((t0 * t0) + (t1 * t1) + (t2 * t2)));
        }

        return new[] { Face(3, 6), Face(6, 0), Face(0, 3) };
    }
}

/// <summary>The periodic preparation of deepmd-kit's ProdEnvMat ops: wrapping and ghost images (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).</summary>
internal static class PeriodicImages
{
    /// <summary>Upper bound on local + ghost atoms of one frame (a tiny box with a long cutoff multiplies atoms).</summary>
    public const int MaxExtendedAtoms = 50_000_000;

    /// <summary>Wraps every atom into the cell: f ← fmod(f, 1), +1 if negative, back to Cartesian (in precision P).</summary>
    [MethodImpl(Jit.Optimized)]
    public static void Wrap<P>(double[] coord, int natoms, PeriodicCell cell)
        where P : struct, IRounding
    {
        for (int i = 0; i < natoms; i++)
        {
            cell.ToFractional<P>(coord[3 * i], coord[(3 * i) + 1], coord[(3 * i) + 2], out double f0, out double f1, out double f2);
            f0 = WrapUnit<P>(f0);
            f1 = WrapUnit<P>(f1);
            f2 = WrapUnit<P>(f2);
            cell.ToCartesian<P>(f0, f1, f2, out coord[3 * i], out coord[(3 * i) + 1], out coord[(3 * i) + 2]);
        }

        static double WrapUnit<Q>(double f)
            where Q : struct, IRounding
        {
            Q q = default;
            f = q.R(f % 1.0);
            return f < 0 ? q.R(f + 1.0) : f;
        }
    }

    /// <summary>
    /// Local atoms (already wrapped) followed by ghost images: cells of size ≥ rcut, a shell of ngcell cells
    /// around the ncell box, cells scanned i0, i1, i2 (innermost), atoms of each source cell ascending.
    /// Ghost coordinates are x_p − (s0·a + s1·b + s2·c) in double, then rounded to P.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static (double[] Coord, int[] Type, int[] Mapping) Extend<P>(double[] wrapped, int[] type, int nloc, PeriodicCell cell, double rcut)
        where P : struct, IRounding
    {
        P p = default;
        var dcell = PeriodicCell.Create<F64>(cell.Box, 0);
        var face = dcell.FaceDistances();
        var ncell = new int[3];
        var ngcell = new int[3];
        for (int d = 0; d < 3; d++)
        {
            double nc = face[d] / rcut;
            ncell[d] = nc >= int.MaxValue ? int.MaxValue : (int)nc;
            if (ncell[d] == 0)
            {
                ncell[d] = 1;
            }

            double cellSize = face[d] / ncell[d];
            double ng = rcut / cellSize;
            ngcell[d] = ng >= 1e6 ? 1_000_000 : (int)ng + 1;
        }

        long totalCells = (long)(ncell[0] + (2L * ngcell[0])) * (ncell[1] + (2L * ngcell[1])) * (ncell[2] + (2L * ngcell[2]));
        long localCells = (long)ncell[0] * ncell[1] * ncell[2];
        if (localCells > MaxExtendedAtoms || totalCells / Math.Max(1, localCells) * Math.Max(1, nloc) > MaxExtendedAtoms)
        {
            throw new Errors.ResourceLimitException(ErrorIds.TooManyPeriodicImages,
                $"The periodic cell is so small against rcut = {rcut} that more than {MaxExtendedAtoms} periodic images would be needed.");
        }

        // Bin the local atoms by fractional coordinate.
        var clist = new List<int>?[localCells];
        for (int i = 0; i < nloc; i++)
        {
            dcell.ToFractional<F64>(wrapped[3 * i], wrapped[(3 * i) + 1], wrapped[(3 * i) + 2], out double f0, out double f1, out double f2);
            int c0 = Bin(f0, ncell[0]), c1 = Bin(f1, ncell[1]), c2 = Bin(f2, ncell[2]);
            long key = (((long)c0 * ncell[1]) + c1) * ncell[2] + c2;
            (clist[key] ??= new List<int>()).Add(i);
        }

        var coord = new List<double>(wrapped.Length * 4);
        var types = new List<int>(nloc * 4);
        var mapping = new List<int>(nloc * 4);
        for (int i = 0; i < nloc; i++)
        {
            coord.Add(wrapped[3 * i]);
            coord.Add(wrapped[(3 * i) + 1]);
            coord.Add(wrapped[(3 * i) + 2]);
            types.Add(type[i]);
            mapping.Add(i);
        }

        var box = dcell.Box;
        for (int i0 = -ngcell[0]; i0 < ncell[0] + ngcell[0]; i0++)
        {
            int s0 = Shift(i0, ncell[0]);
            for (int i1 = -ngcell[1]; i1 < ncell[1] + ngcell[1]; i1++)
            {
                int s1 = Shift(i1, ncell[1]);
                for (int i2 = -ngcell[2]; i2 < ncell[2] + ngcell[2]; i2++)
                {
                    if (i0 >= 0 && i0 < ncell[0] && i1 >= 0 && i1 < ncell[1] && i2 >= 0 && i2 < ncell[2])
                    {
                        continue;
                    }

                    int s2 = Shift(i2, ncell[2]);
                    long key = (((long)(i0 + (s0 * ncell[0])) * ncell[1]) + i1 + (s1 * ncell[1])) * ncell[2] + i2 + (s2 * ncell[2]);
                    var atoms = clist[key];
                    if (atoms is null)
                    {
                        continue;
                    }

                    double sx = (s0 * box[0]) + (s1 * box[3]) + (s2 * box[6]);
                    double sy = (s0 * box[1]) + (s1 * box[4]) + (s2 * box[7]);
                    double sz = (s0 * box[2]) + (s1 * box[5]) + (s2 * box[8]);
                    foreach (int a in atoms)
                    {
                        coord.Add(p.R(wrapped[3 * a] - sx));
                        coord.Add(p.R(wrapped[(3 * a) + 1] - sy));
                        coord.Add(p.R(wrapped[(3 * a) + 2] - sz));
                        types.Add(type[a]);
                        mapping.Add(a);
                    }

                    if (types.Count > MaxExtendedAtoms)
                    {
                        throw new Errors.ResourceLimitException(ErrorIds.TooManyPeriodicImages,
                            $"More than {MaxExtendedAtoms} periodic images would be needed for rcut = {rcut}.");
                    }
                }
            }
        }

        return (coord.ToArray(), types.ToArray(), mapping.ToArray());
    }

    private static int Bin(double f, int ncell)
    {
        double cellSize = 1.0 / ncell;
        double q = f / cellSize;
        int idx = q >= int.MaxValue ? int.MaxValue : q <= int.MinValue || double.IsNaN(q) ? 0 : (int)q;
        if (f < 0)
        {
            idx--;
        }

        return idx < 0 ? 0 : idx >= ncell ? ncell - 1 : idx;
    }

    /// <summary>The integer s with idx + s·ncell in [0, ncell).</summary>
    private static int Shift(int idx, int ncell)
    {
        int s = 0;
        if (idx < 0)
        {
            s = (-idx + ncell - 1) / ncell;
        }
        else if (idx >= ncell)
        {
            s = -(idx / ncell);
        }

        return s;
    }
}

/// <summary>
/// Candidate neighbours of each centre: every extended atom j ≠ i with |x_i − x_j|² &lt; rc² (in precision P,
/// rc² = float32 rcut·rcut; docs/evaluator.md#the-op-set-and-where-its-semantics-come-from). A bin grid finds the candidates; the set is the same as
/// deepmd-kit's full scan, and its order does not matter because formatting sorts with a total order.
/// </summary>
internal sealed class NeighborSearch<P>
    where P : struct, IRounding
{
    private readonly double[] _coord;
    private readonly int _nall;
    private readonly double _rc2;
    private readonly int[] _nb = new int[3];
    private readonly double[] _lo = new double[3];
    private readonly double _width;
    private readonly int[]? _cellStart;
    private readonly int[]? _cellAtoms;

    // Coordinates in _cellAtoms order, so a cell's atoms are contiguous and load as vectors (double only).
    private readonly double[]? _cx, _cy, _cz;

    [MethodImpl(Jit.Optimized)]
    public NeighborSearch(double[] coord, int nall, float rcut)
    {
        _coord = coord;
        _nall = nall;
        _rc2 = (float)(rcut * rcut); // float32 product, widened
        _width = (Math.Sqrt(_rc2) * 1.000001) + 1e-9;
        if (nall < 512)
        {
            return;
        }

        var hi = new double[3];
        for (int d = 0; d < 3; d++)
        {
            _lo[d] = double.PositiveInfinity;
            hi[d] = double.NegativeInfinity;
        }

        for (int j = 0; j < nall; j++)
        {
            for (int d = 0; d < 3; d++)
            {
                double v = coord[(3 * j) + d];
                if (v < _lo[d])
                {
                    _lo[d] = v;
                }

                if (v > hi[d])
                {
                    hi[d] = v;
                }
            }
        }

        long cells = 1;
        for (int d = 0; d < 3; d++)
        {
            double extent = hi[d] - _lo[d];
            if (double.IsNaN(extent) || double.IsInfinity(extent))
            {
                return; // non-finite coordinates: the plain scan handles them
            }

            _nb[d] = (int)Math.Max(1, Math.Min(256, Math.Floor(extent / _width)));
            cells *= _nb[d];
        }

        var count = new int[cells + 1];
        var cellOf = new int[nall];
        for (int j = 0; j < nall; j++)
        {
            cellOf[j] = CellOf(j);
            count[cellOf[j] + 1]++;
        }

        for (int c = 0; c < cells; c++)
        {
            count[c + 1] += count[c];
        }

        var fill = (int[])count.Clone();
        var atoms = new int[nall];
        for (int j = 0; j < nall; j++)
        {
            atoms[fill[cellOf[j]]++] = j;
        }

        _cellStart = count;
        _cellAtoms = atoms;
        if (typeof(P) == typeof(F64) && Vector.IsHardwareAccelerated)
        {
            _cx = new double[nall];
            _cy = new double[nall];
            _cz = new double[nall];
            for (int k = 0; k < nall; k++)
            {
                _cx[k] = coord[3 * atoms[k]];
                _cy[k] = coord[(3 * atoms[k]) + 1];
                _cz[k] = coord[(3 * atoms[k]) + 2];
            }
        }
    }

    /// <summary>Appends the candidates of centre <paramref name="i"/> to <paramref name="result"/>.</summary>
    [MethodImpl(Jit.Optimized)]
    public void Candidates(int i, List<int> result)
    {
        result.Clear();
        if (_cellStart is null || _cellAtoms is null)
        {
            for (int j = 0; j < _nall; j++)
            {
                if (j != i && Within(i, j))
                {
                    result.Add(j);
                }
            }

            return;
        }

        int c0 = Index(i, 0), c1 = Index(i, 1), c2 = Index(i, 2);
        for (int a = Math.Max(0, c0 - 1); a <= Math.Min(_nb[0] - 1, c0 + 1); a++)
        {
            for (int b = Math.Max(0, c1 - 1); b <= Math.Min(_nb[1] - 1, c1 + 1); b++)
            {
                for (int c = Math.Max(0, c2 - 1); c <= Math.Min(_nb[2] - 1, c2 + 1); c++)
                {
                    int cell = (((a * _nb[1]) + b) * _nb[2]) + c;
                    int k = _cellStart[cell], end = _cellStart[cell + 1];
                    if (_cx is not null)
                    {
                        k = WithinVector(i, k, end, result);
                    }

                    for (; k < end; k++)
                    {
                        int j = _cellAtoms[k];
                        if (j != i && Within(i, j))
                        {
                            result.Add(j);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Within"/> for whole vectors of the cell entries [k, end) in double (the same operations per lane);
    /// returns where the scalar rest starts.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private int WithinVector(int i, int k, int end, List<int> result)
    {
        int w = Vector<double>.Count;
        Vector<double> xi = new(_coord[3 * i]), yi = new(_coord[(3 * i) + 1]), zi = new(_coord[(3 * i) + 2]), rc2 = new(_rc2);
        for (; k + w <= end; k += w)
        {
            var dx = xi - new Vector<double>(_cx!, k);
            var dy = yi - new Vector<double>(_cy!, k);
            var dz = zi - new Vector<double>(_cz!, k);
            var near = Vector.LessThan((dx * dx) + (dy * dy) + (dz * dz), rc2);
            if (Vector.EqualsAll(near, Vector<long>.Zero))
            {
                continue;
            }

            for (int lane = 0; lane < w; lane++)
            {
                int j = _cellAtoms![k + lane];
                if (near[lane] != 0 && j != i)
                {
                    result.Add(j);
                }
            }
        }

        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Within(int i, int j)
    {
        P p = default;
        double dx = p.R(_coord[3 * i] - _coord[3 * j]);
        double dy = p.R(_coord[(3 * i) + 1] - _coord[(3 * j) + 1]);
        double dz = p.R(_coord[(3 * i) + 2] - _coord[(3 * j) + 2]);
        double d2 = p.R(p.R(p.R(dx * dx) + p.R(dy * dy)) + p.R(dz * dz));
        return d2 < _rc2;
    }

    private int Index(int j, int d)
    {
        double q = (_coord[(3 * j) + d] - _lo[d]) / _width;
        int idx = double.IsNaN(q) ? 0 : q >= _nb[d] ? _nb[d] - 1 : q <= 0 ? 0 : (int)q;
        return idx;
    }

    private int CellOf(int j) => (((Index(j, 0) * _nb[1]) + Index(j, 1)) * _nb[2]) + Index(j, 2);
}
