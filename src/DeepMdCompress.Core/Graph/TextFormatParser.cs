using System;
using System.Collections;
using System.Globalization;
using System.Threading;
using DeepMdCompress.Core.Errors;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DeepMdCompress.Core.Graph;

/// <summary>
/// Protobuf text-format reader driven by the message descriptors of our own schema, so it accepts any
/// message (GraphDef and everything inside it). Google.Protobuf for C# has no text-format parser;
/// this one covers what TensorFlow's <c>write_graph(as_text=True)</c> and hand edits produce.
/// </summary>
public static class TextFormatParser
{
    /// <summary>Deepest message nesting accepted; GraphDefs nest about 8 levels, so this only stops hostile input.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Longest string literal (bytes after unescaping) accepted by default: 1 GiB, half of protobuf's 2 GB
    /// message limit; a tensor_content larger than that cannot be part of a loadable graph anyway.
    /// </summary>
    public const int DefaultMaxStringBytes = 1 << 30;

    public static T Parse<T>(string text, MessageParser<T> parser, CancellationToken cancellationToken = default, int maxStringBytes = DefaultMaxStringBytes)
        where T : IMessage<T>
    {
        var message = parser.ParseFrom(ByteString.Empty);
        var tokenizer = new TextFormatTokenizer(text, maxStringBytes);
        var state = new State(tokenizer, cancellationToken);
        state.ParseFields(message, terminator: null, depth: 0);
        return message;
    }

    private sealed class State
    {
        private readonly TextFormatTokenizer _t;
        private readonly CancellationToken _ct;
        private int _fieldsSinceCheck;

        public State(TextFormatTokenizer tokenizer, CancellationToken ct)
        {
            _t = tokenizer;
            _ct = ct;
        }

        public void ParseFields(IMessage message, char? terminator, int depth)
        {
            var descriptor = message.Descriptor;
            while (true)
            {
                if (terminator is char close && _t.TryConsume(close))
                {
                    return;
                }

                if (_t.Kind == TokenKind.End)
                {
                    if (terminator is null)
                    {
                        return;
                    }

                    throw _t.Error($"unexpected end of file: missing '{terminator}' to close a {descriptor.Name}");
                }

                if (++_fieldsSinceCheck >= 4096)
                {
                    _fieldsSinceCheck = 0;
                    _ct.ThrowIfCancellationRequested();
                }

                if (_t.Kind != TokenKind.Identifier)
                {
                    throw _t.Error($"expected a field name of {descriptor.Name} but found {_t.Describe()}");
                }

                string name = _t.Text;
                var field = descriptor.FindFieldByName(name)
                    ?? throw _t.Error($"message {descriptor.Name} has no field named '{name}'");
                _t.Next();
                ParseField(message, field, depth);

                // Field separators are optional.
                if (!_t.TryConsume(','))
                {
                    _t.TryConsume(';');
                }
            }
        }

        private void ParseField(IMessage message, FieldDescriptor field, int depth)
        {
            bool isMessage = field.FieldType == FieldType.Message || field.FieldType == FieldType.Group;
            if (isMessage)
            {
                _t.TryConsume(':');
            }
            else if (!_t.TryConsume(':'))
            {
                throw _t.Error($"expected ':' after field '{field.Name}' but found {_t.Describe()}");
            }

            if (field.IsRepeated && _t.TryConsume('['))
            {
                if (_t.TryConsume(']'))
                {
                    return;
                }

                do
                {
                    ParseOneValue(message, field, depth);
                }
                while (_t.TryConsume(','));

                _t.Expect(']');
                return;
            }

            ParseOneValue(message, field, depth);
        }

        private void ParseOneValue(IMessage message, FieldDescriptor field, int depth)
        {
            if (field.IsMap)
            {
                ParseMapEntry(message, field, depth);
                return;
            }

            object value = field.FieldType == FieldType.Message || field.FieldType == FieldType.Group
                ? ParseNestedMessage(field, depth)
                : ParseScalar(field);

            if (field.IsRepeated)
            {
                ((IList)field.Accessor.GetValue(message)).Add(value);
            }
            else
            {
                if (field.FieldType is FieldType.Message or FieldType.Group && field.Accessor.GetValue(message) is IMessage existing
                    && (field.ContainingOneof is null || field.ContainingOneof.Accessor.GetCaseFieldDescriptor(message) == field))
                {
                    // Repeating a singular message field merges, as protobuf's own text parser does.
                    existing.MergeFrom(((IMessage)value).ToByteString());
                    return;
                }

                field.Accessor.SetValue(message, value);
            }
        }

        private IMessage ParseNestedMessage(FieldDescriptor field, int depth)
        {
            if (depth + 1 > MaxDepth)
            {
                throw new GraphFormatException($"messages are nested deeper than {MaxDepth} levels", _t.Line, _t.Column, errorId: ErrorIds.NestingTooDeep);
            }

            char close = OpenBrace(field.Name);
            var nested = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
            ParseFields(nested, close, depth + 1);
            return nested;
        }

