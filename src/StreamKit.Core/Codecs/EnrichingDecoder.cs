using StreamKit.Records;

namespace StreamKit.Codecs;

/// <summary>Decodes the payload with another decoder, then lets <see cref="RecordEnricher{T}"/> fill fields from the key and headers.</summary>
/// <remarks>Pass a <see langword="static"/> lambda so that nothing is captured; it runs once per record.</remarks>
/// <typeparam name="T">The record struct.</typeparam>
/// <param name="payload">Decodes the payload (JSON lines, MessagePack, Avro).</param>
/// <param name="enrich">Fills fields from the rest of the record.</param>
public sealed class EnrichingDecoder<T>(IRecordDecoder<T> payload, RecordEnricher<T> enrich) : IRawRecordDecoder<T>
    where T : struct
{
    private readonly IRecordDecoder<T> _payload = payload ?? throw new ArgumentNullException(nameof(payload));
    private readonly RecordEnricher<T> _enrich = enrich ?? throw new ArgumentNullException(nameof(enrich));

    /// <inheritdoc />
    public bool TryDecode(in RawRecord raw, ref T record, out string? error)
    {
        if (!_payload.TryDecode(raw.Value, ref record, out error))
        {
            return false;
        }

        error = _enrich(ref record, raw);
        return error is null;
    }

    /// <summary>Decodes the payload alone (no key or headers to enrich from).</summary>
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error) => _payload.TryDecode(payload, ref record, out error);
}
