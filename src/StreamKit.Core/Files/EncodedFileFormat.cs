using StreamKit.Codecs;
using StreamKit.State;

namespace StreamKit.Files;

/// <summary>A file format made of one encoding per record, back to back: JSON lines, a MessagePack stream.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="encoder">Encodes one record, with its framing (a JSON lines encoder adds the newline).</param>
/// <param name="extension">The files' extension, with the dot.</param>
public sealed class EncodedFileFormat<T>(IRecordEncoder<T> encoder, string extension) : IFileWriterFormat<T>
{
    /// <inheritdoc />
    public string Extension { get; } = extension;

    /// <inheritdoc />
    public IFileRecordWriter<T> Create(Stream stream) => new Writer(stream, encoder);

    private sealed class Writer(Stream stream, IRecordEncoder<T> encoder) : IFileRecordWriter<T>
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(1 << 16);

        public void Write(ReadOnlySpan<T> records)
        {
            foreach (ref readonly var record in records)
            {
                encoder.Encode(record, _buffer);
            }

            // Hand every batch to the stream (which buffers on its own), so the stream's position is the file's size
            // and the sink rolls at MaxFileBytes rather than up to 64 KiB later.
            Flush();
        }

        public void Flush()
        {
            stream.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }

        public void Dispose()
        {
        }
    }
}
