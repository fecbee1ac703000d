using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AzureFunctions;

/// <content>The Kafka trigger's batch: <c>KafkaEventData</c> values, or the JSON strings the isolated worker binds to <c>string[]</c>.</content>
public sealed partial class AzureFunctionsRunner<T>
{
    /// <summary>Runs a Kafka trigger batch of typed events; the state is kept per <c>topic-partition</c>.</summary>
    /// <param name="events">The batch, in delivery order.</param>
    /// <param name="finalAttempt"><see langword="false"/> when the host will retry this batch after a failure; see <see cref="RunAsync"/>.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint.</param>
    public ValueTask<FunctionBatchResult> RunKafkaAsync(KafkaTriggerEvent[] events, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        FillKafka(events);
        return RunAsync(_batch, finalAttempt, cancellationToken);
    }

    /// <summary>Fills the runner's batch; allocates nothing once each topic-partition's name has been seen.</summary>
    internal void FillKafka(KafkaTriggerEvent[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        _batch.Clear();
        Span<char> name = stackalloc char[256];
        for (var i = 0; i < events.Length; i++)
        {
            ref readonly var e = ref events[i];
            ArgumentException.ThrowIfNullOrEmpty(e.Topic, nameof(events));
            var partition = name.TryWrite($"{e.Topic}-{e.Partition}", out var written)
                ? _batch.Partition(name[..written])
                : _batch.Partition(e.Topic + "-" + e.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _batch.Add(partition, e.Offset, e.Value.Span, e.Key.Span, UnixMilliseconds(e.Timestamp));
        }
    }

    /// <summary>Runs a Kafka trigger batch bound as <c>string[]</c> by the isolated worker: one <c>KafkaEventData</c> JSON object per event.</summary>
    /// <param name="events">Objects with <c>Offset</c>, <c>Partition</c>, <c>Topic</c>, <c>Timestamp</c> (ISO 8601 or Unix milliseconds), <c>Value</c> and <c>Key</c> (strings, taken as UTF-8 text); names match in either case.</param>
    /// <param name="finalAttempt"><see langword="false"/> when the host will retry this batch after a failure; see <see cref="RunAsync"/>.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint.</param>
    /// <remarks>An event that is not such an object has no partition or offset to run under: it is dead-lettered as it is (partition empty, position -1) and counted as dead-lettered.</remarks>
    public async ValueTask<FunctionBatchResult> RunKafkaAsync(string[] events, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var unreadable = FillKafka(events);
        if (unreadable > 0)
        {
            await _deadLetters.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var result = await RunAsync(_batch, finalAttempt, cancellationToken).ConfigureAwait(false);
        return result with { DeadLettered = result.DeadLettered + unreadable };
    }

    /// <summary>Fills the runner's batch and dead-letters unreadable events; allocates nothing for readable ones once each topic-partition's name has been seen.</summary>
    /// <returns>How many events were unreadable.</returns>
    internal int FillKafka(string[] events)
    {
        _batch.Clear();
        var unreadable = 0;
        foreach (var json in events)
        {
            var text = json ?? "";

            // One scratch buffer: the event's UTF-8 JSON, then room for its unescaped value, key and "topic-partition".
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            var scratch = Scratch((max * 4) + 16);
            var length = Encoding.UTF8.GetBytes(text, scratch);
            var utf8 = scratch[..length];
            if (!TryAddKafkaEvent(utf8, scratch.Slice(max, max), scratch.Slice(2 * max, max), scratch[(3 * max)..], out var error))
            {
                _deadLetters.Write(new DeadLetter(_options.DeadLetterSource, "", -1, "not a Kafka trigger event: " + error, utf8, default, 0));
                unreadable++;
            }
        }

        return unreadable;
    }

    private bool TryAddKafkaEvent(ReadOnlySpan<byte> json, Span<byte> value, Span<byte> key, Span<byte> name, out string error)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }

            long offset = -1, timestamp = 0;
            int partition = -1, valueLength = 0, keyLength = 0, topicLength = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Field(ref reader);
                reader.Read();
                switch (field)
                {
                    case KafkaField.Offset:
                        offset = reader.GetInt64();
                        break;
                    case KafkaField.Partition:
                        partition = reader.GetInt32();
                        break;
                    case KafkaField.Topic when reader.TokenType == JsonTokenType.String:
                        topicLength = reader.CopyString(name);
                        break;
                    case KafkaField.Timestamp:
                        timestamp = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : UnixMilliseconds(reader.GetDateTime());
                        break;
                    case KafkaField.Value when reader.TokenType == JsonTokenType.String:
                        valueLength = reader.CopyString(value);
                        break;
                    case KafkaField.Key when reader.TokenType == JsonTokenType.String:
                        keyLength = reader.CopyString(key);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (offset < 0 || partition < 0 || topicLength == 0)
            {
                error = "Offset, Partition or Topic missing";
                return false;
            }

            name[topicLength] = (byte)'-';
            Utf8Formatter.TryFormat(partition, name[(topicLength + 1)..], out var digits);
            var index = _batch.Partition(name[..(topicLength + 1 + digits)]);
            _batch.Add(index, offset, value[..valueLength], key[..keyLength], timestamp);
            error = "";
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            error = e.Message;
            return false;
        }
    }

    private static KafkaField Field(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("Offset"u8) || reader.ValueTextEquals("offset"u8) ? KafkaField.Offset
        : reader.ValueTextEquals("Partition"u8) || reader.ValueTextEquals("partition"u8) ? KafkaField.Partition
        : reader.ValueTextEquals("Topic"u8) || reader.ValueTextEquals("topic"u8) ? KafkaField.Topic
        : reader.ValueTextEquals("Timestamp"u8) || reader.ValueTextEquals("timestamp"u8) ? KafkaField.Timestamp
        : reader.ValueTextEquals("Value"u8) || reader.ValueTextEquals("value"u8) ? KafkaField.Value
        : reader.ValueTextEquals("Key"u8) || reader.ValueTextEquals("key"u8) ? KafkaField.Key
        : KafkaField.Other;

    private enum KafkaField
    {
        Other,
        Offset,
        Partition,
        Topic,
        Timestamp,
        Value,
        Key,
    }
}
