using System.Buffers;
using StreamKit.Codecs;

namespace StreamKit.Avro.Framing;

/// <summary>Encodes records as framed Avro messages: single-object encoding or schema-registry framing around an <see cref="AvroEncoder{T}"/> body.</summary>
/// <remarks>Allocates nothing once the output has grown. Thread-safe.</remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class AvroFramedEncoder<T> : IRecordEncoder<T>
    where T : struct
{
    private readonly AvroEncoder<T> _inner;
    private readonly AvroFraming _framing;
    private readonly int _schemaId;
    private readonly ulong _fingerprint;

    /// <summary>Creates a framed encoder.</summary>
    /// <param name="inner">Encodes the body; its <see cref="AvroEncoder{T}.Schema"/> is the writer schema.</param>
    /// <param name="framing">The framing to write.</param>
    /// <param name="schemaId">The registry id of <paramref name="inner"/>'s schema (schema-registry framing only).</param>
    public AvroFramedEncoder(AvroEncoder<T> inner, AvroFraming framing, int schemaId = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _framing = framing;
        _schemaId = schemaId;
        _fingerprint = AvroSchemas.Fingerprint(inner.Schema);
    }

    /// <inheritdoc/>
    public void Encode(in T record, IBufferWriter<byte> output)
    {
        if (_framing == AvroFraming.SingleObject)
        {
            AvroSingleObject.WriteHeader(output, _fingerprint);
        }
        else
        {
            AvroSchemaRegistryFormat.WriteHeader(output, _schemaId);
        }

        _inner.Encode(in record, output);
    }
}
