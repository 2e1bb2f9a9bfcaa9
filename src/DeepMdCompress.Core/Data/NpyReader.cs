using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Data;

/// <summary>Element types this reader accepts: little-endian float32/float64 and int32/int64.</summary>
public enum NpyDType
{
    Float32,
    Float64,
    Int32,
    Int64,
}

/// <summary>A validated <c>.npy</c> header: its declared element count matches the bytes present in the file.</summary>
public sealed class NpyHeader
{
    internal NpyHeader(int majorVersion, NpyDType dtype, string descr, long[] shape, long count, long dataOffset)
    {
        MajorVersion = majorVersion;
        DType = dtype;
        Descr = descr;
        Shape = shape;
        Count = count;
        DataOffset = dataOffset;
    }

    /// <summary>Format version 1, 2 or 3 (the minor version is always 0).</summary>
    public int MajorVersion { get; }

    public NpyDType DType { get; }

    /// <summary>numpy's dtype string as written in the header, e.g. <c>&lt;f8</c>.</summary>
    public string Descr { get; }

    public long[] Shape { get; }

    public int Rank => Shape.Length;

    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long Count { get; }

    /// <summary>Byte offset of the first element.</summary>
    public long DataOffset { get; }

    public int ElementSize => DType is NpyDType.Float64 or NpyDType.Int64 ? 8 : 4;

    public override string ToString() => $"{Descr} ({string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})";
}

/// <summary>
/// Reader for numpy's <c>.npy</c> format (versions 1.0, 2.0, 3.0), restricted to what deepmd-kit data sets use:
/// C order, little-endian <c>&lt;f4</c>, <c>&lt;f8</c>, <c>&lt;i4</c>, <c>&lt;i8</c>. Everything else is refused with a
/// <see cref="DataFileException"/> whose id names the problem. The header is validated against the length of the
/// file before any element buffer is allocated, so a hostile header cannot make the reader allocate more than the
/// file holds.
/// </summary>
public static class NpyReader
{
    /// <summary>Largest element count read into one array (2^28: 2 GiB of doubles).</summary>
    public const long MaxElements = 1L << 28;

    /// <summary>Largest header accepted (numpy itself refuses headers above 10 000 bytes by default).</summary>
    public const int MaxHeaderLength = 1 << 16;

    /// <summary>Largest rank accepted (numpy's own limit is 64).</summary>
    public const int MaxRank = 32;

    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>Reads and validates the header of the file at <paramref name="path"/>.</summary>
    public static NpyHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Reads and validates a header from a seekable stream positioned at the start of the .npy data.</summary>
    public static NpyHeader ReadHeader(Stream stream, string name)
    {
        long start = stream.Position;
        long available = stream.Length - start;
        var prefix = new byte[12];
        int got = ReadUpTo(stream, prefix, 0, 10);
        if (got < 8 || !prefix.Take(6).SequenceEqual(Magic))
        {
            throw Fail(ErrorIds.NpyBadMagic, name, "is not a .npy file (it does not start with the \\x93NUMPY magic string).");
        }

        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw Fail(ErrorIds.NpyUnsupportedVersion, name, $"has .npy format version {major}.{minor}; only 1.0, 2.0 and 3.0 exist.");
        }

        int lengthBytes = major == 1 ? 2 : 4;
        if (got < 8 + lengthBytes && ReadUpTo(stream, prefix, got, 8 + lengthBytes - got) + got < 8 + lengthBytes)
        {
            throw Fail(ErrorIds.NpyTruncated, name, "ends inside the header length field.");
        }

