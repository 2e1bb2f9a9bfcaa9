using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Tabulation;

namespace DeepMdCompress;

/// <summary>
/// One embedding net tabulated as deepmd-kit does: quintic Hermite coefficients, row-major [Rows, 6·LastLayerSize]
/// (column 6k + c holds a_c of channel k), a fine part [Lower, Upper) with Stride0 and a coarse part up to Max with Stride1.
/// </summary>
public sealed class NetTable
{
    private readonly Array _coefficients;

    internal NetTable(string name, EmbeddingNetInfo? net, TableLayout layout, TableInfo info, int rows, int lastLayerSize, Array coefficients,
        double maxValueError, double maxValueErrorAt, double maxDerivativeError, double maxDerivativeErrorAt)
    {
        Name = name;
        Net = net;
        Layout = layout;
        Info = info;
        Rows = rows;
        LastLayerSize = lastLayerSize;
        _coefficients = coefficients;
        MaxValueError = maxValueError;
        MaxValueErrorAt = maxValueErrorAt;
        MaxDerivativeError = maxDerivativeError;
        MaxDerivativeErrorAt = maxDerivativeErrorAt;
    }

    /// <summary>deepmd-kit's table key, e.g. <c>filter_0_net_1</c>.</summary>
    public string Name { get; }

    public double Lower => Info.Lower;

    public double Upper => Info.Upper;

    /// <summary>Upper · extrapolate: where the coarse part ends.</summary>
    public double Max => Info.Max;

    public double Stride0 => Info.Stride0;

    public double Stride1 => Info.Stride1;

    /// <summary>nspline: rows of the table.</summary>
    public int Rows { get; }

    /// <summary>6 · LastLayerSize.</summary>
    public int Columns => 6 * LastLayerSize;

    /// <summary>L, the op's <c>last_layer_size</c> attr.</summary>
    public int LastLayerSize { get; }

    /// <summary>float64 or float32 (the dtype of the net's weights, deepmd-kit's data_type).</summary>
    public string Precision => IsFloat32 ? "float32" : "float64";

    public bool IsFloat32 => _coefficients is float[];

    /// <summary>DT_DOUBLE or DT_FLOAT, for the table and table_info constants.</summary>
    public DataType DType => IsFloat32 ? DataType.DtFloat : DataType.DtDouble;

    /// <summary>Size of the coefficients in bytes.</summary>
    public long Bytes => (long)_coefficients.Length * (IsFloat32 ? 4 : 8);

    /// <summary>The op's table_info: [lower, upper, max, stride0, stride1, frequency].</summary>
    public TableInfo Info { get; }

    /// <summary>How the kernels map inputs to rows (se_e3 tables start with the coarse part [−max, lower)).</summary>
    public TableLayout Layout { get; }

    /// <summary>
    /// Largest |table − net| of the value over all channels, measured with the kernel's own arithmetic at the quarter,
    /// mid and three-quarter points of every row the kernels address (fine and coarse parts).
    /// </summary>
    public double MaxValueError { get; }

    /// <summary>The input where <see cref="MaxValueError"/> occurs.</summary>
    public double MaxValueErrorAt { get; }

    /// <summary>Largest |P′ − dnet/dx| at the same points.</summary>
    public double MaxDerivativeError { get; }

    public double MaxDerivativeErrorAt { get; }

    /// <summary>The net in the graph this table replaces (null for a net built in memory).</summary>
    public EmbeddingNetInfo? Net { get; }

    /// <summary>The coefficients (double[] for float64, float[] for float32). This is the table's own array: do not modify it.</summary>
    public Array GetCoefficients() => _coefficients;

    public override string ToString() => $"{Name} [{Lower}, {Upper}) → {Max}: {Rows} × {Columns} {Precision}";
}

/// <summary>One step tried by -MaxError: the worst errors over all nets at that step.</summary>
public sealed class StepTrial
{
    internal StepTrial(double step, double maxValueError, double maxDerivativeError, long totalBytes, bool accepted)
    {
        Step = step;
        MaxValueError = maxValueError;
        MaxDerivativeError = maxDerivativeError;
        TotalBytes = totalBytes;
        Accepted = accepted;
    }

    public double Step { get; }

    public double MaxValueError { get; }

    public double MaxDerivativeError { get; }

    public long TotalBytes { get; }

    public bool Accepted { get; }

    public override string ToString() => $"step {Step}: value error {MaxValueError:G3}{(Accepted ? " (chosen)" : string.Empty)}";
}

/// <summary>A model's embedding nets tabulated the way <c>dp compress</c> does, ready for the compressed-graph writer.</summary>
public sealed class TabulatedModel
{
    internal TabulatedModel(EmbeddingRange range, double step, int extrapolate, int frequency, double stride0, double stride1,
        IReadOnlyList<NetTable> tables, double? maxErrorTarget, IReadOnlyList<StepTrial> trials, SeTIntervalRule seTRule)
    {
        Range = range;
        Step = step;
        Extrapolate = extrapolate;
        Frequency = frequency;
        Stride0 = stride0;
        Stride1 = stride1;
        Tables = tables;
        MaxErrorTarget = maxErrorTarget;
        StepTrials = trials;
        SeTIntervalRule = seTRule;
    }

    public FrozenModel Model => Range.Model;

    /// <summary>The ranges (and min_nbor_dist) the tables were built for.</summary>
    public EmbeddingRange Range { get; }

    /// <summary>The step (dp compress -s), given or chosen by -MaxError.</summary>
    public double Step { get; }

    public int Extrapolate { get; }

    public int Frequency { get; }

    /// <summary>Fine stride of the tables: Step, or 10·Step for se_e3.</summary>
    public double Stride0 { get; }

    /// <summary>Coarse stride: 10·Step, or 100·Step for se_e3.</summary>
    public double Stride1 { get; }

    public IReadOnlyList<NetTable> Tables { get; }

    public long TotalBytes => Tables.Sum(t => t.Bytes);

    /// <summary>Worst value error over all tables.</summary>
    public double MaxValueError => Tables.Count == 0 ? 0 : Tables.Max(t => t.MaxValueError);

    public double MaxDerivativeError => Tables.Count == 0 ? 0 : Tables.Max(t => t.MaxDerivativeError);

    /// <summary>The -MaxError target, when the step was chosen from the ladder.</summary>
    public double? MaxErrorTarget { get; }

    /// <summary>The ladder steps tried for -MaxError, largest first; the accepted one is the chosen <see cref="Step"/>.</summary>
    public IReadOnlyList<StepTrial> StepTrials { get; }

    /// <summary>The se_e3 interval rule the tables follow (irrelevant for other descriptors).</summary>
    public SeTIntervalRule SeTIntervalRule { get; }

    public override string ToString() => $"{Model} tabulated: {Tables.Count} tables, step {Step}, {TotalBytes} bytes";
}
