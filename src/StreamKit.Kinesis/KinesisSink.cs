using System.Buffers;
using System.Text;
using System.Text.Json;
using Polly;
using StreamKit.Codecs;
using StreamKit.Kinesis.Internal;
using StreamKit.Runtime;

namespace StreamKit.Kinesis;

/// <summary>Writes a pipeline's output records to a Kinesis data stream with PutRecords.</summary>
/// <remarks>
/// <para><see cref="Write"/> encodes records into one growing buffer; <see cref="FlushAsync"/> (called by the runner at each
/// checkpoint) sends them in requests within the API's limits — 500 records and 5 MiB per request, 1 MiB per record
/// including its partition key — and returns only when every record is either in the stream or dead-lettered, so
/// input positions are committed only after their output is durable. Entries PutRecords reports as failed (throttled,
/// internal failure) are sent again after an exponential backoff with jitter (a Polly retry pipeline with the client
/// options' <see cref="KinesisClientOptions.RetryBaseDelay"/> and <see cref="KinesisClientOptions.RetryMaxDelay"/>), up to
/// <see cref="KinesisSinkOptions{T}.MaxAttempts"/> times, then dead-lettered with the service's reason. Oversized records
/// and invalid keys are dead-lettered at once. Whole-request failures are retried by the client and, when retries run
/// out, make <see cref="FlushAsync"/> throw: the runner then stops without committing, and the output since the last
/// checkpoint is written again after a restart (at-least-once).</para>
/// <para>Order per partition key: see <see cref="KinesisSinkOptions{T}.PreserveKeyOrder"/>.</para>
/// <para>Called on the runner's thread. Steady state allocates nothing per record (buffers are reused across flushes).</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class KinesisSink<T> : IRecordSink<T>, IAsyncDisposable
{
    internal const int MaxRecordsPerRequest = 500;
    internal const int MaxBytesPerRequest = 5 * 1024 * 1024;
    internal const int MaxBytesPerRecord = 1024 * 1024;
    private const int MaxKeyCharacters = 256;
    private readonly KinesisClient _client;
    private readonly string _stream;
    private readonly IRecordEncoder<T> _encoder;
    private readonly KinesisPartitionKeyWriter<T> _keyWriter;
    private readonly IDeadLetterSink _deadLetters;
    private readonly int _maxAttempts;
    private readonly bool _preserveKeyOrder;
    private readonly bool _trim;
    private readonly ArrayBufferWriter<byte> _value = new(256);
    private readonly ArrayBufferWriter<byte> _key = new(64);
    private readonly ArrayBufferWriter<byte> _request = new(64 * 1024);
    private readonly Utf8JsonWriter _requestWriter;
    private readonly HashSet<ulong> _keysInRequest = [];
    private readonly PutResult[] _results = new PutResult[MaxRecordsPerRequest];
    private readonly int[] _requestEntries = new int[MaxRecordsPerRequest];
    private readonly ResiliencePipeline<bool> _failedEntriesRetry;
    private byte[] _data = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _dataLength;
    private Entry[] _entries = ArrayPool<Entry>.Shared.Rent(1024);
    private int _entryCount;
    private int[] _pending = ArrayPool<int>.Shared.Rent(1024);
    private int _pendingCount;
    private bool _deadLettersToFlush;

    /// <summary>Creates a sink; nothing is sent until the first flush.</summary>
    public KinesisSink(KinesisSinkOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = new KinesisClient(options);
        _stream = options.StreamName;
        _encoder = options.Encoder!;
        _keyWriter = options.PartitionKey!;
        _deadLetters = options.DeadLetters!;
        _maxAttempts = options.MaxAttempts;
        _preserveKeyOrder = options.PreserveKeyOrder;
        _trim = options.TrimTrailingNewline;
        _requestWriter = new Utf8JsonWriter(_request);

        // A round is retried while it had failed entries and some are still pending. No attempt limit here: each
        // failing round counts an attempt on its failed entries, and an entry leaves at MaxAttempts (dead-lettered).
        _failedEntriesRetry = KinesisClient.RetryPipeline<bool>(options, int.MaxValue, static args => ValueTask.FromResult(args.Outcome.Result));
        Name = "kinesis:" + options.StreamName;
    }

    /// <summary>The name dead letters carry as their source.</summary>
    public string Name { get; }

    /// <summary>Records written to the stream.</summary>
    public long Count { get; private set; }

    /// <summary>Records dead-lettered (too large, bad key, or failing after every attempt).</summary>
    public long DeadLettered { get; private set; }

    /// <summary>PutRecords entries sent again after the service reported them failed.</summary>
    public long RetriedRecords { get; private set; }

    /// <summary>Records written but not yet flushed.</summary>
    public int Pending => _entryCount;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<T> records)
    {
        foreach (ref readonly var record in records)
        {
            _value.ResetWrittenCount();
            _encoder.Encode(record, _value);
            var value = _trim ? EncodedRecord.WithoutLineEnd(_value.WrittenSpan) : _value.WrittenSpan;

            _key.ResetWrittenCount();
            _keyWriter(record, _key);
            var key = _key.WrittenSpan;
            if (Reject(value, key) is { } reason)
            {
                DeadLetter(value, key, reason);
                continue;
            }

            Append(value, key);
        }
    }

    /// <inheritdoc />
    /// <exception cref="KinesisException">A PutRecords request failed as a whole after the client's retries.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        _pendingCount = _entryCount;
        for (var i = 0; i < _pendingCount; i++)
        {
            _pending[i] = i;
        }

        while (_pendingCount > 0)
        {
            // Back off only while requests keep having failures (a throttled shard); a clean request ends this
            // execution, so the next one starts again from the base delay.
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            try
            {
                await _failedEntriesRetry.ExecuteAsync(static (context, sink) => sink.SendRoundAsync(context.CancellationToken), context, this).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        _entryCount = 0;
        _dataLength = 0;
        if (_deadLettersToFlush)
        {
            await _deadLetters.FlushAsync(cancellationToken).ConfigureAwait(false);
            _deadLettersToFlush = false;
        }
    }

    /// <summary>Releases the HTTP client and buffers; unflushed records are dropped (flush first).</summary>
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _requestWriter.Dispose();
        ArrayPool<byte>.Shared.Return(_data);
        ArrayPool<Entry>.Shared.Return(_entries);
        ArrayPool<int>.Shared.Return(_pending);
        _data = [];
        _entries = [];
        _pending = [];
        _entryCount = 0;
        return ValueTask.CompletedTask;
    }

    private static string? Reject(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
        {
            return "Kinesis partition key is empty";
        }

        if (key.Length > MaxKeyCharacters && Encoding.UTF8.GetCharCount(key) > MaxKeyCharacters)
        {
            return "Kinesis partition key is longer than 256 characters";
        }

        return value.Length + key.Length > MaxBytesPerRecord
            ? "Kinesis record exceeds 1 MiB (data plus partition key)"
            : null;
    }

    private void Append(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key)
    {
        var needed = _dataLength + value.Length + key.Length;
        if (needed > _data.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _data.Length * 2));
            _data.AsSpan(0, _dataLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_data);
            _data = bigger;
        }

        if (_entryCount == _entries.Length)
        {
            var bigger = ArrayPool<Entry>.Shared.Rent(_entries.Length * 2);
            _entries.AsSpan(0, _entryCount).CopyTo(bigger);
            ArrayPool<Entry>.Shared.Return(_entries);
            _entries = bigger;
            ArrayPool<int>.Shared.Return(_pending);
            _pending = ArrayPool<int>.Shared.Rent(bigger.Length);
        }

        var offset = _dataLength;
        key.CopyTo(_data.AsSpan(offset));
        value.CopyTo(_data.AsSpan(offset + key.Length));
        _dataLength = needed;
        _entries[_entryCount++] = new Entry(offset, key.Length, value.Length, Hash(key));
    }

    /// <summary>Fills the request from the pending entries in order, within the API's limits (and one per key when order is kept).</summary>
    /// <returns>How many entries the request carries.</returns>
    private int BuildRequest(int pendingCount)
    {
        _request.ResetWrittenCount();
        _requestWriter.Reset(_request);
        _requestWriter.WriteStartObject();
        _requestWriter.WriteString("StreamName"u8, _stream);
        _requestWriter.WriteStartArray("Records"u8);
        _keysInRequest.Clear();
        var count = 0;
        var bytes = 0;
        for (var p = 0; p < pendingCount && count < MaxRecordsPerRequest; p++)
        {
            var index = _pending[p];
            ref readonly var entry = ref _entries[index];
            var size = entry.KeyLength + entry.ValueLength;
            if (bytes + size > MaxBytesPerRequest)
            {
                break; // later entries wait for the next request, so nothing overtakes this one
            }

            // Once a key is in the request, its later records wait: a retry of the first must not land after them.
            if (_preserveKeyOrder && !_keysInRequest.Add(entry.KeyHash))
            {
                continue;
            }

            var record = _data.AsSpan(entry.Offset, size);
            _requestWriter.WriteStartObject();
            _requestWriter.WriteBase64String("Data"u8, record[entry.KeyLength..]);
            _requestWriter.WriteString("PartitionKey"u8, record[..entry.KeyLength]);
            _requestWriter.WriteEndObject();
            _requestEntries[count++] = index;
            bytes += size;
        }

        _requestWriter.WriteEndArray();
        _requestWriter.WriteEndObject();
        _requestWriter.Flush();
        return count;
    }

    /// <summary>Sends one PutRecords request of pending entries and settles its results.</summary>
    /// <returns>Whether entries failed and some are still pending: the round should be retried after a backoff.</returns>
    private async ValueTask<bool> SendRoundAsync(CancellationToken cancellationToken)
    {
        var sent = BuildRequest(_pendingCount);
        using (var response = await _client.SendAsync("PutRecords", _request.WrittenMemory, cancellationToken).ConfigureAwait(false))
        {
            KinesisClient.ReadPutResults(response.Span, _results.AsSpan(0, sent));
        }

        var failed = Settle(sent);
        _pendingCount = Compact(_pendingCount);
        return failed > 0 && _pendingCount > 0;
    }

    /// <summary>Marks sent entries done, or counts a failed attempt and dead-letters entries out of attempts.</summary>
    /// <returns>How many entries failed in this request.</returns>
    private int Settle(int sent)
    {
        var failed = 0;
        for (var i = 0; i < sent; i++)
        {
            ref var entry = ref _entries[_requestEntries[i]];
            var result = _results[i];
            if (result.Succeeded)
            {
                entry.Done = true;
                Count++;
                continue;
            }

            failed++;
            entry.Attempts++;
            if (entry.Attempts >= _maxAttempts)
            {
                var record = _data.AsSpan(entry.Offset, entry.KeyLength + entry.ValueLength);
                DeadLetter(record[entry.KeyLength..], record[..entry.KeyLength], $"PutRecords failed {entry.Attempts} times, last: {result.ErrorCode}: {result.ErrorMessage}");
                entry.Done = true;
            }
            else
            {
                RetriedRecords++;
            }
        }

        return failed;
    }

    private int Compact(int pendingCount)
    {
        var kept = 0;
        for (var p = 0; p < pendingCount; p++)
        {
            if (!_entries[_pending[p]].Done)
            {
                _pending[kept++] = _pending[p];
            }
        }

        return kept;
    }

    private void DeadLetter(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, string reason)
    {
        _deadLetters.Write(new DeadLetter(Name, _stream, Count + DeadLettered, reason, value, key, 0));
        DeadLettered++;
        _deadLettersToFlush = true;
    }

    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        // FNV-1a: a collision only holds a record back to the next request, never breaks order or loses it.
        var hash = 14695981039346656037UL;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private struct Entry(int offset, int keyLength, int valueLength, ulong keyHash)
    {
        public readonly int Offset = offset;
        public readonly int KeyLength = keyLength;
        public readonly int ValueLength = valueLength;
        public readonly ulong KeyHash = keyHash;
        public int Attempts;
        public bool Done;
    }
}
