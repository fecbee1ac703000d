using System.Globalization;
using System.Text;
using Confluent.Kafka;
using StreamKit.State;

namespace StreamKit.Kafka;

/// <summary>
/// Checkpoints kept in a Kafka topic, written through a (transactional) <see cref="KafkaProducer"/>: with the producer
/// that also writes the pipeline's output and commits the source's offsets, a checkpoint's state, its output and its
/// offsets are committed in one transaction.
/// </summary>
/// <remarks>
/// <para>Why it exists: the runner saves state after flushing the sinks and before committing the source. With a
/// transactional producer the output only becomes visible when the source commits the transaction, so a state store
/// outside Kafka could hold state whose output was later aborted (or miss state whose output was committed). Writing the
/// snapshot in the same transaction keeps the three together.</para>
/// <para>A snapshot is one message: key = state key, value = snapshot bytes, header <c>streamkit.version</c>. Loading
/// reads partition 0 from the beginning with <c>read_committed</c> and keeps the last snapshot for the key, so compact
/// the topic; snapshots must fit the broker's and producer's <c>message.max.bytes</c>.</para>
/// <para>Versions are checked against what this instance last loaded or saved; across instances, fencing comes from the
/// transactional id. Without a transactional producer a save waits for delivery, like a file save.</para>
/// </remarks>
public sealed class KafkaStateStore : IStateStore
{
    private const string VersionHeader = "streamkit.version";
    private readonly KafkaProducer _producer;
    private readonly KafkaStateStoreOptions _options;
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Creates a store writing through <paramref name="producer"/>.</summary>
    public KafkaStateStore(KafkaProducer producer, KafkaStateStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.BootstrapServers, nameof(options.BootstrapServers));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Topic, nameof(options.Topic));
        _producer = producer;
        _options = options;
    }

    /// <inheritdoc />
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var loaded = await Task.Run(() => Load(key, cancellationToken), cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (loaded is { } state)
            {
                _versions[key] = long.Parse(state.Version, CultureInfo.InvariantCulture);
            }
            else
            {
                _versions.Remove(key);
            }
        }

        return loaded;
    }

    /// <inheritdoc />
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        long version;
        lock (_lock)
        {
            var current = _versions.TryGetValue(key, out var known) ? known.ToString(CultureInfo.InvariantCulture) : null;
            if (current != expectedVersion)
            {
                throw new StateConflictException($"State '{key}' is at version {current ?? "(none)"}, not {expectedVersion ?? "(none)"}.");
            }

            version = known + 1;
            _versions[key] = version;
        }

        var headers = new Headers { { VersionHeader, Encoding.UTF8.GetBytes(version.ToString(CultureInfo.InvariantCulture)) } };
        _producer.Produce(_options.Topic, new Partition(0), Encoding.UTF8.GetBytes(key), hasKey: true, data.Span, headers, timestamp: 0);
        if (!_producer.IsTransactional)
        {
            await _producer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return version.ToString(CultureInfo.InvariantCulture);
    }

    private StoredState? Load(string key, CancellationToken cancellationToken)
    {
        var config = KafkaConfig.Build(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["bootstrap.servers"] = _options.BootstrapServers,
                ["group.id"] = "streamkit-state-loader",
            },
            _options.Config,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["enable.auto.commit"] = "false",
                ["enable.partition.eof"] = "true",
                ["isolation.level"] = "read_committed",
            });
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        var partition = new TopicPartition(_options.Topic, 0);
        WatermarkOffsets marks;
        try
        {
            marks = consumer.QueryWatermarkOffsets(partition, _options.RequestTimeout);
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition)
        {
            return null;
        }

        if (marks.High.Value <= marks.Low.Value)
        {
            return null;
        }

        var keyBytes = Encoding.UTF8.GetBytes(key);
        StoredState? last = null;
        consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        var deadline = DateTime.UtcNow + _options.RequestTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Reading snapshots from '{_options.Topic}' took longer than {_options.RequestTimeout}.");
            }

            var result = consumer.Consume(100);
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                break;
            }

            if (result.Message.Key is { } k && k.AsSpan().SequenceEqual(keyBytes)
                && result.Message.Headers.TryGetLastBytes(VersionHeader, out var version))
            {
                last = new StoredState(result.Message.Value ?? [], Encoding.UTF8.GetString(version));
            }
        }

        consumer.Close();
        return last;
    }
}
