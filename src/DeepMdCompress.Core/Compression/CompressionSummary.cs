using System.Collections.Generic;
using System.Linq;

namespace DeepMdCompress;

/// <summary>One net of a compression run: its range, table size and how well the table reproduces the net.</summary>
public sealed class CompressedNetSummary
{
    internal CompressedNetSummary(NetTable table)
    {
        Name = table.Name;
        Lower = table.Lower;
        Upper = table.Upper;
        Max = table.Max;
        Rows = table.Rows;
        Bytes = table.Bytes;
        MaxValueError = table.MaxValueError;
        MaxDerivativeError = table.MaxDerivativeError;
    }

    public string Name { get; }

    public double Lower { get; }

    public double Upper { get; }

    public double Max { get; }

    public int Rows { get; }

    public long Bytes { get; }

    public double MaxValueError { get; }

    public double MaxDerivativeError { get; }
}

/// <summary>What Compress-FrozenModel did: input, output, min_nbor_dist and where it came from, per-net tables, sizes.</summary>
public sealed class CompressionSummary
{
    public CompressionSummary(string inputPath, string outputPath, TabulatedModel tabulated, long inputBytes, long outputBytes,
        int nodesBefore, int nodesAfter, IReadOnlyList<string> notes)
    {
        InputPath = inputPath;
        OutputPath = outputPath;
        DescriptorType = tabulated.Model.DescriptorType;
        MinNborDist = tabulated.Range.MinNborDist;
        MinNborDistSource = tabulated.Range.MinNborDistSource;
        MinNborDistOrigin = tabulated.Range.MinNborDistOrigin;
        Step = tabulated.Step;
        Extrapolate = tabulated.Extrapolate;
        Frequency = tabulated.Frequency;
        Nets = tabulated.Tables.Select(t => new CompressedNetSummary(t)).ToList();
        TableBytes = tabulated.TotalBytes;
        InputBytes = inputBytes;
        OutputBytes = outputBytes;
        NodesBefore = nodesBefore;
        NodesAfter = nodesAfter;
        MaxValueError = tabulated.MaxValueError;
        MaxDerivativeError = tabulated.MaxDerivativeError;
        Notes = notes;
    }

    public string InputPath { get; }

    public string OutputPath { get; }

    public string? DescriptorType { get; }

    public double MinNborDist { get; }

    public MinNborDistSource MinNborDistSource { get; }

    public string? MinNborDistOrigin { get; }

    public double Step { get; }

    public int Extrapolate { get; }

    public int Frequency { get; }

    public IReadOnlyList<CompressedNetSummary> Nets { get; }

    public long TableBytes { get; }

    public long InputBytes { get; }

    public long OutputBytes { get; }

    public int NodesBefore { get; }

    public int NodesAfter { get; }

    public double MaxValueError { get; }

    public double MaxDerivativeError { get; }

    public IReadOnlyList<string> Notes { get; }
}
