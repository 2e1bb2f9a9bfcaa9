using System;

namespace DeepMdCompress.Core.Errors;

/// <summary>What kind of failure an exception reports; the cmdlet layer maps it to an ErrorCategory.</summary>
public enum DeepMdErrorKind
{
    InvalidData,
    InvalidArgument,
    ObjectNotFound,
    NotImplemented,
    LimitsExceeded,
    InvalidOperation,
    WriteError,
    OperationStopped,
}

/// <summary>
/// Base of every exception the core throws on purpose. <see cref="ErrorId"/> is a stable PascalCase id that
/// scripts can match on (it becomes the ErrorRecord's FullyQualifiedErrorId); <see cref="Kind"/> decides the category.
/// </summary>
public class DeepMdException : Exception
{
    public DeepMdException(string errorId, DeepMdErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
    }

    public string ErrorId { get; }

    public DeepMdErrorKind Kind { get; }

    /// <summary>The file or object the failure is about, when there is one.</summary>
    public string? Target { get; set; }
}

/// <summary>A graph file that cannot be parsed (binary or text format).</summary>
public sealed class GraphFormatException : DeepMdException
{
    public GraphFormatException(string message, int line = 0, int column = 0, Exception? inner = null, string errorId = ErrorIds.GraphParseError)
        : base(errorId, DeepMdErrorKind.InvalidData, line > 0 ? $"line {line}, column {column}: {message}" : message, inner)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }
}

/// <summary>A tensor whose declared shape, dtype or content is inconsistent or too large.</summary>
public sealed class TensorDataException : DeepMdException
{
    public TensorDataException(string message, string errorId = ErrorIds.InvalidTensor)
        : base(errorId, DeepMdErrorKind.InvalidData, message) { }
}

/// <summary>A graph that parses but is not (or not completely) a DeePMD model.</summary>
public sealed class ModelStructureException : DeepMdException
{
    public ModelStructureException(string errorId, string message)
        : base(errorId, DeepMdErrorKind.InvalidData, message) { }
}

/// <summary>A DeePMD model this module cannot handle for a stated reason (legacy, compressed, untabulatable net, ...).</summary>
public sealed class UnsupportedModelException : DeepMdException
{
    public UnsupportedModelException(string errorId, string message)
        : base(errorId, DeepMdErrorKind.NotImplemented, message) { }
}

/// <summary>A parameter value that is out of range or inconsistent with the model.</summary>
public sealed class InvalidParameterException : DeepMdException
{
    public InvalidParameterException(string errorId, string message)
        : base(errorId, DeepMdErrorKind.InvalidArgument, message) { }
}

/// <summary>A training-data file (.npy, type.raw, input.json) that is missing or malformed.</summary>
public sealed class DataFileException : DeepMdException
{
    public DataFileException(string errorId, string message, DeepMdErrorKind kind = DeepMdErrorKind.InvalidData)
        : base(errorId, kind, message) { }
}

/// <summary>A hard resource limit (size, depth, element count) that hostile or broken input would exceed.</summary>
public sealed class ResourceLimitException : DeepMdException
{
    public ResourceLimitException(string errorId, string message)
        : base(errorId, DeepMdErrorKind.LimitsExceeded, message) { }
}

/// <summary>A failure while writing an output file; the previous file (if any) is left intact.</summary>
public sealed class OutputWriteException : DeepMdException
{
    public OutputWriteException(string errorId, string message, Exception? inner = null)
        : base(errorId, DeepMdErrorKind.WriteError, message, inner) { }
}
