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

    // Name → where its OpDef lies in the embedded OpList. A graph uses a few dozen of the 1984 ops, so each OpDef is
    // parsed when first asked for: parsing them all cost a fresh process ~25 ms (issue 16's fresh-process budget).
    private static readonly Lazy<Registry> Ops = new(() => new Registry(EmbeddedBytes()));

    /// <summary>The OpDef of <paramref name="op"/>, if TensorFlow or deepmd-kit registers it.</summary>
    public static bool TryGet(string op, out OpDef def)
    {
        def = op is null ? null! : Ops.Value.Find(op)!;
        return def is not null;
    }

    /// <summary>Every registered op type.</summary>
    public static IReadOnlyCollection<string> Names => Ops.Value.Names;

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

    /// <summary>The embedded OpList indexed by op name without parsing the OpDefs; each is parsed once, when asked for.</summary>
    private sealed class Registry
    {
        private readonly byte[] _bytes;
        private readonly Dictionary<string, (int Offset, int Length)> _where = new(StringComparer.Ordinal);
        private readonly Dictionary<string, OpDef> _parsed = new(StringComparer.Ordinal);

        public Registry(byte[] bytes)
        {
            _bytes = bytes;
            var list = new CodedInputStream(bytes);
            uint tag;
            while ((tag = list.ReadTag()) != 0)
            {
                int start = (int)list.Position;
                list.SkipLastField();
                if (WireFormat.GetTagFieldNumber(tag) != OpList.OpFieldNumber)
                {
                    continue;
                }

                // The field is a length prefix and the OpDef; Compact writes its name (field 1) first, as protobuf does.
                var op = new CodedInputStream(bytes, start, (int)list.Position - start);
                int length = op.ReadLength();
                int offset = (int)list.Position - length;
                string name = op.ReadTag() == WireFormat.MakeTag(OpDef.NameFieldNumber, WireFormat.WireType.LengthDelimited)
                    ? op.ReadString()
                    : OpDef.Parser.ParseFrom(bytes, offset, length).Name;
                _where[name] = (offset, length);
            }
        }

        public IReadOnlyCollection<string> Names => _where.Keys;

        public OpDef? Find(string op)
        {
            lock (_parsed)
            {
                if (_parsed.TryGetValue(op, out var def))
                {
                    return def;
                }

                if (!_where.TryGetValue(op, out var at))
                {
                    return null;
                }

                def = OpDef.Parser.ParseFrom(_bytes, at.Offset, at.Length);
                _parsed.Add(op, def);
                return def;
            }
        }
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
