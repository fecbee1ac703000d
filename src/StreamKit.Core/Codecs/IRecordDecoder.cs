using StreamKit.Records;

namespace StreamKit.Codecs;

/// <summary>Turns one record's payload bytes into the user's struct.</summary>
/// <remarks>
/// Implementations are called once per record on the hot path: they must not allocate on success. On failure they
/// return <see langword="false"/> with a human-readable reason (allocating there is fine: it is the bad path) and
/// the runner sends the raw bytes to the dead-letter sink. They never throw for bad input.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public interface IRecordDecoder<T>
    where T : struct
{
    /// <summary>Decodes <paramref name="payload"/> into <paramref name="record"/>, which starts as <c>default</c>.</summary>
    /// <param name="payload">Exactly one record's bytes.</param>
    /// <param name="record">The record to fill.</param>
    /// <param name="error">Why the payload was rejected; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when the record was decoded.</returns>
    bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error);
}

/// <summary>A decoder that also sees the record's key, headers, position and source timestamp, not just its payload.</summary>
/// <remarks>
/// The runners call this overload instead of the payload-only one when the decoder implements it. Use it to take a
/// field from a Kafka key or header (a tenant, a schema id, a trace id); <see cref="EnrichingDecoder{T}"/> adds that to
/// any payload decoder. The same rules hold: no allocation on success, no throwing for bad input.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public interface IRawRecordDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    /// <summary>Decodes <paramref name="raw"/> into <paramref name="record"/>, which starts as <c>default</c>.</summary>
    /// <param name="raw">The record as the source delivered it; its spans are valid during the call only.</param>
    /// <param name="record">The record to fill.</param>
    /// <param name="error">Why the record was rejected; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when the record was decoded.</returns>
    bool TryDecode(in RawRecord raw, ref T record, out string? error);
}

/// <summary>Sets fields of a decoded record from its key, headers or timestamp.</summary>
/// <param name="record">The record its payload was decoded into.</param>
/// <param name="raw">The record as the source delivered it.</param>
/// <returns><see langword="null"/> to accept the record, or why to dead-letter it (a required header missing).</returns>
/// <typeparam name="T">The record struct.</typeparam>
public delegate string? RecordEnricher<T>(ref T record, in RawRecord raw)
    where T : struct;

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

/// <summary>Writes one record in a wire format.</summary>
/// <remarks>Called per output record: must not allocate once its output buffer has grown to size.</remarks>
/// <typeparam name="T">The record struct.</typeparam>
public interface IRecordEncoder<T>
{
    /// <summary>Appends the encoding of <paramref name="record"/> to <paramref name="output"/>.</summary>
    /// <remarks>Framing (a newline for JSON lines) is part of the encoding.</remarks>
    void Encode(in T record, System.Buffers.IBufferWriter<byte> output);
}

/// <summary>Helpers for sinks that send each encoded record as one message.</summary>
public static class EncodedRecord
{
    /// <summary>The encoding without its line ending (<c>\n</c> or <c>\r\n</c>): a JSON lines encoder frames records for files, a message needs no frame.</summary>
    public static ReadOnlySpan<byte> WithoutLineEnd(ReadOnlySpan<byte> encoded) =>
        encoded.Length > 0 && encoded[^1] == (byte)'\n'
            ? encoded[..^(encoded.Length > 1 && encoded[^2] == (byte)'\r' ? 2 : 1)]
            : encoded;
}
