using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// The threads a parallel kernel's parts run on: the calling thread and up to (processors − 1) workers that stay
/// awake, spinning, for a short while after each loop before they block. A frame runs a few hundred parallel loops
/// of 0.05–5 ms with serial ops between them; thread-pool workers park in those gaps, and on a virtual machine their
/// wake-up took longer than the loop itself, so Parallel.For ran most loops on one thread (docs/evaluator.md#speed).
/// Parts are handed out one at a time from a shared counter, so which thread runs a part never changes its result.
/// One loop at a time uses the team; a loop started while it is busy (another caller, or a part's own nested loop)
/// is told so and runs by other means.
/// </summary>
internal sealed class WorkerTeam
{
    /// <summary>How long an idle worker spins before it blocks: longer than the serial gaps within a frame.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 500;

    private static readonly Lazy<WorkerTeam> LazyShared = new(() => new WorkerTeam(Environment.ProcessorCount - 1));

    private readonly object _gate = new();
    private readonly int _maxWorkers;
    private int _workers;
    private int _busy;
    private int _sleepers;

    // The current loop: published by incrementing _loop after every field is written.
    private int _loop;
    private Action<int>? _body;
    private int _count;
    private int _next;
    private int _seats;
    private int _active;
    private int _closed;
    private CancellationToken _cancellationToken;
    private Exception? _failure;

    private WorkerTeam(int maxWorkers) => _maxWorkers = Math.Max(0, maxWorkers);

    /// <summary>The process's team, its workers started as loops first ask for them.</summary>
    public static WorkerTeam Shared => LazyShared.Value;

    /// <summary>
    /// Runs body(0 … count − 1) on this thread and up to <paramref name="threads"/> − 1 workers; false (nothing run)
    /// when the team is busy with another loop. Rethrows the first failure of a part itself; cancellation stops
    /// handing out parts and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public bool TryFor(int count, int threads, CancellationToken cancellationToken, Action<int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            int helpers = Math.Min(Math.Min(threads, count) - 1, _maxWorkers);
            while (_workers < helpers)
            {
                var worker = new Thread(Work) { IsBackground = true, Name = "DeepMdCompress kernel worker" };
                _workers++;
                worker.Start();
            }

            _body = body;
            _count = count;
            _next = 0;
            _seats = helpers;
            _failure = null;
            _cancellationToken = cancellationToken;
            Volatile.Write(ref _closed, 0);
            Interlocked.Increment(ref _loop);
            if (helpers > 0 && Volatile.Read(ref _sleepers) > 0)
            {
                lock (_gate)
                {
                    Monitor.PulseAll(_gate);
                }
            }

            RunParts();

            // Workers that have not joined yet will not: the loop is closed before it is waited for.
            Interlocked.Exchange(ref _closed, 1);
            int spins = 0;
            while (Volatile.Read(ref _active) != 0)
            {
                Pause(ref spins);
            }

            _body = null;
            if (_failure is { } failure)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }

            cancellationToken.ThrowIfCancellationRequested();
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void RunParts()
    {
        var body = _body!;
        int count = _count;
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < count)
        {
            if (_cancellationToken.IsCancellationRequested)
            {
                Volatile.Write(ref _next, count);
                return;
            }

            try
            {
                body(i);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
                Volatile.Write(ref _next, count); // no more parts after a failure
                return;
            }
        }
    }

    private void Work()
    {
        int seen = Volatile.Read(ref _loop);
        while (true)
        {
            int loop = WaitForLoop(seen);
            seen = loop;
            Interlocked.Increment(ref _active);
            if (Volatile.Read(ref _loop) == loop && Volatile.Read(ref _closed) == 0 && Interlocked.Decrement(ref _seats) >= 0)
            {
                RunParts();
            }

            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Spins for a new loop, then blocks until one is published.</summary>
    private int WaitForLoop(int seen)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int loop, spins = 0;
        while ((loop = Volatile.Read(ref _loop)) == seen)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() - start > SpinTicks)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while ((loop = Volatile.Read(ref _loop)) == seen)
                    {
                        Monitor.Wait(_gate);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }

                return loop;
            }

            Pause(ref spins);
        }

        return loop;
    }

    /// <summary>A short busy wait that now and then yields the core, but never sleeps (a sleep costs a millisecond or more).</summary>
    private static void Pause(ref int spins)
    {
        if (++spins % 64 == 0)
        {
            Thread.Yield();
        }
        else
        {
            Thread.SpinWait(16);
        }
    }
}
