using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace DeepMdCompress.Core.Versioning;

/// <summary>
/// Applies a string rewrite to every place where deepmd-kit's global text replacement on a graph dump can hit:
/// node names, ops, input references (<c>name</c>, <c>name:k</c>, <c>^name</c> keep their suffix and prefix
/// because the patterns contain neither ':' nor '^'), devices, debug-info names, attr keys, string attrs (e.g.
/// the <c>_class</c> colocation list <c>loc:@name</c>), function names and string tensors — in the graph's nodes
/// and in its function library. Numeric tensor bytes are left alone: a match there would be an accident that
/// corrupts weights.
/// </summary>
internal static class GraphStrings
{
    /// <summary>Ordinal replacements applied in the given order to each string (deepmd-kit's chained str.replace).</summary>
    public static Func<string, string> Replacements(params (string Old, string New)[] rules) => s =>
    {
        foreach (var (oldValue, newValue) in rules)
        {
            if (s.IndexOf(oldValue, StringComparison.Ordinal) >= 0)
            {
                s = s.Replace(oldValue, newValue);
            }
        }

        return s;
    };

    public static void Rewrite(GraphDef graph, Func<string, string> rewrite, CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (var node in graph.Node)
        {
            if (++count % 256 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            RewriteNode(node, rewrite);
        }

        if (graph.Library is { } library)
        {
            foreach (var function in library.Function)
            {
                foreach (var node in function.NodeDef)
                {
                    RewriteNode(node, rewrite);
                }
            }
        }
    }

    private static void RewriteNode(NodeDef node, Func<string, string> rewrite)
    {
        node.Name = rewrite(node.Name);
        node.Op = rewrite(node.Op);
        node.Device = rewrite(node.Device);
        for (int i = 0; i < node.Input.Count; i++)
        {
            node.Input[i] = rewrite(node.Input[i]);
        }

        if (node.ExperimentalDebugInfo is { } debug)
        {
            RewriteList(debug.OriginalNodeNames, rewrite);
            RewriteList(debug.OriginalFuncNames, rewrite);
        }

        RewriteAttrs(node.Attr, rewrite);
    }

    private static void RewriteList(RepeatedField<string> list, Func<string, string> rewrite)
    {
        for (int i = 0; i < list.Count; i++)
        {
            list[i] = rewrite(list[i]);
        }
    }

    private static void RewriteAttrs(MapField<string, AttrValue> attrs, Func<string, string> rewrite)
    {
        foreach (var key in attrs.Keys.Where(k => rewrite(k) != k).ToList())
        {
            var value = attrs[key];
            attrs.Remove(key);
            attrs[rewrite(key)] = value;
        }

        foreach (var value in attrs.Values)
        {
            RewriteAttr(value, rewrite);
        }
    }

    private static void RewriteAttr(AttrValue value, Func<string, string> rewrite)
    {
        switch (value.ValueCase)
        {
            case AttrValue.ValueOneofCase.S:
                value.S = RewriteBytes(value.S, rewrite);
                break;
            case AttrValue.ValueOneofCase.Tensor:
                RewriteTensor(value.Tensor, rewrite);
                break;
            case AttrValue.ValueOneofCase.Func:
                RewriteFunc(value.Func, rewrite);
                break;
            case AttrValue.ValueOneofCase.Placeholder:
                value.Placeholder = rewrite(value.Placeholder);
                break;
            case AttrValue.ValueOneofCase.List:
                var list = value.List;
                for (int i = 0; i < list.S.Count; i++)
                {
                    list.S[i] = RewriteBytes(list.S[i], rewrite);
                }

                foreach (var tensor in list.Tensor)
                {
                    RewriteTensor(tensor, rewrite);
                }

                foreach (var func in list.Func)
                {
                    RewriteFunc(func, rewrite);
                }

                break;
        }
    }

    private static void RewriteFunc(NameAttrList func, Func<string, string> rewrite)
    {
        func.Name = rewrite(func.Name);
        RewriteAttrs(func.Attr, rewrite);
    }

    private static void RewriteTensor(TensorProto tensor, Func<string, string> rewrite)
    {
        if (tensor.Dtype != DataType.DtString)
        {
            return;
        }

        for (int i = 0; i < tensor.StringVal.Count; i++)
        {
            tensor.StringVal[i] = RewriteBytes(tensor.StringVal[i], rewrite);
        }
    }

    /// <summary>
    /// Bytes are rewritten one char per byte (Latin-1), so bytes that are not UTF-8 survive untouched; the
    /// patterns and replacements are ASCII, which is the same in both encodings.
    /// </summary>
    private static ByteString RewriteBytes(ByteString bytes, Func<string, string> rewrite)
    {
        if (bytes.IsEmpty)
        {
            return bytes;
        }

        var span = bytes.Span;
        var chars = new char[span.Length];
        for (int i = 0; i < span.Length; i++)
        {
            chars[i] = (char)span[i];
        }

        string text = new(chars);
        string result = rewrite(text);
        if (string.Equals(result, text, StringComparison.Ordinal))
        {
            return bytes;
        }

        var output = new byte[result.Length];
        for (int i = 0; i < result.Length; i++)
        {
            output[i] = checked((byte)result[i]);
        }

        return ByteString.CopyFrom(output);
    }

    /// <summary>Node names that occur more than once.</summary>
    public static HashSet<string> DuplicateNames(GraphDef graph)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (!seen.Add(node.Name))
            {
                duplicates.Add(node.Name);
            }
        }

        return duplicates;
    }
}
