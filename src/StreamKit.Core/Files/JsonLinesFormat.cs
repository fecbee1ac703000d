using System.Buffers;

namespace StreamKit.Files;

/// <summary>JSON lines: one record per line (<c>.jsonl</c>, <c>.ndjson</c>, <c>.json</c>).</summary>
/// <remarks>
/// Lines end with <c>\n</c>; a trailing <c>\r</c> is removed, blank lines are skipped, and so is a UTF-8
/// byte-order mark at the start of the file. The last line needs no newline. A line over the record limit is
/// dead-lettered (its first bytes) and reading goes on at the next line.
/// </remarks>
public sealed class JsonLinesFormat : IFileFormat
{
    /// <summary>The shared instance.</summary>
    public static JsonLinesFormat Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "jsonl";

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".jsonl", ".ndjson", ".json"];

    /// <inheritdoc />
    public IFileRecordReader Open(Stream stream, int maxRecordBytes) => new LineReader(stream, maxRecordBytes);

    private sealed class LineReader(Stream stream, int maxRecordBytes) : FramedFileRecordReader(stream, maxRecordBytes)
    {
        private bool _inLongLine; // inside a line already dead-lettered for its length

        protected override FrameStatus TryFrame(ReadOnlySequence<byte> buffer, long offset, bool isFinalBlock, out Frame frame)
        {
            if (offset == 0 && buffer.FirstSpan.StartsWith("\uFEFF"u8))
            {
                frame = new Frame(0, 3);
                return FrameStatus.Skip;
            }

            var newline = buffer.PositionOf((byte)'\n');
            var lineLength = newline is { } end ? buffer.Slice(0, end).Length : buffer.Length;
            var consumed = newline is null ? buffer.Length : lineLength + 1;
            if (newline is null && !isFinalBlock && (_inLongLine || buffer.Length <= MaxRecordBytes))
            {
                if (_inLongLine)
                {
                    frame = new Frame(0, buffer.Length); // keep dropping the rest of the long line
                    return FrameStatus.Skip;
                }

                frame = default;
                return FrameStatus.NeedMoreData;
            }

            if (_inLongLine)
            {
                _inLongLine = false;
                frame = new Frame(0, consumed);
                return FrameStatus.Skip;
            }

            if (lineLength > MaxRecordBytes)
            {
                _inLongLine = newline is null && !isFinalBlock;
                frame = new Frame(MaxRecordBytes, consumed, $"line of {lineLength}{(newline is null ? "+" : "")} bytes exceeds the {MaxRecordBytes}-byte limit");
                return FrameStatus.Invalid;
            }

            var line = buffer.Slice(0, lineLength);
            if (lineLength > 0 && line.Slice(lineLength - 1).FirstSpan[0] == (byte)'\r')
            {
                lineLength--;
                line = line.Slice(0, lineLength);
            }

            frame = new Frame(lineLength, consumed);
            return IsBlank(line) ? FrameStatus.Skip : FrameStatus.Record;
        }

        private static bool IsBlank(ReadOnlySequence<byte> line)
        {
            foreach (var segment in line)
            {
                if (segment.Span.IndexOfAnyExcept(" \t"u8) >= 0)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
