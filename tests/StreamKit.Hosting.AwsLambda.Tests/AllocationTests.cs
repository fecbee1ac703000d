using StreamKit.Hosting.AwsLambda.Tests.Support;
using StreamKit.State;
using Xunit.Abstractions;

namespace StreamKit.Hosting.AwsLambda.Tests;

public class AllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void WarmInvocation_AllocatesAFixedAmountThatDoesNotGrowWithRecords()
    {
        var small = PerInvocation(1_000);
        var large = PerInvocation(2_000);
        output.WriteLine($"bytes allocated by one warm invocation: {small} (1,000 records), {large} (2,000 records)");

        // What is left is per invocation, not per record: the in-memory store's version strings and saved copy.
        Assert.InRange(small, 0, 1_024);
        Assert.InRange(large - small, -64, 64);
    }

    /// <summary>Bytes one warm invocation of a <paramref name="records"/>-record Kinesis event allocates on this thread.</summary>
    private static long PerInvocation(int records)
    {
        var process = new FunctionHarness(LambdaEventSource.Kinesis, new InMemoryStateStore(), capture: false);
        var events = new LambdaInvocation[12];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = FunctionHarness.Invocation(TestEvents.Kinesis(i * records, (i + 1) * records), DateTimeOffset.MaxValue);
        }

        // Several warm-up rounds grow the buffers and let tiered compilation settle; a round that allocated is measured
        // again on the next event (the JIT promoting a method can put a few hundred bytes on the thread once).
        var next = 0;
        for (; next < 6; next++)
        {
            Invoke(process, events[next]);
        }

        var allocated = long.MaxValue;
        for (; next < events.Length; next++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Invoke(process, events[next]);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(records, process.Function.LastResult.Processed);
        Assert.Equal(records * events.Length, process.Sink.Records);
        return allocated;
    }

    private static void Invoke(FunctionHarness process, LambdaInvocation invocation)
    {
        var pending = process.InvokeRawAsync(invocation);
        Assert.True(pending.IsCompletedSuccessfully);
        pending.GetAwaiter().GetResult();
    }
}
