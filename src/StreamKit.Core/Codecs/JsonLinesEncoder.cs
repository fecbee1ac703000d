using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamKit.Records;

namespace StreamKit.Codecs;

/// <summary>Writes records as JSON lines: one compact object per line, fields in map order.</summary>
/// <remarks>
/// Uses one reused <see cref="Utf8JsonWriter"/> and the property names' UTF-8 bytes, so steady-state encoding allocates
/// nothing. The names are not pre-escaped (<c>JsonEncodedText</c>): that would load System.Text.Json's escaping
/// encoder (about 9 ms here) when a function builds its pipeline, instead of when it first writes a result, which a
/// function's first invocation often does not. Not thread-safe: one per sink. Disposing releases the writer; an
/// encoder that is never disposed holds nothing else (the writer rents no buffers: it writes into the caller's).
/// </remarks>
public sealed class JsonLinesEncoder<T> : IRecordEncoder<T>, IDisposable
    where T : struct
{
    private readonly RecordField<T>[] _fields;
    private readonly byte[][] _names;
    private readonly Utf8JsonWriter _writer = new(Stream.Null, new JsonWriterOptions { SkipValidation = true });

    /// <summary>Creates an encoder writing every field of <paramref name="map"/> that has a getter.</summary>
    public JsonLinesEncoder(RecordMap<T> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var fields = new List<RecordField<T>>();
        foreach (var field in map.Fields)
        {
            if (field.CanGet)
            {
                fields.Add(field);
            }
        }

        _fields = [.. fields];
        _names = new byte[_fields.Length][];
        for (var i = 0; i < _fields.Length; i++)
        {
            _names[i] = Encoding.UTF8.GetBytes(_fields[i].Name);
        }
    }

    /// <inheritdoc />
    public void Encode(in T record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _writer.Reset(output);
        _writer.WriteStartObject();
        for (var i = 0; i < _fields.Length; i++)
        {
            var field = _fields[i];
            ReadOnlySpan<byte> name = _names[i];
            switch (field.Kind)
            {
                case FieldKind.Int32:
                    _writer.WriteNumber(name, field.GetInt32(record));
                    break;
                case FieldKind.Int64:
                case FieldKind.TimestampMillis:
                    _writer.WriteNumber(name, field.GetInt64(record));
                    break;
                case FieldKind.Double:
                    _writer.WriteNumber(name, field.GetDouble(record));
                    break;
                case FieldKind.Boolean:
                    _writer.WriteBoolean(name, field.GetBoolean(record));
                    break;
                default:
                    _writer.WriteString(name, field.GetString(record));
                    break;
            }
        }

        _writer.WriteEndObject();
        _writer.Flush();
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
