using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Data;

/// <summary>
/// One deepmd-kit data system (a folder with <c>type.raw</c>, optional <c>type_map.raw</c> and <c>nopbc</c>, and
/// <c>set.*</c> folders). Opening it reads the small text files and validates every set's <c>.npy</c> headers;
/// coordinates are read later, one frame at a time, by <see cref="DataSet.ReadFrames"/>.
/// </summary>
public sealed class DataSystem
{
    /// <summary>Largest number of atoms per frame accepted.</summary>
    public const int MaxAtoms = 1 << 23;

    /// <summary>Largest <c>type.raw</c>/<c>type_map.raw</c> accepted, in bytes.</summary>
    public const long MaxRawFileBytes = 256L << 20;

    private DataSystem(string path, int[] atomTypes, string[]? typeMap, bool pbc, bool mixedType, IReadOnlyList<DataSet> sets)
    {
        Path = path;
        AtomTypes = atomTypes;
        TypeMap = typeMap;
        Pbc = pbc;
        MixedType = mixedType;
        Sets = sets;
    }

    public string Path { get; }

    /// <summary>Per-atom types from <c>type.raw</c>, in file order.</summary>
    public int[] AtomTypes { get; }

    public int NAtoms => AtomTypes.Length;

    /// <summary>Element names from <c>type_map.raw</c>, or null when the system has none.</summary>
    public string[]? TypeMap { get; }

    /// <summary>False when the system has a <c>nopbc</c> file (no periodic images).</summary>
    public bool Pbc { get; }

    /// <summary>True when the sets carry per-frame types (<c>real_atom_types.npy</c>, deepmd-kit's mixed-type format).</summary>
    public bool MixedType { get; }

    public IReadOnlyList<DataSet> Sets { get; }

    public long FrameCount => Sets.Sum(s => (long)s.FrameCount);

