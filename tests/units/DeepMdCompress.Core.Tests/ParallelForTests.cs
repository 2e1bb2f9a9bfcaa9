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

    [Fact]
    public void LongPartsRunOnMoreThanOneThread()
    {
        if (Environment.ProcessorCount < 2)
        {
            return; // a one-core machine has no worker to share the parts with
        }

        // Each part waits until a second thread has taken a part (up to 10 s in all, for a loaded machine whose worker
        // is slow to wake): parts that all run on one thread end the loop with one thread seen.
        var threadIds = new int[8];
        int firstThread = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        using var secondThread = new ManualResetEventSlim();
        OpContext.ParallelFor(threadIds.Length, 2, CancellationToken.None, i =>
        {
            int id = Environment.CurrentManagedThreadId;
            threadIds[i] = id;
            int first = Interlocked.CompareExchange(ref firstThread, id, 0);
            if (first != 0 && first != id)
            {
                secondThread.Set();
            }

            var left = deadline - DateTime.UtcNow;
            secondThread.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        });
        Assert.True(threadIds.Distinct().Count() > 1, "every part ran on one thread");
    }

    [Fact]
    public async Task NestedAndConcurrentLoopsRunEveryPartOnce()
    {
        // A part's own loop, and loops of two callers at once, find the worker team busy and run by other means.
        var runs = new int[4, 50];
        var callers = Enumerable.Range(0, 2).Select(c => Task.Run(() =>
            OpContext.ParallelFor(2, 2, CancellationToken.None, outer =>
                OpContext.ParallelFor(50, 2, CancellationToken.None, inner => Interlocked.Increment(ref runs[(2 * c) + outer, inner]))))).ToArray();
        await Task.WhenAll(callers);
        foreach (int r in runs)
        {
            Assert.Equal(1, r);
        }
    }

    [Fact]
    public void LoopsAfterAFailureOrACancellationStillRunEveryPart()
    {
        Assert.Throws<InvalidOperationException>(() => OpContext.ParallelFor(100, 2, CancellationToken.None, i => throw new InvalidOperationException()));
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => OpContext.ParallelFor(100, 2, cts.Token, i => { }));
        }

        var runs = new int[100];
        OpContext.ParallelFor(runs.Length, 2, CancellationToken.None, i => Interlocked.Increment(ref runs[i]));
        Assert.All(runs, r => Assert.Equal(1, r));
    }
}
