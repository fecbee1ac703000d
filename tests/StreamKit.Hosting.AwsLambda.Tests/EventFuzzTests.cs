using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamKit.Hosting.AwsLambda.Tests.Support;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Hosting.AwsLambda.Tests;

/// <summary>
/// Kinesis, Kafka and SQS events fed as random bytes and as damaged valid events: an event is either rejected whole with
/// the documented <see cref="FormatException"/> or <see cref="JsonException"/>, or every record in it is read, and each
/// is processed, skipped as a replay or dead-lettered with its bytes and a reason.
/// </summary>
public class EventFuzzTests
{
    [Theory]
    [InlineData(LambdaEventSource.Kinesis)]
    [InlineData(LambdaEventSource.Kafka)]
    [InlineData(LambdaEventSource.Sqs)]
    public async Task HandleAsync_RandomAndDamagedEvents_RejectedWholeOrEveryRecordAccountedFor(LambdaEventSource source)
    {
        var read = 0;
        await Seeds.ForEachAsync(800, async (_, random) =>
        {
            var valid = Event(source, random);
            var json = random.Next(6) switch
            {
                0 => Fuzz.RandomBytes(random, 200),
                1 or 2 => Fuzz.Mutate(valid, random),
                3 => valid,
                _ => Fuzz.MutateJson(valid, random, rate: random.Next(2) == 0 ? 0.02 : 0.1),
            };
            if (await AssertAccountedAsync(source, json))
            {
                Interlocked.Increment(ref read);
            }
        });

        Assert.True(read > 100, $"only {read} events were read: the damage rejects nearly everything, so records are hardly checked");
    }

    // Found by the fuzz test: a record array element that is not an object ended the read there, silently dropping it
    // and every record after it (never processed, never reported for redelivery).
    [Theory]
    [InlineData(LambdaEventSource.Kinesis, "{\"Records\":[{R},7,{R}]}")]
    [InlineData(LambdaEventSource.Kinesis, "{\"Records\":[{R},[[]]],\"x\":1}")]
    [InlineData(LambdaEventSource.Sqs, "{\"Records\":[{R},\"x\",{R}]}")]
    [InlineData(LambdaEventSource.Kafka, "{\"records\":{\"t-0\":[{R},null,{R}]}}")]
    public async Task HandleAsync_RecordThatIsNotAnObject_RejectsTheEventInsteadOfDroppingTheRest(LambdaEventSource source, string shape)
    {
        var record = source switch
        {
            LambdaEventSource.Kinesis => "{\"kinesis\":{\"sequenceNumber\":\"1\",\"data\":\"YQ==\"},\"eventID\":\"shardId-0:1\"}",
            LambdaEventSource.Sqs => "{\"messageId\":\"m\",\"body\":\"a\",\"eventSourceARN\":\"arn:q\"}",
            _ => "{\"offset\":1,\"value\":\"YQ==\"}",
        };
        var process = new FunctionHarness(source, new InMemoryStateStore());

        var error = await Assert.ThrowsAsync<FormatException>(() => process.InvokeAsync(Encoding.UTF8.GetBytes(shape.Replace("{R}", record, StringComparison.Ordinal))));

        Assert.Contains("expected a record", error.Message, StringComparison.Ordinal);
        Assert.Empty(process.Decoded);
    }