        private char OpenBrace(string fieldName)
        {
            if (_t.TryConsume('{'))
            {
                return '}';
            }

            if (_t.TryConsume('<'))
            {
                return '>';
            }

            throw _t.Error($"expected '{{' to open field '{fieldName}' but found {_t.Describe()}");
        }

        private void ParseMapEntry(IMessage message, FieldDescriptor field, int depth)
        {
            if (depth + 1 > MaxDepth)
            {
                throw new GraphFormatException($"messages are nested deeper than {MaxDepth} levels", _t.Line, _t.Column, errorId: ErrorIds.NestingTooDeep);
            }

            var entryType = field.MessageType;
            var keyField = entryType.FindFieldByNumber(1);
            var valueField = entryType.FindFieldByNumber(2);
            char close = OpenBrace(field.Name);
            object? key = null;
            object? value = null;
            while (!_t.TryConsume(close))
            {
                if (_t.Kind != TokenKind.Identifier)
                {
                    throw _t.Error($"expected 'key' or 'value' in map field '{field.Name}' but found {_t.Describe()}");
                }

                string name = _t.Text;
                _t.Next();
                if (name == "key")
                {
                    _t.Expect(':');
                    key = ParseScalar(keyField);
                }
                else if (name == "value")
                {
                    if (valueField.FieldType == FieldType.Message)
                    {
                        _t.TryConsume(':');
                        value = ParseNestedMessage(valueField, depth + 1);
                    }
                    else
                    {
                        _t.Expect(':');
                        value = ParseScalar(valueField);
                    }
                }
                else
                {
                    throw new GraphFormatException($"map field '{field.Name}' has no entry field named '{name}'", _t.Line, _t.Column);
                }

                if (!_t.TryConsume(','))
                {
                    _t.TryConsume(';');
                }
            }

            key ??= keyField.FieldType == FieldType.String ? string.Empty : DefaultScalar(keyField);
            value ??= valueField.FieldType == FieldType.Message
                ? Activator.CreateInstance(valueField.MessageType.ClrType)!
                : DefaultScalar(valueField);
            var dict = (IDictionary)field.Accessor.GetValue(message);
            dict[key] = value;
        }

        private static object DefaultScalar(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.String => string.Empty,
            FieldType.Bytes => ByteString.Empty,
            FieldType.Bool => false,
            FieldType.Double => 0.0,
            FieldType.Float => 0f,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
            FieldType.UInt64 or FieldType.Fixed64 => 0UL,
            FieldType.UInt32 or FieldType.Fixed32 => 0U,
            FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, 0),
            _ => 0,
        };

        private object ParseScalar(FieldDescriptor field)
        {
            int line = _t.Line, column = _t.Column;
            try
            {
                switch (field.FieldType)
                {
                    case FieldType.String:
                    {
                        var bytes = ExpectString(field);
                        try
                        {
                            return new System.Text.UTF8Encoding(false, true).GetString(bytes);
                        }
                        catch (ArgumentException)
                        {
                            throw new GraphFormatException($"field '{field.Name}' must be valid UTF-8 text", line, column);
                        }
                    }

                    case FieldType.Bytes:
                        return ByteString.CopyFrom(ExpectString(field));
                    case FieldType.Bool:
                        return ParseBool(field);
                    case FieldType.Enum:
                        return ParseEnum(field);
                    case FieldType.Double:
                        return ParseDouble(field);
                    case FieldType.Float:
                        return (float)ParseDouble(field);
                    case FieldType.Int32:
                    case FieldType.SInt32:
                    case FieldType.SFixed32:
                        return checked((int)ParseInteger(field, signed: true));
                    case FieldType.Int64:
                    case FieldType.SInt64:
                    case FieldType.SFixed64:
                        return ParseInteger(field, signed: true);
                    case FieldType.UInt32:
                    case FieldType.Fixed32:
                        return checked((uint)ParseUnsigned(field));
                    case FieldType.UInt64:
                    case FieldType.Fixed64:
                        return ParseUnsigned(field);
                    default:
                        throw _t.Error($"field '{field.Name}' has unsupported type {field.FieldType}");
                }
            }
            catch (OverflowException)
            {
                throw new GraphFormatException($"value of field '{field.Name}' is out of range for {field.FieldType}", line, column);
            }
        }

        private byte[] ExpectString(FieldDescriptor field)
        {
            if (_t.Kind != TokenKind.String)
            {
                throw _t.Error($"field '{field.Name}' expects a quoted string but found {_t.Describe()}");
            }

            var value = _t.StringValue;
            _t.Next();
            return value;
        }

