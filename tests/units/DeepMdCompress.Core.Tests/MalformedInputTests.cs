using Google.Protobuf;
using System.Security.Cryptography;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>Every file of tests/data/malformed gives its own specific error id, fast, and is left unchanged.</summary>
public class MalformedInputTests
{
    public static IEnumerable<object[]> Corpus() => File.ReadAllLines(TestData.Local("malformed", "expected.tsv"))
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.Split('\t'))
        .Select(p => new object[] { p[0], p[1] });

    [Theory]
    [MemberData(nameof(Corpus))]
    public void EachMalformedInputHasItsSpecificError(string file, string expectedId)
    {
        string path = TestData.Local("malformed", file);
        byte[]? before = File.Exists(path) ? SHA256.HashData(File.ReadAllBytes(path)) : null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.ThrowsAny<DeepMdException>(() => FrozenModelReader.Load(path));
        watch.Stop();
        Assert.Equal(expectedId, ex.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        if (before is not null)
        {
            Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        }
    }

    [Fact]
    public void CorpusHasAtLeastTwentyCases() => Assert.True(Corpus().Count() >= 20);

    [Fact]
    public void EveryTruncationOfABinaryModelFailsCleanly()
    {
        byte[] full = GraphFile.Read(TestData.Local("tiny_se_a.pbtxt"), out _).ToByteArray();
        int parseErrors = 0;
        for (int len = 1; len < full.Length; len += 7)
        {
            var bytes = full.AsSpan(0, len).ToArray();
            try
            {
                var graph = GraphFile.Parse(bytes, GraphFormat.Binary, out _);
                FrozenModelReader.FromGraph(graph, null, GraphFormat.Binary);
            }
            catch (DeepMdException ex)
            {
                Assert.Contains(ex.ErrorId, new[] { "GraphParseError", "NotADeePMDModel", "InvalidSel", "MissingNode", "TypeMapTooShort", "InvalidCutoff" });
                parseErrors++;
            }
        }

        Assert.True(parseErrors > 0);
    }
}

/// <summary>Hostile sizes are refused from the header, before anything large is allocated.</summary>
public class ResourceLimitTests
{
    [Fact]
    public void ASmallFileClaimingATrillionElementsIsRefusedWithoutAllocating()
    {
        // A ~1 KB text graph whose t_avg claims 10^6 × 10^6 doubles from two values.
        string path = TestData.Local("malformed", "huge_shape.pbtxt");
        Assert.True(new FileInfo(path).Length < 64 * 1024);
        GC.Collect();
        long peakBefore = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<ResourceLimitException>(() => FrozenModelReader.Load(path));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long peakGrowth = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 - peakBefore;
        Assert.Equal("TensorTooLarge", ex.ErrorId);
        Assert.True(allocated < 16L << 20, $"allocated {allocated} bytes");
        Assert.True(peakGrowth < 64L << 20, $"peak working set grew by {peakGrowth} bytes");
    }

    [Fact]
    public void ABinaryGraphWithAHugeDeclaredLengthIsRefusedCheaply()
    {
        // Field 1 (node), length-delimited, declared length 2^31 - 1 with 10 bytes present.
        byte[] data = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<GraphFormatException>(() => GraphFile.Parse(data, GraphFormat.Binary, out _));
        Assert.Equal("GraphParseError", ex.ErrorId);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16L << 20);
    }
}
