using DeepMdCompress.Core.Embedding;
using DeepMdCompress.Core.Evaluation.Kernels;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Tabulation;
using Xunit;
using Xunit.Abstractions;

namespace DeepMdCompress.Core.Tests;

/// <summary>The table builder against deepmd-kit's grid, interval, coefficient and size rules (docs/tables.md) and the figures an independent numpy re-implementation of them measured.</summary>
public class TabulationTests
{
    private readonly ITestOutputHelper _out;

    public TabulationTests(ITestOutputHelper output) => _out = output;

    // ---------------------------------------------------------------- numpy arange (docs/tables.md#the-two-sub-tables)

    /// <summary>numpy's fill rule written out: e0 = start, e1 = start + step, e_k = e0 + k·(e1 − e0).</summary>
    private static double[] NumpyArange64(double start, double stop, double step)
    {
        int n = (int)Math.Ceiling((stop - start) / step);
        var a = new double[Math.Max(0, n)];
        double d = (start + step) - start;
        for (int k = 0; k < a.Length; k++)
        {
            a[k] = k == 0 ? start : k == 1 ? start + step : start + k * d;
        }

        return a;
    }

    [Fact]
    public void ArangeFollowsNumpysFillRule()
    {
        var grid = NumpyArange.Arange(-1, 7, 0.01, float32: false);
        var expected = NumpyArange64(-1, 7, 0.01);
        Assert.Equal(800, grid.Length);
        Assert.Equal(expected, grid);

        // The rule matters: neither start + k·step nor a running sum gives the same elements.
        int naive = Enumerable.Range(0, 800).Count(k => -1 + k * 0.01 != grid[k]);
        double acc = -1;
        int running = 0;
        for (int k = 0; k < 800; k++, acc += 0.01)
        {
            running += acc != grid[k] ? 1 : 0;
        }

        _out.WriteLine($"elements that differ from start + k·step: {naive}; from a running sum: {running}");
        Assert.True(naive > 0 && running > 0);

        // numpy's well-known surprise: arange(1, 1.3, 0.1) has 4 elements, the last one 1.3000000000000003.
        var surprise = NumpyArange.Arange(1, 1.3, 0.1, false);
        Assert.Equal(4, surprise.Length);
        Assert.Equal(1 + 3 * (1.1 - 1), surprise[3]);
        Assert.Empty(NumpyArange.Arange(7, 7, 0.1, false));
    }

    [Fact]
    public void Float32ArangeFillsInFloat()
    {
        var grid = NumpyArange.Arange(-1, 7, 0.01, float32: true);
        float e0 = -1f, e1 = (float)(-1 + 0.01), d = e1 - e0;
        Assert.Equal(800, grid.Length);
        for (int k = 2; k < grid.Length; k++)
        {
            Assert.Equal((double)(e0 + (float)k * d), grid[k]);
        }

        Assert.Equal((double)e1, grid[1]);
    }

    // ---------------------------------------------------------------- deeppot.pbtxt, the reference table

    private static TabulatedModel DeepPot(out FrozenModel model, TabulationSettings? settings = null)
    {
        model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        return Tabulator.Tabulate(TestNets.Ranges(model, 1.0), settings);
    }

    [SkippableFact]
    public void DeepPotFirstTableHasDeepmdsShape()
    {
        var t = DeepPot(out var model);
        var table = t.Tables[0];
        Assert.Equal("filter_0_net_0", table.Name);
        Assert.Equal(new TableInfo(-1, 7, 35, 0.01, 0.1, -1), table.Info);
        Assert.Equal(new[] { -1.0, 7, 35, 0.01, 0.1, -1 }, table.Info.ToArray());
        Assert.Equal(1080, table.Rows);
        Assert.Equal(48, table.Columns);
        Assert.Equal(8, table.LastLayerSize);
        Assert.Equal(1080 * 48 * 8, table.Bytes);
        Assert.IsType<double[]>(table.GetCoefficients());
        Assert.Equal(0.01, t.Stride0);
        Assert.Equal(0.1, t.Stride1);
        Assert.Same(model.EmbeddingNets[0], table.Net);
        Assert.Equal(t.TotalBytes, Tabulator.ForecastBytes(t.Range, 0.01));
        Assert.Equal(4, t.Tables.Count);
    }

