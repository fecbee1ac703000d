using System.Buffers;
using StreamKit.Runtime;

namespace StreamKit.Kinesis;

/// <summary>Writes a record's partition key as UTF-8: append its bytes to <paramref name="key"/> (1 to 256 characters).</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="record">The record.</param>
/// <param name="key">Where the key bytes go (empty when the writer is called).</param>
public delegate void KinesisPartitionKeyWriter<T>(in T record, IBufferWriter<byte> key);
