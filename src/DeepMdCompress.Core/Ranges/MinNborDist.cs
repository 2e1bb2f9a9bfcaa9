using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Ranges;

/// <summary>Progress of a min_nbor_dist scan, reported once per frame.</summary>
public sealed class MinNborDistProgress
{
    public MinNborDistProgress(string set, int frame, long framesDone, long totalFrames, double current)
    {
        Set = set;
        Frame = frame;
        FramesDone = framesDone;
        TotalFrames = totalFrames;
        Current = current;
    }

    /// <summary>The set folder being read.</summary>
    public string Set { get; }

    /// <summary>Index of the frame just finished within its set.</summary>
    public int Frame { get; }

    public long FramesDone { get; }

    public long TotalFrames { get; }

    /// <summary>The running minimum distance (Å) so far.</summary>
    public double Current { get; }
}

/// <summary>The closest pair within one frame, as the kernel reports it.</summary>
public readonly struct FramePair
{
    internal FramePair(double distanceSquared, int atom, int neighbour, int sa, int sb, int sc, bool hasPairs, bool images)
    {
        DistanceSquared = distanceSquared;
        Atom = atom;
        Neighbour = neighbour;
        Shift = new[] { sa, sb, sc };
        HasPairs = hasPairs;
        HasImages = images;
    }

    /// <summary>Squared distance of the closest pair below the bound; +∞ when no pair is closer than the bound.</summary>
    public double DistanceSquared { get; }

    /// <summary>The local atom of the closest pair (index in the frame).</summary>
    public int Atom { get; }

    /// <summary>The other atom (index in the frame), of which the image shifted by <see cref="Shift"/> cell vectors is meant.</summary>
    public int Neighbour { get; }

    /// <summary>Integer cell shift (along the three cell vectors) of <see cref="Neighbour"/>.</summary>
    public int[] Shift { get; }

    /// <summary>Whether the frame has any pair at all (deepmd-kit warns "Atoms with no neighbors" when a set has none).</summary>
    public bool HasPairs { get; }

    /// <summary>Whether periodic images were added (false without pbc, and for a left-handed cell, as in deepmd-kit 3.x).</summary>
    public bool HasImages { get; }
}

/// <summary>
/// min_nbor_dist from training data, as deepmd-kit 3.x computes it for <c>dp compress</c> (docs/tables.md#ranges): coordinates
/// as stored (not wrapped), periodic images for integer shifts in [−n, n]³ with n = ceil(1e-6 / face distance) (27 copies
/// for any real right-handed cell; none for a left-handed one, whose signed face distance is negative), every pair of a
/// local atom with any extended atom except its own unshifted copy, atoms of negative type left out, no cutoff. The
/// running minimum of squared distances starts at 100 (so the result is at most 10 Å); an exactly zero distance is the
/// "Some atoms are overlapping" error. A cell list restricted to pairs closer than the running minimum keeps a
/// 100 000-atom frame fast.
/// </summary>
public static class MinNborDist
{
    /// <summary>deepmd-kit's initial running minimum of squared distances (10 Å squared).</summary>
    public const double InitialSquared = 100.0;

    /// <summary>The cutoff deepmd-kit 3.x passes to its neighbour statistics when only min_nbor_dist is wanted.</summary>
    public const double GhostRcut = 1e-6;

    /// <summary>Largest image count per axis direction accepted (a cell thinner than GhostRcut/8 is absurd).</summary>
    private const int MaxImagesPerAxis = 8;

    /// <summary>
    /// Opens the systems (validating every header first), applies deepmd-kit's checks over them and scans all their
    /// frames. <paramref name="typeMap"/> is the training script's model.type_map, which deepmd-kit uses to remap types.
    /// </summary>
    public static NeighborStatistics Compute(IReadOnlyList<string> systemPaths, string setPrefix = "set",
        CancellationToken cancellationToken = default, IProgress<MinNborDistProgress>? progress = null, IReadOnlyList<string>? typeMap = null)
    {
        var systems = systemPaths.Select(p => DataSystem.Open(p, setPrefix)).ToList();
        DataSystem.CheckCompatible(systems, typeMap);
        return Compute(systems, cancellationToken, progress, typeMap);
    }