    /// <summary>The grid of an A/R table per docs/tables.md#the-two-sub-tables, built here with the literal numpy rule.</summary>
    private static double[] Grid(double lower, double upper, int ext, double s0, double s1) =>
        NumpyArange64(lower, upper, s0).Concat(NumpyArange64(upper, ext * upper, s1)).Append(ext * upper).ToArray();

    [SkippableFact]
    public void CoefficientsReproduceTheNetAtEveryKnotAndAreC2Continuous()
    {
        var t = DeepPot(out var model);
        var table = t.Tables[0];
        var c = (double[])table.GetCoefficients();
        var net = EmbeddingNetReader.Read(model, model.EmbeddingNets[0]);
        var xx = Grid(-1, 7, 5, 0.01, 0.1);
        int rows = table.Rows, L = 8;
        Assert.True(xx.Length >= rows + 1);
        var v = new double[(rows + 1) * L];
        var d = new double[(rows + 1) * L];
        var s = new double[(rows + 1) * L];
        net.Evaluate(xx.AsSpan(0, rows + 1), v, d, s);

        double worstValue = 0, worstSlope = 0, worstCurve = 0;
        for (int r = 0; r < rows; r++)
        {
            double h = r < 800 ? 0.01 : 0.1; // docs/tables.md#coefficients: the first int((upper − lower)/stride0) rows have stride0
            for (int k = 0; k < L; k++)
            {
                int o = r * 6 * L + 6 * k;
                // a0, a1, a2 are the net's value, slope and half curvature at the row's knot.
                Assert.Equal(v[r * L + k], c[o]);
                Assert.Equal(d[r * L + k], c[o + 1]);
                Assert.Equal(0.5 * s[r * L + k], c[o + 2]);

                // At t = h the row's quintic meets the next knot in value, slope and curvature (C²).
                double a0 = c[o], a1 = c[o + 1], a2 = c[o + 2], a3 = c[o + 3], a4 = c[o + 4], a5 = c[o + 5];
                double p = a0 + h * (a1 + h * (a2 + h * (a3 + h * (a4 + h * a5))));
                double p1 = a1 + h * (2 * a2 + h * (3 * a3 + h * (4 * a4 + h * 5 * a5)));
                double p2 = 2 * a2 + h * (6 * a3 + h * (12 * a4 + h * 20 * a5));
                int n = (r + 1) * L + k;
                worstValue = Math.Max(worstValue, Math.Abs(p - v[n]));
                worstSlope = Math.Max(worstSlope, Math.Abs(p1 - d[n]));
                worstCurve = Math.Max(worstCurve, Math.Abs(p2 - s[n]) / Math.Max(1, Math.Abs(s[n])));
            }
        }

        _out.WriteLine($"knot mismatch over {rows} rows: value {worstValue:G3}, slope {worstSlope:G3}, curvature (relative) {worstCurve:G3}");
        Assert.True(worstValue < 1e-13, $"value {worstValue}");
        Assert.True(worstSlope < 1e-11, $"slope {worstSlope}");
        Assert.True(worstCurve < 1e-8, $"curvature {worstCurve}");
    }

    [SkippableFact]
    public void DeepPotInterpolationErrorsMatchTheFactSheet()
    {
        var t = DeepPot(out _);
        foreach (var table in t.Tables)
        {
            _out.WriteLine($"deeppot {table.Name} [{table.Lower}, {table.Upper}] → {table.Max}: value {table.MaxValueError:G3} at {table.MaxValueErrorAt}, derivative {table.MaxDerivativeError:G3} at {table.MaxDerivativeErrorAt}");
            Assert.InRange(table.MaxValueError, 1e-16, 5e-13);
            Assert.InRange(table.MaxDerivativeError, 1e-15, 2e-11);
        }

        Assert.Equal(t.Tables.Max(x => x.MaxValueError), t.MaxValueError);
    }

