using Confluent.Kafka;

namespace StreamKit.Kafka.Internal;

/// <summary>Where a consumed key or value sits in the <see cref="StagingDeserializer"/>'s buffer.</summary>
internal readonly record struct Staged(int Offset, int Length);

/// <summary>
/// A deserializer that copies the key and value librdkafka hands over (a span over native memory) into one reused
/// buffer, instead of a new <c>byte[]</c> per message as <c>Deserializers.ByteArray</c> does.
/// </summary>
/// <remarks>Used by the consume thread only: <see cref="Reset"/> before each consume, read with <see cref="Get"/> after it.</remarks>
internal sealed class StagingDeserializer : IDeserializer<Staged>
{
    private byte[] _bytes = new byte[1 << 16];
    private int _used;

    public void Reset() => _used = 0;

    public ReadOnlySpan<byte> Get(Staged staged) => _bytes.AsSpan(staged.Offset, staged.Length);

    public Staged Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull || data.IsEmpty)
        {
            return default;
        }

        if (_used + data.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + data.Length));
        }

        var offset = _used;
        data.CopyTo(_bytes.AsSpan(offset));
        _used += data.Length;
        return new Staged(offset, data.Length);
    }
}
