using System.Buffers;
using System.IO.Compression;
using System.Text;
using Avro;
using StreamKit.Avro.Binary;
using StreamKit.Records;

namespace StreamKit.Avro.Container;

/// <summary>Reads an Avro object container file from a stream, one record's raw bytes at a time, with its position.</summary>
/// <remarks>
/// <para>
/// The header is read and validated by the constructor. <see cref="Read"/> then yields each record's bytes (split
/// using the writer schema) and its <see cref="AvroRecordPosition"/>; decode them with <see cref="CreateDecoder{T}"/>.
/// The bytes are valid until the next call. A malformed block (bad count or size, truncated data, a sync marker
/// that does not match the header's, deflate errors, records that overrun the block) is reported as
/// <see cref="AvroReadStatus.Corrupt"/> with <see cref="LastError"/>, never thrown; the reader then scans for the
/// next sync marker and continues with the block after it. Records of a block already returned before its
/// corruption was found stay returned. A damaged sync marker also costs the block after it, since the scan
/// resumes at the next intact marker.
/// </para>
/// <para>
/// Buffers are pooled and returned by <see cref="Dispose"/>; steady-state reading allocates nothing for null-codec
/// files, and one decompressor per block for deflate. Offsets count from the stream's position at construction.
/// Not thread-safe.
/// </para>
/// </remarks>
// Why not Apache.Avro's DataFileReader<T> (which reads the same files; the interop tests prove both directions):
// it throws on a damaged block and cannot go on past it, so a bad block would stop the file instead of becoming a
// dead letter with its position; it has no reusable-record read (Next() creates a record per call); and it hands
// out records, not the raw bytes FileSource needs for positions, restarts and dead letters. Measured 2026-12-02
// (1M six-field clicks, 2-core shared machine, Release): this reader with AvroDecoder<T> 225 ns and 0 B per
// record (null codec), 300-345 ns and 0.1 B (deflate); DataFileReader<GenericRecord>.Next() 715-860 ns and
// 608 B (null), 950-975 ns and 654 B (deflate).
public sealed class AvroContainerReader : IDisposable
{
    /// <summary>The length of the sync marker.</summary>
    public const int SyncSize = 16;

    private readonly Stream _stream;
    private readonly AvroContainerReaderOptions _options;
    private readonly long _origin;
    private readonly byte[] _sync;
    private readonly AvroSkipPlan _skip;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;
    private byte[]? _inflated;

    private bool _inBlock;
    private byte[]? _blockArray;
    private int _blockDataStart;
    private int _blockDataLength;
    private long _blockRecords;
    private long _recordIndex;
    private int _recordOffset;
    private long _blockOffset;
    private long _blockIndex = -1;
    private bool _disposed;

