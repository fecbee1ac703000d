using System.Buffers;
using Clickstream;
using StreamKit.Avro;
using StreamKit.MessagePack;

namespace StreamKit.Benchmarks.Data;

/// <summary>The suite's events encoded in one wire format: one contiguous buffer and where each record starts.</summary>
/// <remarks>
/// Record <c>i</c> is <c>Bytes[Offsets[i] .. Offsets[i + 1] - Trailer]</c>; <see cref="Trailer"/> is the newline
/// that ends each JSON line (MessagePack and Avro bodies have none). Throughput in MB/s counts the whole buffer.
/// </remarks>
public sealed class EncodedClicks
{
    private static readonly Lazy<EncodedClicks> s_jsonLines = new(static () => FromJsonLines(ClickData.Shared.JsonLines));
    private static readonly Lazy<EncodedClicks> s_messagePack = new(static () =>
        Encode("MessagePack", new MessagePackEncoder<ClickEvent>(ClickEvents.Map).Encode));

    private static readonly Lazy<(EncodedClicks Data, global::Avro.RecordSchema Schema)> s_avro = new(static () =>
    {
        var encoder = new AvroEncoder<ClickEvent>(ClickEvents.Map, "ClickEvent", "Clickstream");
        return (Encode("Avro", encoder.Encode), encoder.Schema);
    });

    private EncodedClicks(string format, byte[] bytes, int[] offsets, int trailer)
    {
        Format = format;
        Bytes = bytes;
        Offsets = offsets;
        Trailer = trailer;
    }

    private delegate void Encoder(in ClickEvent record, IBufferWriter<byte> output);

    /// <summary>The events as JSON lines (<see cref="ClickData.JsonLines"/>).</summary>
    public static EncodedClicks JsonLines => s_jsonLines.Value;

    /// <summary>The events as MessagePack maps of field name to value (<see cref="MessagePackEncoder{T}"/>, timestamps as integer milliseconds).</summary>
    public static EncodedClicks MessagePack => s_messagePack.Value;

    /// <summary>The events as bare Avro binary bodies (<see cref="AvroEncoder{T}"/>).</summary>
    public static EncodedClicks Avro => s_avro.Value.Data;

    /// <summary>The writer schema of <see cref="Avro"/>.</summary>
    public static global::Avro.RecordSchema AvroSchema => s_avro.Value.Schema;

    /// <summary>The format's name.</summary>
    public string Format { get; }

    /// <summary>Every record, back to back.</summary>
    public byte[] Bytes { get; }

    /// <summary>Where each record starts, plus the end of the buffer: <see cref="Count"/> + 1 entries.</summary>
    public int[] Offsets { get; }

    /// <summary>Bytes after each record that are not part of it (the JSON lines newline).</summary>
    public int Trailer { get; }

    /// <summary>Records in the buffer.</summary>
    public int Count => Offsets.Length - 1;

    /// <summary>Average encoded size, delimiter included.</summary>
    public double BytesPerEvent => (double)Bytes.Length / Count;

    /// <summary>Record <paramref name="index"/>, without its trailer.</summary>
    public ReadOnlySpan<byte> Record(int index) => Bytes.AsSpan(Offsets[index], Offsets[index + 1] - Offsets[index] - Trailer);

    private static EncodedClicks FromJsonLines(byte[] lines)
    {
        var offsets = new int[ClickData.Shared.Events.Length + 1];
        var count = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] == (byte)'\n')
            {
                offsets[++count] = i + 1;
            }
        }

        if (count != ClickData.Shared.Events.Length || offsets[count] != lines.Length)
        {
            throw new InvalidOperationException($"JSON lines: {count} lines for {ClickData.Shared.Events.Length} events.");
        }

        return new EncodedClicks("JSON lines", lines, offsets, trailer: 1);
    }

    private static EncodedClicks Encode(string format, Encoder encode)
    {
        var events = ClickData.Shared.Events;
        var buffer = new ArrayBufferWriter<byte>(events.Length * 64);
        var offsets = new int[events.Length + 1];
        for (var i = 0; i < events.Length; i++)
        {
            encode(in events[i], buffer);
            offsets[i + 1] = buffer.WrittenCount;
        }

        return new EncodedClicks(format, buffer.WrittenSpan.ToArray(), offsets, trailer: 0);
    }
}
