using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Validation;

/// <summary>
/// The complete op registry of TensorFlow 2.21 plus deepmd-kit 3.2.0's op library (1984 OpDefs): what "TensorFlow and
/// deepmd-kit would load this graph" means (docs/architecture.md, "validation"). It is embedded in compact form — the
/// OpList as binary protobuf, ops sorted by name, without the documentation fields — generated from the registry's text
/// dump by <c>tools/Update-OpRegistry.ps1</c>; a test regenerates it from the reference dump and compares.
/// </summary>
public static class TensorFlowOps
{
    /// <summary>What the embedded registry was taken from.</summary>
    public const string Source = "TensorFlow 2.21 + deepmd-kit 3.2.0";

    internal const string ResourceName = "DeepMdCompress.Core.Validation.ops.pb.gz";

    private static readonly Lazy<Dictionary<string, OpDef>> Ops = new(Load);

    /// <summary>The OpDef of <paramref name="op"/>, if TensorFlow or deepmd-kit registers it.</summary>
    public static bool TryGet(string op, out OpDef def) => Ops.Value.TryGetValue(op, out def!);

    /// <summary>Every registered op type.</summary>
    public static IReadOnlyCollection<string> Names => Ops.Value.Keys;

    /// <summary>
    /// The compact registry from a registry dump in protobuf text format (an OpList, as TensorFlow's
    /// <c>op_def_registry</c> prints it): documentation and full-type fields dropped, ops sorted by name, serialised.
    /// </summary>
    public static byte[] Compact(string opListText)
    {
        if (opListText is null)
        {
            throw new ArgumentNullException(nameof(opListText));
        }

        var list = TextFormatParser.Parse(WithoutFullTypes(opListText), OpList.Parser, maxStringBytes: 64 << 20);
        var compact = new OpList();
        foreach (var op in list.Op.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            var def = op.Clone();
            def.Summary = string.Empty;
            def.Description = string.Empty;
            def.Deprecation = null;
            foreach (var arg in def.InputArg.Concat(def.OutputArg))
            {
                arg.Description = string.Empty;
            }

            foreach (var attr in def.Attr)
            {
                attr.Description = string.Empty;
            }

            compact.Op.Add(def);
        }

        return compact.ToByteArray();
    }

    /// <summary>Gzip of <paramref name="bytes"/> (the embedded form).</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes, 0, bytes.Length);
        }

        return output.ToArray();
    }

    /// <summary>The embedded compact registry, decompressed.</summary>
    public static byte[] EmbeddedBytes()
    {
        using var stream = typeof(TensorFlowOps).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The op registry resource {ResourceName} is missing from the assembly.");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static Dictionary<string, OpDef> Load()
    {
        var list = OpList.Parser.ParseFrom(EmbeddedBytes());
        return list.Op.ToDictionary(o => o.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Removes <c>experimental_full_type { … }</c> blocks (TensorFlow's full-type annotations, which name enum values our
    /// schema does not carry and the validator never reads). Quoted strings are skipped when matching braces.
    /// </summary>
    private static string WithoutFullTypes(string text)
    {
        const string key = "experimental_full_type";
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            int at = text.IndexOf(key, i, StringComparison.Ordinal);
            if (at < 0)
            {
                sb.Append(text, i, text.Length - i);
                break;
            }

            sb.Append(text, i, at - i);
            int open = text.IndexOf('{', at);
            if (open < 0)
            {
                throw new GraphFormatException($"'{key}' without a block at offset {at}.");
            }

            int depth = 0, j = open;
            for (; j < text.Length; j++)
            {
                char c = text[j];
                if (c == '"')
                {
                    for (j++; j < text.Length && text[j] != '"'; j++)
                    {
                        if (text[j] == '\\')
                        {
                            j++;
                        }
                    }
                }
                else if (c == '{')
                {
                    depth++;
                }
                else if (c == '}' && --depth == 0)
                {
                    break;
                }
            }

            i = j + 1;
        }

        return sb.ToString();
    }
}
