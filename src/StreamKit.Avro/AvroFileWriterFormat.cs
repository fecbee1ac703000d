using StreamKit.Avro.Container;
using StreamKit.Files;

namespace StreamKit.Avro;

/// <summary>Avro object container files as a <see cref="FileSink{T}"/> output format.</summary>
/// <remarks>Each file carries the encoder's schema in its header; blocks are closed when full and at every flush.</remarks>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="encoder">Encodes each record's body; its <see cref="AvroEncoder{T}.Schema"/> goes in the header.</param>
/// <param name="options">Codec and block size, or <see langword="null"/> for the defaults (no compression, 64 KiB blocks).</param>
public sealed class AvroFileWriterFormat<T>(AvroEncoder<T> encoder, AvroContainerWriterOptions? options = null) : IFileWriterFormat<T>
    where T : struct
{
    /// <inheritdoc />
    public string Extension => ".avro";

    /// <inheritdoc />
    public IFileRecordWriter<T> Create(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var settings = options ?? new AvroContainerWriterOptions();
        return new Writer(new AvroContainerWriter(stream, encoder.Schema, new AvroContainerWriterOptions
        {
            Codec = settings.Codec,
            BlockSize = settings.BlockSize,
            CompressionLevel = settings.CompressionLevel,
            SyncMarker = settings.SyncMarker,
            Metadata = settings.Metadata,
            LeaveOpen = true, // the sink owns the file
        }), encoder);
    }

    private sealed class Writer(AvroContainerWriter writer, AvroEncoder<T> encoder) : IFileRecordWriter<T>
    {
        public void Write(ReadOnlySpan<T> records)
        {
            foreach (ref readonly var record in records)
            {
                writer.Append(record, encoder);
            }
        }

        public void Flush() => writer.Flush();

        public void Dispose() => writer.Dispose();
    }
}
