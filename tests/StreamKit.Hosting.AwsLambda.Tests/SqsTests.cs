using System.Text;
using System.Text.Json.Nodes;
using StreamKit.Hosting.AwsLambda.Tests.Support;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Hosting.AwsLambda.Tests;

public class SqsTests
{
    private const string StandardQueue = "arn:aws:sqs:us-east-1:123456789012:clicks";

    [Fact]
    public async Task Golden_Event_BodyReachesThePipelineUnderTheQueueArn()
    {
        var process = new FunctionHarness(LambdaEventSource.Sqs, new InMemoryStateStore());

        var response = await process.InvokeAsync(TestEvents.Golden("sqs-event.json"));

        Assert.Equal(FunctionHarness.NoFailures, response);
        Assert.Equal(new InvocationResult(1, 1, 0, 0), process.Function.LastResult);
        Assert.Equal(["arn:aws:sqs:us-west-2:123456789012:SQSQueue"], process.Function.LastPartitions);
        Assert.Equal(["Message Body"], process.Decoded);
        Assert.Equal(1520621625029, process.Function.Batch[0].Timestamp);
    }

    [Fact]
    public async Task Golden_Response_SameShapeAsThePlatformSample()
    {
        var process = new FunctionHarness(LambdaEventSource.Sqs, new InMemoryStateStore());
        var json = TestEvents.Sqs(("MessageID_1", "a", null, null), ("MessageID_2", "b", null, null));

        var response = await process.InvokeAsync(json, process.Clock.GetUtcNow());

        var golden = JsonNode.Parse(TestEvents.Golden("sqs-response.json"))!.ToJsonString();
        Assert.Equal(golden, response);
    }

    [Fact]
    public async Task Body_JsonTextWithEscapes_Unescaped()
    {
        var process = new FunctionHarness(LambdaEventSource.Sqs, new InMemoryStateStore());
        const string body = "{\"page\":\"/cart\",\"note\":\"tab\there \u00e9\"}";

        await process.InvokeAsync(TestEvents.Sqs(("m1", body, null, null)));

        Assert.Equal([body], process.Decoded);
    }

    [Fact]
    public async Task Fifo_PartitionsByGroupAndSkipsRedeliveredMessages()
    {
        var store = new InMemoryStateStore();
        var json = TestEvents.Sqs(
            ("m1", "a", "user-2", "18849496460467696128"),
            ("m2", "b", "user-1", "18849496460467696129"),
            ("m3", "c", "user-2", "18849496460467696130"));
        var first = new FunctionHarness(LambdaEventSource.Sqs, store);

        Assert.Equal(FunctionHarness.NoFailures, await first.InvokeAsync(json));
        Assert.Equal(["user-2", "user-1"], first.Function.LastPartitions);
        Assert.Equal("user-1", Encoding.UTF8.GetString(first.Function.Batch[1].Key));

        var retry = new FunctionHarness(LambdaEventSource.Sqs, store);
        Assert.Equal(FunctionHarness.NoFailures, await retry.InvokeAsync(json));
        Assert.Equal(new InvocationResult(3, 0, 3, 0), retry.Function.LastResult);
    }

    [Fact]
    public async Task Fifo_Deadline_NamesTheUntakenMessageIds()
    {
        var process = new FunctionHarness(LambdaEventSource.Sqs, new InMemoryStateStore());
        var json = TestEvents.Sqs(("m1", "a", "g", "1"), ("m2", "b", "g", "2"));

        var response = await process.InvokeAsync(json, process.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]}""", response);
    }

    [Fact]
    public async Task Standard_RedeliveredMessage_ProcessedAgain_AtLeastOnce()
    {
        var store = new InMemoryStateStore();
        var json = TestEvents.Sqs(("m1", "a", null, null), ("m2", "b", null, null));
        var process = new FunctionHarness(LambdaEventSource.Sqs, store);

        await process.InvokeAsync(json);
        process.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(FunctionHarness.NoFailures, await process.InvokeAsync(json));

        // No order and no sequence number: a redelivered message cannot be told from a new one.
        Assert.Equal(new InvocationResult(2, 2, 0, 0), process.Function.LastResult);
        Assert.Equal([StandardQueue], process.Function.LastPartitions);
        Assert.Equal(4, process.Sink.Records);
    }

    [Fact]
    public async Task Standard_InstanceClockBehindTheSavedState_ReportsItsMessagesInsteadOfDroppingThem()
    {
        var store = new InMemoryStateStore();
        var start = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var ahead = new FunctionHarness(LambdaEventSource.Sqs, store, new ManualTimeProvider(start + TimeSpan.FromSeconds(1)));
        await ahead.InvokeAsync(TestEvents.Sqs(("m1", "a", null, null)));

        // Another instance whose clock is a second behind: its made-up sequence numbers are below the saved one.
        var behind = new FunctionHarness(LambdaEventSource.Sqs, store, new ManualTimeProvider(start));
        var response = await behind.InvokeAsync(TestEvents.Sqs(("m2", "b", null, null), ("m3", "c", null, null)));

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}""", response);
        Assert.Equal(new InvocationResult(2, 0, 2, 0), behind.Function.LastResult);

        // SQS delivers them again after the visibility timeout, by when the clock has passed the saved sequence.
        behind.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(FunctionHarness.NoFailures, await behind.InvokeAsync(TestEvents.Sqs(("m2", "b", null, null), ("m3", "c", null, null))));
        Assert.Equal(["b", "c"], behind.Decoded);
    }
}
