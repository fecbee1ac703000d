using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AzureFunctions;

/// <summary>
/// Reads an Event Hubs trigger batch written as JSON — the batch and the metadata the trigger binds — into an
/// <see cref="InvocationBatch"/>: <c>{"partitionId":"0","events":[{"body":"&lt;base64&gt;","sequenceNumber":N,"offset":"N","enqueuedTimeUtc":"&lt;ISO 8601&gt;"},...]}</c>.
/// </summary>
/// <remarks>
/// For invoking a function locally or replaying a captured batch; a deployed function gets the batch from the trigger
/// (see <see cref="AzureFunctionsRunner{T}.RunEventHubsAsync(string, byte[][], long[], DateTime[], bool, CancellationToken)"/>).
/// Bodies are decoded into a pooled buffer and copied into the batch; a body that is not valid base64 is added with an
/// error so the runner dead-letters it. <c>offset</c> is read past: sequence numbers are the dedup key.
/// </remarks>
public static class EventHubsBatchJson
{
    /// <summary>Clears <paramref name="batch"/> and fills it with the events of <paramref name="utf8Json"/>.</summary>
    /// <param name="utf8Json">The whole document, UTF-8 (a leading byte-order mark is allowed).</param>
    /// <param name="batch">The batch to fill; reuse one per process.</param>
    /// <returns>The batch's partition id.</returns>
    /// <exception cref="FormatException">The document is not JSON of that shape (no partition id, an event without a sequence number).</exception>
    public static string Read(ReadOnlySpan<byte> utf8Json, InvocationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (utf8Json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8Json = utf8Json[3..];
        }

        batch.Clear();
        try
        {
            var partition = ReadPartition(utf8Json, batch);
            ReadEvents(utf8Json, batch, partition);
            return batch.PartitionNames[partition];
        }
        catch (JsonException e)
        {
            throw new FormatException("The batch is not valid JSON: " + e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("The batch has a field of the wrong type: " + e.Message, e);
        }
    }

    /// <summary>The index of the batch's partition; a name seen before is found without allocating.</summary>
    private static int ReadPartition(ReadOnlySpan<byte> json, InvocationBatch batch)
    {
        var reader = new Utf8JsonReader(json);
        ExpectStartObject(ref reader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPartition = reader.ValueTextEquals("partitionId"u8);
            reader.Read();
            if (isPartition && reader.TokenType == JsonTokenType.String)
            {
                if (reader.ValueIsEscaped || reader.HasValueSequence)
                {
                    return batch.Partition(reader.GetString()!);
                }

                if (reader.ValueSpan.IsEmpty)
                {
                    break;
                }

                return batch.Partition(reader.ValueSpan);
            }

            reader.Skip();
        }

        throw new FormatException("The batch has no \"partitionId\".");
    }

    private static void ReadEvents(ReadOnlySpan<byte> json, InvocationBatch batch, int partition)
    {
        var reader = new Utf8JsonReader(json);
        ExpectStartObject(ref reader);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isEvents = reader.ValueTextEquals("events"u8);
                reader.Read();
                if (!isEvents)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new FormatException("\"events\" is not an array.");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadEvent(ref reader, batch, partition, ref buffer);
                }

                // Anything else would end the loop early, dropping that element and every event after it.
                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw new FormatException($"An element of \"events\" is not an object (byte {reader.TokenStartIndex}).");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ReadEvent(ref Utf8JsonReader reader, InvocationBatch batch, int partition, ref byte[] buffer)
    {
        long sequence = -1, timestamp = 0;
        var bodyLength = -1;
        var bodyIsText = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("body"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new FormatException("An event's \"body\" is not a string.");
                }

                // The buffer holds the unescaped base64 text, then room for the decoded bytes after it.
                var textLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                var needed = textLength + Base64.GetMaxDecodedFromUtf8Length(textLength);
                if (buffer.Length < needed)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(needed);
                }

                try
                {
                    bodyLength = reader.CopyString(buffer);
                    bodyIsText = true;
                }
                catch (InvalidOperationException)
                {
                    // An escape that is not text (a lone surrogate, \uD800) is the event's problem, not the batch's:
                    // it is dead-lettered with the string as written.
                    reader.ValueSpan.CopyTo(buffer);
                    bodyLength = reader.ValueSpan.Length;
                    bodyIsText = false;
                }
            }
            else if (reader.ValueTextEquals("sequenceNumber"u8))
            {
                reader.Read();
                sequence = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("enqueuedTimeUtc"u8))
            {
                reader.Read();
                timestamp = reader.GetDateTimeOffset().ToUnixTimeMilliseconds();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (sequence < 0)
        {
            throw new FormatException("An event has no \"sequenceNumber\".");
        }

        var text = buffer.AsSpan(0, Math.Max(bodyLength, 0));
        var decoded = buffer.AsSpan(text.Length);
        if (!bodyIsText)
        {
            batch.Add(partition, sequence, text, default, timestamp, "the event body has an escape sequence that is not text");
        }
        else if (Base64.DecodeFromUtf8(text, decoded, out _, out var written) == OperationStatus.Done)
        {
            batch.Add(partition, sequence, decoded[..written], default, timestamp);
        }
        else
        {
            batch.Add(partition, sequence, text, default, timestamp, "the event body is not valid base64");
        }
    }

    private static void ExpectStartObject(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("The batch is not a JSON object.");
        }
    }
}
