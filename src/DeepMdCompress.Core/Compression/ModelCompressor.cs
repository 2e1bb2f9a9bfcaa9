using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Descriptors;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Ranges;
using DeepMdCompress.Core.Tabulation;
using DeepMdCompress.Core.Versioning;

namespace DeepMdCompress.Core.Compression;

/// <summary>Progress of a whole <c>dp compress</c> run.</summary>
public sealed class CompressionProgress
{
    public CompressionProgress(string stage, int percent, string detail)
    {
        Stage = stage;
        Percent = percent;
        Detail = detail;
    }

    public string Stage { get; }

    public int Percent { get; }

    public string Detail { get; }
}

/// <summary>
/// The whole of <c>dp compress</c> without TensorFlow: version check, min_nbor_dist and ranges, tables,
/// graph rewrite. Writing the file is the caller's (atomic) business.
/// </summary>
public static class ModelCompressor
{
    /// <summary>Refuses what <c>dp compress</c> refuses, before any work (the one capability check, docs/descriptors.md).</summary>
    public static void CheckCompressible(FrozenModel model)
    {
        if (CompressionCapability.Check(model) is { } refusal)
        {
            var ex = refusal.ToException();
            ex.Target = model.Path;
            throw ex;
        }
    }

    /// <summary>The compressed graph of a tabulated model, as a new in-memory FrozenModel (its Path is null).</summary>
    public static CompressedModel Build(TabulatedModel tabulated, string? modelFile = null, CancellationToken cancellationToken = default)
    {
        var model = tabulated.Model;
        CheckCompressible(model);
        var tables = tabulated.Tables.Select(ToTensor).ToList();
        var metadata = new CompressionMetadata(model, tabulated.Range.MinNborDist, tabulated.Step, tabulated.Extrapolate, tabulated.Frequency,
            modelFile ?? model.Path ?? "frozen_model.pb");
        var result = GraphCompressor.Compress(model, tables, metadata, cancellationToken);
        var compressed = FrozenModelReader.FromGraph(result.Graph, null, GraphFormat.Binary, cancellationToken);
        return new CompressedModel(tabulated, compressed, result);
    }

    /// <summary>Range → tables → compressed graph, reporting each stage.</summary>
    public static CompressedModel Compress(FrozenModel model, MinNborDistInput minNborDist, TabulationSettings settings, string? modelFile,
        IProgress<CompressionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckCompressible(model);
        progress?.Report(new CompressionProgress("Measuring embedding-net ranges", 0, "min_nbor_dist"));
        var range = RangeMeasurement.Measure(model, minNborDist, out _, cancellationToken,
            progress is null ? null : new CallbackProgress<MinNborDistProgress>(p => progress.Report(new CompressionProgress("Scanning training data for min_nbor_dist", 5, $"{p.Set}: frame {p.FramesDone} of {p.TotalFrames}"))));
        var tabulated = Tabulator.Tabulate(range, settings,
            progress is null ? null : new CallbackProgress<TabulationProgress>(p => progress.Report(new CompressionProgress("Tabulating embedding nets", 10 + (80 * p.PercentComplete / 100), p.NetName))),
            cancellationToken);
        progress?.Report(new CompressionProgress("Writing the compressed graph", 90, "graph surgery"));
        return Build(tabulated, modelFile, cancellationToken);
    }

    internal static TableTensor ToTensor(NetTable table)
    {
        var coefficients = table.GetCoefficients();
        // The table's own array (never written again) is the tensor's content: no copy of the largest thing in the graph.
        var proto = coefficients is float[] f
            ? TensorEncoder.SharedContent(f, table.Rows, table.Columns)
            : TensorEncoder.SharedContent((double[])coefficients, table.Rows, table.Columns);
        return new TableTensor(table.Name, proto, table.Info.ToArray(), table.LastLayerSize);
    }
}

/// <summary>A compressed model: the new graph as a FrozenModel plus the tables and what the rewrite did.</summary>
public sealed class CompressedModel
{
    internal CompressedModel(TabulatedModel tabulated, FrozenModel model, CompressedGraph graph)
    {
        Tabulated = tabulated;
        Model = model;
        Graph = graph;
    }

    public TabulatedModel Tabulated { get; }

    public FrozenModel Model { get; }

    public CompressedGraph Graph { get; }
}
