using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DeepMdCompress.Core.Graph;

/// <summary>
/// Protobuf text-format writer in the layout of Python's <c>text_format</c> (as used by TensorFlow's
/// <c>write_graph</c>): fields in field-number order, two-space indentation, map entries sorted by key,
/// bytes C-escaped with octal escapes, floats in shortest round-trip form.
/// </summary>
public static class TextFormatWriter
{
    public static void Write(IMessage message, TextWriter writer, CancellationToken cancellationToken = default)
    {
        var state = new Writer(writer, cancellationToken);
        state.WriteFields(message, 0);
    }

    public static string ToText(IMessage message)
    {
        using var sw = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(message, sw);
        return sw.ToString();
    }

    /// <summary>C-escapes bytes the way protobuf's CEscape does (printable ASCII kept, others as 3-digit octal).</summary>
    public static string EscapeBytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 8);
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b >= 0x20 && b < 0x7f)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append('\\').Append((char)('0' + ((b >> 6) & 7))).Append((char)('0' + ((b >> 3) & 7))).Append((char)('0' + (b & 7)));
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Shortest text that parses back to the same double; inf/-inf/nan as TensorFlow writes them.</summary>
    public static string FormatDouble(double value) => FormatReal(value, single: false);

    /// <summary>Shortest text that parses back (as float32) to the same float.</summary>
    public static string FormatFloat(float value) => FormatReal(value, single: true);

    private static string FormatReal(double value, bool single)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        // "R" is shortest round-trip on .NET Core but not always on .NET Framework; verify, else full precision.
        string s = single ? ((float)value).ToString("R", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        bool exact = single
            ? float.Parse(s, CultureInfo.InvariantCulture) == (float)value
            : double.Parse(s, CultureInfo.InvariantCulture) == value;
        if (!exact)
        {
            s = single ? ((float)value).ToString("G9", CultureInfo.InvariantCulture) : value.ToString("G17", CultureInfo.InvariantCulture);
        }

        return PythonStyle(s);
    }

    private static string PythonStyle(string s)
    {
        // .NET writes 1E-05; Python writes 1e-05 and 6.0 for integral values.
        s = s.Replace("E", "e");
        int e = s.IndexOf('e');
        if (e >= 0)
        {
            string mantissa = s.Substring(0, e);
            string exponent = s.Substring(e + 1);
            string sign = exponent.StartsWith("-", StringComparison.Ordinal) ? "-" : "+";
            exponent = exponent.TrimStart('+', '-').TrimStart('0').PadLeft(2, '0');
            return mantissa + "e" + sign + exponent;
        }

        return s.IndexOf('.') >= 0 ? s : s + ".0";
    }

    private sealed class Writer
    {
        private readonly TextWriter _w;
        private readonly CancellationToken _ct;
        private int _count;

        public Writer(TextWriter writer, CancellationToken ct)
        {
            _w = writer;
            _ct = ct;
        }

        public void WriteFields(IMessage message, int indent)
        {
            if (++_count % 1024 == 0)
            {
                _ct.ThrowIfCancellationRequested();
            }

            foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
            {
                object value = field.Accessor.GetValue(message);
                if (field.IsMap)
                {
                    var dict = (IDictionary)value;
                    var keys = dict.Keys.Cast<object>().OrderBy(k => k, KeyComparer.Instance).ToList();
                    foreach (var key in keys)
                    {
                        Indent(indent);
                        _w.Write(field.Name);
                        _w.Write(" {\n");
                        var keyField = field.MessageType.FindFieldByNumber(1);
                        var valueField = field.MessageType.FindFieldByNumber(2);
                        WriteSingle(keyField, key, indent + 2);
                        WriteSingle(valueField, dict[key]!, indent + 2);
                        Indent(indent);
                        _w.Write("}\n");
                    }
                }
                else if (field.IsRepeated)
                {
                    foreach (var item in (IList)value)
                    {
                        WriteSingle(field, item!, indent);
                    }
                }
                else if (IsPresent(field, message, value))
                {
                    WriteSingle(field, value, indent);
                }
            }
        }

        private static bool IsPresent(FieldDescriptor field, IMessage message, object value)
        {
            if (field.ContainingOneof is { } oneof)
            {
                return oneof.Accessor.GetCaseFieldDescriptor(message) == field;
            }

            return field.FieldType switch
            {
                FieldType.Message or FieldType.Group => value is not null,
                FieldType.String => ((string)value).Length > 0,
                FieldType.Bytes => !((ByteString)value).IsEmpty,
                FieldType.Bool => (bool)value,
                FieldType.Double => BitConverter.DoubleToInt64Bits((double)value) != 0,
                FieldType.Float => BitConverter.DoubleToInt64Bits((float)value) != 0,
                FieldType.Enum => Convert.ToInt32(value, CultureInfo.InvariantCulture) != 0,
                _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture) != 0,
            };
        }

        private void WriteSingle(FieldDescriptor field, object value, int indent)
        {
            Indent(indent);
            _w.Write(field.Name);
            if (field.FieldType is FieldType.Message or FieldType.Group)
            {
                _w.Write(" {\n");
                WriteFields((IMessage)value, indent + 2);
                Indent(indent);
                _w.Write("}\n");
                return;
            }

            _w.Write(": ");
            switch (field.FieldType)
            {
                case FieldType.String:
                    _w.Write('"');
                    _w.Write(EscapeBytes(Encoding.UTF8.GetBytes((string)value)));
                    _w.Write('"');
                    break;
                case FieldType.Bytes:
                    _w.Write('"');
                    _w.Write(EscapeBytes(((ByteString)value).Span));
                    _w.Write('"');
                    break;
                case FieldType.Bool:
                    _w.Write((bool)value ? "true" : "false");
                    break;
                case FieldType.Enum:
                {
                    int number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
                    var named = field.EnumType.FindValueByNumber(number);
                    _w.Write(named?.Name ?? number.ToString(CultureInfo.InvariantCulture));
                    break;
                }

                case FieldType.Double:
                    _w.Write(FormatDouble((double)value));
                    break;
                case FieldType.Float:
                    _w.Write(FormatFloat((float)value));
                    break;
                default:
                    _w.Write(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }

            _w.Write('\n');
        }

        private void Indent(int n)
        {
            for (int i = 0; i < n; i++)
            {
                _w.Write(' ');
            }
        }
    }

    private sealed class KeyComparer : IComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(object? x, object? y) => x is string a && y is string b
            ? string.CompareOrdinal(a, b)
            : Comparer<object>.Default.Compare(x!, y!);
    }
}