    [SkippableFact]
    public void DpOriginalHasTheSharpBendNetOfTheFactSheet()
    {
        var model = FrozenModelReader.Load(TestData.Model("dp-original.pbtxt"));
        var t = Tabulator.Tabulate(TestNets.Ranges(model, 1.0));
        foreach (var table in t.Tables)
        {
            _out.WriteLine($"dp-original {table.Name} [{table.Lower}, {table.Upper}] → {table.Max}: value {table.MaxValueError:G3} at {table.MaxValueErrorAt}, derivative {table.MaxDerivativeError:G3} at {table.MaxDerivativeErrorAt}");
        }

        var bend = t.Tables.Single(x => x.Name == "filter_1_net_1");
        Assert.InRange(bend.MaxValueError, 5e-8, 2e-7);
        Assert.InRange(bend.MaxDerivativeError, 1e-5, 1e-4);
        Assert.InRange(bend.MaxValueErrorAt, -0.5, -0.3);

        // The reported maximum is a real one: a denser independent sampling (9 points per row) finds the same size.
        var net = EmbeddingNetReader.Read(model, bend.Net!);
        double dense = DenseError(net, bend, 9, out _);
        _out.WriteLine($"filter_1_net_1 dense-sampled value error {dense:G3}");
        // (The builder samples the grid's intervals, the kernels their own row starts: the points differ by rounding.)
        Assert.InRange(bend.MaxValueError, 0.5 * dense, 1.000001 * dense);
    }

    /// <summary>Largest |table − net| of the value, sampled at <paramref name="perRow"/> interior points of every row through the public kernel API.</summary>
    // The builder's layout as the evaluator's kernels name it: tables are checked by the oracle, not by the builder.
    private static RowLayout KernelLayout(TableLayout layout) => layout == TableLayout.SeT ? RowLayout.SeT : RowLayout.Standard;

    private static double DenseError(EmbeddingNet net, NetTable table, int perRow, out double derivative)
    {
        int L = table.LastLayerSize;
        var value = new double[L];
        var slope = new double[L];
        var exact = new double[L];
        var exactSlope = new double[L];
        double worst = 0;
        derivative = 0;
        int fine = (int)((table.Upper - table.Lower) / table.Stride0);
        int rows = TabulateKernels.RequiredRows(table.Info, KernelLayout(table.Layout), ExtrapolationMode.Clamp);
        for (int r = 0; r < rows; r++)
        {
            double start = r < fine ? table.Lower + r * table.Stride0 : table.Upper + (r - fine) * table.Stride1;
            double h = r < fine ? table.Stride0 : table.Stride1;
            for (int q = 1; q <= perRow; q++)
            {
                double x = start + h * q / (perRow + 1);
                if (table.IsFloat32)
                {
                    var fv = new float[L];
                    var fs = new float[L];
                    TabulateKernels.Interpolate((float[])table.GetCoefficients(), table.Info, KernelLayout(table.Layout), (float)x, L, fv, fs);
                    x = (float)x;
                    for (int k = 0; k < L; k++)
                    {
                        value[k] = fv[k];
                        slope[k] = fs[k];
                    }
                }
                else
                {
                    TabulateKernels.Interpolate((double[])table.GetCoefficients(), table.Info, KernelLayout(table.Layout), x, L, value, slope);
                }

                net.Evaluate(x, exact, exactSlope, Span<double>.Empty);
                for (int k = 0; k < L; k++)
                {
                    worst = Math.Max(worst, Math.Abs(value[k] - exact[k]));
                    derivative = Math.Max(derivative, Math.Abs(slope[k] - exactSlope[k]));
                }
            }
        }

        return worst;
    }

    [SkippableFact]
    public void Float32ModelsGiveFloatTables()
    {
        var model = EmbeddingNetTests.Float32Copy(FrozenModelReader.Load(TestData.Model("deeppot.pbtxt")));
        var t = Tabulator.Tabulate(TestNets.Ranges(model, 1.0));
        var table = t.Tables[0];
        var coefficients = Assert.IsType<float[]>(table.GetCoefficients());
        Assert.Equal("float32", table.Precision);
        Assert.Equal(1080, table.Rows);
        Assert.Equal(1080 * 48 * 4, table.Bytes);
        Assert.Equal(new TableInfo(-1, 7, 35, 0.01, 0.1, -1), table.Info);

        // A float32 table is fitted on numpy's float32 grid, whose knots drift from the kernel's lower + r·stride0 (in float)
        // because d = float(−0.99) − (−1) ≠ float(0.01): by ≈ 7.6e-6 at the end of the fine part. That shift times the
        // net's slope, not the quintic, bounds the error (deepmd-kit's float32 tables carry it too).
        float step = (float)(-1 + 0.01) - -1f;
        double drift = Math.Abs((-1f + 799f * step) - (-1f + 799f * 0.01f));
        var net = EmbeddingNetReader.Read(model, model.EmbeddingNets[0]);
        double dense = DenseError(net, table, 3, out double denseSlope);
        _out.WriteLine($"float32 filter_0_net_0: value {table.MaxValueError:G3} at {table.MaxValueErrorAt} (dense {dense:G3}), derivative {table.MaxDerivativeError:G3} (dense {denseSlope:G3}); fine-grid drift {drift:G3}");
        Assert.InRange(drift, 5e-6, 1e-5);
        Assert.InRange(table.MaxValueError, 1e-7, 1e-4);
        Assert.InRange(dense, 0.5 * table.MaxValueError, 2 * table.MaxValueError);

        // The knots hold the float32-rounded net values.
        var v = new double[8];
        var d = new double[8];
        net.Evaluate((float)(-1 + 0.01), v, d, Span<double>.Empty);
        for (int k = 0; k < 8; k++)
        {
            Assert.Equal((float)v[k], coefficients[48 + 6 * k]);
            Assert.Equal((float)d[k], coefficients[48 + 6 * k + 1]);
        }
    }

