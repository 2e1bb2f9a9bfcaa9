using System.Text;

namespace DeepMdCompress.Core.Tests;

/// <summary>
/// Seeded structure-aware mutations for the CI fuzzer: bit flips, overwrites, truncations, splices of two
/// seeds, inserted and duplicated chunks, protobuf length-varint corruption, and text-format token edits.
/// </summary>
public sealed class Mutator
{
    private static readonly string[] Tokens =
    {
        "{", "}", "<", ">", ":", "[", "]", ",", "\"", "'", "#", "\\", "\\377", "\\x", "inf", "-inf", "nan", "-0", "1e999",
        "99999999999999999999", "-9223372036854775809", "0x7fffffff", "DT_DOUBLE", "DT_STRING", "DT_BOGUS", "tensor_content",
        "tensor_shape { dim { size: 1000000000 } dim { size: 1000000000 } }", "dim { size: -3 }", "node {", "attr {",
        "value { list { i: 1 } }", "float_val: 1.5", "int_val: -1", "string_val: \"\\001\\002\"", "name: \"\"",
    };

    private readonly Random _random;

    public Mutator(int seed) => _random = new Random(seed);

    public byte[] Mutate(IReadOnlyList<byte[]> seeds, bool text)
    {
        byte[] data = seeds[_random.Next(seeds.Count)];
        int rounds = 1 + _random.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            data = (text ? _random.Next(11) : _random.Next(8)) switch
            {
                0 => FlipBits(data),
                1 => Overwrite(data),
                2 => Truncate(data),
                3 => Splice(data, seeds[_random.Next(seeds.Count)]),
                4 => Insert(data),
                5 => Duplicate(data),
                6 or 7 => CorruptLength(data),
                8 => TokenEdit(data),
                9 => TokenEdit(data),
                _ => Nest(data),
            };
        }

        return data;
    }

    private byte[] FlipBits(byte[] d)
    {
        if (d.Length == 0)
        {
            return d;
        }

        var c = (byte[])d.Clone();
        int n = 1 + _random.Next(8);
        for (int i = 0; i < n; i++)
        {
            int pos = _random.Next(c.Length);
            c[pos] ^= (byte)(1 << _random.Next(8));
        }

        return c;
    }

    private byte[] Overwrite(byte[] d)
    {
        if (d.Length == 0)
        {
            return d;
        }

        var c = (byte[])d.Clone();
        int n = 1 + _random.Next(16);
        int pos = _random.Next(c.Length);
        for (int i = 0; i < n && pos + i < c.Length; i++)
        {
            c[pos + i] = Interesting();
        }

        return c;
    }

    private byte Interesting() => _random.Next(4) switch
    {
        0 => 0,
        1 => 0xFF,
        2 => 0x7F,
        _ => (byte)_random.Next(256),
    };

    private byte[] Truncate(byte[] d) => d.Length == 0 ? d : d.AsSpan(0, _random.Next(d.Length)).ToArray();

    private byte[] Splice(byte[] a, byte[] b)
    {
        int cutA = a.Length == 0 ? 0 : _random.Next(a.Length);
        int cutB = b.Length == 0 ? 0 : _random.Next(b.Length);
        return a.AsSpan(0, cutA).ToArray().Concat(b.AsSpan(cutB).ToArray()).ToArray();
    }

    private byte[] Insert(byte[] d)
    {
        int pos = d.Length == 0 ? 0 : _random.Next(d.Length + 1);
        var chunk = new byte[1 + _random.Next(32)];
        for (int i = 0; i < chunk.Length; i++)
        {
            chunk[i] = Interesting();
        }

        return d.Take(pos).Concat(chunk).Concat(d.Skip(pos)).ToArray();
    }

    private byte[] Duplicate(byte[] d)
    {
        if (d.Length < 2)
        {
            return d;
        }

        int start = _random.Next(d.Length);
        int len = 1 + _random.Next(Math.Min(256, d.Length - start));
        int at = _random.Next(d.Length + 1);
        var chunk = d.AsSpan(start, len).ToArray();
        return d.Take(at).Concat(chunk).Concat(d.Skip(at)).ToArray();
    }

    /// <summary>Finds a byte that looks like a length-delimited field tag and replaces the varint after it.</summary>
    private byte[] CorruptLength(byte[] d)
    {
        if (d.Length < 2)
        {
            return d;
        }

        for (int attempt = 0; attempt < 32; attempt++)
        {
            int pos = _random.Next(d.Length - 1);
            if ((d[pos] & 7) != 2)
            {
                continue;
            }

            int end = pos + 1;
            while (end < d.Length && (d[end] & 0x80) != 0 && end - pos < 10)
            {
                end++;
            }

            end = Math.Min(end + 1, d.Length);
            byte[] varint = _random.Next(4) switch
            {
                0 => new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F },
                1 => new byte[] { 0x00 },
                2 => new byte[] { (byte)_random.Next(128) },
                _ => new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 },
            };
            return d.Take(pos + 1).Concat(varint).Concat(d.Skip(end)).ToArray();
        }

        return FlipBits(d);
    }

    private byte[] TokenEdit(byte[] d)
    {
        string s = Encoding.UTF8.GetString(d);
        var parts = System.Text.RegularExpressions.Regex.Split(s, @"(\s+)");
        var tokens = parts.Where(p => p.Length > 0 && !string.IsNullOrWhiteSpace(p)).ToList();
        if (tokens.Count == 0)
        {
            return Encoding.UTF8.GetBytes(Tokens[_random.Next(Tokens.Length)]);
        }

        int i = _random.Next(tokens.Count);
        switch (_random.Next(4))
        {
            case 0: tokens.RemoveAt(i); break;
            case 1: tokens.Insert(i, tokens[_random.Next(tokens.Count)]); break;
            case 2: tokens[i] = Tokens[_random.Next(Tokens.Length)]; break;
            default: tokens.Insert(i, Tokens[_random.Next(Tokens.Length)]); break;
        }

        return Encoding.UTF8.GetBytes(string.Join(" ", tokens));
    }

    private byte[] Nest(byte[] d)
    {
        int depth = _random.Next(2) == 0 ? 30 + _random.Next(40) : 500 + _random.Next(5000);
        string open = string.Concat(Enumerable.Repeat("func { attr { key: \"k\" value { ", depth));
        string text = "node { name: \"n\" attr { key: \"a\" value { " + open;
        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(d) + text);
    }
}
