using System.Buffers;

namespace StreamKit.Kafka;

/// <summary>Writes a record's message key: append its bytes to <paramref name="key"/>.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="record">The record.</param>
/// <param name="key">Where the key bytes go (empty when the writer is called).</param>
public delegate void KafkaKeyWriter<T>(in T record, IBufferWriter<byte> key);
