using Confluent.Kafka;
using Polly;
using Polly.Retry;

namespace StreamKit.Kafka;

/// <summary>
/// A Kafka producer shared by StreamKit's sinks: produces from spans through reused buffers, counts outstanding
/// deliveries, and makes <see cref="FlushAsync"/> wait for every delivery report and fail if any message was lost.
/// </summary>
/// <remarks>
/// <para>Delivery errors reported by librdkafka are final (retriable errors were already retried, until
/// <c>delivery.timeout.ms</c>): one failed message makes every later <see cref="FlushAsync"/> throw, so the runner
/// never checkpoints past lost output — restart the pipeline with a new producer and it replays. Fatal producer errors
/// (an idempotent producer's sequence broken, a transactional producer fenced) fail the next call the same way.</para>
/// <para>Transactional (<see cref="KafkaProducerOptions.TransactionalId"/> set): a transaction is open at all times;
/// <see cref="CommitTransactionAsync(CancellationToken)"/> (or the source, with offsets) commits it and opens the next; a failed commit
/// aborts it, so its output is discarded for <c>read_committed</c> readers, and throws.</para>
/// <para>Thread-safe for producing; commits and flushes are meant for the runner's thread. Per message, Confluent.Kafka
/// allocates a small delivery-report object; StreamKit allocates nothing for messages up to 4 KiB.</para>
/// </remarks>
public sealed class KafkaProducer : IDisposable
{
    private const int ExactArrayLimit = 4096;
    /// <summary>
    /// Repeats a transactional call that failed retriably, as the transactional API asks callers to: three tries in
    /// all, 100 ms apart with exponential backoff and jitter. Built once: it holds no per-producer state.
    /// </summary>
    internal static readonly ResiliencePipeline TransactionRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<KafkaRetriableException>(),
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
        })
        .Build();

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly KafkaProducerOptions _options;
    private readonly Lock _produceLock = new();
    private readonly Lock _deliveryLock = new();
    private readonly Message<byte[]?, byte[]?> _message = new();
    private readonly Headers _noHeaders = [];
    private readonly Action<DeliveryReport<byte[]?, byte[]?>> _onDelivery;
    private readonly byte[]?[] _exactValues = new byte[]?[ExactArrayLimit + 1];
    private readonly byte[]?[] _exactKeys = new byte[]?[ExactArrayLimit + 1];
    private long _pending;
    private long _produced;
    private long _failed;
    private Error? _firstFailure;
    private Error? _fatal;
    private TaskCompletionSource? _drained;
    private bool _disposed;

    /// <summary>Creates the producer; a transactional one is initialised (fencing earlier producers with the same id) and opens its first transaction.</summary>
    /// <exception cref="ArgumentException">A required setting is missing.</exception>
    /// <exception cref="KafkaException">A transactional producer could not be initialised.</exception>
    public KafkaProducer(KafkaProducerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateProducer();
        _options = options;
        _onDelivery = OnDelivery;
        var required = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ConfigPropertyNames.Producer.DeliveryReportFields] = "status", // no key/value copies back per message
        };
        if (options.TransactionalId is { } id)
        {
            required["transactional.id"] = id;
        }

        var config = KafkaConfig.Build(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["bootstrap.servers"] = options.BootstrapServers,
                ["enable.idempotence"] = options.EnableIdempotence || options.TransactionalId is not null ? "true" : "false",
                ["acks"] = "all",
            },
            options.Config,
            required);
        _producer = new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetKeySerializer(Serializers.ByteArray!)
            .SetValueSerializer(Serializers.ByteArray!)
            .SetErrorHandler((_, error) => OnClientError(error))
            .Build();
        if (IsTransactional)
        {
            try
            {
                _producer.InitTransactions(options.RequestTimeout);
                _producer.BeginTransaction();
            }
            catch
            {
                _producer.Dispose();
                throw;
            }
        }
    }

    /// <summary>Whether this producer commits its output in transactions.</summary>
    public bool IsTransactional => _options.TransactionalId is not null;

    /// <summary>Messages handed to librdkafka.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Messages whose delivery failed for good.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The Confluent.Kafka producer, for what StreamKit does not wrap (metadata, statistics).</summary>
    /// <remarks>Producing through it bypasses <see cref="FlushAsync"/>'s delivery accounting.</remarks>
    public IProducer<byte[]?, byte[]?> Inner => _producer;

    /// <summary>Waits until every message produced so far has its delivery report.</summary>
    /// <exception cref="KafkaException">A message could not be delivered, or the producer failed fatally (at any time since it was created).</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Task? wait = null;
        lock (_deliveryLock)
        {
            if (_pending > 0)
            {
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _drained.Task;
            }
        }

        if (wait is not null)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        ThrowIfFailed();
    }

    /// <summary>Commits the open transaction (everything produced since the last commit) and opens the next.</summary>
    /// <remarks>For pipelines whose source is not Kafka; a <see cref="KafkaSource"/> with this producer commits with its offsets instead.</remarks>
    /// <exception cref="InvalidOperationException">The producer is not transactional.</exception>
    /// <exception cref="KafkaException">The commit failed; the transaction was aborted when it could be.</exception>
    public Task CommitTransactionAsync(CancellationToken cancellationToken = default) =>
        CommitTransactionAsync([], null, cancellationToken).AsTask();

    internal async ValueTask CommitTransactionAsync(IReadOnlyList<TopicPartitionOffset> offsets, IConsumerGroupMetadata? group, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsTransactional)
        {
            throw new InvalidOperationException("The producer has no transactional id.");
        }

        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            if (offsets.Count > 0 && group is not null)
            {
                TransactionRetry.Execute(static call => call.Producer.SendOffsetsToTransaction(call.Offsets, call.Group, call.Timeout), (Producer: _producer, Offsets: offsets, Group: group, Timeout: _options.RequestTimeout));
            }

            TransactionRetry.Execute(static call => call.Producer.CommitTransaction(call.Timeout), (Producer: _producer, Timeout: _options.RequestTimeout));
        }
        catch (KafkaException e) when (!e.Error.IsFatal && _fatal is null)
        {
            // Not fenced or fatal: abort, so that read_committed readers never see this output, and start clean.
            _producer.AbortTransaction(_options.RequestTimeout);
            ResetFailures();
            _producer.BeginTransaction();
            throw;
        }

        _producer.BeginTransaction();
    }

    /// <summary>Flushes what is outstanding (up to 10 seconds); a transactional producer aborts its open transaction. Then releases the producer.</summary>
    /// <remarks>
    /// Returns once the flush (or abort) is done: every message has its delivery report by then. The librdkafka handle is
    /// released on a pool thread, because Confluent.Kafka's release waits for its delivery-report thread to finish its
    /// current 100 ms poll (measured: 94–101 ms added to every run's end) and nothing is left for it to deliver.
    /// </remarks>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (IsTransactional && _fatal is null)
            {
                _producer.AbortTransaction(TimeSpan.FromSeconds(10));
            }
            else
            {
                _producer.Flush(TimeSpan.FromSeconds(10));
            }
        }
        catch (KafkaException)
        {
            // Nothing more can be done for output that was never committed or flushed; it is replayed on restart.
        }
        finally
        {
            ThreadPool.UnsafeQueueUserWorkItem(static producer => producer.Dispose(), _producer, preferLocal: false);
        }
    }

    /// <summary>Produces one message; the spans are copied before returning.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition, or <see cref="Partition.Any"/> to let the partitioner choose by key.</param>
    /// <param name="key">The key bytes (ignored unless <paramref name="hasKey"/>).</param>
    /// <param name="hasKey">Whether the message has a key (an empty key differs from none).</param>
    /// <param name="value">The value bytes.</param>
    /// <param name="headers">Headers, or <see langword="null"/>; read during the call only.</param>
    /// <param name="timestamp">The message's create time in epoch milliseconds, or 0 for now.</param>
    internal void Produce(string topic, Partition partition, ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, Headers? headers, long timestamp)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fatal is { } fatal)
        {
            throw new KafkaException(fatal);
        }

        lock (_produceLock)
        {
            // librdkafka copies key and value during the call (RD_KAFKA_MSG_F_COPY), so one array per length serves
            // every message: Confluent.Kafka takes whole arrays, not spans.
            _message.Key = hasKey ? Exact(_exactKeys, key) : null;
            _message.Value = Exact(_exactValues, value);
            _message.Headers = headers ?? _noHeaders; // Confluent.Kafka allocates an empty Headers per message for null
            _message.Timestamp = timestamp > 0 ? new Timestamp(timestamp, TimestampType.CreateTime) : Timestamp.Default;
            Interlocked.Increment(ref _pending);
            while (true)
            {
                try
                {
                    if (partition == Partition.Any)
                    {
                        _producer.Produce(topic, _message, _onDelivery);
                    }
                    else
                    {
                        _producer.Produce(new TopicPartition(topic, partition), _message, _onDelivery);
                    }

                    break;
                }
                catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // librdkafka's queue is full: wait for the broker to catch up (backpressure onto the pipeline).
                    Thread.Sleep(1);
                }
                catch
                {
                    Interlocked.Decrement(ref _pending);
                    throw;
                }
            }

            _produced++;
        }
    }

    private static byte[] Exact(byte[]?[] cache, ReadOnlySpan<byte> bytes)
    {
        byte[] array;
        if (bytes.Length <= ExactArrayLimit)
        {
            array = cache[bytes.Length] ??= new byte[bytes.Length];
        }
        else
        {
            array = bytes.ToArray();
            return array;
        }

        bytes.CopyTo(array);
        return array;
    }

    private void OnDelivery(DeliveryReport<byte[]?, byte[]?> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            lock (_deliveryLock)
            {
                _firstFailure ??= new Error(report.Error.Code, $"{report.Error.Reason} (topic {report.Topic}, partition {report.Partition.Value})", report.Error.IsFatal);
            }
        }

        if (Interlocked.Decrement(ref _pending) == 0)
        {
            lock (_deliveryLock)
            {
                if (Interlocked.Read(ref _pending) == 0 && _drained is { } drained)
                {
                    _drained = null;
                    drained.TrySetResult();
                }
            }
        }
    }

    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            _fatal ??= error;
            lock (_deliveryLock)
            {
                _firstFailure ??= error;
            }
        }
    }

    private void ThrowIfFailed()
    {
        lock (_deliveryLock)
        {
            if (_fatal is { } fatal)
            {
                throw new KafkaException(fatal);
            }

            if (_firstFailure is { } failure)
            {
                throw new KafkaException(new Error(failure.Code, $"{Interlocked.Read(ref _failed)} message(s) could not be delivered; the first: {failure.Reason}", failure.IsFatal));
            }
        }
    }

    private void ResetFailures()
    {
        lock (_deliveryLock)
        {
            _firstFailure = null;
            Interlocked.Exchange(ref _failed, 0);
        }
    }
}
