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
