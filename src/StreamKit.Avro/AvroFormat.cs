using System.Buffers.Binary;
using StreamKit.Avro.Container;
using StreamKit.Avro.Framing;
using StreamKit.Files;
using StreamKit.Records;

namespace StreamKit.Avro;

/// <summary>Avro object container files (<c>.avro</c>) for <see cref="FileSource"/>.</summary>
/// <remarks>
/// <para>Each file carries its own writer schema. The reader registers it in <see cref="Schemas"/> and hands each record
/// on in single-object encoding (marker, schema fingerprint, body), so one
/// <c>AvroFramedDecoder&lt;T&gt;(map, format.Schemas, AvroFraming.SingleObject)</c> decodes files written with
/// different schemas, resolving each against the reader's map once.</para>
/// <para>A record's position is <c>blockOffset × 2²⁰ + index in block</c>, so a restart seeks straight to its block
/// (blocks of more than 2²⁰ records are refused); a gzip-compressed file cannot seek, so it is read again from the
/// start and the records up to the position are dropped. A corrupt block is dead-lettered (no payload) with the
/// reader's reason at the position after the last record read, and reading goes on at the next sync marker.</para>
/// <para>A file whose header cannot be read (not a container, a damaged schema, an unknown codec) has no schema and no
/// sync marker to recover with: <see cref="Open"/> throws <see cref="InvalidDataException"/>.</para>
/// </remarks>
public sealed class AvroFormat : IFileFormat
{
    private const int IndexBits = 20;

    /// <summary>Creates the format, registering the writer schemas of the files it opens in <paramref name="schemas"/>.</summary>
    public AvroFormat(AvroSchemaStore? schemas = null) => Schemas = schemas ?? new AvroSchemaStore();

    /// <summary>The writer schemas of every file opened so far, for the decoder.</summary>
    public AvroSchemaStore Schemas { get; }

    /// <inheritdoc />
    public string Name => "avro";

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".avro"];

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The file does not start with a usable container header.</exception>
    public IFileRecordReader Open(Stream stream, int maxRecordBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        AvroContainerReader reader;
        try
        {
            reader = new AvroContainerReader(stream);
        }
        catch
        {
            stream.Dispose(); // the reader owns the stream only once it is constructed
            throw;
        }

        Schemas.Add(reader.WriterSchema);
        return new ContainerRecordReader(reader, stream.CanSeek, maxRecordBytes);
    }

    private sealed class ContainerRecordReader : IFileRecordReader
    {
        private readonly AvroContainerReader _reader;
        private readonly bool _canSeek;
        private readonly int _maxRecordBytes;
        private readonly byte[] _header = new byte[AvroSingleObject.HeaderLength];
        private long _resumeAfter = long.MinValue;
        private long _lastPosition;

        public ContainerRecordReader(AvroContainerReader reader, bool canSeek, int maxRecordBytes)
        {
            _reader = reader;
            _canSeek = canSeek;
            _maxRecordBytes = maxRecordBytes;
            _header[0] = AvroSingleObject.Marker0;
            _header[1] = AvroSingleObject.Marker1;
            BinaryPrimitives.WriteUInt64LittleEndian(_header.AsSpan(2), AvroSchemas.Fingerprint(reader.WriterSchema));
            _lastPosition = (reader.FirstBlockOffset << IndexBits) - 1;
        }

        public ValueTask SeekAsync(long position, CancellationToken cancellationToken = default)
        {
            // Records at or before the position are dropped as they are read. That alone resumes correctly (a gzip
            // file, which cannot seek, relies on it); a seekable file first jumps to the position's block.
            _resumeAfter = position;
            var offset = position >> IndexBits;
            if (!_canSeek || position < 0 || offset <= _reader.FirstBlockOffset)
            {
                return ValueTask.CompletedTask;
            }

            // Back to the block's first record, not to the record itself: the position may be a corrupt region's,
            // numbered after the last good record of the block, and reading that block again from its start numbers
            // the region the same way, so it is dropped rather than reported twice or made a seek failure.
            if (!_reader.Seek(new AvroRecordPosition(0, offset, 0)))
            {
                throw new InvalidDataException($"Cannot resume the Avro file at block offset {offset} (has it changed since the checkpoint?): {_reader.LastError}");
            }

            _lastPosition = (offset << IndexBits) - 1;
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
        {
            while (!batch.IsFull)
            {
                switch (_reader.Read(out var record, out var at))
                {
                    case AvroReadStatus.EndOfFile:
                        return ValueTask.FromResult(false);
                    case AvroReadStatus.Corrupt:
                        _lastPosition++;
                        if (_lastPosition > _resumeAfter)
                        {
                            batch.Add(default, default, _lastPosition, 0, "corrupt Avro block: " + _reader.LastError);
                        }

                        continue;
                }

                if (at.RecordIndex >= 1L << IndexBits)
                {
                    throw new InvalidDataException($"Avro block at offset {at.BlockOffset} holds more than {1L << IndexBits} records.");
                }

                var position = (at.BlockOffset << IndexBits) | at.RecordIndex;
                _lastPosition = position;
                if (position <= _resumeAfter)
                {
                    continue;
                }

                var error = record.Length > _maxRecordBytes ? $"Avro record of {record.Length} bytes exceeds the {_maxRecordBytes}-byte limit" : null;
                batch.AddPrefixed(_header, error is null ? record : record[.._maxRecordBytes], default, position, 0, error);
            }

            return ValueTask.FromResult(true);
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
