using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using StreamKit.Records;

namespace StreamKit.Kinesis.Internal;

/// <summary>A shard as ListShards describes it.</summary>
internal sealed record ShardInfo(string ShardId, string? ParentShardId, string? AdjacentParentShardId, string StartingHashKey, string EndingHashKey);

/// <summary>Where a shard iterator starts.</summary>
internal enum IteratorKind : byte
{
    TrimHorizon,
    AtTimestamp,
    AfterSequenceNumber,
}

/// <summary>What one GetRecords call returned besides the records it added.</summary>
internal readonly record struct RecordsPage(int Count, string? NextIterator, string? LastSequenceNumber, long MillisBehindLatest);

/// <summary>One PutRecords entry's outcome: success, or the error the service gave.</summary>
internal readonly record struct PutResult(string? ErrorCode, string? ErrorMessage)
{
    public bool Succeeded => ErrorCode is null;
}

// The calls: control plane with small allocating JSON (once per shard or stream), GetRecords and PutRecords over
// caller-owned buffers and Utf8JsonReader (once per batch).
internal sealed partial class KinesisClient
{
    public async ValueTask<string> DescribeStreamStatusAsync(string stream, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("DescribeStreamSummary", Json(w => w.WriteString("StreamName", stream)), cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(response.Span.ToArray());
        return document.RootElement.GetProperty("StreamDescriptionSummary").GetProperty("StreamStatus").GetString() ?? "";
    }

    public async ValueTask<List<ShardInfo>> ListShardsAsync(string stream, CancellationToken cancellationToken)
    {
        var shards = new List<ShardInfo>();
        string? next = null;
        do
        {
            var token = next;
            var body = Json(w =>
            {
                // With a NextToken the stream name must be left out.
                if (token is null)
                {
                    w.WriteString("StreamName", stream);
                }
                else
                {
                    w.WriteString("NextToken", token);
                }
            });
            using var response = await SendAsync("ListShards", body, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(response.Span.ToArray());
            foreach (var shard in document.RootElement.GetProperty("Shards").EnumerateArray())
            {
                shards.Add(new ShardInfo(
                    shard.GetProperty("ShardId").GetString()!,
                    OptionalString(shard, "ParentShardId"),
                    OptionalString(shard, "AdjacentParentShardId"),
                    shard.GetProperty("HashKeyRange").GetProperty("StartingHashKey").GetString()!,
                    shard.GetProperty("HashKeyRange").GetProperty("EndingHashKey").GetString()!));
            }

            next = OptionalString(document.RootElement, "NextToken");
        }
        while (next is not null);
        return shards;
    }

    public async ValueTask<string> GetShardIteratorAsync(string stream, string shardId, IteratorKind kind, string? sequenceNumber, long timestampMs, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteString("StreamName", stream);
            w.WriteString("ShardId", shardId);
            w.WriteString("ShardIteratorType", kind switch
            {
                IteratorKind.TrimHorizon => "TRIM_HORIZON",
                IteratorKind.AtTimestamp => "AT_TIMESTAMP",
                IteratorKind.AfterSequenceNumber => "AFTER_SEQUENCE_NUMBER",
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            });
            if (kind == IteratorKind.AfterSequenceNumber)
            {
                w.WriteString("StartingSequenceNumber", sequenceNumber);
            }
            else if (kind == IteratorKind.AtTimestamp)
            {
                w.WriteNumber("Timestamp", timestampMs / 1000.0);
            }
        });
        using var response = await SendAsync("GetShardIterator", body, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(response.Span.ToArray());
        return document.RootElement.GetProperty("ShardIterator").GetString()!;
    }

    /// <summary>For tests and tools: creates a stream (kinesalite makes it ACTIVE at once when started by eng/test-peers.sh).</summary>
    public async ValueTask CreateStreamAsync(string stream, int shards, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteString("StreamName", stream);
            w.WriteNumber("ShardCount", shards);
        });
        (await SendAsync("CreateStream", body, cancellationToken).ConfigureAwait(false)).Dispose();
    }

    /// <summary>For tests: deletes a stream.</summary>
    public async ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken) =>
        (await SendAsync("DeleteStream", Json(w => w.WriteString("StreamName", stream)), cancellationToken).ConfigureAwait(false)).Dispose();

    /// <summary>For tests: splits a shard at a hash key.</summary>
    public async ValueTask SplitShardAsync(string stream, string shardId, string newStartingHashKey, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteString("StreamName", stream);
            w.WriteString("ShardToSplit", shardId);
            w.WriteString("NewStartingHashKey", newStartingHashKey);
        });
        (await SendAsync("SplitShard", body, cancellationToken).ConfigureAwait(false)).Dispose();
    }

    /// <summary>For tests: merges two adjacent shards.</summary>
    public async ValueTask MergeShardsAsync(string stream, string shardId, string adjacentShardId, CancellationToken cancellationToken)
    {
        var body = Json(w =>
        {
            w.WriteString("StreamName", stream);
            w.WriteString("ShardToMerge", shardId);
            w.WriteString("AdjacentShardToMerge", adjacentShardId);
        });
        (await SendAsync("MergeShards", body, cancellationToken).ConfigureAwait(false)).Dispose();
    }

    /// <summary>Writes a GetRecords request body with <paramref name="writer"/>.</summary>
    public static void WriteGetRecords(Utf8JsonWriter writer, string iterator, int limit)
    {
        writer.WriteStartObject();
        writer.WriteString("ShardIterator"u8, iterator);
        writer.WriteNumber("Limit"u8, limit);
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// Adds a GetRecords response's records to <paramref name="batch"/> with positions <paramref name="nextOrdinal"/>,
    /// +1, ...: payload decoded from base64, the partition key as key, the arrival time as timestamp.
    /// </summary>
    /// <param name="json">The response body.</param>
    /// <param name="batch">Where records go.</param>
    /// <param name="nextOrdinal">The first record's position.</param>
    /// <param name="scratch">A reusable decoding buffer (grown as needed).</param>
    public static RecordsPage ReadRecords(ReadOnlySpan<byte> json, RawRecordBatch batch, long nextOrdinal, ref byte[] scratch)
    {
        var reader = new Utf8JsonReader(json);
        string? next = null;
        long behind = 0;
        var count = 0;
        var lastSequence = default(Range);
        var lastSequenceEscaped = false;
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Records"u8))
            {
                reader.Read();
                Expect(reader.TokenType, JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadRecord(ref reader, json, batch, nextOrdinal + count, ref scratch, out lastSequence, out lastSequenceEscaped);
                    count++;
                }
            }
            else if (reader.ValueTextEquals("NextShardIterator"u8))
            {
                reader.Read();
                next = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("MillisBehindLatest"u8))
            {
                reader.Read();
                behind = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : 0;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        string? sequence = null;
        if (count > 0)
        {
            // One string per call, for the last record only: it is what checkpoints and iterators need.
            sequence = lastSequenceEscaped
                ? JsonSerializer.Deserialize<string>(json[lastSequence], KinesisJsonContext.Default.String)
                : System.Text.Encoding.UTF8.GetString(json[lastSequence]);
        }

        return new RecordsPage(count, next, sequence, behind);
    }

    private static void ReadRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, RawRecordBatch batch, long ordinal, ref byte[] scratch, out Range sequence, out bool sequenceEscaped)
    {
        var data = default(Range);
        var dataEscaped = false;
        var key = default(Range);
        var keyEscaped = false;
        sequence = default;
        sequenceEscaped = false;
        long timestamp = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Data"u8))
            {
                reader.Read();
                data = ValueRange(ref reader, out dataEscaped);
            }
            else if (reader.ValueTextEquals("PartitionKey"u8))
            {
                reader.Read();
                key = ValueRange(ref reader, out keyEscaped);
            }
            else if (reader.ValueTextEquals("SequenceNumber"u8))
            {
                reader.Read();
                sequence = ValueRange(ref reader, out sequenceEscaped);
            }
            else if (reader.ValueTextEquals("ApproximateArrivalTimestamp"u8))
            {
                reader.Read();
                timestamp = reader.TokenType == JsonTokenType.Number ? (long)Math.Round(reader.GetDouble() * 1000) : 0;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Escapes are legal JSON but neither AWS nor the emulators write them in base64 or keys; unescape slowly if seen.
        var encoded = dataEscaped ? Unescape(json[data]) : json[data];
        var keyBytes = keyEscaped ? Unescape(json[key]) : json[key];
        var needed = Base64.GetMaxDecodedFromUtf8Length(encoded.Length);
        if (scratch.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(needed);
        }

        string? error = null;
        var status = Base64.DecodeFromUtf8(encoded, scratch, out _, out var written);
        if (status != OperationStatus.Done)
        {
            error = "Kinesis record data is not valid base64";
            written = 0;
        }

        batch.Add(scratch.AsSpan(0, written), keyBytes, ordinal, timestamp, error);
    }

    private static Range ValueRange(ref Utf8JsonReader reader, out bool escaped)
    {
        Expect(reader.TokenType, JsonTokenType.String);
        escaped = reader.ValueIsEscaped;
        var start = (int)reader.TokenStartIndex + 1; // after the opening quote
        return new Range(start, start + reader.ValueSpan.Length);
    }

    private static byte[] Unescape(ReadOnlySpan<byte> escapedValue)
    {
        var quoted = new byte[escapedValue.Length + 2];
        quoted[0] = (byte)'"';
        escapedValue.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        var value = JsonSerializer.Deserialize(quoted, KinesisJsonContext.Default.String) ?? "";
        return System.Text.Encoding.UTF8.GetBytes(value);
    }

    /// <summary>Reads a PutRecords response into <paramref name="results"/> (one per request entry, in order).</summary>
    /// <returns>How many entries failed.</returns>
    public static int ReadPutResults(ReadOnlySpan<byte> json, Span<PutResult> results)
    {
        var reader = new Utf8JsonReader(json);
        var failed = 0;
        var index = 0;
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("Records"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            Expect(reader.TokenType, JsonTokenType.StartArray);
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? code = null;
                string? message = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isCode = reader.ValueTextEquals("ErrorCode"u8);
                    var isMessage = reader.ValueTextEquals("ErrorMessage"u8);
                    reader.Read();
                    if (isCode && reader.TokenType == JsonTokenType.String)
                    {
                        code = reader.GetString();
                    }
                    else if (isMessage && reader.TokenType == JsonTokenType.String)
                    {
                        message = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                if (index >= results.Length)
                {
                    throw new KinesisException("PutRecords answered with more results than records sent.");
                }

                results[index++] = new PutResult(code, message);
                if (code is not null)
                {
                    failed++;
                }
            }
        }

        if (index != results.Length)
        {
            throw new KinesisException($"PutRecords answered with {index} results for {results.Length} records.");
        }

        return failed;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        reader.Read();
        Expect(reader.TokenType, type);
    }

    private static void Expect(JsonTokenType actual, JsonTokenType expected)
    {
        if (actual != expected)
        {
            throw new KinesisException($"Unexpected Kinesis response: {actual} where {expected} belongs.");
        }
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ReadOnlyMemory<byte> Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class KinesisJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
