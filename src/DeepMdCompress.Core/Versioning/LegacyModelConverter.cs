using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Versioning;

/// <summary>The outcome of <see cref="LegacyModelConverter.Convert"/>.</summary>
public sealed class LegacyConversion
{
    internal LegacyConversion(FrozenModel model, string from, VersionDetection detected, IReadOnlyList<string> steps, bool changed)
    {
        Model = model;
        From = from;
        Detected = detected;
        Steps = steps;
        Changed = changed;
    }

    /// <summary>The converted model, or the input model itself when nothing changed.</summary>
    public FrozenModel Model { get; }

    /// <summary>The version the graph was converted from.</summary>
    public string From { get; }

    /// <summary>What the input graph looked like.</summary>
    public VersionDetection Detected { get; }

    /// <summary>One line per step applied.</summary>
    public IReadOnlyList<string> Steps { get; }

    /// <summary>False when the graph needed no change (already 2.1 or later).</summary>
    public bool Changed { get; }
}

/// <summary>
/// deepmd-kit's <c>dp convert-from</c> (docs/versions.md#legacy-conversion) as structured edits on a deep copy of the graph: the input
/// model, its GraphDef and its file are never modified.
/// </summary>
public static class LegacyModelConverter
{
    /// <summary>
    /// Upgrades <paramref name="model"/> to the 2.1 layout. <paramref name="from"/> defaults to the detected version;
    /// one that disagrees with the detection throws <c>VersionMismatch</c> unless <paramref name="force"/>.
    /// </summary>
    public static LegacyConversion Convert(FrozenModel model, string? from = null, bool force = false, CancellationToken cancellationToken = default)
    {
        if (model is null)
        {
            throw new ArgumentNullException(nameof(model));
        }

        var source = model.GetGraphDef();
        var detected = ModelVersionDetector.Detect(source);
        if (from is null)
        {
            from = detected.SourceVersion ?? throw ModelVersionException.Unknown(
                $"The deepmd-kit version that made this graph cannot be detected: {detected.Evidence}. "
                + "If you know the version, name it with -From and add -Force.");
        }
        else
        {
            CheckFrom(from);
            if (!SourceVersions.Agree(from, detected.SourceVersion) && !force)
            {
                string seen = detected.SourceVersion is null ? "no known version" : $"version {detected.SourceVersion}";
                throw ModelVersionException.Mismatch(
                    $"The graph does not look like deepmd-kit {from}: it shows {seen} ({detected.Evidence}). "
                    + "Convert without -From to use the detected version, or add -Force to convert it as " + from + " anyway.");
            }
        }

        if (from == SourceVersions.V2_1)
        {
            return new LegacyConversion(model, from, detected, Array.Empty<string>(), false);
        }

        var converted = ConvertGraph(source, from, out var steps, cancellationToken);
        if (converted.Equals(source))
        {
            return new LegacyConversion(model, from, detected, steps, false);
        }

        var result = FrozenModelReader.FromGraph(converted, model.Path, model.Format, cancellationToken);
        result.Notes = result.Notes.Concat(new[]
        {
            $"Converted in memory from deepmd-kit {from} ({string.Join("; ", steps)}). Path is the unconverted source file, which is unchanged.",
        }).ToArray();
        return new LegacyConversion(result, from, detected, steps, true);
    }

    /// <summary>
    /// A converted deep copy of <paramref name="graph"/>: every step of docs/versions.md#legacy-conversion whose bound lies above <paramref name="from"/>.
    /// Throws <c>ConversionConflict</c> when a rename or an added constant would give two nodes the same name.
    /// </summary>
    public static GraphDef ConvertGraph(GraphDef graph, string from, out IReadOnlyList<string> steps, CancellationToken cancellationToken = default)
    {
        if (graph is null)
        {
            throw new ArgumentNullException(nameof(graph));
        }

        CheckFrom(from);
        cancellationToken.ThrowIfCancellationRequested();
        var copy = graph.Clone();
        var done = new List<string>();
        if (SourceVersions.IsBelow(from, "1.0"))
        {
            done.Add(LegacyConversionSteps.From012To10(copy, cancellationToken));
        }

        if (SourceVersions.IsBelow(from, "1.1"))
        {
            done.Add(LegacyConversionSteps.From10To11(copy));
        }

        if (SourceVersions.IsBelow(from, "1.3"))
        {
            done.Add(LegacyConversionSteps.From12To13(copy));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (SourceVersions.IsBelow(from, "2.0"))
        {
            done.Add(LegacyConversionSteps.From13To20(copy, cancellationToken));
        }

        if (SourceVersions.IsBelow(from, "2.1"))
        {
            done.Add(LegacyConversionSteps.From20To21(copy, cancellationToken));
        }

        // A rename that lands on an existing name makes the graph unloadable; deepmd-kit would only find out in TensorFlow.
        var before = GraphStrings.DuplicateNames(graph);
        var clash = GraphStrings.DuplicateNames(copy).Where(n => !before.Contains(n)).ToList();
        if (clash.Count > 0)
        {
            throw ModelVersionException.Conflict(
                $"Converting from {from} would give more than one node the name {string.Join(", ", clash.Take(5).Select(n => "'" + n + "'"))}; "
                + "the graph already has nodes with the new names, so it is not a plain deepmd-kit " + from + " graph.");
        }

        steps = done;
        return copy;
    }

    private static void CheckFrom(string from)
    {
        if (!SourceVersions.IsKnown(from))
        {
            throw ModelVersionException.InvalidSource(
                $"'{from}' is not a deepmd-kit version to convert from; use one of {string.Join(", ", SourceVersions.ConvertibleFrom)}.");
        }
    }
}
