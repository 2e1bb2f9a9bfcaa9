using System.Globalization;
using System.Text;

namespace DeepMdCompress.Core.Tests;

/// <summary>Writes .npy files (good and deliberately bad) and small deepmd-kit data systems for the data-reader tests.</summary>
public static class NpyTestFiles
{
    /// <summary>The header dict numpy writes, e.g. {'descr': '&lt;f8', 'fortran_order': False, 'shape': (2, 3), }.</summary>
    public static string Dict(string descr, long[] shape, bool fortran = false)
    {
        string dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        return $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {dims}, }}";
    }

    /// <summary>magic + version + header length + header padded with spaces and a newline to a multiple of 64, as numpy does.</summary>
    public static byte[] Header(string dict, int major = 1)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        var enc = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        int raw = enc.GetByteCount(dict) + 1;
        int total = 6 + 2 + lengthBytes + raw;
        int pad = (64 - total % 64) % 64;
        byte[] header = enc.GetBytes(dict + new string(' ', pad) + "\n");
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)header.Length) : BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(header);
        return bytes.ToArray();
    }

    public static byte[] Float64(double[] data, long[] shape, int major = 1) =>
        Header(Dict("<f8", shape), major).Concat(data.SelectMany(BitConverter.GetBytes)).ToArray();

    public static byte[] Float32(float[] data, long[] shape, int major = 1) =>
        Header(Dict("<f4", shape), major).Concat(data.SelectMany(BitConverter.GetBytes)).ToArray();

    public static byte[] Int32(int[] data, long[] shape) =>
        Header(Dict("<i4", shape)).Concat(data.SelectMany(BitConverter.GetBytes)).ToArray();

    public static byte[] Int64(long[] data, long[] shape) =>
        Header(Dict("<i8", shape)).Concat(data.SelectMany(BitConverter.GetBytes)).ToArray();

    public static string Write(string dir, string name, byte[] bytes)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// A data system: type.raw, optional type_map.raw and nopbc, and one set per entry of <paramref name="sets"/>
    /// (frames × natoms·3 coordinates, frames × 9 cells; null cells = no box.npy).
    /// </summary>
    public static string System(string dir, int[] types, IEnumerable<(double[][] Coords, double[][]? Boxes)> sets,
        string[]? typeMap = null, bool nopbc = false, bool float32 = false)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "type.raw"), string.Join("\n", types) + "\n");
        if (typeMap is not null)
        {
            File.WriteAllText(Path.Combine(dir, "type_map.raw"), string.Join("\n", typeMap) + "\n");
        }

        if (nopbc)
        {
            File.WriteAllText(Path.Combine(dir, "nopbc"), string.Empty);
        }

        int k = 0;
        foreach (var (coords, boxes) in sets)
        {
            string set = Path.Combine(dir, $"set.{k++:000}");
            long[] shape = { coords.Length, coords[0].Length };
            var flat = coords.SelectMany(c => c).ToArray();
            Write(set, "coord.npy", float32 ? Float32(flat.Select(v => (float)v).ToArray(), shape) : Float64(flat, shape));
            if (boxes is not null)
            {
                Write(set, "box.npy", Float64(boxes.SelectMany(b => b).ToArray(), new long[] { boxes.Length, 9 }));
            }
        }

        return dir;
    }

    public static double[] Cubic(double a) => new[] { a, 0, 0, 0, a, 0, 0, 0, a };
}
