using DeepMdCompress.Core.Evaluation;
using Xunit;

namespace DeepMdCompress.Core.Tests;

/// <summary>OpContext.ParallelFor, the loop every parallel kernel and the frames side by side share: every part once, whatever the threads; failures and cancellation as themselves.</summary>
public class ParallelForTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void RunsEveryPartExactlyOnce(int threads)
    {
        foreach (int count in new[] { 1, 2, 3, 17, 1000 })
        {
            var runs = new int[count];
            OpContext.ParallelFor(count, threads, CancellationToken.None, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void RethrowsTheFailureItselfAndStopsHandingOutParts()
    {
        int ran = 0;
        var ex = Assert.Throws<InvalidOperationException>(() => OpContext.ParallelFor(10_000, 2, CancellationToken.None, i =>
        {
            Interlocked.Increment(ref ran);
            if (i == 3)
            {
                throw new InvalidOperationException("part 3");
            }

            Thread.SpinWait(200);
        }));
        Assert.Equal("part 3", ex.Message);
        Assert.True(ran < 10_000, $"{ran} parts ran after the failure");
    }

    [Fact]
    public void HonoursCancellation()
    {
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => OpContext.ParallelFor(10_000, 2, cts.Token, i =>
        {
            if (i == 5)
            {
                cts.Cancel();
            }
        }));
    }
}