        private bool ParseBool(FieldDescriptor field)
        {
            string text = _t.Text;
            if (_t.Kind is TokenKind.Identifier or TokenKind.Number)
            {
                bool? result = text switch
                {
                    "true" or "True" or "t" or "1" => true,
                    "false" or "False" or "f" or "0" => false,
                    _ => null,
                };
                if (result is bool b)
                {
                    _t.Next();
                    return b;
                }
            }

            throw _t.Error($"field '{field.Name}' expects true or false but found {_t.Describe()}");
        }

        private object ParseEnum(FieldDescriptor field)
        {
            var enumType = field.EnumType;
            if (_t.Kind == TokenKind.Identifier)
            {
                var value = enumType.FindValueByName(_t.Text)
                    ?? throw _t.Error($"unknown {enumType.Name} value '{_t.Text}' for field '{field.Name}'");
                _t.Next();
                return Enum.ToObject(enumType.ClrType, value.Number);
            }

            if (_t.Kind == TokenKind.Number)
            {
                long number = ParseInteger(field, signed: true);
                return Enum.ToObject(enumType.ClrType, checked((int)number));
            }

            throw _t.Error($"field '{field.Name}' expects a {enumType.Name} name but found {_t.Describe()}");
        }

        private double ParseDouble(FieldDescriptor field)
        {
            if (_t.Kind is not (TokenKind.Number or TokenKind.Identifier))
            {
                throw _t.Error($"field '{field.Name}' expects a number but found {_t.Describe()}");
            }

            string text = _t.Text;
            string lower = text.ToLowerInvariant();
            double sign = 1;
            string body = lower;
            if (body.StartsWith("-", StringComparison.Ordinal))
            {
                sign = -1;
                body = body.Substring(1);
            }
            else if (body.StartsWith("+", StringComparison.Ordinal))
            {
                body = body.Substring(1);
            }

            double result;
            if (body is "inf" or "infinity" or "inff" or "infinityf")
            {
                result = sign * double.PositiveInfinity;
            }
            else if (body is "nan" or "nanf")
            {
                result = double.NaN;
            }
            else
            {
                if (body.EndsWith("f", StringComparison.Ordinal) && !body.StartsWith("0x", StringComparison.Ordinal))
                {
                    body = body.Substring(0, body.Length - 1);
                }

                if (body.Length == 0 || body.IndexOf('_') >= 0 || !(char.IsDigit(body[0]) || body[0] == '.')
                    || !double.TryParse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out result))
                {
                    throw _t.Error($"'{text}' is not a valid number for field '{field.Name}'");
                }

                result *= sign;
            }

            _t.Next();
            return result;
        }

        private long ParseInteger(FieldDescriptor field, bool signed)
        {
            if (_t.Kind != TokenKind.Number)
            {
                throw _t.Error($"field '{field.Name}' expects an integer but found {_t.Describe()}");
            }

            string text = _t.Text;
            bool negative = text.StartsWith("-", StringComparison.Ordinal);
            string body = negative || text.StartsWith("+", StringComparison.Ordinal) ? text.Substring(1) : text;
            ulong magnitude = ParseMagnitude(body, field, text);
            _t.Next();
            if (negative)
            {
                if (!signed || magnitude > 9223372036854775808UL)
                {
                    throw new OverflowException();
                }

                return magnitude == 9223372036854775808UL ? long.MinValue : -(long)magnitude;
            }

            return checked((long)magnitude);
        }

        private ulong ParseUnsigned(FieldDescriptor field)
        {
            if (_t.Kind != TokenKind.Number || _t.Text.StartsWith("-", StringComparison.Ordinal))
            {
                throw _t.Error($"field '{field.Name}' expects a non-negative integer but found {_t.Describe()}");
            }

            string text = _t.Text;
            ulong value = ParseMagnitude(text.TrimStart('+'), field, text);
            _t.Next();
            return value;
        }

        private ulong ParseMagnitude(string body, FieldDescriptor field, string text)
        {
            bool ok;
            ulong value;
            if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                ok = ulong.TryParse(body.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
            }
            else if (body.Length > 1 && body[0] == '0')
            {
                value = 0;
                ok = true;
                foreach (char c in body.Substring(1))
                {
                    if (c < '0' || c > '7')
                    {
                        ok = false;
                        break;
                    }

                    value = checked((value * 8) + (ulong)(c - '0'));
                }
            }
            else
            {
                ok = ulong.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out value);
                if (!ok && body.Length > 0 && body.TrimStart('0').Length > 0 && IsAllDigits(body))
                {
                    throw new OverflowException();
                }
            }

            if (!ok)
            {
                throw _t.Error($"'{text}' is not a valid integer for field '{field.Name}'");
            }

            return value;
        }

        private static bool IsAllDigits(string s)
        {
            foreach (char c in s)
            {
                if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
