using System;
using System.IO;
using System.Text;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Graph;

/// <summary>Reads and writes frozen GraphDefs in binary and text format.</summary>
public static class GraphFile
{
    /// <summary>Protobuf's hard limit for one message: TensorFlow cannot load a larger GraphDef.</summary>
    public const long MaxGraphBytes = int.MaxValue;

    /// <summary>The format implied by a file name: <c>.pbtxt</c>/<c>.txt</c>/<c>.pbtext</c> are text, anything else binary.</summary>
    public static GraphFormat FormatFromExtension(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext is ".pbtxt" or ".txt" or ".pbtext" or ".prototxt" ? GraphFormat.Text : GraphFormat.Binary;
    }

    public static GraphDef Read(string path, out GraphFormat format, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(path))
        {
            throw new DataFileException(ErrorIds.PathIsDirectory, $"'{path}' is a directory, not a graph file.", DeepMdErrorKind.InvalidArgument) { Target = path };
        }

        if (!File.Exists(path))
        {
            throw new DataFileException(ErrorIds.FileNotFound, $"Graph file '{path}' does not exist.", DeepMdErrorKind.ObjectNotFound) { Target = path };
        }

        long length = new FileInfo(path).Length;
        if (length > MaxGraphBytes)
        {
            throw new ResourceLimitException(ErrorIds.GraphTooLarge, $"'{path}' is {length} bytes; a GraphDef cannot exceed protobuf's 2 GB limit.") { Target = path };
        }

        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes, FormatFromContent(path, bytes), out format, cancellationToken);
        }
        catch (DeepMdException ex)
        {
            ex.Target ??= path;
            throw;
        }
    }

    /// <summary>Parses bytes in the given format (null: decide from the content).</summary>
    public static GraphDef Parse(byte[] bytes, GraphFormat? format, out GraphFormat detected, CancellationToken cancellationToken = default)
    {
        if (bytes.Length == 0)
        {
            throw new GraphFormatException("the file is empty", errorId: ErrorIds.EmptyFile);
        }

        detected = format ?? (LooksLikeText(bytes) ? GraphFormat.Text : GraphFormat.Binary);
        return detected == GraphFormat.Text ? ParseText(bytes, cancellationToken) : ParseBinary(bytes);
    }

    public static GraphDef ParseBinary(byte[] bytes)
    {
        try
        {
            return GraphDef.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            string hint = LooksLikeText(bytes) ? " The content looks like text format; name the file .pbtxt." : string.Empty;
            throw new GraphFormatException($"not a valid binary GraphDef (truncated or corrupt): {ex.Message}{hint}", inner: ex);
        }
    }

    public static GraphDef ParseText(byte[] bytes, CancellationToken cancellationToken = default)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (ArgumentException ex)
        {
            throw new GraphFormatException("not a text GraphDef: the file is not valid UTF-8 text", inner: ex);
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text.Substring(1);
        }

        return TextFormatParser.Parse(text, GraphDef.Parser, cancellationToken);
    }

    /// <summary>Serialises a graph in the given format (for callers that need the bytes).</summary>
    public static byte[] Serialize(GraphDef graph, GraphFormat format, CancellationToken cancellationToken = default)
    {
        if (format == GraphFormat.Binary)
        {
            return graph.ToByteArray();
        }

        using var ms = new MemoryStream();
        WriteText(graph, ms, cancellationToken);
        return ms.ToArray();
    }

    /// <summary>
    /// Writes a graph atomically: into a temporary file beside <paramref name="path"/>, then renamed into place.
    /// A failure or cancellation leaves no temporary file and the previous file (if any) untouched.
    /// </summary>
    public static void Write(GraphDef graph, string path, GraphFormat format, bool overwrite, CancellationToken cancellationToken = default)
    {
        AtomicFile.Write(path, overwrite, stream =>
        {
            if (format == GraphFormat.Binary)
            {
                using var coded = new CodedOutputStream(stream, leaveOpen: true);
                graph.WriteTo(coded);
                coded.Flush();
            }
            else
            {
                WriteText(graph, stream, cancellationToken);
            }
        }, cancellationToken);
    }

    private static void WriteText(GraphDef graph, Stream stream, CancellationToken cancellationToken)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        TextFormatWriter.Write(graph, writer, cancellationToken);
    }

    // The content decides, not the name: a binary GraphDef starts with a field tag (a control byte) and a text one
    // with a field name, so the two cannot be confused, and a text graph named .pb (or the reverse) is read as what it is.
    private static GraphFormat FormatFromContent(string path, byte[] bytes) => LooksLikeText(bytes) ? GraphFormat.Text : GraphFormat.Binary;

    /// <summary>
    /// A text GraphDef starts (after whitespace/comments) with a field name and holds no control bytes;
    /// a binary one starts with a field tag (0x0a for <c>node</c>) and soon has control bytes (tags, lengths).
    /// </summary>
    private static bool LooksLikeText(byte[] bytes)
    {
        int i = 0;
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        {
            i = 3;
        }

        int end = Math.Min(bytes.Length, i + 4096);
        for (int k = i; k < end; k++)
        {
            byte c = bytes[k];
            if (c < 0x20 && c != (byte)'\n' && c != (byte)'\r' && c != (byte)'\t' && c != (byte)'\f')
            {
                return false;
            }
        }

        while (i < bytes.Length && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n'))
        {
            i++;
        }

        if (i >= bytes.Length)
        {
            return true;
        }

        byte b = bytes[i];
        return b == '#' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    }
}
