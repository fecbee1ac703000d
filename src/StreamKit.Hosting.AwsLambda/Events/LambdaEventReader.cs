using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AwsLambda.Events;

/// <summary>
/// Reads a Kinesis, Kafka or SQS event's JSON into an <see cref="InvocationBatch"/> and writes the partial batch response.
/// </summary>
/// <remarks>
/// Kept per function instance and reused: the batch, the scratch buffer (base64 output, unescaped strings) and the item
/// identifiers (offsets of the tokens in the event, no strings) grow to the largest event seen and are then reused, so a
/// warm invocation allocates nothing per record. Not thread-safe.
/// </remarks>
internal sealed class LambdaEventReader : IDisposable
{
    private const string BadBase64 = "data is not valid base64";
    private const string BadKeyBase64 = "key is not valid base64";
    private const string BadKey = "partitionKey has an escape sequence that is not text (a lone surrogate)";
    private const string BadBody = "body has an escape sequence that is not text (a lone surrogate)";

    private readonly LambdaEventSource _source;
    private readonly TimeProvider _time;
    private readonly InvocationBatch _batch = new();
    private readonly List<string> _partitions = [];
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);
    private Token[] _items = ArrayPool<Token>.Shared.Rent(1024);
    private int[] _seenIn = [];
    private int _invocation;
    private long _lastSynthetic;

    public LambdaEventReader(LambdaEventSource source, TimeProvider time)
    {
        _source = source;
        _time = time;
    }

    /// <summary>The last event's records.</summary>
    public InvocationBatch Batch => _batch;

    /// <summary>The partition names of the last event, in first-seen order.</summary>
    public IReadOnlyList<string> Partitions => _partitions;

    /// <summary>
    /// Whether the last event came from an SQS standard queue, whose records carry sequence numbers made up here: a
    /// record skipped as "already applied" was not a duplicate but overtaken by another instance's clock, and must be
    /// redelivered.
    /// </summary>
    public bool SyntheticSequences { get; private set; }

    /// <summary>The event without a UTF-8 byte-order mark (the platform sends none; saved test payloads sometimes have one).</summary>
    public static ReadOnlyMemory<byte> WithoutBom(ReadOnlyMemory<byte> json) =>
        json.Span.StartsWith("\uFEFF"u8) ? json[3..] : json;

    /// <summary>Clears the batch and fills it from <paramref name="json"/>.</summary>
    /// <exception cref="FormatException">The event is not the expected source's shape (a record without a sequence number, a partition).</exception>
    /// <exception cref="JsonException">The event is not JSON.</exception>
    public void Read(ReadOnlySpan<byte> json)
    {
        _batch.Clear();
        _partitions.Clear();
        _invocation++;
        SyntheticSequences = false;
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (_source == LambdaEventSource.Kafka && reader.ValueTextEquals("records"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject);
                ReadKafkaPartitions(ref reader, json);
            }
            else if (_source != LambdaEventSource.Kafka && reader.ValueTextEquals("Records"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (_source == LambdaEventSource.Kinesis)
                    {
                        ReadKinesisRecord(ref reader, json);
                    }
                    else
                    {
                        ReadSqsRecord(ref reader, json);
                    }
                }

                ExpectArrayEnd(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>Writes <c>{"batchItemFailures":[...]}</c> naming the records of the last event that must be delivered again.</summary>
    /// <remarks>
    /// Those are the records the runner did not take and, for standard queues, the ones it skipped (see
    /// <see cref="SyntheticSequences"/>). Dead-lettered records count as handled and are not named. Item identifiers are
    /// copied from the event as they were written there.
    /// </remarks>
    public void WriteResponse(IBufferWriter<byte> response, ReadOnlySpan<byte> json, InvocationResult result)
    {
        // Written as bytes, not through Utf8JsonWriter: its property names go through System.Text.Json's escaping
        // encoder, whose first use costs about 9 ms of a cold start; the names are constants and the identifiers are
        // copied as valid JSON string tokens from the event.
        Append(response, "{\"batchItemFailures\":["u8);
        var first = true;
        if (SyntheticSequences)
        {
            // The runner skips only records at or below the partition's applied sequence; synthetic sequences increase
            // through the event, so the skipped records are its first ones.
            WriteItems(response, json, 0, result.Skipped, ref first);
        }

        WriteItems(response, json, result.Taken, _batch.Count, ref first);
        Append(response, "]}"u8);
    }

    public void Dispose()
    {
        _batch.Dispose();
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            ArrayPool<Token>.Shared.Return(_items);
            _scratch = [];
            _items = [];
        }
    }

    private void WriteItems(IBufferWriter<byte> response, ReadOnlySpan<byte> json, int from, int to, ref bool first)
    {
        for (var i = from; i < to; i++)
        {
            var item = _items[i];
            Append(response, first ? "{\"itemIdentifier\":"u8 : ",{\"itemIdentifier\":"u8);
            Append(response, json.Slice(item.Start, item.Length));
            Append(response, "}"u8);
            first = false;
        }
    }

    private static void Append(IBufferWriter<byte> response, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(response.GetSpan(bytes.Length));
        response.Advance(bytes.Length);
    }

    private void ReadKinesisRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        Token eventId = default, sequence = default, data = default, key = default;
        long timestamp = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("kinesis"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("sequenceNumber"u8))
                    {
                        sequence = StringToken(ref reader);
                    }
                    else if (reader.ValueTextEquals("data"u8))
                    {
                        data = StringToken(ref reader);
                    }
                    else if (reader.ValueTextEquals("partitionKey"u8))
                    {
                        key = StringToken(ref reader);
                    }
                    else if (reader.ValueTextEquals("approximateArrivalTimestamp"u8))
                    {
                        reader.Read();
                        // A time past the year 285 million would overflow the milliseconds: read as absent, like a non-number.
                        timestamp = reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var seconds) && Math.Abs(seconds) < 9_000_000_000_000_000m
                            ? (long)decimal.Floor(seconds * 1000m)
                            : 0;
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else if (reader.ValueTextEquals("eventID"u8))
            {
                eventId = StringToken(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (sequence.Length == 0 || eventId.Length == 0)
        {
            throw new FormatException("A Kinesis record has no kinesis.sequenceNumber or eventID.");
        }

        // Base64 may need room twice: once unescaped, once decoded.
        EnsureScratch(eventId.Length + sequence.Length + (2 * data.Length) + key.Length);
        var used = 0;
        var shard = Text(json, eventId, ref used);
        var colon = shard.IndexOf((byte)':');
        var partition = Partition(colon < 0 ? shard : shard[..colon]);
        var digits = Text(json, sequence, ref used);
        var keyOk = TryText(json, key, ref used, out var keyBytes);
        var value = Decode64(json, data, ref used, out var ok);
        AddItem(sequence);
        _batch.Add(partition, digits, value, keyBytes, timestamp, !ok ? BadBase64 : keyOk ? null : BadKey);
    }

    private void ReadKafkaPartitions(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = new Token(checked((int)reader.TokenStartIndex), reader.ValueSpan.Length + 2, reader.ValueIsEscaped);
            EnsureScratch(name.Length);
            var used = 0;
            var partition = Partition(Text(json, name, ref used));
            Expect(ref reader, JsonTokenType.StartArray);
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadKafkaRecord(ref reader, json, partition);
            }

            ExpectArrayEnd(ref reader);
        }
    }

    private void ReadKafkaRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int partition)
    {
        Token value = default, key = default;
        long offset = -1, timestamp = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("offset"u8))
            {
                reader.Read();
                offset = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var o) ? o : -1;
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                timestamp = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : 0;
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                value = StringToken(ref reader);
            }
            else if (reader.ValueTextEquals("key"u8))
            {
                key = StringToken(ref reader);
            }
            else
            {
                // Headers (arrays of byte values) and the rest are skipped in place.
                reader.Read();
                reader.Skip();
            }
        }

        if (offset < 0)
        {
            throw new FormatException("A Kafka record has no offset.");
        }

        EnsureScratch(2 * (value.Length + key.Length));
        var used = 0;
        var keyBytes = Decode64(json, key, ref used, out var keyOk);
        var valueBytes = Decode64(json, value, ref used, out var valueOk);
        AddItem(default);
        _batch.Add(partition, offset, valueBytes, keyBytes, timestamp, !valueOk ? BadBase64 : keyOk ? null : BadKeyBase64);
    }

    private void ReadSqsRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        Token messageId = default, body = default, arn = default, group = default, sequence = default, sent = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messageId"u8))
            {
                messageId = StringToken(ref reader);
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                body = StringToken(ref reader);
            }
            else if (reader.ValueTextEquals("eventSourceARN"u8))
            {
                arn = StringToken(ref reader);
            }
            else if (reader.ValueTextEquals("attributes"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("MessageGroupId"u8))
                    {
                        group = StringToken(ref reader);
                    }
                    else if (reader.ValueTextEquals("SequenceNumber"u8))
                    {
                        sequence = StringToken(ref reader);
                    }
                    else if (reader.ValueTextEquals("SentTimestamp"u8))
                    {
                        sent = StringToken(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (messageId.Length == 0)
        {
            throw new FormatException("An SQS record has no messageId.");
        }

        EnsureScratch(body.Length + arn.Length + group.Length + sequence.Length + sent.Length);
        var used = 0;
        var timestamp = TryText(json, sent, ref used, out var sentText) && Utf8Parser.TryParse(sentText, out long ms, out _) ? ms : 0;
        var error = TryText(json, body, ref used, out var value) ? null : BadBody;
        AddItem(messageId);
        if (group.Length > 0 && sequence.Length > 0)
        {
            // FIFO: messages of a group arrive in order with increasing sequence numbers, so a redelivery is recognised.
            var groupId = Text(json, group, ref used);
            _batch.Add(Partition(groupId), Text(json, sequence, ref used), value, groupId, timestamp, error);
            return;
        }

        if (arn.Length == 0)
        {
            throw new FormatException("An SQS record has neither a message group nor an eventSourceARN.");
        }

        // Standard queue: no order and no sequence number. One partition per queue, and a sequence made up from this
        // instance's clock, strictly increasing, so that no record is mistaken for a replay of an earlier one.
        SyntheticSequences = true;
        _lastSynthetic = Math.Max(_time.GetUtcNow().UtcTicks, _lastSynthetic + 1);
        _batch.Add(Partition(Text(json, arn, ref used)), _lastSynthetic, value, default, timestamp, error);
    }

    private int Partition(ReadOnlySpan<byte> utf8Name)
    {
        var index = _batch.Partition(utf8Name);
        if (_seenIn.Length <= index)
        {
            Array.Resize(ref _seenIn, Math.Max(index + 1, _seenIn.Length * 2));
        }

        if (_seenIn[index] != _invocation)
        {
            _seenIn[index] = _invocation;
            _partitions.Add(_batch.PartitionNames[index]);
        }

        return index;
    }

    private void AddItem(Token item)
    {
        var count = _batch.Count;
        if (count == _items.Length)
        {
            var larger = ArrayPool<Token>.Shared.Rent(_items.Length * 2);
            _items.AsSpan(0, count).CopyTo(larger);
            ArrayPool<Token>.Shared.Return(_items);
            _items = larger;
        }

        _items[count] = item;
    }

    /// <summary>Makes room for one record's strings; called before any <see cref="Text"/> so earlier spans stay valid.</summary>
    private void EnsureScratch(int length)
    {
        if (_scratch.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = ArrayPool<byte>.Shared.Rent(length);
        }
    }

    /// <summary>An identifier's UTF-8 bytes (a sequence number, a partition): see <see cref="TryText"/>.</summary>
    /// <exception cref="FormatException">The string has an escape that is not text (a lone surrogate).</exception>
    private ReadOnlySpan<byte> Text(ReadOnlySpan<byte> json, Token token, ref int used) =>
        TryText(json, token, ref used, out var text)
            ? text
            : throw new FormatException($"The string at byte {token.Start} of the event has an invalid escape sequence.");

    /// <summary>The string's UTF-8 bytes: straight from the event, or unescaped into the scratch buffer.</summary>
    /// <returns><see langword="false"/> when an escape is not text (a lone surrogate, <c>\uD800</c>); <paramref name="text"/> is then the string as written in the event.</returns>
    private bool TryText(ReadOnlySpan<byte> json, Token token, ref int used, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (token.Length == 0)
        {
            return true;
        }

        text = json.Slice(token.Start + 1, token.Length - 2);
        if (!token.Escaped)
        {
            return true;
        }

        var reader = new Utf8JsonReader(json.Slice(token.Start, token.Length));
        reader.Read();
        int written;
        try
        {
            written = reader.CopyString(_scratch.AsSpan(used));
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader validates escapes' syntax only; one that is not text is reported only by throwing here.
            return false;
        }

        text = _scratch.AsSpan(used, written);
        used += written;
        return true;
    }

    /// <summary>The string base64-decoded into the scratch buffer, or its text when it is not valid base64.</summary>
    private ReadOnlySpan<byte> Decode64(ReadOnlySpan<byte> json, Token token, ref int used, out bool ok)
    {
        if (!TryText(json, token, ref used, out var text))
        {
            ok = false;
            return text;
        }

        var status = Base64.DecodeFromUtf8(text, _scratch.AsSpan(used), out _, out var written);
        ok = status == OperationStatus.Done;
        if (!ok)
        {
            return text;
        }

        var decoded = _scratch.AsSpan(used, written);
        used += written;
        return decoded;
    }

    /// <summary>Reads the property's value: a string's token, or none for <c>null</c>.</summary>
    private static Token StringToken(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return new Token(checked((int)reader.TokenStartIndex), reader.ValueSpan.Length + 2, reader.ValueIsEscaped);
        }

        reader.Skip();
        return default;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new FormatException($"Unexpected {reader.TokenType} at byte {reader.TokenStartIndex} of the event: expected {type}.");
        }
    }

    /// <summary>Checks that a loop over an array's records stopped at its end, not at an element that is not a record.</summary>
    /// <remarks>Otherwise the element and every record after it would be dropped without a trace.</remarks>
    private static void ExpectArrayEnd(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new FormatException($"Unexpected {reader.TokenType} at byte {reader.TokenStartIndex} of the event: expected a record (an object).");
        }
    }

    /// <summary>A JSON string token in the event: where its opening quote is and its length with both quotes.</summary>
    private readonly record struct Token(int Start, int Length, bool Escaped);
}