        long headerLength = major == 1
            ? prefix[8] | (prefix[9] << 8)
            : (uint)(prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (prefix[11] << 24));
        long dataOffset = 8 + lengthBytes + headerLength;
        if (headerLength > MaxHeaderLength)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, $"declares a {headerLength}-byte header (limit {MaxHeaderLength}).");
        }

        if (dataOffset > available)
        {
            throw Fail(ErrorIds.NpyTruncated, name, $"declares a {headerLength}-byte header but the file has only {available} bytes.");
        }

        stream.Position = start + 8 + lengthBytes;
        var headerBytes = new byte[headerLength];
        if (ReadUpTo(stream, headerBytes, 0, headerBytes.Length) != headerBytes.Length)
        {
            throw Fail(ErrorIds.NpyTruncated, name, "ends inside the header.");
        }

        // Versions 1 and 2 use latin-1 (each byte one char), version 3 UTF-8.
        string text = major == 3 ? DecodeUtf8(headerBytes, name) : new string(headerBytes.Select(b => (char)b).ToArray());
        var dict = ParseHeaderDict(text, name);
        var (dtype, descr) = ParseDescr(dict, name);
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, "has no boolean 'fortran_order' in its header.");
        }

        var shape = ParseShape(dict, name);
        long count = 1;
        foreach (long d in shape)
        {
            if (d != 0 && count > long.MaxValue / 8 / d)
            {
                throw Fail(ErrorIds.NpyShapeInvalid, name, $"declares shape ({string.Join(", ", shape)}), whose element count overflows.");
            }

            count *= d;
        }

        // Fortran order only changes the layout when two or more axes are longer than 1.
        if (fortran && shape.Count(d => d > 1) > 1)
        {
            throw Fail(ErrorIds.NpyFortranOrder, name, "is stored in Fortran (column-major) order; only C order is supported (save it with numpy.ascontiguousarray).");
        }

        int size = dtype is NpyDType.Float64 or NpyDType.Int64 ? 8 : 4;
        long needed = count * size;
        long present = available - dataOffset;
        if (present < needed)
        {
            throw Fail(ErrorIds.NpyTruncated, name, $"declares {descr} shape ({string.Join(", ", shape)}), i.e. {needed} data bytes, but holds only {present}.");
        }

        if (present > needed)
        {
            throw Fail(ErrorIds.NpyTrailingData, name, $"declares {descr} shape ({string.Join(", ", shape)}), i.e. {needed} data bytes, but holds {present}.");
        }

        return new NpyHeader(major, dtype, descr, shape, count, start + dataOffset);
    }

    /// <summary>Reads a whole file as doubles (float32 and integers are widened exactly, int64 beyond 2^53 rounds).</summary>
    public static double[] ReadDoubles(string path, out NpyHeader header)
    {
        using var stream = OpenRead(path);
        return ReadDoubles(stream, path, out header);
    }

    /// <summary>Reads a whole .npy image from a seekable stream (e.g. a MemoryStream) as doubles.</summary>
    public static double[] ReadDoubles(Stream stream, string name, out NpyHeader header)
    {
        header = ReadHeader(stream, name);
        var result = Allocate<double>(header, name);
        ReadDoubles(stream, header, 0, result, 0, result.Length, name);
        return result;
    }

    /// <summary>Reads a whole file as int32; float and int64 elements must be integers in int32 range.</summary>
    public static int[] ReadInt32s(string path, out NpyHeader header)
    {
        using var stream = OpenRead(path);
        header = ReadHeader(stream, path);
        var values = Allocate<double>(header, path);
        ReadDoubles(stream, header, 0, values, 0, values.Length, path);
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!(v >= int.MinValue && v <= int.MaxValue) || Math.Floor(v) != v)
            {
                throw Fail(ErrorIds.NpyNotInteger, path, $"element {i} ({v.ToString("R", CultureInfo.InvariantCulture)}) is not an int32 integer.");
            }

            result[i] = (int)v;
        }

        return result;
    }

    /// <summary>
    /// Reads <paramref name="count"/> elements starting at element <paramref name="firstElement"/> into
    /// <paramref name="destination"/>, widening to double. Used to stream large arrays frame by frame.
    /// </summary>
    public static void ReadDoubles(Stream stream, NpyHeader header, long firstElement, double[] destination, int offset, int count, string name)
    {
        if (firstElement < 0 || count < 0 || firstElement + count > header.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(firstElement), $"elements [{firstElement}, {firstElement + count}) are outside the array of {header.Count}");
        }

        int size = header.ElementSize;
        stream.Position = header.DataOffset + firstElement * size;
        var buffer = new byte[(int)Math.Min(1 << 16, Math.Max(size, (long)count * size))];
        int done = 0;
        while (done < count)
        {
            int want = Math.Min(buffer.Length / size, count - done);
            int bytes = ReadUpTo(stream, buffer, 0, want * size);
            if (bytes != want * size)
            {
                // The header check saw the bytes; a file shrinking under us is still a truncated file.
                throw Fail(ErrorIds.NpyTruncated, name, "ended while its data was being read.");
            }

            for (int i = 0; i < want; i++)
            {
                destination[offset + done + i] = header.DType switch
                {
                    NpyDType.Float64 => BitConverter.Int64BitsToDouble(ReadInt64(buffer, i * 8)),
                    NpyDType.Float32 => Int32BitsToSingle(ReadInt32(buffer, i * 4)),
                    NpyDType.Int32 => ReadInt32(buffer, i * 4),
                    _ => ReadInt64(buffer, i * 8),
                };
            }

            done += want;
        }
    }

    /// <summary>Opens a file for reading, mapping a missing file to <c>DataFileNotFound</c>.</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFileException(ErrorIds.DataFileNotFound, $"{path} does not exist.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }
    }

    private static T[] Allocate<T>(NpyHeader header, string name)
    {
        if (header.Count > MaxElements)
        {
            throw new DataFileException(ErrorIds.NpyTooLarge, $"{name}: {header.Count} elements exceed the limit of {MaxElements} for one array.", DeepMdErrorKind.LimitsExceeded) { Target = name };
        }

        return new T[header.Count];
    }

    private static (NpyDType, string) ParseDescr(Dictionary<string, object?> dict, string name)
    {
        if (!dict.TryGetValue("descr", out var d))
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, "has no 'descr' in its header.");
        }

        if (d is not string descr)
        {
            throw Fail(ErrorIds.NpyUnsupportedDtype, name, "holds a structured (record) array; only plain float32/float64/int32/int64 arrays are supported.");
        }

        if (descr.Length >= 2 && descr[0] == '>' && descr.Substring(1) is "f4" or "f8" or "i4" or "i8")
        {
            throw Fail(ErrorIds.NpyBigEndian, name, $"is big-endian ({descr}); only little-endian data is supported (convert with array.astype('<{descr.Substring(1)}')).");
        }

        NpyDType? type = descr switch
        {
            "<f4" => NpyDType.Float32,
            "<f8" => NpyDType.Float64,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            _ => null,
        };
        if (type is null)
        {
            throw Fail(ErrorIds.NpyUnsupportedDtype, name, $"has dtype '{descr}'; supported are <f4, <f8, <i4 and <i8.");
        }

        return (type.Value, descr);
    }

    private static long[] ParseShape(Dictionary<string, object?> dict, string name)
    {
        if (!dict.TryGetValue("shape", out var s) || s is not PyTuple tuple)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, "has no 'shape' tuple in its header.");
        }

        if (tuple.Items.Count > MaxRank)
        {
            throw Fail(ErrorIds.NpyShapeInvalid, name, $"declares {tuple.Items.Count} dimensions (limit {MaxRank}).");
        }

        var shape = new long[tuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not long d || d < 0)
            {
                throw Fail(ErrorIds.NpyShapeInvalid, name, $"has an invalid dimension {i} in its shape ({tuple.Items[i] ?? "None"}).");
            }

            shape[i] = d;
        }

        return shape;
    }

    private static Dictionary<string, object?> ParseHeaderDict(string text, string name)
    {
        var parser = new LiteralParser(text, name);
        object? value = parser.ParseTop();
        if (value is not Dictionary<string, object?> dict)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, "has a header that is not a Python dict literal.");
        }

        var unexpected = dict.Keys.Where(k => k is not ("descr" or "fortran_order" or "shape")).ToList();
        if (unexpected.Count > 0)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, $"has unexpected header keys: {string.Join(", ", unexpected)}.");
        }

        return dict;
    }

    private static string DecodeUtf8(byte[] bytes, string name)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail(ErrorIds.NpyHeaderInvalid, name, "has a version 3.0 header that is not valid UTF-8.");
        }
    }

    internal static DataFileException Fail(string id, string name, string message) =>
        new(id, $"{name} {message}") { Target = name };

    private static int ReadUpTo(Stream stream, byte[] buffer, int offset, int count)
    {
        int total = 0;
        while (total < count)
        {
            int n = stream.Read(buffer, offset + total, count - total);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static int ReadInt32(byte[] b, int o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);

    private static long ReadInt64(byte[] b, int o) => (uint)ReadInt32(b, o) | ((long)ReadInt32(b, o + 4) << 32);

    private static unsafe float Int32BitsToSingle(int bits) => *(float*)&bits;

    /// <summary>A parsed Python tuple (lists are parsed too, but only to be refused).</summary>
    private sealed class PyTuple
    {
        public List<object?> Items { get; } = new();
    }

    /// <summary>
    /// The subset of Python literal syntax numpy headers use: dicts, tuples, lists, strings, integers (Python 2's
    /// <c>L</c> suffix included), True/False/None. Nesting depth and integer length are bounded.
    /// </summary>
    private sealed class LiteralParser
    {
        private const int MaxDepth = 16;
        private readonly string _s;
        private readonly string _name;
        private int _i;

        public LiteralParser(string s, string name)
        {
            _s = s;
            _name = name;
        }

        public object? ParseTop()
        {
            object? v = Value(0);
            SkipSpace();
            if (_i != _s.Length)
            {
                throw Error($"unexpected text after the header dict at offset {_i}");
            }

            return v;
        }

        private object? Value(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error("nests too deeply");
            }

            SkipSpace();
            if (_i >= _s.Length)
            {
                throw Error("ends early");
            }

            char c = _s[_i];
            switch (c)
            {
                case '{':
                {
                    _i++;
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    while (true)
                    {
                        SkipSpace();
                        if (Peek('}'))
                        {
                            return dict;
                        }

                        if (Value(depth + 1) is not string key)
                        {
                            throw Error("has a dict key that is not a string");
                        }

                        SkipSpace();
                        Expect(':');
                        object? v = Value(depth + 1);
                        if (dict.ContainsKey(key))
                        {
                            throw Error($"repeats the key '{key}'");
                        }

                        dict[key] = v;
                        SkipSpace();
                        if (Peek('}'))
                        {
                            return dict;
                        }

                        Expect(',');
                    }
                }

                case '(':
                case '[':
                {
                    char close = c == '(' ? ')' : ']';
                    _i++;
                    var tuple = new PyTuple();
                    while (true)
                    {
                        SkipSpace();
                        if (Peek(close))
                        {
                            // A list is never a valid shape; returning it as a list makes 'shape' fail its type check.
                            return c == '(' ? tuple : tuple.Items;
                        }

                        tuple.Items.Add(Value(depth + 1));
                        SkipSpace();
                        if (Peek(close))
                        {
                            return c == '(' ? tuple : tuple.Items;
                        }

                        Expect(',');
                    }
                }

                case '\'':
                case '"':
                    return String(c);

                default:
                    if (c == '-' || c == '+' || (c >= '0' && c <= '9'))
                    {
                        return Integer();
                    }

                    foreach (var (word, value) in new[] { ("True", (object?)true), ("False", false), ("None", null) })
                    {
                        if (string.CompareOrdinal(_s, _i, word, 0, word.Length) == 0)
                        {
                            _i += word.Length;
                            return value;
                        }
                    }

                    throw Error($"has an unexpected character '{c}' at offset {_i}");
            }
        }

        private string String(char quote)
        {
            _i++;
            var sb = new StringBuilder();
            while (_i < _s.Length && _s[_i] != quote)
            {
                if (_s[_i] == '\\' || _s[_i] == '\n')
                {
                    throw Error("has an escape or line break inside a string");
                }

                sb.Append(_s[_i++]);
                if (sb.Length > 256)
                {
                    throw Error("has an overlong string");
                }
            }

            if (_i >= _s.Length)
            {
                throw Error("has an unterminated string");
            }

            _i++;
            return sb.ToString();
        }

        private long Integer()
        {
            int start = _i;
            if (_s[_i] is '-' or '+')
            {
                _i++;
            }

            int digits = _i;
            while (_i < _s.Length && _s[_i] >= '0' && _s[_i] <= '9')
            {
                _i++;
            }

            if (_i == digits || _i - digits > 18)
            {
                throw new DataFileException(ErrorIds.NpyShapeInvalid, $"{_name} has an invalid or absurdly large integer in its header.") { Target = _name };
            }

            long v = long.Parse(_s.Substring(start, _i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            if (_i < _s.Length && _s[_i] is 'L' or 'l')
            {
                _i++;
            }

            return v;
        }

        private void SkipSpace()
        {
            while (_i < _s.Length && _s[_i] is ' ' or '\t' or '\n' or '\r')
            {
                _i++;
            }
        }

        private bool Peek(char c)
        {
            if (_i < _s.Length && _s[_i] == c)
            {
                _i++;
                return true;
            }

            return false;
        }

        private void Expect(char c)
        {
            if (!Peek(c))
            {
                throw Error(_i < _s.Length ? $"expected '{c}' at offset {_i} but found '{_s[_i]}'" : $"expected '{c}' but the header ended");
            }
        }

        private DataFileException Error(string what) => Fail(ErrorIds.NpyHeaderInvalid, _name, $"has a malformed header: it {what}.");
    }
}
