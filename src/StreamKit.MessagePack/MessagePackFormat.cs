using System.Buffers;
using StreamKit.Files;

namespace StreamKit.MessagePack;

/// <summary>Files of concatenated MessagePack objects, one record each (<c>.msgpack</c>, <c>.mpk</c>), for <see cref="FileSource"/>.</summary>
/// <remarks>
/// Objects are cut with <see cref="MessagePackFraming"/>, without decoding; decode them with
/// <see cref="MessagePackDecoder{T}"/>. MessagePack has no resynchronisation marker, so after bytes that cannot
/// start an object (or an object over the record limit) the reader dead-letters the bytes up to the next position
/// where a complete map begins, and goes on from there.
/// </remarks>
public sealed class MessagePackFormat : IFileFormat
{
    /// <summary>The shared instance.</summary>
    public static MessagePackFormat Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "msgpack";

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".msgpack", ".mpk"];

    /// <inheritdoc />
    public IFileRecordReader Open(Stream stream, int maxRecordBytes) => new ObjectReader(stream, maxRecordBytes);

    private sealed class ObjectReader(Stream stream, int maxRecordBytes) : FramedFileRecordReader(stream, maxRecordBytes)
    {
        private byte[] _joined = [];

        protected override FrameStatus TryFrame(ReadOnlySequence<byte> buffer, long offset, bool isFinalBlock, out Frame frame)
        {
            var span = Contiguous(buffer);
            var status = MessagePackFraming.TryGetObjectLength(span, MaxRecordBytes, out var length);
            if (status == OperationStatus.Done)
            {
                frame = new Frame(length, length);
                return FrameStatus.Record;
            }

            if (status == OperationStatus.NeedMoreData && !isFinalBlock && span.Length <= MaxRecordBytes + 16)
            {
                frame = default;
                return FrameStatus.NeedMoreData;
            }

            // Malformed, over the limit, or truncated at the end of the file: dead-letter up to the next complete map.
            var next = NextMap(span);
            if (next < 0 && !isFinalBlock && span.Length <= MaxRecordBytes)
            {
                frame = default;
                return FrameStatus.NeedMoreData;
            }

            var skipped = next < 0 ? span.Length : next;
            var reason = status == OperationStatus.NeedMoreData
                ? (isFinalBlock ? "truncated MessagePack object at the end of the file" : $"MessagePack object exceeds the {MaxRecordBytes}-byte limit")
                : "malformed MessagePack";
            frame = new Frame(skipped, skipped, $"{reason}; skipped {skipped} bytes to the next object");
            return FrameStatus.Invalid;
        }

        /// <summary>The buffer as one span: the first segment when the object fits in it, else a joined copy (rare: an object straddling two segments).</summary>
        private ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> buffer)
        {
            var first = buffer.FirstSpan;
            if (buffer.IsSingleSegment || MessagePackFraming.TryGetObjectLength(first, MaxRecordBytes, out _) == OperationStatus.Done)
            {
                return first;
            }

            var take = (int)Math.Min(buffer.Length, MaxRecordBytes + 16L);
            if (_joined.Length < take)
            {
                _joined = new byte[Math.Max(take, _joined.Length * 2)];
            }

            buffer.Slice(0, take).CopyTo(_joined);
            return _joined.AsSpan(0, take);
        }

        /// <summary>Where, after the first byte, a map header starts a complete object; -1 when none does in <paramref name="span"/>.</summary>
        private int NextMap(ReadOnlySpan<byte> span)
        {
            for (var i = 1; i < span.Length; i++)
            {
                var b = span[i];
                var isMap = b is >= 0x80 and <= 0x8f or 0xde or 0xdf;
                if (isMap && MessagePackFraming.TryGetObjectLength(span[i..], MaxRecordBytes, out _) == OperationStatus.Done)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
