using System.Buffers;
using StreamKit.Files;

namespace StreamKit.MessagePack;

/// <summary>Files of concatenated MessagePack objects, one record each (<c>.msgpack</c>, <c>.mpk</c>), for <see cref="FileSource"/>.</summary>
/// <remarks>
/// Objects are cut with <see cref="MessagePackFraming"/>, without decoding; decode them with
/// <see cref="MessagePackDecoder{T}"/> (or <see cref="MessagePackSerializerDecoder{T}"/>). MessagePack has no resynchronisation marker, so after bytes that cannot
/// start an object (or an object over the record limit) the reader dead-letters the bytes up to the next position
/// where a complete map begins (looking at most <c>maxRecordBytes</c> + 16 bytes ahead), and goes on from there. The
/// search depends only on the file's bytes, so a restart cuts the file the same way.
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
        private const int Undecided = -2;
        private byte[] _joined = [];

        protected override FrameStatus TryFrame(ReadOnlySequence<byte> buffer, long offset, bool isFinalBlock, out Frame frame)
        {
            // Everything is decided within a fixed window — the next MaxRecordBytes + 16 bytes, or up to the end of the
            // file — never by how much happens to be buffered, so where reading picks up after bad bytes depends only
            // on the file. A restart that seeks to a position then cuts the rest of the file exactly as before.
            var span = Contiguous(buffer);
            var windowLength = (int)Math.Min(MaxRecordBytes + 16L, Array.MaxLength);
            var window = span.Length > windowLength ? span[..windowLength] : span;
            var complete = isFinalBlock || window.Length == windowLength;
            var status = MessagePackFraming.TryGetObjectLength(window, MaxRecordBytes, out var length);
            if (status == OperationStatus.Done)
            {
                frame = new Frame(length, length);
                return FrameStatus.Record;
            }

            // Malformed, over the limit, or truncated at the end of the file: dead-letter up to the next complete map.
            var next = status == OperationStatus.NeedMoreData && !complete ? Undecided : NextMap(window, complete);
            if (next == Undecided)
            {
                frame = default;
                return FrameStatus.NeedMoreData;
            }

            var skipped = next < 0 ? window.Length : next;
            var reason = status == OperationStatus.NeedMoreData
                ? (window.Length < windowLength ? "truncated MessagePack object at the end of the file" : $"MessagePack object exceeds the {MaxRecordBytes}-byte limit")
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

        /// <summary>
        /// Where, after the first byte, a map header starts a complete object; -1 when none does in
        /// <paramref name="window"/>; <see cref="Undecided"/> when one might, given the rest of an incomplete window.
        /// </summary>
        private int NextMap(ReadOnlySpan<byte> window, bool complete)
        {
            for (var i = 1; i < window.Length; i++)
            {
                var b = window[i];
                if (b is not (>= 0x80 and <= 0x8f or 0xde or 0xdf))
                {
                    continue;
                }

                switch (MessagePackFraming.TryGetObjectLength(window[i..], MaxRecordBytes, out _))
                {
                    case OperationStatus.Done:
                        return i;
                    case OperationStatus.NeedMoreData when !complete:
                        return Undecided; // an earlier candidate than any found later: wait for the bytes that settle it
                }
            }

            return -1;
        }
    }
}
