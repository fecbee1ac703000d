using System.Buffers;
using MessagePack;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.MessagePack;

/// <summary>Encodes a record as a MessagePack map of field name to value, for every field of a <see cref="RecordMap{T}"/> that has a getter, writing with MessagePack-CSharp's <see cref="MessagePackWriter"/>.</summary>
/// <remarks>
/// <para>
/// Fields are written in declaration order, each value in its smallest encoding (doubles as <c>float64</c>), the
/// same bytes python-msgpack writes for the same values; <see cref="FieldKind.TimestampMillis"/> fields as set by
/// <see cref="MessagePackEncoderOptions.TimestampEncoding"/>. Objects need no delimiter, so consecutive records
/// written to one file form a stream that <see cref="MessagePackFraming"/> (or any MessagePack streaming reader) cuts
/// back into records.
/// </para>
/// <para>
/// Keys are encoded once, at construction. Allocation-free once <c>output</c> has grown; thread-safe.
/// </para>
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class MessagePackEncoder<T> : IRecordEncoder<T>
    where T : struct
{
    private readonly RecordField<T>[] _fields;
    private readonly byte[][] _encodedKeys;
    private readonly bool _timestampsAsExtension;

    /// <summary>Creates an encoder for the fields of <paramref name="map"/> that have getters.</summary>
    /// <param name="map">The fields to write.</param>
    /// <param name="options">Encoding choices; <see langword="null"/> for the defaults.</param>
    public MessagePackEncoder(RecordMap<T> map, MessagePackEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        options ??= new MessagePackEncoderOptions();
        _timestampsAsExtension = options.TimestampEncoding == MessagePackTimestampEncoding.Extension;

        var fields = new List<RecordField<T>>();
        foreach (var field in map.Fields)
        {
            if (field.CanGet)
            {
                fields.Add(field);
            }
        }

        _fields = [.. fields];
        _encodedKeys = new byte[_fields.Length][];
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < _fields.Length; i++)
        {
            buffer.ResetWrittenCount();
            var writer = new MessagePackWriter(buffer);
            writer.WriteString(_fields[i].Utf8Name.Span);
            writer.Flush();
            _encodedKeys[i] = buffer.WrittenSpan.ToArray();
        }
    }

    /// <inheritdoc />
    public void Encode(in T record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        // scoped: the writer outlives no call, so it may be handed the spans the field getters return.
        scoped var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(_fields.Length);
        for (var i = 0; i < _fields.Length; i++)
        {
            var field = _fields[i];
            writer.WriteRaw(_encodedKeys[i]);
            switch (field.Kind)
            {
                case FieldKind.Int32:
                    writer.Write((long)field.GetInt32(in record));
                    break;
                case FieldKind.Int64:
                    writer.Write(field.GetInt64(in record));
                    break;
                case FieldKind.TimestampMillis when _timestampsAsExtension:
                    MessagePackTimestamp.Write(ref writer, field.GetInt64(in record));
                    break;
                case FieldKind.TimestampMillis:
                    writer.Write(field.GetInt64(in record));
                    break;
                case FieldKind.Double:
                    writer.Write(field.GetDouble(in record));
                    break;
                case FieldKind.Boolean:
                    writer.Write(field.GetBoolean(in record));
                    break;
                default:
                    writer.WriteString(field.GetString(in record));
                    break;
            }
        }

        writer.Flush();
    }
}
