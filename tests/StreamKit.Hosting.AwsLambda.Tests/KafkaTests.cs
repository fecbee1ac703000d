using System.Text;
using StreamKit.Hosting.AwsLambda.Tests.Support;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Hosting.AwsLambda.Tests;

public class KafkaTests
{
    [Fact]
    public async Task Golden_Event_RecordReachesThePipelineWithTopicPartitionOffsetAndTimestamp()
    {
        var process = new FunctionHarness(LambdaEventSource.Kafka, new InMemoryStateStore());

        var response = await process.InvokeAsync(TestEvents.Golden("kafka-event.json"));

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(new InvocationResult(1, 1, 0, 0), process.Function.LastResult);
        Assert.Equal(["mytopic-0"], process.Function.LastPartitions);
        Assert.Equal(["Hello, this is a test."], process.Decoded);
        var record = process.Function.Batch[0];
        Assert.Equal("15", Encoding.ASCII.GetString(record.Sequence));
        Assert.Equal(1545084650987, record.Timestamp);
        Assert.True(record.Key.IsEmpty);
    }

    [Fact]
    public async Task Event_PartitionsKeysAndNullValues_ReadPerTopicPartition()
    {
        var process = new FunctionHarness(LambdaEventSource.Kafka, new InMemoryStateStore());

        var response = await process.InvokeAsync(Event());

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(["clicks-1", "clicks-0"], process.Function.LastPartitions);
        Assert.Equal(new InvocationResult(4, 3, 0, 1), process.Function.LastResult);
        Assert.Equal(["a", "b", "c"], process.Decoded);
        var keyed = process.Function.Batch[0];
        Assert.Equal("user-1", Encoding.UTF8.GetString(keyed.Key));
        Assert.Equal("41", Encoding.ASCII.GetString(keyed.Sequence));

        // A tombstone (null value) reaches the decoder as an empty payload and is dead-lettered, not failed.
        var letter = Assert.Single(process.DeadLetters.Flushed);
        Assert.Equal("clicks-0", letter.Partition);
        Assert.Equal(8, letter.Position);
    }

    [Fact]
    public async Task Replay_SameEvent_Skipped()
    {
        var store = new InMemoryStateStore();
        await new FunctionHarness(LambdaEventSource.Kafka, store).InvokeAsync(Event());

        var retry = new FunctionHarness(LambdaEventSource.Kafka, store);
        Assert.Equal(FunctionHarness.NoFailures, await retry.InvokeAsync(Event()));

        Assert.Equal(new InvocationResult(4, 0, 4, 0), retry.Function.LastResult);
        Assert.Empty(retry.Decoded);
    }

    [Fact]
    public async Task Deadline_RecordsLeftUntaken_FailsTheInvocationAndTheRetrySkipsWhatWasApplied()
    {
        var store = new InMemoryStateStore();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var slow = new FunctionHarness(LambdaEventSource.Kafka, store, clock, onDecode: () => clock.Advance(TimeSpan.FromMilliseconds(3)));
        var big = ManyRecords(1500);

        await Assert.ThrowsAsync<TimeoutException>(() => slow.InvokeAsync(big, clock.GetUtcNow() + TimeSpan.FromSeconds(5)));
        Assert.Equal(1024, slow.Function.LastResult.Taken);

        var retry = new FunctionHarness(LambdaEventSource.Kafka, store);
        Assert.Equal(FunctionHarness.NoFailures, await retry.InvokeAsync(big));
        Assert.Equal(new InvocationResult(1500, 476, 1024, 0), retry.Function.LastResult);
    }

    private static byte[] Event() => Encoding.UTF8.GetBytes($$"""
        {"eventSource":"SelfManagedKafka","bootstrapServers":"b-1:9092","records":{
          "clicks-1":[
            {"topic":"clicks","partition":1,"offset":41,"timestamp":1700000000001,"timestampType":"CREATE_TIME","key":"{{B64("user-1")}}","value":"{{B64("a")}}","headers":[{"h":[1,2,3]}]},
            {"topic":"clicks","partition":1,"offset":42,"timestamp":1700000000002,"timestampType":"CREATE_TIME","value":"{{B64("b")}}","headers":[]}],
          "clicks-0":[
            {"topic":"clicks","partition":0,"offset":7,"timestamp":1700000000003,"timestampType":"CREATE_TIME","key":null,"value":"{{B64("c")}}","headers":[]},
            {"topic":"clicks","partition":0,"offset":8,"timestamp":1700000000004,"timestampType":"CREATE_TIME","key":"{{B64("k")}}","value":null,"headers":[]}]
        """ + "}}");

    private static byte[] ManyRecords(int count)
    {
        var json = new StringBuilder("""{"eventSource":"aws:kafka","records":{"clicks-0":[""");
        for (var i = 0; i < count; i++)
        {
            json.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""{"topic":"clicks","partition":0,"offset":{{i}},"timestamp":{{1700000000000 + i}},"value":"{{B64("r" + i)}}","headers":[]}""");
            json.Append(i + 1 < count ? "," : "");
        }

        return Encoding.UTF8.GetBytes(json.Append("]}}").ToString());
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
