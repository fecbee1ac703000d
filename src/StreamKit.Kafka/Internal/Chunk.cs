using StreamKit.Records;

namespace StreamKit.Kafka.Internal;

/// <summary>Messages of one partition in one byte array: key, value and encoded headers per message, with an entry each.</summary>
internal sealed class Chunk
{
    public const int StandardBytes = 1 << 16;
    public const int StandardEntries = 512;

    private readonly byte[] _bytes;
    private readonly Entry[] _entries;
    private int _used;
    private int _count;
    private int _next;

    public Chunk(int bytes)
    {
        _bytes = new byte[bytes];
        _entries = new Entry[bytes == StandardBytes ? StandardEntries : 1];
    }

    public bool IsStandard => _bytes.Length == StandardBytes;

    public bool IsDrained => _next == _count;

    public bool HasRoom(int size) => _count < _entries.Length && _used + size <= _bytes.Length;

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> headers, long offset, long timestamp, string? error)
    {
        var keyOffset = _used;
        key.CopyTo(_bytes.AsSpan(keyOffset));
        var valueOffset = keyOffset + key.Length;
        value.CopyTo(_bytes.AsSpan(valueOffset));
        headers.CopyTo(_bytes.AsSpan(valueOffset + value.Length));
        _used = valueOffset + value.Length + headers.Length;
        _entries[_count++] = new Entry(keyOffset, key.Length, valueOffset, value.Length, headers.Length, offset, timestamp, error);
    }

    public int MoveTo(RawRecordBatch batch, ref long last, int limit)
    {
        var moved = 0;
        while (_next < _count && moved < limit && !batch.IsFull)
        {
            ref readonly var e = ref _entries[_next++];
            batch.Add(
                _bytes.AsSpan(e.ValueOffset, e.ValueLength),
                _bytes.AsSpan(e.KeyOffset, e.KeyLength),
                e.Offset,
                e.Timestamp,
                e.Error,
                new RecordHeaders(_bytes.AsSpan(e.ValueOffset + e.ValueLength, e.HeadersLength)));

            last = e.Offset;
            moved++;
        }

        return moved;
    }

    public void Reset()
    {
        Array.Clear(_entries, 0, _count); // drop references to error strings
        _used = 0;
        _count = 0;
        _next = 0;
    }

    private readonly record struct Entry(int KeyOffset, int KeyLength, int ValueOffset, int ValueLength, int HeadersLength, long Offset, long Timestamp, string? Error);
}
