using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Avro;
using StreamKit.Avro.Binary;
using StreamKit.Codecs;

namespace StreamKit.Avro.Container;

/// <summary>Writes an Avro object container file: header, then blocks of records each followed by the sync marker.</summary>
/// <remarks>
/// Records are appended to an in-memory block that is written out once it reaches
/// <see cref="AvroContainerWriterOptions.BlockSize"/>, on <see cref="Flush"/>, and on <see cref="Dispose"/>, so a
/// reader only ever sees whole blocks. Appending allocates nothing once the block buffer has grown; deflate
/// allocates a compressor per block. Not thread-safe.
/// </remarks>
// Why not Apache.Avro's DataFileWriter<T> (Apache.Avro's DataFileReader reads this writer's files, see the
// interop tests): it writes objects through a DatumWriter, so every struct would become a GenericRecord or
// ISpecificRecord with boxed fields, where this writer appends AvroEncoder<T>'s bodies straight from the struct.
// Measured 2026-12-02 (1M six-field clicks, 2-core shared machine, Release): this writer 210-385 ns and 0.3 B per
// record (null codec), 475-690 ns and 0.5 B (deflate); DataFileWriter<GenericRecord> with one reused record
// 1.1-1.5 µs and 376 B (null), 2.5-2.8 µs and 376 B (deflate).
public sealed class AvroContainerWriter : IDisposable
{
    /// <summary>The four bytes every container file starts with: <c>Obj</c> and version 1.</summary>
    public static ReadOnlySpan<byte> Magic => "Obj\u0001"u8;

    private readonly Stream _stream;
    private readonly AvroContainerWriterOptions _options;
    private readonly byte[] _sync;
    private readonly ArrayBufferWriter<byte> _block = new(4096);
    private readonly ArrayBufferWriter<byte> _frame = new(64);
    private MemoryStream? _compressed;
    private long _count;
    private bool _disposed;

    /// <summary>Creates a writer and writes the file header.</summary>
    /// <param name="stream">The output stream, positioned where the file starts.</param>
    /// <param name="schema">The schema every appended record body is written with.</param>
    /// <param name="options">Codec, block size and sync marker, or <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentException">A metadata key is reserved, the sync marker is not 16 bytes, or the block size is not positive.</exception>
    public AvroContainerWriter(Stream stream, Schema schema, AvroContainerWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        _stream = stream;
        _options = options ?? new AvroContainerWriterOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BlockSize);
        Schema = schema;
        if (_options.SyncMarker is { } marker)
        {
            if (marker.Length != AvroContainerReader.SyncSize)
            {
                throw new ArgumentException("The sync marker must be 16 bytes.", nameof(options));
            }

            _sync = (byte[])marker.Clone();
        }
        else
        {
            _sync = RandomNumberGenerator.GetBytes(AvroContainerReader.SyncSize);
        }

        WriteHeader();
    }

    /// <summary>The schema of the records in this file; its full JSON (Apache.Avro's <see cref="Schema.ToString()"/>) is the header's <c>avro.schema</c>.</summary>
    public Schema Schema { get; }

    /// <summary>The file's sync marker.</summary>
    public ReadOnlyMemory<byte> SyncMarker => _sync;

    /// <summary>How many blocks have been written.</summary>
    public long BlockCount { get; private set; }

    /// <summary>How many records are waiting in the current block.</summary>
    public long PendingRecords => _count;

    /// <summary>Appends one record body, already encoded with <see cref="Schema"/>.</summary>
    /// <param name="encodedRecord">The record's Avro binary encoding.</param>
    public void Append(ReadOnlySpan<byte> encodedRecord)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        encodedRecord.CopyTo(_block.GetSpan(encodedRecord.Length));
        _block.Advance(encodedRecord.Length);
        Appended();
    }

    /// <summary>Encodes one record straight into the current block.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="record">The record.</param>
    /// <param name="encoder">An encoder writing bodies in <see cref="Schema"/>, such as <see cref="AvroEncoder{T}"/>.</param>
    public void Append<T>(in T record, IRecordEncoder<T> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ObjectDisposedException.ThrowIf(_disposed, this);
        encoder.Encode(in record, _block);
        Appended();
    }

    /// <summary>Writes the current block, if it has records, without flushing the stream.</summary>
    public void FlushBlock()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count == 0)
        {
            return;
        }

        ReadOnlySpan<byte> data = _block.WrittenSpan;
        if (_options.Codec == AvroCodec.Deflate)
        {
            _compressed ??= new MemoryStream();
            _compressed.SetLength(0);
            using (var deflate = new DeflateStream(_compressed, _options.CompressionLevel, leaveOpen: true))
            {
                deflate.Write(data);
            }

            data = _compressed.GetBuffer().AsSpan(0, (int)_compressed.Length);
        }

        _frame.ResetWrittenCount();
        AvroWriter.WriteLong(_frame, _count);
        AvroWriter.WriteLong(_frame, data.Length);
        _stream.Write(_frame.WrittenSpan);
        _stream.Write(data);
        _stream.Write(_sync);
        _block.ResetWrittenCount();
        _count = 0;
        BlockCount++;
    }

    /// <summary>Writes the current block and flushes the stream, so everything appended so far is durable and readable.</summary>
    public void Flush()
    {
        FlushBlock();
        _stream.Flush();
    }

    /// <summary>Writes the last block, flushes, and closes the stream unless <see cref="AvroContainerWriterOptions.LeaveOpen"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Flush();
        _disposed = true;
        _compressed?.Dispose();
        if (!_options.LeaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Appended()
    {
        _count++;
        if (_block.WrittenCount >= _options.BlockSize)
        {
            FlushBlock();
        }
    }

    private void WriteHeader()
    {
        var header = new ArrayBufferWriter<byte>(1024);
        header.Write(Magic);
        var extra = _options.Metadata;
        AvroWriter.WriteLong(header, 2 + (extra?.Count ?? 0));
        AvroWriter.WriteString(header, "avro.schema");
        AvroWriter.WriteBytes(header, Encoding.UTF8.GetBytes(Schema.ToString()));
        AvroWriter.WriteString(header, "avro.codec");
        AvroWriter.WriteBytes(header, _options.Codec == AvroCodec.Deflate ? "deflate"u8 : "null"u8);
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                if (key.StartsWith("avro.", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Metadata key '{key}' is reserved for Avro.", nameof(_options.Metadata));
                }

                AvroWriter.WriteString(header, key);
                AvroWriter.WriteBytes(header, value);
            }
        }

        AvroWriter.WriteLong(header, 0);
        header.Write(_sync);
        _stream.Write(header.WrittenSpan);
    }
}