    // Found by the fuzz test: a lone surrogate escape threw InvalidOperationException out of the reader. In a payload or
    // key it is the record's problem (dead-lettered with the string as written); in an identifier it is the event's.
    [Fact]
    public async Task HandleAsync_LoneSurrogateEscapeInPayloadOrKey_DeadLettersThatRecordOnly()
    {
        var kinesis = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        await kinesis.InvokeAsync(TestEvents.Kinesis(0, 3, i => i == 1 ? "YQ\\ud800==" : "YQ=="));
        Assert.Equal(new InvocationResult(3, 2, 0, 1), kinesis.Function.LastResult);
        Assert.Equal("YQ\\ud800==", kinesis.DeadLetters.Letters.Single().PayloadText);

        var sqs = new FunctionHarness(LambdaEventSource.Sqs, new InMemoryStateStore());
        var json = Encoding.UTF8.GetString(TestEvents.Sqs(("m1", "a", null, null), ("m2", "BAD", null, null), ("m3", "c", null, null)));
        await sqs.InvokeAsync(Encoding.UTF8.GetBytes(json.Replace("BAD", "b\\udc00", StringComparison.Ordinal)));
        Assert.Equal(new InvocationResult(3, 2, 0, 1), sqs.Function.LastResult);
        Assert.Equal(["a", "c"], sqs.Decoded);
        Assert.Contains("escape", sqs.DeadLetters.Letters.Single().Reason, StringComparison.Ordinal);

        var key = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        await key.InvokeAsync(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(TestEvents.Kinesis(0, 2)).Replace("\"user-1\"", "\"\\ud800\"", StringComparison.Ordinal)));
        Assert.Equal(new InvocationResult(2, 1, 0, 1), key.Function.LastResult);
    }

    [Fact]
    public async Task HandleAsync_LoneSurrogateEscapeInASequenceNumber_RejectsTheEvent()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        var json = Encoding.UTF8.GetString(TestEvents.Kinesis(0, 2)).Replace("\"shardId-000000000000:", "\"shardId\\ud800:", StringComparison.Ordinal);

        await Assert.ThrowsAsync<FormatException>(() => process.InvokeAsync(Encoding.UTF8.GetBytes(json)));
    }

    // An arrival time whose milliseconds overflow a long threw OverflowException: it is read as absent.
    [Fact]
    public async Task HandleAsync_ArrivalTimestampOutOfRange_ReadAsAbsent()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        var json = Encoding.UTF8.GetString(TestEvents.Kinesis(0, 1)).Replace("1700000000.000", "1e25", StringComparison.Ordinal);

        await process.InvokeAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(0, process.Function.Batch[0].Timestamp);
        Assert.Equal(1, process.Function.LastResult.Processed);
    }

    /// <summary>Invokes a fresh function with <paramref name="json"/>; returns whether the event was read (not rejected whole).</summary>
    private static async Task<bool> AssertAccountedAsync(LambdaEventSource source, byte[] json)
    {
        var process = new FunctionHarness(source, new InMemoryStateStore());
        string response;
        try
        {
            response = await process.InvokeAsync(json);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return false;
        }

        var batch = process.Function.Batch;
        Assert.Equal(RecordsIn(source, json), batch.Count);
        var result = process.Function.LastResult;
        Assert.Equal(batch.Count, result.Taken);
        Assert.Equal(result.Taken, result.Processed + result.Skipped + result.DeadLettered);
        Assert.Equal(result.Processed, process.Sink.Records);
        Assert.Equal(result.DeadLettered, process.DeadLetters.Letters.Count);

        // Records the adapter could not read (bad base64) and empty payloads (the decoder's rejection) are dead letters
        // carrying the record's bytes, unless skipped as replays.
        var records = new List<(string Partition, string Sequence, byte[] Value, string? Error)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            records.Add((batch.PartitionNames[record.Partition], Encoding.ASCII.GetString(record.Sequence), record.Value.ToArray(), record.Error));
        }

        foreach (var letter in process.DeadLetters.Letters)
        {
            Assert.False(string.IsNullOrWhiteSpace(letter.Reason));
            var sequence = letter.Sequence ?? letter.Position.ToString(CultureInfo.InvariantCulture);
            Assert.Contains(records, r => r.Partition == letter.Partition && r.Sequence == sequence && r.Value.AsSpan().SequenceEqual(letter.Payload));
        }

        Assert.True(result.DeadLettered <= records.Count(static r => r.Error is not null || r.Value.Length == 0));
        if (result.Skipped == 0)
        {
            Assert.Equal(records.Count(static r => r.Error is not null || r.Value.Length == 0), result.DeadLettered);
            Assert.Equal(records.Where(static r => r.Error is null && r.Value.Length > 0).Select(static r => Encoding.UTF8.GetString(r.Value)), process.Decoded);
        }

        // The partial batch response is JSON, naming only items copied from the event.
        using var parsed = JsonDocument.Parse(response);
        Assert.True(parsed.RootElement.GetProperty("batchItemFailures").GetArrayLength() <= batch.Count);
        return true;
    }

    /// <summary>The records an event holds, counted independently of the reader: the elements of every <c>Records</c> array (Kafka: of every array in <c>records</c>).</summary>
    private static int RecordsIn(LambdaEventSource source, byte[] json)
    {
        var reader = new Utf8JsonReader(json.AsSpan().StartsWith("\uFEFF"u8) ? json.AsSpan(3) : json);
        using var document = JsonDocument.ParseValue(ref reader);
        var count = 0;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (source == LambdaEventSource.Kafka && property.NameEquals("records"))
            {
                foreach (var partition in property.Value.EnumerateObject())
                {
                    count += partition.Value.GetArrayLength();
                }
            }
            else if (source != LambdaEventSource.Kafka && property.NameEquals("Records"))
            {
                count += property.Value.GetArrayLength();
            }
        }

        return count;
    }

    private static byte[] Event(LambdaEventSource source, Random random)
    {
        var count = random.Next(1, 8);
        switch (source)
        {
            case LambdaEventSource.Kinesis:
                return TestEvents.Kinesis(0, count, i => Data(random, i));
            case LambdaEventSource.Sqs:
                var fifo = random.Next(2) == 0;
                return TestEvents.Sqs([.. Enumerable.Range(0, count).Select(i => ($"m{i}", random.Next(5) == 0 ? "" : $"body {i} \u00e9\"", fifo ? $"g{i % 2}" : null, fifo ? TestEvents.Sequence(i) : null))]);
            default:
                var json = new StringBuilder("{\"eventSource\":\"aws:kafka\",\"records\":{");
                for (var p = 0; p < 2; p++)
                {
                    json.Append(CultureInfo.InvariantCulture, $"{(p > 0 ? "," : "")}\"clicks-{p}\":[");
                    for (var i = 0; i < count; i++)
                    {
                        json.Append(CultureInfo.InvariantCulture, $$"""
                            {{(i > 0 ? "," : "")}}{"topic":"clicks","partition":{{p}},"offset":{{100 + i}},"timestamp":{{1700000000000 + i}},"timestampType":"CREATE_TIME","key":"{{Convert.ToBase64String([(byte)i])}}","value":"{{Data(random, i)}}","headers":[{"h":[104,105]}]}
                            """);
                    }

                    json.Append(']');
                }

                return Encoding.UTF8.GetBytes(json.Append("}}").ToString());
        }
    }

    /// <summary>A record's base64 data: usually a payload, sometimes empty or not base64 at all.</summary>
    private static string Data(Random random, int i) => random.Next(8) switch
    {
        0 => "",
        1 => "not base64!",
        _ => Convert.ToBase64String(Encoding.UTF8.GetBytes($"record {i}")),
    };
}