    /// <summary>
    /// Scans every frame of every set of <paramref name="systems"/>, in order. Types only decide which atoms are virtual
    /// (negative); with <paramref name="typeMap"/> they are first remapped as deepmd-kit does (<see cref="DataSystem.MapTypes(int[], IReadOnlyList{string})"/>).
    /// </summary>
    public static NeighborStatistics Compute(IReadOnlyList<DataSystem> systems, CancellationToken cancellationToken = default,
        IProgress<MinNborDistProgress>? progress = null, IReadOnlyList<string>? typeMap = null)
    {
        var watch = Stopwatch.StartNew();
        long total = systems.Sum(s => s.FrameCount);
        long done = 0;
        double best = InitialSquared;
        string? closestSet = null;
        int closestFrame = -1;
        FramePair closest = default;
        var warnings = new List<string>();
        foreach (var system in systems)
        {
            var atomTypes = system.MapTypes(typeMap);
            foreach (var set in system.Sets)
            {
                bool setHasPairs = false;
                var leftHanded = new List<int>();
                foreach (var frame in set.ReadFrames(atomTypes))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var types = system.MixedType ? system.MapTypes(frame.Types, typeMap) : frame.Types;
                    var pair = Frame(frame.Coord, types, system.Pbc ? frame.Box : null, best, cancellationToken, set.Path, frame.Index);
                    setHasPairs |= pair.HasPairs;
                    if (system.Pbc && !pair.HasImages)
                    {
                        leftHanded.Add(frame.Index);
                    }

                    if (pair.DistanceSquared < best)
                    {
                        if (pair.DistanceSquared == 0)
                        {
                            throw new DataFileException(ErrorIds.OverlappingAtoms,
                                $"Some atoms are overlapping in {set.Path}: in frame {frame.Index}, atom {pair.Atom} and {Describe(pair)} are at distance 0. Remove the duplicated atoms from the training data.") { Target = set.Path };
                        }

                        best = pair.DistanceSquared;
                        closest = pair;
                        closestSet = set.Path;
                        closestFrame = frame.Index;
                    }

                    done++;
                    progress?.Report(new MinNborDistProgress(set.Path, frame.Index, done, total, Math.Sqrt(best)));
                }

                if (!setHasPairs)
                {
                    warnings.Add($"Atoms with no neighbors found in {set.Path}. Please make sure it's what you expected.");
                }

                if (leftHanded.Count > 0)
                {
                    warnings.Add($"{set.Path}: {leftHanded.Count} frame(s) (first: {leftHanded[0]}) have a left-handed cell (negative determinant); deepmd-kit 3.x adds no periodic images for such a cell, and neither does this computation.");
                }
            }
        }

        if (closestSet is null)
        {
            warnings.Add($"No two atoms are closer than {Math.Sqrt(InitialSquared).ToString(CultureInfo.InvariantCulture)} Å; min_nbor_dist is deepmd-kit's cap of 10 Å.");
        }

