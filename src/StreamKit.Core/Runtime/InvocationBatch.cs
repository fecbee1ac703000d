using System.Buffers;
using System.Buffers.Text;
using System.Text;
using StreamKit.Records;

namespace StreamKit.Runtime;

/// <summary>
/// One function invocation's records (a Lambda event, an Event Hubs trigger batch), from one or more partitions, each
/// with the platform's sequence number: the input of <see cref="InvocationRunner{T}"/>.
/// </summary>
/// <remarks>
/// <para>Sequence numbers are unsigned decimal numbers of any length, compared numerically: Kinesis sequence numbers
/// (up to 128 digits) do not fit a <see langword="long"/>, so they are kept as their digits. Within a partition they
/// must increase in the order records are added, as the platforms deliver them.</para>
/// <para>Adapters keep one batch per process and clear it per invocation: payloads, keys and sequence numbers share
/// one pooled buffer, and partition names seen before are looked up without allocating. Not thread-safe.</para>
/// </remarks>
public sealed class InvocationBatch : IDisposable
{
    private readonly List<string> _partitions = [];
    private byte[] _bytes;
    private int _bytesLength;
    private Entry[] _entries;
    private int _count;

    /// <summary>Creates a batch with room for <paramref name="capacity"/> records before it grows.</summary>
    public InvocationBatch(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _bytes = ArrayPool<byte>.Shared.Rent(capacity * 128);
        _entries = ArrayPool<Entry>.Shared.Rent(capacity);
    }

    /// <summary>How many records the batch holds.</summary>
    public int Count => _count;

    /// <summary>The partition names seen by this batch so far (including earlier invocations), indexed by the values <see cref="Partition(ReadOnlySpan{char})"/> returns.</summary>
    public IReadOnlyList<string> PartitionNames => _partitions;

    /// <summary>The index of the partition named <paramref name="name"/> (a shard id, a topic-partition), to pass to <c>Add</c>.</summary>
    /// <remarks>Allocates only the first time a name is seen; adapters call it per record, or once per group of records.</remarks>
    public int Partition(ReadOnlySpan<char> name)
    {
        for (var i = 0; i < _partitions.Count; i++)
        {
            if (name.SequenceEqual(_partitions[i]))
            {
                return i;
            }
        }

        _partitions.Add(name.ToString());
        return _partitions.Count - 1;
    }

    /// <summary>The index of the partition whose UTF-8 name is <paramref name="utf8Name"/>.</summary>
    public int Partition(ReadOnlySpan<byte> utf8Name)
    {
        Span<char> chars = stackalloc char[256];
        if (utf8Name.Length > chars.Length)
        {
            return Partition(Encoding.UTF8.GetString(utf8Name));
        }

        var length = Encoding.UTF8.GetChars(utf8Name, chars);
        return Partition(chars[..length]);
    }

    /// <summary>Adds a record whose sequence number is a decimal string (Kinesis, SQS FIFO).</summary>
    /// <param name="partition">From <see cref="Partition(ReadOnlySpan{char})"/>.</param>
    /// <param name="sequence">The sequence number's ASCII digits; leading zeros are ignored.</param>
    /// <param name="value">The payload (already base64-decoded).</param>
    /// <param name="key">The record's key (partition key), or empty.</param>
    /// <param name="timestamp">The platform's timestamp (arrival, enqueue, log append), Unix milliseconds.</param>
    /// <param name="error">Set when the adapter could not read the record (bad base64): it is dead-lettered with this reason.</param>
    /// <exception cref="FormatException"><paramref name="sequence"/> is empty or has a character that is not a digit.</exception>
    public void Add(int partition, ReadOnlySpan<byte> sequence, ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, long timestamp, string? error = null)
    {
        var digits = StreamPosition.Normalize(sequence);
        AddNormalized(partition, digits, StreamPosition.ToInt64(digits), value, key, timestamp, error);
    }

    /// <summary>Adds a record whose sequence number is a non-negative integer (Kafka offset, Event Hubs sequence number).</summary>
    /// <inheritdoc cref="Add(int, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, long, string?)"/>
    public void Add(int partition, long sequence, ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, long timestamp, string? error = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(sequence, digits, out var written);
        AddNormalized(partition, digits[..written], sequence, value, key, timestamp, error);
    }

    /// <summary>Removes every record, keeping the buffers and the partition names.</summary>
    public void Clear()
    {
        _count = 0;
        _bytesLength = 0;
    }

    /// <summary>The record at <paramref name="index"/>; its spans are valid until the batch is cleared.</summary>
    public InvocationRecord this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            ref readonly var e = ref _entries[index];
            return new InvocationRecord(
                e.Partition,
                _bytes.AsSpan(e.SequenceOffset, e.SequenceLength),
                _bytes.AsSpan(e.ValueOffset, e.ValueLength),
                _bytes.AsSpan(e.KeyOffset, e.KeyLength),
                e.Timestamp,
                e.Error);
        }
    }

    /// <summary>The partition index of the record at <paramref name="index"/>.</summary>
    internal int PartitionAt(int index) => _entries[index].Partition;

    /// <summary>The record's sequence number when it fits a <see langword="long"/>, else -1 (see <see cref="StreamPosition.CompareTo(long, ReadOnlySpan{byte})"/>).</summary>
    internal long PositionAt(int index) => _entries[index].Position;

    /// <summary>The record's sequence number's digits.</summary>
    internal ReadOnlySpan<byte> SequenceAt(int index)
    {
        ref readonly var e = ref _entries[index];
        return _bytes.AsSpan(e.SequenceOffset, e.SequenceLength);
    }

    /// <summary>The record as a decoder sees it; its position is -1 when the sequence number does not fit a <see langword="long"/>.</summary>
    internal RawRecord RawAt(int index)
    {
        ref readonly var e = ref _entries[index];
        return new RawRecord(_bytes.AsSpan(e.ValueOffset, e.ValueLength), _bytes.AsSpan(e.KeyOffset, e.KeyLength), e.Position, e.Timestamp, e.Error);
    }

    /// <summary>Returns the buffers to the pool.</summary>
    public void Dispose()
    {
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            ArrayPool<Entry>.Shared.Return(_entries, clearArray: true);
            _bytes = [];
            _entries = [];
        }
    }

    /// <summary>Adds a record whose sequence number's normalized <paramref name="digits"/> have the value <paramref name="position"/> (-1 when it does not fit a <see langword="long"/>).</summary>
    private void AddNormalized(int partition, ReadOnlySpan<byte> digits, long position, ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, long timestamp, string? error)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)partition, (uint)_partitions.Count, nameof(partition));
        var needed = _bytesLength + digits.Length + value.Length + key.Length;
        if (needed > _bytes.Length)
        {
            PooledArrays.Grow(ref _bytes, _bytesLength, needed);
        }

        if (_count == _entries.Length)
        {
            PooledArrays.Grow(ref _entries, _count, _count + 1);
        }

        var sequenceOffset = Append(digits);
        var valueOffset = Append(value);
        var keyOffset = Append(key);
        _entries[_count++] = new Entry(partition, position, sequenceOffset, digits.Length, valueOffset, value.Length, keyOffset, key.Length, timestamp, error);
    }

    private int Append(ReadOnlySpan<byte> bytes)
    {
        var offset = _bytesLength;
        bytes.CopyTo(_bytes.AsSpan(offset));
        _bytesLength += bytes.Length;
        return offset;
    }

    private readonly record struct Entry(int Partition, long Position, int SequenceOffset, int SequenceLength, int ValueOffset, int ValueLength, int KeyOffset, int KeyLength, long Timestamp, string? Error);
}
