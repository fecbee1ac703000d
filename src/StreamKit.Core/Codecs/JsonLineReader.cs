namespace StreamKit.Codecs;

/// <summary>
/// Walks JSON lines already in memory and decodes each line, yielding a <see cref="JsonLine{T}"/> per record or
/// rejected line; made by <see cref="JsonLinesDecoder{T}.ReadLines(ReadOnlySpan{byte})"/>.
/// </summary>
/// <remarks>
/// Lines are framed as the <c>.jsonl</c> file reader frames them: they end with <c>\n</c>, a trailing <c>\r</c> is
/// removed, blank lines and a UTF-8 byte-order mark at the start are skipped, and the last line needs no newline. A
/// bad line is not thrown: it is yielded with its raw bytes, its byte offset and the reason, as a file source's runner
/// would dead-letter it. Allocates nothing for valid lines.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public ref struct JsonLineReader<T>
    where T : struct
{
    private readonly JsonLinesDecoder<T> _decoder;
    private readonly ReadOnlySpan<byte> _utf8;
    private int _next;
    private JsonLine<T> _current;

    internal JsonLineReader(JsonLinesDecoder<T> decoder, ReadOnlySpan<byte> utf8)
    {
        _decoder = decoder;
        _utf8 = utf8;
        _next = utf8.StartsWith("\uFEFF"u8) ? 3 : 0;
    }

    /// <summary>The line just read.</summary>
    public readonly JsonLine<T> Current => _current;

    /// <summary>Returns this reader, so that it can be used in <see langword="foreach"/>.</summary>
    public readonly JsonLineReader<T> GetEnumerator() => this;

    /// <summary>Reads and decodes the next non-blank line.</summary>
    /// <returns><see langword="false"/> at the end of the input.</returns>
    public bool MoveNext()
    {
        while (_next < _utf8.Length)
        {
            var start = _next;
            var rest = _utf8[start..];
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            _next = newline < 0 ? _utf8.Length : start + newline + 1;
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.IndexOfAnyExcept(" \t"u8) < 0)
            {
                continue;
            }

            T record = default;
            _current = _decoder.TryDecode(line, ref record, out var error)
                ? new JsonLine<T>(record, null, start, line)
                : new JsonLine<T>(default, error, start, line);
            return true;
        }

        _current = default;
        return false;
    }
}
