using System;

namespace DeepMdCompress.Core.Errors;

/// <summary>
/// A failure while executing a graph: an op the evaluator does not implement, a missing feed, or an op whose
/// inputs TensorFlow would reject. <see cref="NodeName"/> and <see cref="OpType"/> say where it happened.
/// </summary>
public sealed class GraphExecutionException : DeepMdException
{
    public GraphExecutionException(string errorId, string message, string? nodeName = null, string? opType = null,
        DeepMdErrorKind kind = DeepMdErrorKind.InvalidData, Exception? inner = null)
        : base(errorId, kind, message, inner)
    {
        NodeName = nodeName;
        OpType = opType;
    }

    /// <summary>Name of the graph node that failed, when the failure belongs to one node.</summary>
    public string? NodeName { get; }

    /// <summary>Op type of that node (e.g. <c>TabulateFusionSeA</c>).</summary>
    public string? OpType { get; }
}
