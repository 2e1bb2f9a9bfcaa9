using System.Text;
using DeepMdCompress.Core.Data;
using DeepMdCompress.Core.Errors;
using Xunit;
using static DeepMdCompress.Core.Tests.NpyTestFiles;

namespace DeepMdCompress.Core.Tests;

public class NpyReaderTests
{
    private readonly string _dir = TestData.TempDir();

    [Fact]
    public void ReadsFloat32TwoDimensionalVersion1()
    {
        var data = new[] { 1.5f, -2.25f, 0.1f, 3e-8f, float.MaxValue, -0f };
        string path = Write(_dir, "a.npy", Float32(data, new long[] { 2, 3 }));
        var values = NpyReader.ReadDoubles(path, out var h);
        Assert.Equal(NpyDType.Float32, h.DType);
        Assert.Equal(new long[] { 2, 3 }, h.Shape);
        Assert.Equal(1, h.MajorVersion);
        Assert.Equal(0, h.DataOffset % 64);
        // float32 widens exactly: 0.1f is 0.100000001490116…, not 0.1.
        Assert.Equal(data.Select(f => (double)f), values);
        Assert.NotEqual(0.1, values[2]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsFloat64OneDimensionalInEveryVersion(int major)
    {
        var data = new[] { Math.PI, -1e300, 5e-324, 0.0 };
        string path = Write(_dir, $"v{major}.npy", Float64(data, new long[] { 4 }, major));
        var values = NpyReader.ReadDoubles(path, out var h);
        Assert.Equal(major, h.MajorVersion);
        Assert.Equal(1, h.Rank);
        Assert.Equal(data, values);
    }

    [Fact]
    public void ReadsScalarsIntegersAndPython2Shapes()
    {
        string scalar = Write(_dir, "s.npy", Header(Dict("<f8", Array.Empty<long>()).Replace("()", "()")).Concat(BitConverter.GetBytes(42.5)).ToArray());
        Assert.Equal(new[] { 42.5 }, NpyReader.ReadDoubles(scalar, out var hs));
        Assert.Equal(0, hs.Rank);
        Assert.Equal(1, hs.Count);

        string i4 = Write(_dir, "i4.npy", Int32(new[] { 0, 1, -1, int.MaxValue }, new long[] { 4 }));
        Assert.Equal(new[] { 0, 1, -1, int.MaxValue }, NpyReader.ReadInt32s(i4, out _));
        string i8 = Write(_dir, "i8.npy", Int64(new[] { 3L, -7L }, new long[] { 1, 2 }));
        Assert.Equal(new[] { 3, -7 }, NpyReader.ReadInt32s(i8, out _));

        // Python 2's numpy wrote long integers with an L suffix.
        string py2 = Write(_dir, "py2.npy", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 1L), }").Concat(new[] { 1.0, 2.0 }.SelectMany(BitConverter.GetBytes)).ToArray());
        Assert.Equal(new long[] { 2, 1 }, NpyReader.ReadHeader(py2).Shape);

        // Fortran order with a single non-trivial axis is the same layout as C order.
        string f1 = Write(_dir, "f1.npy", Header(Dict("<f8", new long[] { 3, 1 }, fortran: true)).Concat(new[] { 1.0, 2.0, 3.0 }.SelectMany(BitConverter.GetBytes)).ToArray());
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, NpyReader.ReadDoubles(f1, out _));
    }

    [Fact]
    public void StreamsRowsFromTheMiddle()
    {
        var data = Enumerable.Range(0, 30).Select(i => i * 0.5).ToArray();
        string path = Write(_dir, "rows.npy", Float64(data, new long[] { 10, 3 }));
        using var s = File.OpenRead(path);
        var h = NpyReader.ReadHeader(s, path);
        var row = new double[3];
        NpyReader.ReadDoubles(s, h, 21, row, 0, 3, path);
        Assert.Equal(new[] { 10.5, 11.0, 11.5 }, row);
    }

