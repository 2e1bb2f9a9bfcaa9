using System.Collections.Generic;

namespace DeepMdCompress.Core.Tabulation;

/// <summary>How well one table reproduces its net along x: per row, the largest value and derivative error.</summary>
public sealed class TableErrorProfile
{
    public TableErrorProfile(string name, IReadOnlyList<double> x, IReadOnlyList<double> valueError, IReadOnlyList<double> derivativeError)
    {
        Name = name;
        X = x;
        ValueError = valueError;
        DerivativeError = derivativeError;
    }

    public string Name { get; }

    /// <summary>The start of every row.</summary>
    public IReadOnlyList<double> X { get; }

    public IReadOnlyList<double> ValueError { get; }

    public IReadOnlyList<double> DerivativeError { get; }
}
