using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>The grid and size of one table, known before anything is built (docs/tables.md#the-two-sub-tables).</summary>
internal sealed class TablePlan
{
    private TablePlan(string name, TableLayout layout, double lower, double upper, int extrapolate, double stride0, double stride1, int frequency, long rows)
    {
        Name = name;
        Layout = layout;
        Lower = lower;
        Upper = upper;
        Extrapolate = extrapolate;
        Stride0 = stride0;
        Stride1 = stride1;
        Frequency = frequency;
        Rows = rows;
    }

    public string Name { get; }

    public TableLayout Layout { get; }

    public double Lower { get; }

    public double Upper { get; }

    public int Extrapolate { get; }

    public double Stride0 { get; }

    public double Stride1 { get; }

    public int Frequency { get; }

    /// <summary>nspline = int((upper − lower)/stride0 + (ext·upper − upper)/stride1), the se_e3 form counting the coarse part twice.</summary>
    public long Rows { get; }

    /// <summary>table_info as deepmd-kit's descriptors build it: [lower, upper, upper·ext, stride0, stride1, frequency].</summary>
    public TableInfo Info => new(Lower, Upper, Upper * Extrapolate, Stride0, Stride1, Frequency);

    public long Bytes(int lastLayerSize, bool float32) => Rows * 6L * lastLayerSize * (float32 ? 4 : 8);

    public static TablePlan Create(string name, TableLayout layout, double lower, double upper, int extrapolate, double stride0, double stride1, int frequency)
    {
        if (double.IsNaN(lower) || double.IsNaN(upper) || double.IsInfinity(lower) || double.IsInfinity(upper) || !(lower < upper))
        {
            throw new InvalidParameterException(ErrorIds.InvalidRange, $"Net {name}: the range [{F(lower)}, {F(upper)}] is not an interval of finite numbers with lower < upper.");
        }

        if (layout == TableLayout.Standard && upper < 0)
        {
            throw new InvalidParameterException(ErrorIds.InvalidRange,
                $"Net {name}: upper = {F(upper)} is negative, so the coarse table [upper, upper·extrapolate) would run backwards.");
        }

        if (layout == TableLayout.SeT && lower != -upper)
        {
            throw new InvalidParameterException(ErrorIds.InvalidRange,
                $"Net {name}: an se_e3 table needs lower = −upper (deepmd-kit's range gives it and the kernel starts at −upper·extrapolate), got [{F(lower)}, {F(upper)}].");
        }

        double max = extrapolate * upper;
        double count = layout == TableLayout.SeT
            ? (upper - lower) / stride0 + 2 * ((max - upper) / stride1)
            : (upper - lower) / stride0 + (max - upper) / stride1;
        long rows = double.IsNaN(count) || count < 1 ? 0 : count >= long.MaxValue / 8 ? long.MaxValue / 8 : (long)count;
        if (rows < 1)
        {
            throw new InvalidParameterException(ErrorIds.InvalidGrid, $"Net {name}: the grid over [{F(lower)}, {F(max)}] has no interval with stride {F(stride0)}.");
        }

        return new TablePlan(name, layout, lower, upper, extrapolate, stride0, stride1, frequency, rows);
    }

    /// <summary>
    /// How many rows deepmd-kit's released kernels address with this table_info (docs/tables.md, "the row locator"):
    /// the fine part has int((upper − lower)/stride0) rows, the coarse part int((max − upper)/stride1), se_e3 adds
    /// int((lower + max)/stride1) in front, and an input at or beyond max reads the last coarse row. The arithmetic is
    /// in the table's precision, as the kernel's. A table shorter than this would be read past its end.
    /// </summary>
    public int AddressedRows(bool float32)
    {
        double R(double v) => float32 ? (float)v : v;
        int Trunc(double v) => double.IsNaN(v) ? 0 : v >= int.MaxValue ? int.MaxValue : v <= int.MinValue ? int.MinValue : (int)v;
        double lower = R(Lower), upper = R(Upper), max = R(Extrapolate * Upper), s0 = R(Stride0), s1 = R(Stride1);
        long front = Layout == TableLayout.SeT ? Trunc(R(R(lower + max) / s1)) : 0;
        long fine = Trunc(R(R(upper - lower) / s0));
        long coarse = Trunc(R(R(max - upper) / s1));
        long last = front + fine + coarse - 1;
        return (int)Math.Max(1, Math.Min(int.MaxValue, last + 1));
    }

    /// <summary>The sample grid xx in the table's dtype (docs/tables.md#the-two-sub-tables); row r of the table spans [xx[r], xx[r+1]].</summary>
    public double[] Grid(bool float32)
    {
        var xx = new List<double>((int)Math.Min(Rows + 2, int.MaxValue));
        double max = Extrapolate * Upper;
        if (Layout == TableLayout.SeT)
        {
            NumpyArange.Append(xx, Extrapolate * Lower, Lower, Stride1, float32);
        }

        NumpyArange.Append(xx, Lower, Upper, Stride0, float32);
        NumpyArange.Append(xx, Upper, max, Stride1, float32);
        xx.Add(float32 ? (float)max : max);
        return xx.ToArray();
    }

    /// <summary>The interval length h of each row used in the coefficient formulas (docs/tables.md#coefficients), including deepmd-kit's se_e3 quirk.</summary>
    public double[] IntervalLengths(SeTIntervalRule rule)
    {
        int rows = checked((int)Rows);
        var tt = new double[rows];
        int from, to;
        int n0 = (int)((Upper - Lower) / Stride0);
        if (Layout == TableLayout.SeT)
        {
            int n1 = (int)((Lower - Extrapolate * Lower) / Stride1);
            from = n1 + 1;
            to = rule == SeTIntervalRule.Legacy ? n1 + n0 : n1 + n0 + 1;
        }
        else
        {
            from = 0;
            to = n0;
        }

        for (int r = 0; r < rows; r++)
        {
            tt[r] = r >= from && r < to ? Stride0 : Stride1;
        }

        return tt;
    }

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Builds one table from a net: values and derivatives at the grid, quintic coefficients, error measurement.</summary>
internal static class TableBuilder
{
    /// <summary>Inputs evaluated per block: small enough for cache and for both cores to share a table's work.</summary>
    private const int Block = 256;

    /// <summary>Where the error is sampled within each row: quarter, mid and three-quarter points.</summary>
    private static readonly double[] CheckFractions = { 0.25, 0.5, 0.75 };

    [MethodImpl(Jit.Optimized)]
    public static NetTable Build(EmbeddingNet net, TablePlan plan, SeTIntervalRule rule, CancellationToken cancellationToken)
    {
        bool f32 = net.IsFloat32;
        int L = net.LastLayerSize;
        if (plan.Rows * 6L * L > TabulationLimits.MaxTableElements)
        {
            throw new ResourceLimitException(ErrorIds.TableTooLarge,
                $"Net {plan.Name}: a table of {plan.Rows} rows × {6 * L} columns has more than {TabulationLimits.MaxTableElements} elements.");
        }

        int rows = (int)plan.Rows;
        var info = plan.Info;
        double[] grid = plan.Grid(f32);
        if (grid.Length < rows + 1)
        {
            throw new InvalidParameterException(ErrorIds.InconsistentTable,
                $"Net {plan.Name}: the grid has {grid.Length} points but nspline is {rows}; deepmd-kit's arrays would not line up with step {plan.Stride0}.");
        }

        int kernelRows = plan.AddressedRows(f32);
        if (kernelRows > rows)
        {
            throw new InvalidParameterException(ErrorIds.InconsistentTable,
                $"Net {plan.Name}: the kernels would address {kernelRows} rows of a table with {rows} (the step does not divide the range evenly in floating point); choose another step.");
        }

        // Blocks of rows: the net's value, first and second derivative at the block's knots (one more than rows),
        // then the block's coefficients straight into the table.
        double[] tt = plan.IntervalLengths(rule);
        double[]? table64 = f32 ? null : new double[(long)rows * 6 * L];
        float[]? table32 = f32 ? new float[(long)rows * 6 * L] : null;
        ForEachBlock((rows + Block - 1) / Block, () => new Buffers(net, Block + 1), cancellationToken, [MethodImpl(Jit.Optimized)] (b, buf) =>
        {
            int r0 = b * Block, nr = Math.Min(Block, rows - r0), n = (nr + 1) * L;
            double[] v = buf.A, d = buf.B, d2 = buf.C;
            net.Evaluate(new ReadOnlySpan<double>(grid, r0, nr + 1), v.AsSpan(0, n), d.AsSpan(0, n), d2.AsSpan(0, n), buf.Workspace);
            if (f32)
            {
                // deepmd-kit evaluates a float32 net in float32: the knot data are float32 arrays.
                for (int i = 0; i < n; i++)
                {
                    v[i] = (float)v[i];
                    d[i] = (float)d[i];
                    d2[i] = (float)d2[i];
                }
            }

            Coefficients(v, d, d2, tt, r0, nr, L, table64, table32);
        });

        Array coefficients = f32 ? table32! : table64!;
        var error = Measure(net, grid, coefficients, f32, kernelRows, cancellationToken);
        return new NetTable(plan.Name, net.Info, plan.Layout, info, rows, L, coefficients, error.Value, error.ValueAt, error.Derivative, error.DerivativeAt);
    }

    /// <summary>
    /// The largest value and derivative error of every row the kernels address (over its quarter points and channels),
    /// against the row's start x: the error-versus-x picture behind <see cref="NetTable.MaxValueError"/>.
    /// </summary>
    public static TableErrorProfile Profile(EmbeddingNet net, TablePlan plan, NetTable table, CancellationToken cancellationToken = default)
    {
        bool f32 = net.IsFloat32;
        double[] grid = plan.Grid(f32);
        int rows = Math.Min(plan.AddressedRows(f32), table.Rows);
        var value = new double[rows];
        var derivative = new double[rows];
        Measure(net, grid, table.GetCoefficients(), f32, rows, cancellationToken, value, derivative);
        return new TableErrorProfile(table.Name, grid.Take(rows).ToArray(), value, derivative);
    }

    /// <summary>
    /// The quintic coefficients of docs/tables.md#coefficients for rows [r0, r0 + count), from knot data starting at row r0, with numpy's dtype
    /// flow: for float32 the knot differences and the small integer multiples are float32, anything multiplied by the
    /// float64 interval length is float64, and the result is stored as float32.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    internal static void Coefficients(double[] vv, double[] dd, double[] d2, double[] tt, int r0, int count, int L, double[]? table64, float[]? table32)
    {
        bool f32 = table32 is not null;
        for (int r = 0; r < count; r++)
        {
            double h = tt[r0 + r];
            double p3 = 1 / (2 * h * h * h);
            double p4 = 1 / (2 * h * h * h * h);
            double p5 = 1 / (2 * h * h * h * h * h);
            long o = (long)(r0 + r) * 6 * L;
            for (int k = 0; k < L; k++)
            {
                int i0 = r * L + k, i1 = i0 + L;
                double y0 = vv[i0], y1 = vv[i1], s0 = dd[i0], s1 = dd[i1], c0 = d2[i0], c1 = d2[i1];
                double hh = R(y1 - y0, f32);
                double a2 = R(0.5 * c0, f32);
                double a3 = p3 * (R(20 * hh, f32) - R(R(8 * s1, f32) + R(12 * s0, f32), f32) * h - R(R(3 * c0, f32) - c1, f32) * h * h);
                double a4 = p4 * (R(-30 * hh, f32) + R(R(14 * s1, f32) + R(16 * s0, f32), f32) * h + R(R(3 * c0, f32) - R(2 * c1, f32), f32) * h * h);
                double a5 = p5 * (R(12 * hh, f32) - R(6 * R(s1 + s0, f32), f32) * h + R(c1 - c0, f32) * h * h);
                long c = o + 6 * k;
                if (table32 is not null)
                {
                    table32[c] = (float)y0;
                    table32[c + 1] = (float)s0;
                    table32[c + 2] = (float)a2;
                    table32[c + 3] = (float)a3;
                    table32[c + 4] = (float)a4;
                    table32[c + 5] = (float)a5;
                }
                else
                {
                    table64![c] = y0;
                    table64[c + 1] = s0;
                    table64[c + 2] = a2;
                    table64[c + 3] = a3;
                    table64[c + 4] = a4;
                    table64[c + 5] = a5;
                }
            }
        }
    }

    /// <summary>Per-thread buffers of the table build (knot data, then error samples), rented from the shared pool.</summary>
    private sealed class Buffers : IDisposable
    {
        public Buffers(EmbeddingNet net, int points)
        {
            Workspace = new EmbeddingNet.Workspace(net);
            int size = points * net.LastLayerSize;
            A = EmbeddingNet.Workspace.Rent(size);
            B = EmbeddingNet.Workspace.Rent(size);
            C = EmbeddingNet.Workspace.Rent(size);
            D = EmbeddingNet.Workspace.Rent(size);
            Xs = EmbeddingNet.Workspace.Rent(points);
        }

        public EmbeddingNet.Workspace Workspace { get; }

        public double[] A { get; }

        public double[] B { get; }

        public double[] C { get; }

        public double[] D { get; }

        public double[] Xs { get; }

        public void Dispose()
        {
            Workspace.Dispose();
            foreach (var a in new[] { A, B, C, D, Xs })
            {
                ArrayPool<double>.Shared.Return(a);
            }
        }
    }

    private struct Worst
    {
        public double Value, ValueAt, Derivative, DerivativeAt;
    }

    /// <summary>
    /// Samples every row the kernels address at its quarter points and compares the table's polynomial (value and
    /// derivative) with the net's. Rows are the grid's intervals [xx[r], xx[r+1]], evaluated here by our own Horner
    /// sums: the evaluator's TabulateFusion kernels are the independent check of the written graph
    /// (docs/architecture.md), so the builder never measures itself with them.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static Worst Measure(EmbeddingNet net, double[] grid, Array coefficients, bool f32, int rows, CancellationToken cancellationToken,
        double[]? rowValue = null, double[]? rowDerivative = null)
    {
        int L = net.LastLayerSize;
        int q = CheckFractions.Length;
        int rowsPerBlock = Math.Max(1, Block / q);
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        var worst = new Worst[blocks];
        ForEachBlock(blocks, () => new Buffers(net, rowsPerBlock * q), cancellationToken, [MethodImpl(Jit.Optimized)] (b, buf) =>
        {
            int r0 = b * rowsPerBlock;
            int nr = Math.Min(rowsPerBlock, rows - r0);
            int n = nr * q;
            var xs = buf.Xs;
            for (int r = 0; r < nr; r++)
            {
                double start = grid[r0 + r], length = grid[r0 + r + 1] - start;
                for (int c = 0; c < q; c++)
                {
                    double x = start + CheckFractions[c] * length;
                    xs[r * q + c] = f32 ? (float)x : x;
                }
            }

            var x_ = new ReadOnlySpan<double>(xs, 0, n);
            double[] exact = buf.A, exactD = buf.B, table = buf.C, tableD = buf.D;
            net.Evaluate(x_, exact.AsSpan(0, n * L), exactD.AsSpan(0, n * L), Span<double>.Empty, buf.Workspace);
            for (int i = 0; i < n; i++)
            {
                int row = r0 + i / q;
                QuinticRow.Evaluate(coefficients, row, L, xs[i] - grid[row], table.AsSpan(i * L, L), tableD.AsSpan(i * L, L));
            }

            var w = new Worst { ValueAt = double.NaN, DerivativeAt = double.NaN };
            for (int i = 0; i < n * L; i++)
            {
                double ev = Math.Abs(table[i] - exact[i]);
                if (!(ev <= w.Value))
                {
                    w.Value = ev;
                    w.ValueAt = xs[i / L];
                }

                double ed = Math.Abs(tableD[i] - exactD[i]);
                if (!(ed <= w.Derivative))
                {
                    w.Derivative = ed;
                    w.DerivativeAt = xs[i / L];
                }

                if (rowValue is not null && rowDerivative is not null)
                {
                    int row = r0 + (i / L / q);
                    rowValue[row] = Math.Max(rowValue[row], ev);
                    rowDerivative[row] = Math.Max(rowDerivative[row], ed);
                }
            }

            worst[b] = w;
        });

        // Reduced in block order, so the result does not depend on how threads picked the blocks.
        var total = new Worst { ValueAt = double.NaN, DerivativeAt = double.NaN };
        foreach (var w in worst)
        {
            if (!(w.Value <= total.Value))
            {
                total.Value = w.Value;
                total.ValueAt = w.ValueAt;
            }

            if (!(w.Derivative <= total.Derivative))
            {
                total.Derivative = w.Derivative;
                total.DerivativeAt = w.DerivativeAt;
            }
        }

        return total;
    }

    /// <summary>
    /// Runs independent blocks on all cores: one worker (with its own state) per core pulls block numbers until none
    /// are left; the calling thread is one of the workers. Cancellation and errors surface as themselves.
    /// </summary>
    private static void ForEachBlock<TState>(int blocks, Func<TState> state, CancellationToken cancellationToken, Action<int, TState> body)
        where TState : IDisposable
    {
        int workers = Math.Min(Environment.ProcessorCount, blocks);
        int next = -1;
        void Work()
        {
            try
            {
                using var local = state();
                int b;
                while ((b = Interlocked.Increment(ref next)) < blocks)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    body(b, local);
                }
            }
            catch
            {
                // The other workers stop at their next block instead of finishing the table.
                Interlocked.Exchange(ref next, blocks);
                throw;
            }
        }

        if (workers <= 1)
        {
            Work();
            return;
        }

        var others = new Task[workers - 1];
        for (int i = 0; i < others.Length; i++)
        {
            others[i] = Task.Run(Work, CancellationToken.None);
        }

        Exception? mine = null;
        try
        {
            Work();
        }
        catch (Exception ex)
        {
            mine = ex;
        }

        try
        {
            Task.WaitAll(others);
        }
        catch (AggregateException ex) when (mine is null)
        {
            var first = ex.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? ex.InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
        }
        catch (AggregateException)
        {
        }

        if (mine is not null)
        {
            ExceptionDispatchInfo.Capture(mine).Throw();
        }
    }

    private static double R(double x, bool f32) => f32 ? (float)x : x;
}

/// <summary>Size limits of tables and of the graph that will carry them.</summary>
internal static class TabulationLimits
{
    /// <summary>protobuf refuses messages of 2 GB and more (deepmd-kit's GraphTooLargeError).</summary>
    public const long ProtobufLimit = int.MaxValue;

    /// <summary>One table must fit our own tensor reader (and a .NET array).</summary>
    public const long MaxTableElements = Graph.TensorDecoder.MaxElements;
}
