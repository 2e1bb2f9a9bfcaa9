using System.IO;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Model;

/// <summary>Reads a frozen model file and derives its facts.</summary>
public static class FrozenModelReader
{
    public static FrozenModel Load(string path, CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(path);
        var graph = GraphFile.Read(full, out var format, cancellationToken);
        var model = FromGraph(graph, full, format, cancellationToken);
        if (GraphFile.FormatFromExtension(full) != format)
        {
            model.Notes = model.Notes.Concat(new[]
            {
                $"Format: {Path.GetFileName(full)} holds a {(format == GraphFormat.Text ? "text" : "binary")} GraphDef although its name says {(format == GraphFormat.Text ? "binary" : "text")}; it was read as {format}.",
            }).ToList();
        }

        return model;
    }

    public static FrozenModel FromGraph(GraphDef graph, string? path, GraphFormat format, CancellationToken cancellationToken = default)
    {
        // PowerShell passes $null for a string argument as "", which means "no file" here too.
        path = string.IsNullOrEmpty(path) ? null : path;
        try
        {
            return ModelIntrospector.Inspect(graph, path, format, cancellationToken);
        }
        catch (DeepMdException ex)
        {
            ex.Target ??= path;
            throw;
        }
    }
}
