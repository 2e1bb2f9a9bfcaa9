using System.IO;
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
        return FromGraph(graph, full, format, cancellationToken);
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
