using System.Text;
using System.Text.Json.Nodes;
using StreamKit.Hosting.AwsLambda.Tests.Support;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Hosting.AwsLambda.Tests;

public class KinesisTests : IDisposable
{
    private const string GoldenFirst = "49568167373333333333333333333333333333333333333333333333";
    private const string GoldenSecond = "49568167373333333334444444444444444444444444444444444444";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Golden_Event_RecordsReachThePipelineWithShardSequenceKeyAndTimestamp()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new FileStateStore(_dir.Path));

        var response = await process.InvokeAsync(TestEvents.Golden("kinesis-event.json"));

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(new InvocationResult(2, 2, 0, 0), process.Function.LastResult);
        Assert.Equal(["shardId-000000000000"], process.Function.LastPartitions);
        Assert.Equal(["Hello World", "Hello World"], process.Decoded);
        var batch = process.Function.Batch;
        Assert.Equal(2, batch.Count);
        AssertRecord(batch, 0, "shardId-000000000000", GoldenFirst, "s1", 1480641523477);
        AssertRecord(batch, 1, "shardId-000000000000", GoldenSecond, "s1", 1480841523477);
    }

    [Fact]
    public async Task Golden_EventWithByteOrderMark_ReadTheSame()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());

        var response = await process.InvokeAsync([0xEF, 0xBB, 0xBF, .. TestEvents.Golden("kinesis-event.json")]);

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(2, process.Function.LastResult.Processed);
    }

    [Fact]
    public async Task Replay_SameEventAndBisectedHalves_SkippedInAnotherInstance()
    {
        var store = new FileStateStore(_dir.Path);
        var golden = TestEvents.Golden("kinesis-event.json");
        await new FunctionHarness(LambdaEventSource.Kinesis, store).InvokeAsync(golden);

        // A lost response: the whole event again, to a fresh instance.
        var retry = new FunctionHarness(LambdaEventSource.Kinesis, store);
        Assert.Equal(FunctionHarness.NoFailures, await retry.InvokeAsync(golden));
        Assert.Equal(new InvocationResult(2, 0, 2, 0), retry.Function.LastResult);

        // BisectBatchOnFunctionError: each half alone.
        foreach (var half in new[] { OnlyRecord(golden, 0), OnlyRecord(golden, 1) })
        {
            var bisected = new FunctionHarness(LambdaEventSource.Kinesis, store);
            Assert.Equal(FunctionHarness.NoFailures, await bisected.InvokeAsync(half));
            Assert.Equal(new InvocationResult(1, 0, 1, 0), bisected.Function.LastResult);
            Assert.Empty(bisected.Decoded);
        }
    }

    [Fact]
    public async Task Deadline_WithinMargin_EveryRecordNamedInOrder()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());

        var response = await process.InvokeAsync(TestEvents.Golden("kinesis-event.json"), process.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        Assert.Equal($$"""{"batchItemFailures":[{"itemIdentifier":"{{GoldenFirst}}"},{"itemIdentifier":"{{GoldenSecond}}"}]}""", response);
        Assert.Equal(new InvocationResult(0, 0, 0, 0), process.Function.LastResult);
    }

    [Fact]
    public async Task Deadline_ReachedMidEvent_NamesTheUntakenRestAndTheRedeliveryCompletesIt()
    {
        var store = new FileStateStore(_dir.Path);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(5);

        // 3 s to take records (5 s less the 2 s margin) at 3 ms a record: the first chunk of 1,024 is taken, then time is up.
        var slow = new FunctionHarness(LambdaEventSource.Kinesis, store, clock, onDecode: () => clock.Advance(TimeSpan.FromMilliseconds(3)));
        var response = await slow.InvokeAsync(TestEvents.Kinesis(0, 1500), deadline);

        Assert.Equal(new InvocationResult(1024, 1024, 0, 0), slow.Function.LastResult);
        var failures = FailureIds(response);
        Assert.Equal(Enumerable.Range(1024, 476).Select(TestEvents.Sequence), failures);

        // Kinesis redelivers from the lowest reported sequence number.
        var next = new FunctionHarness(LambdaEventSource.Kinesis, store);
        Assert.Equal(FunctionHarness.NoFailures, await next.InvokeAsync(TestEvents.Kinesis(1024, 1500)));
        Assert.Equal(476, next.Function.LastResult.Processed);
    }

    [Fact]
    public async Task BadBase64_DeadLetteredAndNotNamedInFailures()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        var json = TestEvents.Kinesis(0, 3, data: i => i == 1 ? "not*base64!" : Convert.ToBase64String("ok"u8));

        var response = await process.InvokeAsync(json);

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(new InvocationResult(3, 2, 0, 1), process.Function.LastResult);
        var letter = Assert.Single(process.DeadLetters.Flushed);
        Assert.Equal("not*base64!", letter.PayloadText);
        Assert.Equal("data is not valid base64", letter.Reason);
        Assert.Equal(TestEvents.Sequence(1), letter.Sequence);
        Assert.Equal("shardId-000000000000", letter.Partition);
    }

    [Theory]
    [InlineData("1480641523.477", 1480641523477)]
    [InlineData("1.480641523477E9", 1480641523477)]
    [InlineData("1480641523", 1480641523000)]
    [InlineData("1480641523.4779", 1480641523477)]
    public async Task ArrivalTimestamp_SecondsInAnyNumberForm_Milliseconds(string seconds, long expected)
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());
        var json = Encoding.UTF8.GetString(TestEvents.Golden("kinesis-event.json")).Replace("1480641523.477", seconds, StringComparison.Ordinal);

        await process.InvokeAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(expected, process.Function.Batch[0].Timestamp);
    }

    [Fact]
    public async Task EscapedStrings_Unescaped()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());

        // "Pz8/" is "???" in base64; some serializers escape the slash. The shard id arrives with an escaped hyphen.
        var json = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(TestEvents.Kinesis(0, 1, data: _ => "Pz8\\/"))
            .Replace("\"eventID\":\"shardId-", "\"eventID\":\"shardId\\u002D", StringComparison.Ordinal));
        var response = await process.InvokeAsync(json);

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(["???"], process.Decoded);
        Assert.Equal(["shardId-000000000000"], process.Function.LastPartitions);
    }

    [Fact]
    public async Task StoreSaveFails_ExceptionPropagatesAndTheRetryCountsOnce()
    {
        var store = new InMemoryStateStore();
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new FailingStore(store));

        await Assert.ThrowsAsync<IOException>(() => process.InvokeAsync(TestEvents.Kinesis(0, 10)));

        var retry = new FunctionHarness(LambdaEventSource.Kinesis, store);
        Assert.Equal(FunctionHarness.NoFailures, await retry.InvokeAsync(TestEvents.Kinesis(0, 10)));
        Assert.Equal(10, retry.Function.LastResult.Processed);
    }

    [Fact]
    public async Task NotAKinesisEvent_Throws()
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore());

        await Assert.ThrowsAsync<FormatException>(() => process.InvokeAsync(TestEvents.Golden("sqs-event.json")));
    }

    internal static List<string> FailureIds(string response) =>
        JsonNode.Parse(response)!["batchItemFailures"]!.AsArray().Select(f => f!["itemIdentifier"]!.GetValue<string>()).ToList();

    private static void AssertRecord(InvocationBatch batch, int index, string partition, string sequence, string key, long timestamp)
    {
        var record = batch[index];
        Assert.Equal(partition, batch.PartitionNames[record.Partition]);
        Assert.Equal(sequence, Encoding.ASCII.GetString(record.Sequence));
        Assert.Equal(key, Encoding.UTF8.GetString(record.Key));
        Assert.Equal(timestamp, record.Timestamp);
        Assert.Null(record.Error);
    }

    private static byte[] OnlyRecord(byte[] json, int index)
    {
        var node = JsonNode.Parse(json)!;
        var records = node["Records"]!.AsArray();
        var keep = records[index]!.DeepClone();
        records.Clear();
        records.Add(keep);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>A store whose first save fails, as an unavailable S3 would.</summary>
    private sealed class FailingStore(IStateStore inner) : IStateStore
    {
        private bool _failed;

        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default) => inner.GetVersionAsync(key, cancellationToken);

        public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            if (!_failed)
            {
                _failed = true;
                throw new IOException("the store is unavailable");
            }

            return inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        }
    }
}