    public static IEnumerable<object[]> BadFiles()
    {
        byte[] f8(params double[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
        byte[] H(string dict, int major = 1) => Header(dict, major);
        yield return new object[] { "not npy", Encoding.ASCII.GetBytes("hello world, not numpy"), "NpyBadMagic" };
        yield return new object[] { "empty", Array.Empty<byte>(), "NpyBadMagic" };
        yield return new object[] { "magic only", new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M' }, "NpyBadMagic" };
        yield return new object[] { "version 4.0", Patch(H(Dict("<f8", new long[] { 1 })), 6, 4).Concat(f8(1)).ToArray(), "NpyUnsupportedVersion" };
        yield return new object[] { "version 1.1", Patch(H(Dict("<f8", new long[] { 1 })), 7, 1).Concat(f8(1)).ToArray(), "NpyUnsupportedVersion" };
        yield return new object[] { "cut in length field", H(Dict("<f8", new long[] { 1 }), 2).Take(10).ToArray(), "NpyTruncated" };
        yield return new object[] { "header longer than file", H(Dict("<f8", new long[] { 1 })).Take(40).ToArray(), "NpyTruncated" };
        yield return new object[] { "data short", H(Dict("<f8", new long[] { 2, 3 })).Concat(f8(1, 2, 3, 4, 5)).ToArray(), "NpyTruncated" };
        yield return new object[] { "huge declared shape", H(Dict("<f8", new long[] { 1L << 30, 1L << 20 })).Concat(f8(1)).ToArray(), "NpyTruncated" };
        yield return new object[] { "trailing bytes", H(Dict("<f8", new long[] { 2 })).Concat(f8(1, 2, 3)).ToArray(), "NpyTrailingData" };
        yield return new object[] { "big-endian", H(Dict(">f8", new long[] { 1 })).Concat(f8(1)).ToArray(), "NpyBigEndian" };
        yield return new object[] { "float16", H(Dict("<f2", new long[] { 1 })).Concat(new byte[2]).ToArray(), "NpyUnsupportedDtype" };
        yield return new object[] { "object array", H(Dict("|O", new long[] { 1 })).Concat(new byte[8]).ToArray(), "NpyUnsupportedDtype" };
        yield return new object[] { "complex", H(Dict("<c16", new long[] { 1 })).Concat(new byte[16]).ToArray(), "NpyUnsupportedDtype" };
        yield return new object[] { "structured", H("{'descr': [('x', '<f8'), ('y', '<f8')], 'fortran_order': False, 'shape': (1,), }").Concat(new byte[16]).ToArray(), "NpyUnsupportedDtype" };
        yield return new object[] { "fortran order", H(Dict("<f8", new long[] { 2, 3 }, fortran: true)).Concat(f8(1, 2, 3, 4, 5, 6)).ToArray(), "NpyFortranOrder" };
        yield return new object[] { "negative dim", H("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }").Concat(f8(1, 2, 3)).ToArray(), "NpyShapeInvalid" };
        yield return new object[] { "overflowing shape", H("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }").ToArray(), "NpyShapeInvalid" };
        yield return new object[] { "absurd integer", H("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }").ToArray(), "NpyShapeInvalid" };
        yield return new object[] { "list shape", H("{'descr': '<f8', 'fortran_order': False, 'shape': [1], }").Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "missing key", H("{'descr': '<f8', 'shape': (1,), }").Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "extra key", H("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}").Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "not a dict", H("[1, 2, 3]").Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "unterminated string", H("{'descr': '<f8, 'fortran_order': False}").ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "code in header", H("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}").Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "deep nesting", H("{'descr': " + new string('(', 500) + new string(')', 500) + "}").ToArray(), "NpyHeaderInvalid" };
        yield return new object[] { "bad utf-8 in v3", Patch(H(Dict("<f8", new long[] { 1 }), 3), 20, 0xFF).Concat(f8(1)).ToArray(), "NpyHeaderInvalid" };
        var big = new byte[12 + 70000];
        Array.Copy(H(Dict("<f8", new long[] { 1 }), 2), big, 12);
        BitConverter.GetBytes(70000u).CopyTo(big, 8);
        yield return new object[] { "oversized header", big, "NpyHeaderInvalid" };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void RefusesBadFilesWithSpecificIds(string what, byte[] bytes, string expectedId)
    {
        string path = Write(_dir, "bad.npy", bytes);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<DataFileException>(() => NpyReader.ReadDoubles(path, out _));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), what);
        Assert.Equal(expectedId, ex.ErrorId);
        Assert.Equal(path, ex.Target);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void RefusesNonIntegersAsTypesAndMissingFiles()
    {
        string path = Write(_dir, "f.npy", Float64(new[] { 1.0, 1.5 }, new long[] { 2 }));
        Assert.Equal("NpyNotInteger", Assert.Throws<DataFileException>(() => NpyReader.ReadInt32s(path, out _)).ErrorId);
        string big = Write(_dir, "i8big.npy", Int64(new[] { 1L << 40 }, new long[] { 1 }));
        Assert.Equal("NpyNotInteger", Assert.Throws<DataFileException>(() => NpyReader.ReadInt32s(big, out _)).ErrorId);
        var missing = Assert.Throws<DataFileException>(() => NpyReader.ReadHeader(Path.Combine(_dir, "none.npy")));
        Assert.Equal("DataFileNotFound", missing.ErrorId);
        Assert.Equal(DeepMdErrorKind.ObjectNotFound, missing.Kind);
    }

    [Fact]
    public void EveryTruncationOfAGoodFileFailsCleanly()
    {
        var good = Float32(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), new long[] { 4, 3 });
        for (int n = 0; n < good.Length; n++)
        {
            string path = Write(_dir, "t.npy", good.Take(n).ToArray());
            var ex = Assert.Throws<DataFileException>(() => NpyReader.ReadDoubles(path, out _));
            Assert.StartsWith("Npy", ex.ErrorId);
        }
    }

    [Fact]
    public void RandomBytesNeverCrash()
    {
        var rng = new Random(7);
        var good = Float64(new[] { 1.0, 2.0, 3.0 }, new long[] { 3 });
        for (int trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])good.Clone();
            for (int k = 0; k < 1 + trial % 4; k++)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            string path = Write(_dir, "r.npy", bytes);
            try
            {
                NpyReader.ReadDoubles(path, out _);
            }
            catch (DataFileException)
            {
            }
        }
    }

    private static byte[] Patch(byte[] bytes, int at, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }
}
