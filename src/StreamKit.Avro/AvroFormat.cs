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
/// (blocks of more than 2²⁰ records are refused). A corrupt block is dead-lettered with the reader's reason and
/// reading goes on at the next sync marker.</para>
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
    public IFileRecordReader Open(Stream stream, int maxRecordBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new AvroContainerReader(stream);
        Schemas.Add(reader.WriterSchema);
        return new ContainerRecordReader(reader, maxRecordBytes);
    }

    private sealed class ContainerRecordReader : IFileRecordReader
    {
        private readonly AvroContainerReader _reader;
        private readonly int _maxRecordBytes;
        private readonly byte[] _header = new byte[AvroSingleObject.HeaderLength];
        private long _resumeAfter = long.MinValue;
        private long _lastPosition;

        public ContainerRecordReader(AvroContainerReader reader, int maxRecordBytes)
        {
            _reader = reader;
            _maxRecordBytes = maxRecordBytes;
            _header[0] = AvroSingleObject.Marker0;
            _header[1] = AvroSingleObject.Marker1;
            BinaryPrimitives.WriteUInt64LittleEndian(_header.AsSpan(2), reader.WriterSchema.Fingerprint);
            _lastPosition = (reader.FirstBlockOffset << IndexBits) - 1;
        }

        public ValueTask SeekAsync(long position, CancellationToken cancellationToken = default)
        {
            _resumeAfter = position;

            // Jump to the block when the stream allows it; otherwise (gzip) read from the start and drop what was applied.
            var offset = position >> IndexBits;
            if (position >= 0 && offset > 0 && !_reader.Seek(new AvroRecordPosition(0, offset, position & ((1L << IndexBits) - 1))))
            {
                throw new InvalidDataException($"Cannot resume the Avro file at block offset {offset}: {_reader.LastError}");
            }

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