        return new NeighborStatistics(Math.Sqrt(best), best, systems.Select(s => s.Path).ToArray(), systems.Sum(s => s.Sets.Count), total,
            closestSet, closestFrame, closestSet is null ? null : new[] { closest.Atom, closest.Neighbour }, closestSet is null ? null : closest.Shift,
            warnings, watch.Elapsed);
    }

    /// <summary>
    /// The closest pair of one frame among pairs with squared distance below <paramref name="boundSquared"/>.
    /// <paramref name="coord"/> holds natoms·3 Cartesian coordinates, <paramref name="types"/> the atom types (negative =
    /// virtual, left out; null = all real), <paramref name="box"/> the cell as 9 numbers (rows are cell vectors) or null
    /// without periodic boundary conditions.
    /// </summary>
    public static FramePair Frame(double[] coord, int[]? types, double[]? box, double boundSquared = InitialSquared, CancellationToken cancellationToken = default)
        => Frame(coord, types, box, boundSquared, cancellationToken, "frame", 0);

    private static string Describe(FramePair p) =>
        p.Shift.All(s => s == 0) ? $"atom {p.Neighbour}" : $"the image of atom {p.Neighbour} shifted by ({string.Join(", ", p.Shift)}) cells";

    private static FramePair Frame(double[] coord, int[]? types, double[]? box, double boundSquared, CancellationToken ct, string name, int frame)
    {
        if (coord.Length % 3 != 0 || (types is not null && types.Length * 3 != coord.Length) || (box is not null && box.Length != 9))
        {
            throw new ArgumentException("coord must hold natoms·3 numbers, types natoms, box 9");
        }

        if (!(boundSquared > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(boundSquared), "the bound must be positive");
        }

        int natoms = coord.Length / 3;
        var local = new List<int>(natoms);
        for (int i = 0; i < natoms; i++)
        {
            if (types is null || types[i] >= 0)
            {
                local.Add(i);
            }
        }

        int nl = local.Count;
        var shifts = ImageShifts(box, GhostRcut, name, frame);
        bool images = shifts.Count > 1;

        bool hasPairs = nl >= 2 || (nl >= 1 && images);
        if (!hasPairs)
        {
            return new FramePair(double.PositiveInfinity, -1, -1, 0, 0, 0, false, images);
        }

        var grid = new PointSet(coord, local, shifts, Math.Sqrt(boundSquared));
        return grid.ClosestPair(boundSquared, ct, hasPairs, images);
    }

    /// <summary>
    /// The zero shift and every periodic image shift of <paramref name="box"/> (none without a box) that can bring an
    /// atom within <paramref name="cutoff"/> of a local one, as (cell counts, Cartesian vector).
    /// </summary>
    internal static List<(int A, int B, int C, double X, double Y, double Z)> ImageShifts(double[]? box, double cutoff, string name, int frame)
    {
        var shifts = new List<(int A, int B, int C, double X, double Y, double Z)> { (0, 0, 0, 0, 0, 0) };
        if (box is null)
        {
            return shifts;
        }

        var n = ImageCounts(box, cutoff, name, frame);
        for (int a = -n[0]; a <= n[0]; a++)
        {
            for (int b = -n[1]; b <= n[1]; b++)
            {
                for (int c = -n[2]; c <= n[2]; c++)
                {
                    if (a != 0 || b != 0 || c != 0)
                    {
                        // shift_vec[k] = Σ_d shift[d]·cell[d][k], as deepmd-kit's einsum.
                        shifts.Add((a, b, c,
                            a * box[0] + b * box[3] + c * box[6],
                            a * box[1] + b * box[4] + c * box[7],
                            a * box[2] + b * box[5] + c * box[8]));
                    }
                }
            }
        }

        return shifts;
    }

    /// <summary>deepmd-kit's n = ceil(rcut / face distance) per axis, with the signed face distance volume/|a_j × a_k|.</summary>
    private static int[] ImageCounts(double[] b, double cutoff, string name, int frame)
    {
        double ax = b[0], ay = b[1], az = b[2], bx = b[3], by = b[4], bz = b[5], cx = b[6], cy = b[7], cz = b[8];
        double det = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
        double Norm(double x, double y, double z) => Math.Sqrt(x * x + y * y + z * z);
        double[] areas =
        {
            Norm(by * cz - bz * cy, bz * cx - bx * cz, bx * cy - by * cx),
            Norm(cy * az - cz * ay, cz * ax - cx * az, cx * ay - cy * ax),
            Norm(ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx),
        };
        var n = new int[3];
        for (int k = 0; k < 3; k++)
        {
            double face = det / areas[k];
            if (det == 0 || areas[k] == 0 || double.IsNaN(face) || double.IsInfinity(face))
            {
                throw new DataFileException(ErrorIds.InvalidBox, $"{name}: frame {frame} has a degenerate cell (zero volume); a periodic system needs three independent cell vectors.") { Target = name };
            }

            double count = Math.Ceiling(cutoff / face);
            if (count > MaxImagesPerAxis)
            {
                throw new DataFileException(ErrorIds.InvalidBox, $"{name}: frame {frame} has a cell only {face.ToString("G3", CultureInfo.InvariantCulture)} Å thick.") { Target = name };
            }

            n[k] = Math.Max(0, (int)count);
        }

        return n;
    }

    /// <summary>Local atoms plus the images that can lie within the bound of one of them, binned into cubic cells.</summary>
    private sealed class PointSet
    {
        private const int MaxOccupancy = 64;

        /// <summary>Largest cell index per axis; cells are at least extent/2^60 wide, so every finite extent fits.</summary>
        private const long MaxIndex = 1L << 61;
        private readonly int _nl;
        private readonly double[] _x, _y, _z;
        private readonly int[] _atom, _shift;
        private readonly int _count;
        private readonly List<(int A, int B, int C, double X, double Y, double Z)> _shifts;
        private readonly double _ox, _oy, _oz, _ex, _ey, _ez;

        public PointSet(double[] coord, List<int> local, List<(int A, int B, int C, double X, double Y, double Z)> shifts, double bound)
        {
            _nl = local.Count;
            _shifts = shifts;
            double minX = double.PositiveInfinity, minY = double.PositiveInfinity, minZ = double.PositiveInfinity;
            double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity, maxZ = double.NegativeInfinity;
            foreach (int i in local)
            {
                double x = coord[3 * i], y = coord[3 * i + 1], z = coord[3 * i + 2];
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                minZ = Math.Min(minZ, z); maxZ = Math.Max(maxZ, z);
            }

            // An image farther than the bound from the box around the local atoms cannot make a pair below the bound.
            double m = bound * (1 + 1e-9);
            double loX = minX - m, hiX = maxX + m, loY = minY - m, hiY = maxY + m, loZ = minZ - m, hiZ = maxZ + m;
            int capacity = _nl;
            var x0 = new List<double>(capacity);
            var y0 = new List<double>(capacity);
            var z0 = new List<double>(capacity);
            var atom = new List<int>(capacity);
            var shift = new List<int>(capacity);
            for (int s = 0; s < shifts.Count; s++)
            {
                var (_, _, _, sx, sy, sz) = shifts[s];
                foreach (int i in local)
                {
                    double x = coord[3 * i] + sx, y = coord[3 * i + 1] + sy, z = coord[3 * i + 2] + sz;
                    if (s == 0 || (x >= loX && x <= hiX && y >= loY && y <= hiY && z >= loZ && z <= hiZ))
                    {
                        x0.Add(x); y0.Add(y); z0.Add(z);
                        atom.Add(i);
                        shift.Add(s);
                    }
                }
            }

            _x = x0.ToArray(); _y = y0.ToArray(); _z = z0.ToArray();
            _atom = atom.ToArray(); _shift = shift.ToArray();
            _count = _x.Length;
            _ox = _x.Min(); _oy = _y.Min(); _oz = _z.Min();
            _ex = _x.Max() - _ox; _ey = _y.Max() - _oy; _ez = _z.Max() - _oz;
        }

        /// <summary>
        /// Scans with a cell size s: every pair closer than s lies in neighbouring cells, so a closest pair found below s
        /// is exact. s starts at the mean spacing; a crowded cell shrinks it (pigeonhole: m &gt; k³ points in a cube of
        /// side s hold two within √3·s/k); a scan that finds nothing below s doubles it, up to the bound.
        /// </summary>
        public FramePair ClosestPair(double boundSquared, CancellationToken ct, bool hasPairs, bool images)
        {
            double bound = Math.Sqrt(boundSquared);
            double extent = Math.Max(_ex, Math.Max(_ey, _ez));
            double floor = Math.Max(extent / (1L << 60), double.Epsilon);
            double volume = (_ex + bound) * (_ey + bound) * (_ez + bound);
            double s = Math.Max(Math.Pow(2 * volume / _count, 1.0 / 3), floor);
            bool allowShrink = true;
            int shrinks = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var cells = new Cells(this, s);
                if (allowShrink && cells.MaxOccupancy > MaxOccupancy && shrinks < 60)
                {
                    int k = (int)Math.Ceiling(Math.Pow(cells.MaxOccupancy, 1.0 / 3));
                    while ((long)k * k * k >= cells.MaxOccupancy)
                    {
                        k--;
                    }

                    double smaller = s * Math.Sqrt(3) / k * (1 + 1e-9);
                    if (smaller < 0.95 * s && smaller > floor)
                    {
                        s = smaller;
                        shrinks++;
                        continue;
                    }
                }

                var (best, p, q) = cells.Scan(boundSquared, ct);
                double sure = s * (1 - 1e-9);
                if (best < sure * sure || s >= bound * (1 + 1e-9))
                {
                    if (p < 0)
                    {
                        return new FramePair(double.PositiveInfinity, -1, -1, 0, 0, 0, hasPairs, images);
                    }

                    var sh = _shifts[_shift[q]];
                    return new FramePair(best, _atom[p], _atom[q], sh.A, sh.B, sh.C, hasPairs, images);
                }

                // Nothing closer than s: every pair is at least s apart; look farther.
                allowShrink = false;
                s = Math.Min(2 * s, bound * (1 + 2e-9));
            }
        }

        /// <summary>Points sorted by cell; a dense grid when it is small enough, otherwise a hash of occupied cells.</summary>
        private sealed class Cells
        {
            private readonly PointSet _p;
            private readonly double _s;
            private readonly long _nx, _ny, _nz;
            private readonly Dictionary<CellKey, int>? _sparse;
            private readonly int[] _start, _cellOf, _order;
            private readonly long[] _ix, _iy, _iz;

            public Cells(PointSet p, double s)
            {
                _p = p;
                _s = s;
                int n = p._count;
                _ix = new long[n]; _iy = new long[n]; _iz = new long[n];
                for (int i = 0; i < n; i++)
                {
                    _ix[i] = Index(p._x[i] - p._ox);
                    _iy[i] = Index(p._y[i] - p._oy);
                    _iz[i] = Index(p._z[i] - p._oz);
                }

                _nx = Index(p._ex) + 1; _ny = Index(p._ey) + 1; _nz = Index(p._ez) + 1;
                _cellOf = new int[n];
                int cellCount;
                if ((double)_nx * _ny * _nz <= 4.0 * n + 1024)
                {
                    cellCount = (int)(_nx * _ny * _nz);
                    for (int i = 0; i < n; i++)
                    {
                        _cellOf[i] = (int)((_ix[i] * _ny + _iy[i]) * _nz + _iz[i]);
                    }
                }
                else
                {
                    _sparse = new Dictionary<CellKey, int>();
                    for (int i = 0; i < n; i++)
                    {
                        var key = new CellKey(_ix[i], _iy[i], _iz[i]);
                        if (!_sparse.TryGetValue(key, out int id))
                        {
                            id = _sparse.Count;
                            _sparse.Add(key, id);
                        }

                        _cellOf[i] = id;
                    }

                    cellCount = _sparse.Count;
                }

                // Counting sort of the points by cell.
                _start = new int[cellCount + 1];
                for (int i = 0; i < n; i++)
                {
                    _start[_cellOf[i] + 1]++;
                }

                for (int c = 0; c < cellCount; c++)
                {
                    MaxOccupancy = Math.Max(MaxOccupancy, _start[c + 1]);
                    _start[c + 1] += _start[c];
                }

                var fill = (int[])_start.Clone();
                _order = new int[n];
                for (int i = 0; i < n; i++)
                {
                    _order[fill[_cellOf[i]]++] = i;
                }
            }

            public int MaxOccupancy { get; }

            /// <summary>Closest pair (local point p, any point q ≠ p) below the bound among neighbouring cells.</summary>
            public (double Best, int P, int Q) Scan(double boundSquared, CancellationToken ct)
            {
                var p = _p;
                double best = boundSquared;
                int bp = -1, bq = -1;
                var neighbours = new int[27];
                var done = new bool[_start.Length - 1];
                int visited = 0;
                // Local points are the first _nl points; visit each cell holding one once.
                for (int i = 0; i < p._nl; i++)
                {
                    int cell = _cellOf[i];
                    if (done[cell])
                    {
                        continue;
                    }

                    done[cell] = true;
                    if ((++visited & 1023) == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                    }

                    int nn = 0;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        for (int dy = -1; dy <= 1; dy++)
                        {
                            for (int dz = -1; dz <= 1; dz++)
                            {
                                int c = Find(_ix[i] + dx, _iy[i] + dy, _iz[i] + dz);
                                if (c >= 0)
                                {
                                    neighbours[nn++] = c;
                                }
                            }
                        }
                    }

                    int pairs = 0;
                    for (int a = _start[cell]; a < _start[cell + 1]; a++)
                    {
                        int pi = _order[a];
                        if (pi >= p._nl)
                        {
                            continue;
                        }

                        double xi = p._x[pi], yi = p._y[pi], zi = p._z[pi];
                        for (int k = 0; k < nn; k++)
                        {
                            int c = neighbours[k];
                            for (int b = _start[c]; b < _start[c + 1]; b++)
                            {
                                int qj = _order[b];
                                if (qj == pi)
                                {
                                    continue;
                                }

                                // deepmd-kit: diff = extended − local, rr2 = Σ diff².
                                double dx = p._x[qj] - xi, dy = p._y[qj] - yi, dz = p._z[qj] - zi;
                                double rr2 = dx * dx + dy * dy + dz * dz;
                                if (rr2 < best)
                                {
                                    best = rr2;
                                    bp = pi;
                                    bq = qj;
                                }
                            }

                            // A crowded cell can hold many pairs; stay responsive to Ctrl+C.
                            if ((pairs += _start[c + 1] - _start[c]) > 1 << 20)
                            {
                                pairs = 0;
                                ct.ThrowIfCancellationRequested();
                            }
                        }
                    }
                }

                return (bp < 0 ? double.PositiveInfinity : best, bp, bq);
            }

            private int Find(long ix, long iy, long iz)
            {
                if (ix < 0 || iy < 0 || iz < 0 || ix >= _nx || iy >= _ny || iz >= _nz)
                {
                    return -1;
                }

                if (_sparse is null)
                {
                    int c = (int)((ix * _ny + iy) * _nz + iz);
                    return _start[c + 1] > _start[c] ? c : -1;
                }

                return _sparse.TryGetValue(new CellKey(ix, iy, iz), out int id) ? id : -1;
            }

            private long Index(double offset)
            {
                double q = Math.Floor(offset / _s);
                // Non-finite only for absurd coordinates (overflowing extents); clamping keeps every point in some cell.
                return q >= 0 && q < MaxIndex ? (long)q : q >= 0 ? MaxIndex : 0;
            }
        }

        private readonly struct CellKey : IEquatable<CellKey>
        {
            private readonly long _x, _y, _z;

            public CellKey(long x, long y, long z)
            {
                _x = x;
                _y = y;
                _z = z;
            }

            public bool Equals(CellKey other) => _x == other._x && _y == other._y && _z == other._z;

            public override bool Equals(object? obj) => obj is CellKey k && Equals(k);

            public override int GetHashCode()
            {
                unchecked
                {
                    long h = _x * -7046029254386353131L + _y * -4417276706812531889L + _z * 1609587929392839161L;
                    return (int)(h ^ (h >> 29) ^ (h >> 47));
                }
            }
        }
    }
}
