using System;
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
        FrozenModel original, FrozenModel compressed, IReadOnlyList<string> notes)
        : this(inputPath, outputPath, tabulated, inputBytes, outputBytes, original.NodeCount, compressed.NodeCount, notes)
    {
        var kept = new HashSet<string>(compressed.GetGraphDef().Node.Select(n => n.Name), StringComparer.Ordinal);
        RemovedNodes = original.GetGraphDef().Node.Select(n => n.Name).Where(n => !kept.Contains(n)).ToList();
        var before = new HashSet<string>(original.GetGraphDef().Node.Select(n => n.Name), StringComparer.Ordinal);
        AddedNodes = compressed.GetGraphDef().Node.Select(n => n.Name).Where(n => !before.Contains(n)).ToList();
    }

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

    /// <summary>True for the summary of -WhatIf: nothing was written, and OutputBytes is the binary graph's size.</summary>
    public bool IsPreview { get; init; }

    /// <summary>The nodes of the original that the compressed graph no longer has (the tabulated nets and what only they used).</summary>
    public IReadOnlyList<string> RemovedNodes { get; } = Array.Empty<string>();

    /// <summary>The nodes compression added (TabulateFusion ops, their tables and table_info, gradient ops, metadata).</summary>
    public IReadOnlyList<string> AddedNodes { get; } = Array.Empty<string>();
}
