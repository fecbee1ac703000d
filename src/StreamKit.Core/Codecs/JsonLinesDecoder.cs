using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using StreamKit.Records;

namespace StreamKit.Codecs;

/// <summary>Decodes one JSON object (one line of a JSON lines stream) into a struct through its <see cref="RecordMap{T}"/>.</summary>
/// <remarks>
/// Reads with <see cref="Utf8JsonReader"/> straight into the struct: no <c>JsonSerializer</c>, no intermediate
/// objects, no allocation for valid input (strings reach the setter as UTF-8, unescaped into a reused buffer only
/// when they contain escapes). Unknown properties are skipped; <c>null</c> counts as absent; a
/// <see cref="FieldKind.TimestampMillis"/> field also accepts an ISO 8601 string (read as UTC when it has no
/// offset). Anything else — malformed JSON, invalid UTF-8 or escapes in a string, a wrong type, a value out of
/// range, a missing required field, trailing content, over <see cref="MaxRecordBytes"/>
/// — is rejected with a reason. Each setter is called once per occurrence of its property. Not thread-safe (it
/// reuses a scratch buffer and learns the order of the properties): one per pipeline. It takes the map's fields
/// when it is created; fields added to the map later are not decoded.
/// </remarks>
public sealed partial class JsonLinesDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    private readonly RecordMap<T> _map;
    private readonly RecordField<T>[] _fields; // the map's settable fields: a property matching none of them is skipped
    private readonly byte[][] _names;          // their UTF-8 names, by the same index
    private readonly int[] _order;             // the field index found at each property position of the last record, -1 for none
    private byte[] _scratch = new byte[256];

    /// <summary>Creates a decoder for the fields in <paramref name="map"/>.</summary>
    public JsonLinesDecoder(RecordMap<T> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        _map = map;
        _fields = [.. map.Fields.Where(static f => f.CanSet)];
        _names = [.. _fields.Select(static f => f.Utf8Name.ToArray())];
        _order = new int[MaxOrdered];
        for (var i = 0; i < _order.Length; i++)
        {
            _order[i] = i < _fields.Length ? i : -1;
        }
    }

    /// <summary>The largest record accepted, in bytes; larger ones are rejected without parsing.</summary>
    /// <value>Defaults to 1 MiB.</value>
    public int MaxRecordBytes { get; init; } = 1 << 20;

    /// <summary>Decodes JSON lines already in memory (a request body, a test fixture), line by line.</summary>
    /// <remarks>Lines are framed as in <c>.jsonl</c> files; bad lines are yielded with their raw bytes, position and reason, not thrown.</remarks>
    /// <example>
    /// <code>
    /// foreach (var line in decoder.ReadLines(body))
    /// {
    ///     if (line.IsValid) records.Add(line.Record);
    ///     else deadLetters.Write(new DeadLetter("request", "0", line.Position, line.Error!, line.Raw, default, 0));
    /// }
    /// </code>
    /// </example>
    public JsonLineReader<T> ReadLines(ReadOnlySpan<byte> utf8) => new(this, utf8);

    /// <summary>Decodes JSON lines held in a string, line by line.</summary>
    /// <remarks>Transcodes the text to UTF-8 once (one allocation of its size); positions are UTF-8 byte offsets.</remarks>
    public JsonLineReader<T> ReadLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(this, Encoding.UTF8.GetBytes(text));
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        if (payload.Length > MaxRecordBytes)
        {
            error = $"record of {payload.Length} bytes exceeds the {MaxRecordBytes}-byte limit";
            return false;
        }

        try
        {
            var seen = 0UL;
            return DecodeFlat(payload, ref record, ref seen, out var resumeAt, out error) switch
            {
                FlatResult.Decoded => true,
                FlatResult.Rejected => false,
                _ => Decode(payload, ref record, seen, resumeAt, out error),
            };
        }
        catch (JsonException e)
        {
            // Utf8JsonReader reports malformed input only by throwing; this is the bad-input path, not control flow.
            error = "malformed JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>Decodes with <see cref="Utf8JsonReader"/> alone, for tests that hold the flat path to the reader.</summary>
    internal bool TryDecodeWithReader(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        try
        {
            return Decode(payload, ref record, 0, 0, out error);
        }
        catch (JsonException e)
        {
            error = "malformed JSON: " + e.Message;
            return false;
        }
    }

    // Decodes with Utf8JsonReader what DecodeFlat leaves: the properties starting before resumeAt are stored already
    // (in seen) and only skipped, so a setter never runs twice for one property.
    private bool Decode(ReadOnlySpan<byte> payload, ref T record, ulong seen, int resumeAt, out string? error)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "not a JSON object";
            return false;
        }

        for (var position = 0; reader.Read() && reader.TokenType == JsonTokenType.PropertyName; position++)
        {
            int index;
            if (reader.TokenStartIndex < resumeAt)
            {
                index = -1;
            }
            else if (!reader.ValueIsEscaped)
            {
                index = Find(reader.ValueSpan, position);
            }
            else if (TryUnescape(ref reader, out var name))
            {
                index = Find(name, position);
            }
            else
            {
                error = "a property name has an invalid escape sequence";
                return false;
            }

            reader.Read();
            if (index < 0)
            {
                reader.Skip();
                continue;
            }

            var field = _fields[index];

            var token = reader.TokenType;
            if (token == JsonTokenType.Null)
            {
                continue;
            }

            if (!Set(field, ref reader, ref record))
            {
                // The token type is taken before Set: for an object or array Set skips to its end token.
                error = InvalidValue(field, token);
                return false;
            }

            seen |= 1UL << field.Index;
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            error = "malformed JSON object";
            return false;
        }

        if (reader.Read())
        {
            error = "unexpected content after the JSON object";
            return false;
        }

        if (_map.FirstMissing(seen) is { } missing)
        {
            error = $"missing field '{missing}'";
            return false;
        }

        error = null;
        return true;
    }

    private bool Set(RecordField<T> field, ref Utf8JsonReader reader, ref T record)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer))
                {
                    return field.SetInt64(ref record, integer);
                }

                return reader.TryGetDouble(out var real) && field.SetDouble(ref record, real);
            case JsonTokenType.String:
                if (field.Kind == FieldKind.TimestampMillis)
                {
                    return TryGetTimestamp(ref reader, out var millis) && field.SetInt64(ref record, millis);
                }

                if (!reader.ValueIsEscaped)
                {
                    // Utf8JsonReader does not validate the UTF-8 of unescaped strings; a setter must never see invalid text.
                    return Utf8.IsValid(reader.ValueSpan) && field.SetString(ref record, reader.ValueSpan);
                }

                return TryUnescape(ref reader, out var text) && field.SetString(ref record, text);
            case JsonTokenType.True:
                return field.SetBoolean(ref record, true);
            case JsonTokenType.False:
                return field.SetBoolean(ref record, false);
            default:
                reader.Skip();
                return false;
        }
    }

    private bool TryUnescape(ref Utf8JsonReader reader, out ReadOnlySpan<byte> text)
    {
        // Unescaped text is never longer than its escaped form.
        if (_scratch.Length < reader.ValueSpan.Length)
        {
            _scratch = new byte[Math.Max(reader.ValueSpan.Length, _scratch.Length * 2)];
        }

        try
        {
            text = _scratch.AsSpan(0, reader.CopyString(_scratch));
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape (\uD800) or invalid UTF-8 in the string: reported only by throwing.
            text = default;
            return false;
        }

        return Utf8.IsValid(text);
    }

    private static bool TryGetTimestamp(ref Utf8JsonReader reader, out long millis)
    {
        millis = 0;
        DateTime clock;
        try
        {
            if (!reader.TryGetDateTime(out clock))
            {
                return false;
            }
        }
        catch (InvalidOperationException)
        {
            // An escaped string with a lone surrogate (\uD800) is reported only by throwing, even from a Try method.
            return false;
        }

        // For a value without an offset, TryGetDateTimeOffset would assume the machine's local zone; event times must
        // not depend on where the job runs, so such a timestamp is read as UTC. Only an explicit offset needs the
        // second parse (TryGetDateTime has converted those to local time).
        DateTimeOffset time;
        if (clock.Kind != DateTimeKind.Local)
        {
            time = new DateTimeOffset(clock.Ticks, TimeSpan.Zero);
        }
        else if (!reader.TryGetDateTimeOffset(out time))
        {
            return false;
        }

        millis = time.ToUnixTimeMilliseconds();
        return true;
    }

    private static string InvalidValue(RecordField<T> field, JsonTokenType token) =>
        $"field '{field.Name}' has an invalid {Describe(token)} value for {field.Kind}";

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Number => "number",
        JsonTokenType.String => "string",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        _ => token.ToString(),
    };
}