    /// <summary>Opens a container file and reads its header.</summary>
    /// <param name="stream">The file, positioned at its first byte.</param>
    /// <param name="options">Limits and ownership, or <see langword="null"/> for defaults.</param>
    /// <exception cref="InvalidDataException">The stream does not start with a valid container header, or its schema or codec is unusable.</exception>
    public AvroContainerReader(Stream stream, AvroContainerReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _options = options ?? new AvroContainerReaderOptions();
        _origin = stream.CanSeek ? stream.Position : 0;
        _bufferOffset = 0;
        _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            (WriterSchema, Codec, Metadata, _sync) = ReadHeader();
            _skip = AvroSkipPlan.Compile(WriterSchema);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            throw;
        }
    }

    /// <summary>The schema the file's records were written with, parsed by Apache.Avro.</summary>
    public Schema WriterSchema { get; }

    /// <summary>The block codec.</summary>
    public AvroCodec Codec { get; }

    /// <summary>The header metadata, including <c>avro.schema</c> and <c>avro.codec</c>.</summary>
    public IReadOnlyDictionary<string, byte[]> Metadata { get; }

    /// <summary>The file's sync marker.</summary>
    public ReadOnlyMemory<byte> SyncMarker => _sync;

    /// <summary>The offset of the first block (the header's length).</summary>
    public long FirstBlockOffset { get; private set; }

    /// <summary>Why the last <see cref="AvroReadStatus.Corrupt"/> was reported, or <see langword="null"/>.</summary>
    public string? LastError { get; private set; }

    /// <summary>How many corrupt regions have been reported.</summary>
    public long CorruptCount { get; private set; }

    /// <summary>Creates a decoder for this file's records into <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The record struct.</typeparam>
    /// <param name="map">The reader's record map.</param>
    /// <param name="readerSchema">An optional reader schema supplying defaults, aliases and enum symbols.</param>
    /// <returns>The decoder.</returns>
    /// <exception cref="AvroTypeException">The file's schema does not resolve against the map.</exception>
    public AvroDecoder<T> CreateDecoder<T>(RecordMap<T> map, RecordSchema? readerSchema = null)
        where T : struct => new(WriterSchema, map, readerSchema);

    /// <summary>Reads the next record.</summary>
    /// <param name="record">The record's bytes, valid until the next call; empty unless a record was read.</param>
    /// <param name="position">The record's position; default unless a record was read.</param>
    /// <returns>Whether a record was read, the file ended, or a corrupt region was skipped.</returns>
    public AvroReadStatus Read(out ReadOnlySpan<byte> record, out AvroRecordPosition position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        record = default;
        position = default;
        while (true)
        {
            if (_inBlock)
            {
                var data = _blockArray.AsSpan(_blockDataStart, _blockDataLength);
                if (_recordIndex < _blockRecords)
                {
                    var reader = new AvroReader(data[_recordOffset..]);
                    if (!reader.TrySkip(_skip))
                    {
                        _inBlock = false;
                        return Corrupt($"record {_recordIndex} of {_blockRecords} at block offset {_recordOffset} is malformed or overruns the block");
                    }

                    record = data.Slice(_recordOffset, reader.Position);
                    position = new AvroRecordPosition(_blockIndex, _blockOffset, _recordIndex);
                    _recordOffset += reader.Position;
                    _recordIndex++;
                    return AvroReadStatus.Record;
                }

                _inBlock = false;
                if (_recordOffset != data.Length)
                {
                    return Corrupt($"{data.Length - _recordOffset} bytes left over after the block's {_blockRecords} records");
                }
            }

            var status = ReadBlock();
            if (status != AvroReadStatus.Record)
            {
                return status;
            }
        }
    }

    /// <summary>Positions the reader so the next <see cref="Read"/> returns the record at <paramref name="position"/>.</summary>
    /// <param name="position">A position returned by <see cref="Read"/>, from this file.</param>
    /// <returns><see langword="false"/> (with <see cref="LastError"/>) when that block is no longer readable or has fewer records.</returns>
    /// <exception cref="NotSupportedException">The stream cannot seek.</exception>
    public bool Seek(AvroRecordPosition position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_stream.CanSeek)
        {
            throw new NotSupportedException("Seeking needs a seekable stream.");
        }

        _stream.Position = _origin + position.BlockOffset;
        _bufferOffset = position.BlockOffset;
        _start = _end = 0;
        _eof = false;
        _inBlock = false;
        _blockIndex = position.BlockIndex - 1;
        var status = ReadBlock();
        if (status != AvroReadStatus.Record)
        {
            LastError ??= "No block at the seek position.";
            return false;
        }

        var data = _blockArray.AsSpan(_blockDataStart, _blockDataLength);
        for (long i = 0; i < position.RecordIndex; i++)
        {
            var reader = new AvroReader(data[_recordOffset..]);
            if (_recordIndex >= _blockRecords || !reader.TrySkip(_skip))
            {
                _inBlock = false;
                LastError = $"Block at offset {position.BlockOffset} has no record {position.RecordIndex}.";
                return false;
            }

            _recordOffset += reader.Position;
            _recordIndex++;
        }

        return true;
    }

    /// <summary>Returns the pooled buffers and closes the stream unless <see cref="AvroContainerReaderOptions.LeaveOpen"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ArrayPool<byte>.Shared.Return(_buffer);
        if (_inflated is not null)
        {
            ArrayPool<byte>.Shared.Return(_inflated);
        }

        if (!_options.LeaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Reads the block at the committed position (offsets are file-relative: 0 is the stream's position at construction); <see cref="AvroReadStatus.Record"/> means a block is ready.</summary>
    private AvroReadStatus ReadBlock()
    {
        _blockOffset = _bufferOffset + _start;
        _blockIndex++;
        if (!EnsureBuffered(_blockOffset, 1))
        {
            return AvroReadStatus.EndOfFile;
        }

        var cursor = _blockOffset;
        if (!TryReadVarLong(ref cursor, out var count) || !TryReadVarLong(ref cursor, out var size))
        {
            return CorruptAndResync("truncated or malformed block header");
        }

        if (count <= 0 || size < 0 || size > _options.MaxBlockSize)
        {
            return CorruptAndResync($"implausible block record count {count} or size {size}");
        }

        if (!EnsureBuffered(cursor, (int)size + SyncSize))
        {
            return CorruptAndResync($"truncated block: {size} data bytes and the sync marker expected");
        }

        var dataStart = (int)(cursor - _bufferOffset);
        if (!_buffer.AsSpan(dataStart + (int)size, SyncSize).SequenceEqual(_sync))
        {
            return CorruptAndResync("sync marker after the block does not match the header's");
        }

        _blockArray = _buffer;
        _blockDataStart = dataStart;
        _blockDataLength = (int)size;
        if (Codec == AvroCodec.Deflate && !TryInflate(dataStart, (int)size, out var error))
        {
            return CorruptAndResync(error!);
        }

        // Every record of a schema that is not zero-width takes at least a byte; a larger count is corrupt and would
        // otherwise make callers spin.
        if (!_skip.IsZeroWidth && count > _blockDataLength)
        {
            return CorruptAndResync($"block claims {count} records in {_blockDataLength} bytes");
        }

        _start = dataStart + (int)size + SyncSize;
        _blockRecords = count;
        _recordIndex = 0;
        _recordOffset = 0;
        _inBlock = true;
        return AvroReadStatus.Record;
    }

    private bool TryInflate(int offset, int count, out string? error)
    {
        _inflated ??= ArrayPool<byte>.Shared.Rent(Math.Max(4096, count * 4));
        var length = 0;
        try
        {
            using var source = new MemoryStream(_buffer, offset, count, writable: false);
            using var deflate = new DeflateStream(source, CompressionMode.Decompress);
            while (true)
            {
                if (length == _inflated.Length)
                {
                    if (_inflated.Length >= _options.MaxBlockSize)
                    {
                        error = $"inflated block exceeds {_options.MaxBlockSize} bytes";
                        return false;
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_inflated.Length * 2, _options.MaxBlockSize));
                    _inflated.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(_inflated);
                    _inflated = bigger;
                }

                var n = deflate.Read(_inflated, length, Math.Min(_inflated.Length, _options.MaxBlockSize) - length);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }
        }
        catch (InvalidDataException ex)
        {
            // DeflateStream reports corrupt input only by throwing; it stops here, inside the reader.
            error = "deflate data is corrupt: " + ex.Message;
            return false;
        }

        _blockArray = _inflated;
        _blockDataStart = 0;
        _blockDataLength = length;
        error = null;
        return true;
    }

    private AvroReadStatus CorruptAndResync(string reason)
    {
        var status = Corrupt(reason);
        Resync(_blockOffset + 1);
        return status;
    }

    private AvroReadStatus Corrupt(string reason)
    {
        CorruptCount++;
        LastError = $"Block {_blockIndex} at offset {_blockOffset}: {reason}.";
        return AvroReadStatus.Corrupt;
    }

    /// <summary>Commits the position just after the next sync marker at or after <paramref name="from"/>, or the end of the file.</summary>
    private void Resync(long from)
    {
        var pos = from;
        _start = (int)(pos - _bufferOffset);
        while (EnsureBuffered(pos, SyncSize))
        {
            var index = (int)(pos - _bufferOffset);
            var hit = _buffer.AsSpan(index, _end - index).IndexOf(_sync);
            if (hit >= 0)
            {
                _start = index + hit + SyncSize;
                return;
            }

            // Keep the last 15 bytes: a marker may straddle what is buffered and what is not read yet.
            pos += _end - index - (SyncSize - 1);
            _start = (int)(pos - _bufferOffset);
        }

        _start = _end;
    }

    /// <summary>Makes the bytes [offset, offset + count) available in the buffer; false at the end of the stream.</summary>
    private bool EnsureBuffered(long offset, int count)
    {
        while (_bufferOffset + _end < offset + count)
        {
            if (_eof)
            {
                return false;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _bufferOffset += _start;
                _end -= _start;
                _start = 0;
            }

            var needed = offset + count - _bufferOffset;
            if (needed > _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Max(needed, (long)_buffer.Length * 2));
                _buffer.AsSpan(0, _end).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }

            var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                _eof = true;
            }

            _end += n;
        }

        return true;
    }

    private bool TryReadVarLong(ref long offset, out long value)
    {
        EnsureBuffered(offset, AvroWriter.MaxVarLongLength);
        var index = (int)(offset - _bufferOffset);
        var reader = new AvroReader(_buffer.AsSpan(index, _end - index));
        if (reader.TryReadLong(out value))
        {
            offset += reader.Position;
            return true;
        }

        return false;
    }

    private (Schema Schema, AvroCodec Codec, Dictionary<string, byte[]> Metadata, byte[] Sync) ReadHeader()
    {
        var want = 4096;
        while (true)
        {
            var complete = !EnsureBuffered(0, want);
            if (TryParseHeader(_buffer.AsSpan(0, _end), out var length, out var metadata, out var sync, out var error))
            {
                _start = length;
                FirstBlockOffset = length;
                return Interpret(metadata!, sync!);
            }

            if (complete || error is not null)
            {
                throw new InvalidDataException("Not an Avro object container file: " + (error ?? "the header is truncated or malformed."));
            }

            if (want >= _options.MaxHeaderSize)
            {
                throw new InvalidDataException($"The container header exceeds {_options.MaxHeaderSize} bytes.");
            }

            want = (int)Math.Min((long)want * 4, _options.MaxHeaderSize);
        }
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> data, out int length, out Dictionary<string, byte[]>? metadata, out byte[]? sync, out string? error)
    {
        length = 0;
        metadata = null;
        sync = null;
        error = null;
        if (data.Length >= 4 && !data[..4].SequenceEqual(AvroContainerWriter.Magic))
        {
            error = "it does not start with 'Obj' 0x01.";
            return false;
        }

        var reader = new AvroReader(data);
        if (!reader.TrySkipBytes(4))
        {
            return false;
        }

        metadata = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (true)
        {
            if (!reader.TryReadLong(out var count))
            {
                return false;
            }

            if (count == 0)
            {
                break;
            }

            if (count < 0)
            {
                count = -count;
                if (!reader.TryReadLong(out _))
                {
                    return false;
                }
            }

            for (long i = 0; i < count; i++)
            {
                if (!reader.TryReadString(out var key) || !reader.TryReadBytes(out var value))
                {
                    return false;
                }

                metadata[Encoding.UTF8.GetString(key)] = value.ToArray();
            }
        }

        if (!reader.TryReadFixed(SyncSize, out var marker))
        {
            return false;
        }

        sync = marker.ToArray();
        length = reader.Position;
        return true;
    }

    private static (Schema, AvroCodec, Dictionary<string, byte[]>, byte[]) Interpret(Dictionary<string, byte[]> metadata, byte[] sync)
    {
        if (!metadata.TryGetValue("avro.schema", out var schemaJson))
        {
            throw new InvalidDataException("The container header has no avro.schema.");
        }

        if (!AvroSchemas.TryParse(schemaJson, out var schema, out var error))
        {
            throw new InvalidDataException("The container's avro.schema is invalid: " + error);
        }

        var codecName = metadata.TryGetValue("avro.codec", out var codecBytes) ? Encoding.UTF8.GetString(codecBytes) : "null";
        var codec = codecName switch
        {
            "null" => AvroCodec.Null,
            "deflate" => AvroCodec.Deflate,
            _ => throw new InvalidDataException($"The container codec '{codecName}' is not supported (only null and deflate)."),
        };
        return (schema!, codec, metadata, sync);
    }
}