    /// <summary>Opens a system folder; <paramref name="setPrefix"/> is deepmd-kit's <c>set_prefix</c> (default "set").</summary>
    public static DataSystem Open(string path, string setPrefix = "set")
    {
        path = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(path))
        {
            throw new DataFileException(ErrorIds.SystemNotFound, $"The data system {path} does not exist or is not a folder.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        string typeRaw = System.IO.Path.Combine(path, "type.raw");
        if (!File.Exists(typeRaw))
        {
            throw new DataFileException(ErrorIds.MissingTypeRaw, $"The data system {path} has no type.raw (one integer type per atom).", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        var types = ParseTypeRaw(typeRaw);
        string typeMapRaw = System.IO.Path.Combine(path, "type_map.raw");
        string[]? typeMap = File.Exists(typeMapRaw) ? ParseTypeMapRaw(typeMapRaw) : null;
        if (typeMap is not null && types.Max() >= typeMap.Length)
        {
            throw new DataFileException(ErrorIds.TypeMapTooShort,
                $"{typeMapRaw} names {typeMap.Length} element(s) but type.raw uses type {types.Max()}.") { Target = typeMapRaw };
        }

        bool pbc = !File.Exists(System.IO.Path.Combine(path, "nopbc"));

        // deepmd-kit globs "<prefix>.*" and sorts the names; only folders can be sets.
        var setDirs = Directory.GetDirectories(path, setPrefix + ".*", SearchOption.TopDirectoryOnly)
            .Where(d => System.IO.Path.GetFileName(d).StartsWith(setPrefix + ".", StringComparison.Ordinal))
            .OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (setDirs.Count == 0)
        {
            throw new DataFileException(ErrorIds.NoSetFolders, $"The data system {path} has no {setPrefix}.* folder.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        bool mixed = File.Exists(System.IO.Path.Combine(setDirs[0], "real_atom_types.npy"));
        var sets = new List<DataSet>(setDirs.Count);
        foreach (string dir in setDirs)
        {
            bool m = File.Exists(System.IO.Path.Combine(dir, "real_atom_types.npy"));
            if (m != mixed)
            {
                throw new DataFileException(ErrorIds.MixedTypeInconsistent,
                    $"In {path} some sets have real_atom_types.npy and some do not; deepmd-kit requires all or none.") { Target = dir };
            }

            sets.Add(DataSet.Open(dir, types.Length, pbc, mixed));
        }

        if (mixed && typeMap is null)
        {
            throw new DataFileException(ErrorIds.MissingTypeMapRaw, $"The mixed-type data system {path} has no type_map.raw, which deepmd-kit requires for that format.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        return new DataSystem(path, types, typeMap, pbc, mixed, sets);
    }

    /// <summary>
    /// deepmd-kit's type remapping: when both the system's <c>type_map.raw</c> and the model's type map are known,
    /// system type t becomes the model's index of element <c>TypeMap[t]</c>; every element of the system must be in the
    /// model's map (otherwise TypeMapMismatch). Without a <c>type_map.raw</c> the types are used as they are.
    /// </summary>
    public int[] MapTypes(IReadOnlyList<string>? modelTypeMap) => MixedType ? AtomTypes : MapTypes(AtomTypes, modelTypeMap);

    /// <summary>
    /// The same remapping for any type array (per-frame types of mixed-type sets included). deepmd-kit indexes its
    /// lookup table with numpy, so a negative type counts from the end: in the plain format a virtual atom (-1) becomes
    /// the system's last element, in the mixed-type format the table ends with -1 and virtual atoms stay virtual.
    /// </summary>
    public int[] MapTypes(int[] types, IReadOnlyList<string>? modelTypeMap)
    {
        if (TypeMap is null || modelTypeMap is null || modelTypeMap.Count == 0)
        {
            return types;
        }

        var missing = TypeMap.Where(e => !modelTypeMap.Contains(e)).ToList();
        if (missing.Count > 0)
        {
            throw new DataFileException(ErrorIds.TypeMapMismatch,
                $"Elements {string.Join(", ", missing)} of {Path} (type_map.raw: {string.Join(" ", TypeMap)}) are not in the model's type map ({string.Join(" ", modelTypeMap)}).") { Target = Path };
        }

        var table = TypeMap.Select(e => IndexOf(modelTypeMap, e)).ToList();
        if (MixedType)
        {
            table.Add(-1);
        }

        var result = new int[types.Length];
        for (int i = 0; i < types.Length; i++)
        {
            int t = types[i];
            int k = t < 0 ? t + table.Count : t;
            if (k < 0 || k >= table.Count)
            {
                throw new DataFileException(ErrorIds.TypeOutOfRange, $"{Path}: atom {i} has type {t}, outside the {TypeMap.Length} element(s) of type_map.raw.") { Target = Path };
            }

            result[i] = table[k];
        }

        return result;
    }

    /// <summary>
    /// deepmd-kit's checks over the systems of one data set: all mixed-type or none, and, when no model type map is
    /// given, type maps that agree wherever they overlap (one may extend another).
    /// </summary>
    public static void CheckCompatible(IReadOnlyList<DataSystem> systems, IReadOnlyList<string>? modelTypeMap)
    {
        if (systems.Count > 0 && systems.Any(s => s.MixedType != systems[0].MixedType))
        {
            throw new DataFileException(ErrorIds.MixedTypeInconsistent, "Some data systems are in the mixed-type format (real_atom_types.npy) and some are not; deepmd-kit requires all or none.");
        }

        if (modelTypeMap is { Count: > 0 })
        {
            return;
        }

        var merged = new List<string>();
        foreach (var s in systems.Where(s => s.TypeMap is not null))
        {
            for (int i = 0; i < Math.Min(merged.Count, s.TypeMap!.Length); i++)
            {
                if (merged[i] != s.TypeMap[i])
                {
                    throw new DataFileException(ErrorIds.InconsistentTypeMaps,
                        $"The type map of {s.Path} ({string.Join(" ", s.TypeMap)}) contradicts that of another system ({string.Join(" ", merged)}); set model.type_map in the training script.") { Target = s.Path };
                }
            }

            if (s.TypeMap.Length > merged.Count)
            {
                merged = s.TypeMap.ToList();
            }
        }
    }

    public override string ToString() => Path;

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>type.raw as numpy.loadtxt reads it: whitespace-separated numbers, '#' comments; each an int32 integer.</summary>
    internal static int[] ParseTypeRaw(string file)
    {
        var tokens = ReadTokens(file, ErrorIds.TypeRawInvalid);
        if (tokens.Count == 0)
        {
            throw new DataFileException(ErrorIds.TypeRawInvalid, $"{file} lists no atoms.") { Target = file };
        }

        var types = new int[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            if (!double.TryParse(tokens[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                || Math.Floor(v) != v || v < int.MinValue || v > int.MaxValue)
            {
                throw new DataFileException(ErrorIds.TypeRawInvalid, $"{file}: entry {i + 1} ('{Clip(tokens[i])}') is not an integer atom type.") { Target = file };
            }

            types[i] = (int)v;
        }

        return types;
    }

    internal static string[] ParseTypeMapRaw(string file)
    {
        var tokens = ReadTokens(file, ErrorIds.TypeMapRawInvalid);
        if (tokens.Count == 0)
        {
            throw new DataFileException(ErrorIds.TypeMapRawInvalid, $"{file} names no elements.") { Target = file };
        }

        return tokens.ToArray();
    }

    private static List<string> ReadTokens(string file, string errorId)
    {
        var info = new FileInfo(file);
        if (info.Length > MaxRawFileBytes)
        {
            throw new DataFileException(errorId, $"{file} is {info.Length} bytes (limit {MaxRawFileBytes}).", DeepMdErrorKind.LimitsExceeded) { Target = file };
        }

        var tokens = new List<string>();
        using var reader = new StreamReader(file, new UTF8Encoding(false, false), true);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            int hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line.Substring(0, hash);
            }

            foreach (string t in line.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries))
            {
                tokens.Add(t);
                if (tokens.Count > MaxAtoms)
                {
                    throw new DataFileException(ErrorIds.TooManyAtoms, $"{file} lists more than {MaxAtoms} entries.", DeepMdErrorKind.LimitsExceeded) { Target = file };
                }
            }
        }

        return tokens;
    }

    private static readonly char[] Whitespace = { ' ', '\t', '\r', '\f', '\v' };

    private static string Clip(string s) => s.Length > 32 ? s.Substring(0, 32) + "…" : s;
}

/// <summary>One frame of a set: coordinates (natoms·3, Å, as stored), the cell (9 numbers, rows = cell vectors) and types.</summary>
public sealed class DataFrame
{
    public DataFrame(int index, double[] coord, double[]? box, int[] types)
    {
        Index = index;
        Coord = coord;
        Box = box;
        Types = types;
    }

    /// <summary>Frame index within its set.</summary>
    public int Index { get; }

    public double[] Coord { get; }

    /// <summary>Null for a system without periodic boundary conditions.</summary>
    public double[]? Box { get; }

    public int[] Types { get; }
}

/// <summary>One <c>set.*</c> folder: validated headers of <c>coord.npy</c> and <c>box.npy</c>; frames are streamed.</summary>
public sealed class DataSet
{
    private readonly int _natoms;
    private readonly NpyHeader _coord;
    private readonly NpyHeader? _box;
    private readonly bool _mixed;

    private DataSet(string path, int natoms, int frames, NpyHeader coord, NpyHeader? box, bool mixed)
    {
        Path = path;
        _natoms = natoms;
        FrameCount = frames;
        _coord = coord;
        _box = box;
        _mixed = mixed;
    }

    public string Path { get; }

    public int FrameCount { get; }

    public string CoordFile => System.IO.Path.Combine(Path, "coord.npy");

    public string BoxFile => System.IO.Path.Combine(Path, "box.npy");

    internal static DataSet Open(string dir, int natoms, bool pbc, bool mixed)
    {
        string coordFile = System.IO.Path.Combine(dir, "coord.npy");
        if (!File.Exists(coordFile))
        {
            throw new DataFileException(ErrorIds.MissingCoordNpy, $"The set {dir} has no coord.npy.", DeepMdErrorKind.ObjectNotFound) { Target = dir };
        }

        var coord = NpyReader.ReadHeader(coordFile);
        // deepmd-kit: a 1-D array is one frame; otherwise frames are rows of natoms·3 numbers.
        long frames = coord.Rank == 1 ? 1 : coord.Rank == 0 ? 0 : coord.Shape[0];
        long perFrame = coord.Rank == 2 ? coord.Shape[1] : coord.Count;
        if (coord.Rank is 0 or > 2 || perFrame != 3L * natoms)
        {
            throw new DataFileException(ErrorIds.CoordShapeMismatch,
                $"{coordFile} has shape ({string.Join(", ", coord.Shape)}); expected (nframes, {3L * natoms}) or ({3L * natoms},) for {natoms} atoms in type.raw.") { Target = coordFile };
        }

        if (frames == 0)
        {
            throw new DataFileException(ErrorIds.EmptySet, $"{coordFile} holds no frames.") { Target = coordFile };
        }

        if (frames > int.MaxValue)
        {
            throw new DataFileException(ErrorIds.CoordShapeMismatch, $"{coordFile} declares {frames} frames.") { Target = coordFile };
        }

        NpyHeader? box = null;
        string boxFile = System.IO.Path.Combine(dir, "box.npy");
        if (pbc)
        {
            if (!File.Exists(boxFile))
            {
                throw new DataFileException(ErrorIds.MissingBoxNpy, $"The periodic set {dir} has no box.npy (add a nopbc file to the system if it is not periodic).", DeepMdErrorKind.ObjectNotFound) { Target = dir };
            }

            box = NpyReader.ReadHeader(boxFile);
            if (box.Count != frames * 9)
            {
                throw new DataFileException(ErrorIds.FrameCountMismatch,
                    $"{boxFile} has shape ({string.Join(", ", box.Shape)}), i.e. {box.Count} numbers; {frames} frame(s) of coord.npy need {frames * 9}.") { Target = boxFile };
            }
        }

        if (mixed)
        {
            string typesFile = System.IO.Path.Combine(dir, "real_atom_types.npy");
            var th = NpyReader.ReadHeader(typesFile);
            if (th.Count != frames * natoms)
            {
                throw new DataFileException(ErrorIds.FrameCountMismatch,
                    $"{typesFile} has shape ({string.Join(", ", th.Shape)}); {frames} frame(s) of {natoms} atoms need {frames * natoms} types.") { Target = typesFile };
            }
        }

        return new DataSet(dir, natoms, (int)frames, coord, box, mixed);
    }

    /// <summary>
    /// Any other array of the set (energy, force, virial, ...) as doubles, or null when <c>&lt;name&gt;.npy</c> is absent.
    /// Its leading dimension is not checked against the frame count; callers check the shape they need.
    /// </summary>
    public double[]? ReadArray(string name, out NpyHeader? header)
    {
        string file = System.IO.Path.Combine(Path, name + ".npy");
        header = null;
        if (!File.Exists(file))
        {
            return null;
        }

        var data = NpyReader.ReadDoubles(file, out var h);
        header = h;
        return data;
    }

    /// <summary>Streams the frames in order. Coordinates and cells must be finite.</summary>
    public IEnumerable<DataFrame> ReadFrames(int[] atomTypes)
    {
        int n3 = 3 * _natoms;
        double[]? boxes = null;
        if (_box is not null)
        {
            boxes = NpyReader.ReadDoubles(BoxFile, out _);
        }

        int[]? mixedTypes = _mixed ? NpyReader.ReadInt32s(System.IO.Path.Combine(Path, "real_atom_types.npy"), out _) : null;
        using var stream = NpyReader.OpenRead(CoordFile);
        var header = NpyReader.ReadHeader(stream, CoordFile);
        if (header.Count != _coord.Count)
        {
            throw new DataFileException(ErrorIds.FrameCountMismatch, $"{CoordFile} changed while it was being read.") { Target = CoordFile };
        }

        for (int f = 0; f < FrameCount; f++)
        {
            var coord = new double[n3];
            NpyReader.ReadDoubles(stream, header, (long)f * n3, coord, 0, n3, CoordFile);
            for (int k = 0; k < n3; k++)
            {
                if (double.IsNaN(coord[k]) || double.IsInfinity(coord[k]))
                {
                    throw new DataFileException(ErrorIds.NonFiniteCoordinate, $"{CoordFile}: frame {f}, atom {k / 3} has a non-finite coordinate.") { Target = CoordFile };
                }
            }

            double[]? box = null;
            if (boxes is not null)
            {
                box = new double[9];
                Array.Copy(boxes, f * 9, box, 0, 9);
                if (box.Any(v => double.IsNaN(v) || double.IsInfinity(v)))
                {
                    throw new DataFileException(ErrorIds.InvalidBox, $"{BoxFile}: frame {f} has a non-finite cell.") { Target = BoxFile };
                }
            }

            int[] types = atomTypes;
            if (mixedTypes is not null)
            {
                types = new int[_natoms];
                Array.Copy(mixedTypes, (long)f * _natoms, types, 0, _natoms);
            }

            yield return new DataFrame(f, coord, box, types);
        }
    }

    public override string ToString() => Path;
}
