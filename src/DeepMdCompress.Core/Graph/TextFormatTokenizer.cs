using System;
using System.Globalization;
using System.IO;
using System.Text;
using DeepMdCompress.Core.Errors;

namespace DeepMdCompress.Core.Graph;

internal enum TokenKind
{
    End,
    Identifier,
    Number,
    String,
    Symbol,
}

/// <summary>
/// Tokenizer for protobuf text format as TensorFlow writes it: identifiers, numbers (including
/// <c>inf</c>/<c>nan</c> spelled as identifiers), C-escaped strings, the symbols <c>{ } &lt; &gt; : [ ] , ;</c>
/// and <c>#</c> comments. Positions are 1-based line/column for error messages.
/// </summary>
internal sealed class TextFormatTokenizer
{
    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private readonly int _maxStringBytes;

    public TextFormatTokenizer(string text, int maxStringBytes = int.MaxValue)
    {
        _text = text;
        _maxStringBytes = maxStringBytes;
        Next();
    }

    public TokenKind Kind { get; private set; }

    /// <summary>Raw token text (for strings: the unescaped bytes are in <see cref="StringValue"/>).</summary>
    public string Text { get; private set; } = string.Empty;

    public byte[] StringValue { get; private set; } = Array.Empty<byte>();

    public int Line { get; private set; }

    public int Column { get; private set; }

    public GraphFormatException Error(string message) => new(message, Line, Column);

    public bool IsSymbol(char c) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == c;

    public bool TryConsume(char c)
    {
        if (!IsSymbol(c))
        {
            return false;
        }

        Next();
        return true;
    }

    public void Expect(char c)
    {
        if (!TryConsume(c))
        {
            throw Error($"expected '{c}' but found {Describe()}");
        }
    }

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of file",
        TokenKind.String => "a string",
        _ => $"'{Text}'",
    };

    public void Next()
    {
        SkipWhitespaceAndComments();
        Line = _line;
        Column = _pos - _lineStart + 1;
        if (_pos >= _text.Length)
        {
            Kind = TokenKind.End;
            Text = string.Empty;
            return;
        }

        char c = _text[_pos];
        if (c == '"' || c == '\'')
        {
            ReadString();
            return;
        }

        if (char.IsLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == '.' || _text[_pos] == '/'))
            {
                _pos++;
            }

            Kind = TokenKind.Identifier;
            Text = _text.Substring(start, _pos - start);
            return;
        }

        if (char.IsDigit(c) || c == '-' || c == '+' || c == '.')
        {
            int start = _pos;
            _pos++;
            while (_pos < _text.Length)
            {
                char d = _text[_pos];
                if (char.IsLetterOrDigit(d) || d == '.' || d == '_' ||
                    ((d == '-' || d == '+') && (_text[_pos - 1] == 'e' || _text[_pos - 1] == 'E')))
                {
                    _pos++;
                }
                else
                {
                    break;
                }
            }

            Kind = TokenKind.Number;
            Text = _text.Substring(start, _pos - start);
            return;
        }

        if ("{}<>:[],;".IndexOf(c) >= 0)
        {
            _pos++;
            Kind = TokenKind.Symbol;
            Text = c.ToString();
            return;
        }

        throw new GraphFormatException($"unexpected character '{(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString())}'", Line, Column);
    }

    private void SkipWhitespaceAndComments()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }
    }

    private void ReadString()
    {
        // Adjacent string literals concatenate ("ab" "cd" == "abcd"), as in protobuf's tokenizer.
        using var bytes = new MemoryStream();
        int startLine = Line, startCol = Column;
        do
        {
            ReadOneString(bytes);
            if (bytes.Length > _maxStringBytes)
            {
                throw new GraphFormatException($"a string literal is longer than {_maxStringBytes} bytes", startLine, startCol, errorId: ErrorIds.StringTooLong);
            }
            int save = _pos, saveLine = _line, saveLineStart = _lineStart;
            SkipWhitespaceAndComments();
            if (_pos < _text.Length && (_text[_pos] == '"' || _text[_pos] == '\''))
            {
                continue;
            }

            _pos = save;
            _line = saveLine;
            _lineStart = saveLineStart;
            break;
        }
        while (true);

        Kind = TokenKind.String;
        Text = "\"";
        StringValue = bytes.ToArray();
        Line = startLine;
        Column = startCol;
    }

    private void ReadOneString(MemoryStream bytes)
    {
        char quote = _text[_pos];
        int line = _line, col = _pos - _lineStart + 1;
        _pos++;
        var utf8 = new byte[4];
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw new GraphFormatException("unterminated string", line, col);
            }

            char c = _text[_pos++];
            if (c == quote)
            {
                return;
            }

            if (c != '\\')
            {
                if (c < 0x80)
                {
                    bytes.WriteByte((byte)c);
                }
                else
                {
                    // Text arrives decoded as UTF-8; non-ASCII characters go back to their UTF-8 bytes.
                    string s = char.IsHighSurrogate(c) && _pos < _text.Length ? new string(new[] { c, _text[_pos++] }) : c.ToString();
                    int n = Encoding.UTF8.GetBytes(s, 0, s.Length, utf8, 0);
                    bytes.Write(utf8, 0, n);
                }

                continue;
            }

            if (_pos >= _text.Length)
            {
                throw new GraphFormatException("unterminated escape sequence", _line, _pos - _lineStart + 1);
            }

            int escCol = _pos - _lineStart;
            char e = _text[_pos++];
            switch (e)
            {
                case 'n': bytes.WriteByte((byte)'\n'); break;
                case 't': bytes.WriteByte((byte)'\t'); break;
                case 'r': bytes.WriteByte((byte)'\r'); break;
                case 'a': bytes.WriteByte(7); break;
                case 'b': bytes.WriteByte(8); break;
                case 'f': bytes.WriteByte(12); break;
                case 'v': bytes.WriteByte(11); break;
                case '\\': bytes.WriteByte((byte)'\\'); break;
                case '\'': bytes.WriteByte((byte)'\''); break;
                case '"': bytes.WriteByte((byte)'"'); break;
                case '?': bytes.WriteByte((byte)'?'); break;
                case 'x':
                case 'X':
                {
                    int value = 0, digits = 0;
                    while (digits < 2 && _pos < _text.Length && IsHex(_text[_pos]))
                    {
                        value = (value * 16) + HexValue(_text[_pos++]);
                        digits++;
                    }

                    if (digits == 0)
                    {
                        throw new GraphFormatException("\\x escape without hex digits", _line, escCol);
                    }

                    bytes.WriteByte((byte)value);
                    break;
                }

                default:
                    if (e >= '0' && e <= '7')
                    {
                        int value = e - '0', digits = 1;
                        while (digits < 3 && _pos < _text.Length && _text[_pos] >= '0' && _text[_pos] <= '7')
                        {
                            value = (value * 8) + (_text[_pos++] - '0');
                            digits++;
                        }

                        if (value > 255)
                        {
                            throw new GraphFormatException($"octal escape \\{Convert.ToString(value, 8)} is larger than one byte", _line, escCol);
                        }

                        bytes.WriteByte((byte)value);
                        break;
                    }

                    throw new GraphFormatException($"invalid escape sequence '\\{e}'", _line, escCol);
            }
        }
    }

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (char.ToLowerInvariant(c) - 'a' + 10);
}
