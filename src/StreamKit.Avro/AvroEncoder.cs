using System.Buffers;
using Avro;
using StreamKit.Avro.Binary;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Avro;

/// <summary>Encodes records as bare Avro binary bodies in the schema derived from their <see cref="RecordMap{T}"/>.</summary>
/// <remarks>
/// Fields are written in map order with the types <see cref="RecordMapAvroExtensions.ToAvroSchema{T}"/> gives;
/// <see cref="Schema"/> is that schema, to put in a container header or register with a schema registry. The body
/// has no framing: wrap it with <see cref="Framing.AvroFramedEncoder{T}"/> for single-object or registry framing,
/// or append it to an <see cref="Container.AvroContainerWriter"/>. Allocates nothing once the output has grown.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class AvroEncoder<T> : IRecordEncoder<T>
    where T : struct
{
    private readonly RecordField<T>[] _fields;

    /// <summary>Creates an encoder.</summary>
    /// <param name="map">The record map; every field needs a getter.</param>
    /// <param name="recordName">The record name in the derived schema, or a full name.</param>
    /// <param name="ns">The namespace, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A field has no getter.</exception>
    public AvroEncoder(RecordMap<T> map, string recordName, string? ns = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        _fields = new RecordField<T>[map.Fields.Count];
        for (var i = 0; i < _fields.Length; i++)
        {
            _fields[i] = map.Fields[i].CanGet
                ? map.Fields[i]
                : throw new ArgumentException($"Field '{map.Fields[i].Name}' has no getter, so it cannot be encoded.", nameof(map));
        }

        Schema = map.ToAvroSchema(recordName, ns);
    }

    /// <summary>The writer schema of the bodies this encoder writes.</summary>
    public RecordSchema Schema { get; }

    /// <inheritdoc/>
    public void Encode(in T record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var fields = _fields;
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            switch (field.Kind)
            {
                case FieldKind.Int32:
                    AvroWriter.WriteLong(output, field.GetInt32(in record));
                    break;
                case FieldKind.Int64:
                case FieldKind.TimestampMillis:
                    AvroWriter.WriteLong(output, field.GetInt64(in record));
                    break;
                case FieldKind.Double:
                    AvroWriter.WriteDouble(output, field.GetDouble(in record));
                    break;
                case FieldKind.Boolean:
                    AvroWriter.WriteBoolean(output, field.GetBoolean(in record));
                    break;
                default:
                    AvroWriter.WriteBytes(output, field.GetString(in record));
                    break;
            }
        }
    }
}
