using System;
using System.Globalization;

namespace DeepMdCompress;

/// <summary>
/// The six numbers of a tabulate op's <c>table_info</c> input (docs/tables.md#table_info-and-the-row-locator): [lower, upper, max = upper·extrapolate,
/// stride0, stride1, check_frequency]. The last one is stored but read by no kernel.
/// </summary>
public readonly struct TableInfo : IEquatable<TableInfo>
{
    public TableInfo(double lower, double upper, double max, double stride0, double stride1, double frequency)
    {
        Lower = lower;
        Upper = upper;
        Max = max;
        Stride0 = stride0;
        Stride1 = stride1;
        Frequency = frequency;
    }

    public double Lower { get; }

    public double Upper { get; }

    /// <summary>upper · extrapolate: the end of the coarse sub-table.</summary>
    public double Max { get; }

    public double Stride0 { get; }

    public double Stride1 { get; }

    /// <summary>check_frequency (-f); inert.</summary>
    public double Frequency { get; }

    /// <summary>Reads a table_info tensor's six values.</summary>
    public static TableInfo FromValues(ReadOnlySpan<double> values)
    {
        if (values.Length != 6)
        {
            throw new ArgumentException($"table_info has 6 elements, got {values.Length}", nameof(values));
        }

        return new TableInfo(values[0], values[1], values[2], values[3], values[4], values[5]);
    }

    /// <summary>Reads a float table_info tensor's six values (widened exactly).</summary>
    public static TableInfo FromValues(ReadOnlySpan<float> values)
    {
        if (values.Length != 6)
        {
            throw new ArgumentException($"table_info has 6 elements, got {values.Length}", nameof(values));
        }

        return new TableInfo(values[0], values[1], values[2], values[3], values[4], values[5]);
    }

    /// <summary>The six values in op order, as the graph writer stores them.</summary>
    public double[] ToArray() => new[] { Lower, Upper, Max, Stride0, Stride1, Frequency };

    /// <summary>The six values rounded to float, for a float32 model's table_info constant.</summary>
    public float[] ToSingleArray() => new[] { (float)Lower, (float)Upper, (float)Max, (float)Stride0, (float)Stride1, (float)Frequency };

    public bool Equals(TableInfo other) =>
        Lower.Equals(other.Lower) && Upper.Equals(other.Upper) && Max.Equals(other.Max)
        && Stride0.Equals(other.Stride0) && Stride1.Equals(other.Stride1) && Frequency.Equals(other.Frequency);

    public override bool Equals(object? obj) => obj is TableInfo other && Equals(other);

    public override int GetHashCode()
    {
        unchecked
        {
            int h = Lower.GetHashCode();
            h = (h * 397) ^ Upper.GetHashCode();
            h = (h * 397) ^ Max.GetHashCode();
            h = (h * 397) ^ Stride0.GetHashCode();
            h = (h * 397) ^ Stride1.GetHashCode();
            return (h * 397) ^ Frequency.GetHashCode();
        }
    }

    public static bool operator ==(TableInfo left, TableInfo right) => left.Equals(right);

    public static bool operator !=(TableInfo left, TableInfo right) => !left.Equals(right);

    public override string ToString() => "[" + string.Join(", ", Array.ConvertAll(ToArray(), v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
}
