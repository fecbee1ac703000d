using System.Buffers;

namespace StreamKit.Records;

/// <summary>
/// A batch of undecoded records from one partition of a source: payload and key bytes in one pooled buffer, with
/// per-record position and timestamp.
/// </summary>
/// <remarks>
/// Sources fill it with <see cref="Add"/> and the runner decodes it; it is reused batch after batch, so steady
/// state allocates nothing. Positions must increase within a partition: they are what checkpoints store and what
/// replay is compared against. Not thread-safe. Dispose returns the buffers to the pool.
/// </remarks>
public sealed class RawRecordBatch : IDisposable
{
    private byte[] _bytes;
    private int _bytesLength;
    private Entry[] _entries;
    private int _count;

    /// <summary>Creates a batch with room for <paramref name="capacity"/> records before it grows.</summary>
    public RawRecordBatch(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _bytes = ArrayPool<byte>.Shared.Rent(capacity * 128);
        _entries = ArrayPool<Entry>.Shared.Rent(capacity);
        Capacity = capacity;
    }

    /// <summary>The record count a source should aim for per batch.</summary>
    public int Capacity { get; }

    /// <summary>How many records the batch holds.</summary>
    public int Count => _count;

    /// <summary>Whether the batch has reached <see cref="Capacity"/>.</summary>
    public bool IsFull => _count >= Capacity;

    /// <summary>The partition all records in this batch come from (topic-partition, shard, file).</summary>
    /// <remarks>Sources should reuse one string instance per partition: the runner looks it up once per batch.</remarks>
    public string Partition { get; set; } = "";

    /// <summary>Set by the source on the last batch of a partition (a file's end, a bounded partition's end offset), which may be empty.</summary>
    /// <remarks>The partition then stops holding the pipeline's watermark back.</remarks>
    public bool EndOfPartition { get; set; }

    /// <summary>The record at <paramref name="index"/>; its spans are valid until the batch is cleared.</summary>
    public RawRecord this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            ref readonly var e = ref _entries[index];
            return new RawRecord(
                _bytes.AsSpan(e.ValueOffset, e.ValueLength),
                _bytes.AsSpan(e.KeyOffset, e.KeyLength),
                e.Position,
                e.Timestamp,
                e.Error,
                new RecordHeaders(_bytes.AsSpan(e.ValueOffset + e.ValueLength, e.HeadersLength)));
        }
    }

    /// <summary>The position of the record at <paramref name="index"/>, without building the record's view.</summary>
    internal long PositionAt(int index) => _entries[index].Position;

    /// <summary>Appends a record, copying its bytes.</summary>
    /// <param name="value">The payload.</param>
    /// <param name="key">The message key, or empty.</param>
    /// <param name="position">Where the record sits in its partition (offset, sequence, byte offset); increases within a partition.</param>
    /// <param name="timestamp">The source's timestamp in Unix epoch milliseconds, or 0 when it has none.</param>
    /// <param name="error">A framing error found by the source (oversized, truncated): the runner dead-letters the record with this reason instead of decoding it.</param>
    /// <param name="headers">The record's headers, already encoded (see <see cref="RecordHeaders"/>), or none.</param>
    public void Add(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, long position, long timestamp, string? error = null, RecordHeaders headers = default) =>
        AddPrefixed(default, value, key, position, timestamp, error, headers);

    /// <summary>Appends a record whose payload is <paramref name="prefix"/> followed by <paramref name="value"/>, copying each once.</summary>
    /// <remarks>For sources that frame payloads (a schema header before an Avro body) without building them in a scratch buffer first.</remarks>
    /// <param name="prefix">The payload's first bytes.</param>
    /// <param name="value">The rest of the payload.</param>
    /// <param name="key">The message key, or empty.</param>
    /// <param name="position">Where the record sits in its partition; increases within a partition.</param>
    /// <param name="timestamp">The source's timestamp in Unix epoch milliseconds, or 0.</param>
    /// <param name="error">A framing error found by the source, or <see langword="null"/>.</param>
    /// <param name="headers">The record's headers, already encoded (see <see cref="RecordHeaders"/>), or none.</param>
    public void AddPrefixed(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, long position, long timestamp, string? error = null, RecordHeaders headers = default)
    {
        var encodedHeaders = headers.Encoded;
        var needed = _bytesLength + prefix.Length + value.Length + key.Length + encodedHeaders.Length;
        if (needed > _bytes.Length)
        {
            PooledArrays.Grow(ref _bytes, _bytesLength, needed);
        }

        if (_count == _entries.Length)
        {
            PooledArrays.Grow(ref _entries, _count, _count + 1);
        }

        var keyOffset = _bytesLength;
        key.CopyTo(_bytes.AsSpan(keyOffset));
        var valueOffset = keyOffset + key.Length;
        prefix.CopyTo(_bytes.AsSpan(valueOffset));
        value.CopyTo(_bytes.AsSpan(valueOffset + prefix.Length));
        var valueLength = prefix.Length + value.Length;
        encodedHeaders.CopyTo(_bytes.AsSpan(valueOffset + valueLength)); // headers follow the value
        _bytesLength = valueOffset + valueLength + encodedHeaders.Length;
        _entries[_count++] = new Entry(valueOffset, valueLength, keyOffset, key.Length, position, timestamp, error, encodedHeaders.Length);
    }

    /// <summary>Empties the batch, keeping its buffers.</summary>
    public void Clear()
    {
        _count = 0;
        _bytesLength = 0;
        Partition = "";
        EndOfPartition = false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<Entry>.Shared.Return(_entries, clearArray: true);
        _bytes = [];
        _entries = [];
        _count = 0;
    }

    private readonly record struct Entry(int ValueOffset, int ValueLength, int KeyOffset, int KeyLength, long Position, long Timestamp, string? Error, int HeadersLength);
}