    // ---------------------------------------------------------------- size forecast and -MaxError

    private static IReadOnlyList<Tabulator.NetJob> WaterSize(double lower, double upper) =>
        Enumerable.Range(0, 4).Select(i => new Tabulator.NetJob(
            TestNets.Random(new[] { 25, 50, 100 }, EmbeddingActivation.Tanh, 100 + i, name: $"filter_{i / 2}_net_{i % 2}"),
            $"filter_{i / 2}_net_{i % 2}", lower, upper)).ToList();

    [Fact]
    public void TablesAboveTwoGigabytesAreRefusedBeforeBuildingNamingAStepThatFits()
    {
        // Range [−1, 2000], L = 100, 4 nets: rows = 2001/s + 8000/(10 s) = 2801/s, 4800 bytes per row per net.
        // step 0.02 → 2.69 GB (too large), step 0.05 → 1.08 GB: the message must name 0.05.
        var jobs = WaterSize(-1, 2000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<ResourceLimitException>(() =>
            Tabulator.TabulateNets(jobs, TableLayout.Standard, new TabulationSettings { Step = 0.01 }, 0, null, default));
        Assert.Equal("GraphTooLarge", ex.ErrorId);
        Assert.Contains("fits is 0.05", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "the refusal must come before any table is built");
        _out.WriteLine(ex.Message);

        // -MaxError stops at the size limit too: a ladder that starts too fine is refused the same way.
        var fine = new TabulationSettings { MaxError = 1e-12, StepLadder = new[] { 0.01, 0.005 } };
        Assert.Equal("GraphTooLarge", Assert.Throws<ResourceLimitException>(() =>
            Tabulator.TabulateNets(jobs, TableLayout.Standard, fine, 0, null, default)).ErrorId);
    }

    [Fact]
    public void MaxErrorPicksTheLargestLadderStepThatMeetsTheTarget()
    {
        var net = TestNets.Random(new[] { 4, 8, 16 }, EmbeddingActivation.Tanh, 7, name: "filter_0_net_0");
        var jobs = new[] { new Tabulator.NetJob(net, "filter_0_net_0", -1, 4) };

        // Independent errors per step: tables at each fixed step, sampled densely through the public kernel API.
        var errors = new Dictionary<double, double>();
        foreach (double step in new[] { 0.1, 0.05, 0.02 })
        {
            var fixedStep = Tabulator.TabulateNets(jobs, TableLayout.Standard, new TabulationSettings { Step = step }, 0, null, default);
            errors[step] = DenseError(net, fixedStep.Tables[0], 7, out _);
            _out.WriteLine($"step {step}: dense value error {errors[step]:G3}, reported {fixedStep.Tables[0].MaxValueError:G3}");
        }

        // Quintic Hermite interpolation: error ∝ h⁶, so halving the step divides it by about 64.
        double ratio = errors[0.1] / errors[0.05];
        Assert.InRange(ratio, 16, 256);

        double target = Math.Sqrt(errors[0.05] * errors[0.02]);
        var progress = new List<TabulationProgress>();
        var chosen = Tabulator.TabulateNets(jobs, TableLayout.Standard, new TabulationSettings { MaxError = target }, 0, new SyncProgress(progress), default);
        Assert.Equal(0.02, chosen.Step);
        Assert.Equal(new[] { 0.1, 0.05, 0.02 }, chosen.Trials.Select(x => x.Step));
        Assert.Equal(new[] { false, false, true }, chosen.Trials.Select(x => x.Accepted));
        Assert.True(chosen.Tables[0].MaxValueError <= target);
        Assert.Equal(0.02, chosen.Tables[0].Stride0);
        Assert.Equal(new[] { 0.1, 0.05, 0.02 }, progress.Select(p => p.Step));

        var ex = Assert.Throws<InvalidParameterException>(() =>
            Tabulator.TabulateNets(jobs, TableLayout.Standard, new TabulationSettings { MaxError = 1e-30 }, 0, null, default));
        Assert.Equal("MaxErrorNotReached", ex.ErrorId);
        Assert.Contains("step 0.001", ex.Message);
    }

    private sealed class SyncProgress(List<TabulationProgress> into) : IProgress<TabulationProgress>
    {
        public void Report(TabulationProgress value) => into.Add(value);
    }

    [SkippableFact]
    public void ProgressIsReportedPerNetAndCancellationStopsTheWork()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        var range = TestNets.Ranges(model, 1.0);
        var reports = new List<TabulationProgress>();
        Tabulator.Tabulate(range, null, new SyncProgress(reports));
        Assert.Equal(new[] { "filter_0_net_0", "filter_0_net_1", "filter_1_net_0", "filter_1_net_1" }, reports.Select(r => r.NetName));
        Assert.Equal(new[] { 0, 25, 50, 75 }, reports.Select(r => r.PercentComplete));

        using var cts = new CancellationTokenSource();
        var cancelling = new CancellingProgress(cts, 1);
        Assert.ThrowsAny<OperationCanceledException>(() => Tabulator.Tabulate(range, null, cancelling, cts.Token));
        Assert.Equal(2, cancelling.Calls);
    }

