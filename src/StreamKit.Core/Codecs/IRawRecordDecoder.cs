using StreamKit.Records;

namespace StreamKit.Codecs;

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
