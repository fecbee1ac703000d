using StreamKit.Records;

namespace StreamKit.Codecs;

/// <summary>Sets fields of a decoded record from its key, headers or timestamp.</summary>
/// <param name="record">The record its payload was decoded into.</param>
/// <param name="raw">The record as the source delivered it.</param>
/// <returns><see langword="null"/> to accept the record, or why to dead-letter it (a required header missing).</returns>
/// <typeparam name="T">The record struct.</typeparam>
public delegate string? RecordEnricher<T>(ref T record, in RawRecord raw)
    where T : struct;