    private sealed class CancellingProgress(CancellationTokenSource cts, int after) : IProgress<TabulationProgress>
    {
        public int Calls { get; private set; }

        public void Report(TabulationProgress value)
        {
            if (Calls++ == after)
            {
                cts.Cancel();
            }
        }
    }

    // ---------------------------------------------------------------- bad input

    [Theory]
    [InlineData(0.0, 5, "InvalidStep")]
    [InlineData(-0.01, 5, "InvalidStep")]
    [InlineData(double.NaN, 5, "InvalidStep")]
    [InlineData(double.PositiveInfinity, 5, "InvalidStep")]
    [InlineData(0.01, 0, "InvalidExtrapolate")]
    [InlineData(0.01, -3, "InvalidExtrapolate")]
    public void BadSettingsAreRefused(double step, int extrapolate, string id)
    {
        var settings = new TabulationSettings { Step = step, Extrapolate = extrapolate };
        Assert.Equal(id, Assert.Throws<InvalidParameterException>(settings.Validate).ErrorId);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1e-6)]
    [InlineData(double.NaN)]
    public void BadMaxErrorIsRefused(double target) =>
        Assert.Equal("InvalidMaxError", Assert.Throws<InvalidParameterException>(new TabulationSettings { MaxError = target }.Validate).ErrorId);

    [SkippableFact]
    public void BadRangesAreRefused()
    {
        var model = FrozenModelReader.Load(TestData.Model("deeppot.pbtxt"));
        EmbeddingRange With(params NetRange[] nets) => new(model, 1.0, MinNborDistSource.Parameter, null, nets);
        var info = model.EmbeddingNets[0];
        string Id(EmbeddingRange r) => Assert.ThrowsAny<DeepMdException>(() => Tabulator.Tabulate(r)).ErrorId;
        Assert.Equal("InvalidRange", Id(With(new NetRange(info.Name, 7, -1, info))));
        Assert.Equal("InvalidRange", Id(With(new NetRange(info.Name, double.NaN, 7, info))));
        Assert.Equal("InvalidRange", Id(With(new NetRange(info.Name, -3, -2, info))));
        Assert.Equal("NetNotFound", Id(With(new NetRange("filter_5_net_0", -1, 7))));
        Assert.Equal("DuplicateNet", Id(With(new NetRange(info.Name, -1, 7, info), new NetRange(info.Name, -1, 7, info))));
        Assert.Equal("NoNetsToTabulate", Id(With()));

        // A range found by name alone (no EmbeddingNetInfo attached) is matched to the graph's net.
        var byName = Tabulator.Tabulate(With(new NetRange("filter_1_net_0", -1, 8)));
        Assert.Same(model.EmbeddingNets[2], byName.Tables[0].Net);
    }

    // ---------------------------------------------------------------- se_e3 (docs/tables.md#ranges, docs/tables.md#coefficients, docs/descriptors.md#rewiring)

    [Fact]
    public void SeTGridRowsAndStridesFollowDeepmd()
    {
        double factor = new Descriptors.SeE3Spec().StrideFactor;
        double s0 = Tabulator.Stride0(0.01, factor), s1 = Tabulator.Stride1(0.01, factor);
        Assert.Equal(0.1, s0);
        Assert.Equal(1.0, s1);
        var plan = TablePlan.Create("filter_0_net_0", TableLayout.SeT, -2, 2, 5, s0, s1, -1);
        Assert.Equal(40 + 2 * 8, plan.Rows);
        var expected = NumpyArange64(-10, -2, 1).Concat(NumpyArange64(-2, 2, 0.1)).Concat(NumpyArange64(2, 10, 1)).Append(10).ToArray();
        Assert.Equal(expected, plan.Grid(false));
        Assert.Equal(new TableInfo(-2, 2, 10, 0.1, 1, -1), plan.Info);

        // n1 = int((lower − ext·lower)/stride1) = 8, n0 = 40: stride0 rows are [9, 48) up to v3.1.1 and [9, 49) since v3.1.2.
        var legacy = plan.IntervalLengths(SeTIntervalRule.Legacy);
        var current = plan.IntervalLengths(SeTIntervalRule.Current);
        Assert.Equal(Enumerable.Range(0, 56).Select(r => r >= 9 && r < 48 ? 0.1 : 1.0), legacy);
        Assert.Equal(Enumerable.Range(0, 56).Select(r => r >= 9 && r < 49 ? 0.1 : 1.0), current);
        Assert.Throws<InvalidParameterException>(() => TablePlan.Create("filter_0_net_0", TableLayout.SeT, -2, 3, 5, s0, s1, -1));
    }

    [Fact]
    public void SeTTablesCarryDeepmdsMisfittedEdgeRows()
    {
        var net = TestNets.Random(new[] { 2, 4, 8 }, EmbeddingActivation.Tanh, 5, name: "filter_0_net_0");
        var plan = TablePlan.Create("filter_0_net_0", TableLayout.SeT, -2, 2, 5, 0.1, 1, -1);
        double RowError(NetTable t, int row)
        {
            var starts = new double[row + 1];
            var lengths = new double[row + 1];
            TabulateKernels.RowIntervals(t.Info, RowLayout.SeT, false, starts, lengths);
            double x = starts[row] + 0.5 * lengths[row];
            var v = new double[8];
            var e = new double[8];
            TabulateKernels.Interpolate((double[])t.GetCoefficients(), t.Info, RowLayout.SeT, x, 8, v, Span<double>.Empty);
            net.Evaluate(x, e, Span<double>.Empty, Span<double>.Empty);
            return v.Zip(e, (a, b) => Math.Abs(a - b)).Max();
        }

        var legacy = TableBuilder.Build(net, plan, SeTIntervalRule.Legacy, default);
        var current = TableBuilder.Build(net, plan, SeTIntervalRule.Current, default);
        _out.WriteLine($"legacy rows 8/47/48: {RowError(legacy, 8):G3} {RowError(legacy, 47):G3} {RowError(legacy, 48):G3}; current: {RowError(current, 8):G3} {RowError(current, 47):G3} {RowError(current, 48):G3}; regular fine row 20: {RowError(current, 20):G3}, coarse row 50: {RowError(current, 50):G3}");
        double fine = RowError(current, 20), coarse = RowError(current, 50);

        // Row 8 (the first fine row) is fitted with stride1 in both versions; row 48 (the first upper coarse row) with
        // stride0 since v3.1.2. The last fine row 47 is right in both.
        Assert.True(RowError(legacy, 8) > 1000 * fine && RowError(current, 8) > 1000 * fine);
        Assert.True(RowError(legacy, 47) < 100 * fine && RowError(current, 47) < 100 * fine);
        Assert.True(RowError(current, 48) > 1000 * coarse);
        Assert.True(RowError(legacy, 48) < 100 * coarse);
        Assert.Equal(RowError(legacy, 8), RowError(current, 8));
        Assert.True(current.MaxValueError > 1000 * coarse);
    }
}
