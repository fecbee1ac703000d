using StreamKit.Kinesis.Internal;
using StreamKit.Kinesis.Tests.Support;
using StreamKit.Testing;

namespace StreamKit.Kinesis.Tests;

/// <summary>The client's retry pipeline through a fault proxy, timed by a manual clock: no test waits for a real backoff.</summary>
[Collection(KinesisEmulator.Collection)]
[Trait("Category", "Integration")]
public sealed class KinesisRetryTests(KinesisEmulator emulator)
{
    private static readonly TimeSpan s_realTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Send_Throttled_WaitsOnTheClientsClockBeforeEachRetryThenSucceeds()
    {
        var stream = await emulator.CreateStreamAsync(1);
        var calls = 0;
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            FailCall = (operation, call) =>
            {
                Interlocked.Increment(ref calls);
                return call <= 3 ? (400, "ProvisionedThroughputExceededException") : null;
            },
        };
        var clock = new ManualTimeProvider();

        // Delays of an hour and more: only the manual clock can let these retries happen within the test's timeout.
        using var client = new KinesisClient(Options(proxy, clock, maxRetries: 5));
        var status = client.DescribeStreamStatusAsync(stream, CancellationToken.None).AsTask();

        for (var retry = 1; retry <= 3; retry++)
        {
            await WaitUntilAsync(() => Volatile.Read(ref calls) == retry);
            await Task.Delay(200);
            Assert.Equal(retry, Volatile.Read(ref calls));
            Assert.False(status.IsCompleted);
            await AdvanceUntilAsync(clock, () => Volatile.Read(ref calls) > retry);
        }

        Assert.Equal("ACTIVE", await status.WaitAsync(s_realTimeout));
        Assert.Equal(4, calls);
        Assert.Equal(3, client.Retries);
    }

    [Fact]
    public async Task Send_RetriesRunOut_ThrowsTheLastFailureAfterMaxRetries()
    {
        var stream = await emulator.CreateStreamAsync(1);
        var calls = 0;
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            FailCall = (operation, call) =>
            {
                Interlocked.Increment(ref calls);
                return call == 3 ? (503, "ServiceUnavailable") : (400, "LimitExceededException");
            },
        };
        var clock = new ManualTimeProvider();
        using var client = new KinesisClient(Options(proxy, clock, maxRetries: 2));
        var status = client.DescribeStreamStatusAsync(stream, CancellationToken.None).AsTask();

        await AdvanceUntilAsync(clock, () => status.IsCompleted);

        var error = await Assert.ThrowsAsync<KinesisException>(() => status);
        Assert.Equal("ServiceUnavailable", error.ErrorCode);
        Assert.Equal(3, calls);
        Assert.Equal(2, client.Retries);
    }

    [Theory]
    [InlineData(0, "LimitExceededException")]
    [InlineData(5, "AccessDeniedException")]
    public async Task Send_NoRetriesOrAnErrorNotRetried_ThrowsAfterOneCall(int maxRetries, string error)
    {
        var calls = 0;
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            FailCall = (operation, call) =>
            {
                Interlocked.Increment(ref calls);
                return (400, error);
            },
        };
        using var client = new KinesisClient(Options(proxy, new ManualTimeProvider(), maxRetries));

        var thrown = await Assert.ThrowsAsync<KinesisException>(async () => await client.DescribeStreamStatusAsync("any", CancellationToken.None));

        Assert.Equal(error, thrown.ErrorCode);
        Assert.Equal(1, calls);
        Assert.Equal(0, client.Retries);
    }

    private KinesisClientOptions Options(FaultProxy proxy, TimeProvider clock, int maxRetries)
    {
        var options = emulator.Configure(new KinesisClientOptions(), proxy.Endpoint);
        options.TimeProvider = clock;
        options.MaxRetries = maxRetries;
        options.RetryBaseDelay = TimeSpan.FromHours(1);
        options.RetryMaxDelay = TimeSpan.FromHours(4);
        return options;
    }

    /// <summary>Moves the clock by the longest delay until <paramref name="done"/>: a retry's timer may be made just after a move, so move again.</summary>
    private static async Task AdvanceUntilAsync(ManualTimeProvider clock, Func<bool> done)
    {
        var deadline = DateTime.UtcNow + s_realTimeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "the retry did not happen");
            clock.Advance(TimeSpan.FromHours(4));
            await Task.Delay(20);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow + s_realTimeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "the call did not happen");
            await Task.Delay(10);
        }
    }
}

/// <summary>The retry pipeline the client and the sink build from <see cref="KinesisClientOptions"/>, without a service.</summary>
public sealed class KinesisRetryPipelineTests
{
    [Fact]
    public async Task RetryPipeline_AlwaysRetryable_RetriesMaxRetriesTimesWithDelaysUpToTheMaximum()
    {
        var clock = new ManualTimeProvider();
        var options = new KinesisClientOptions { TimeProvider = clock, MaxRetries = 6, RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(8) };
        var delays = new List<TimeSpan>();
        var pipeline = KinesisClient.RetryPipeline<bool>(options, options.MaxRetries, static args => ValueTask.FromResult(args.Outcome.Result), args =>
        {
            lock (delays)
            {
                delays.Add(args.RetryDelay);
            }

            return default;
        });
        var calls = 0;

        var run = pipeline.ExecuteAsync(_ => ValueTask.FromResult(Interlocked.Increment(ref calls) > 0), CancellationToken.None).AsTask();
        for (var i = 0; i < 1_000 && !run.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(8));
            await Task.Delay(1);
        }

        Assert.True(await run);
        Assert.Equal(7, calls);
        Assert.Equal(6, delays.Count);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public async Task RetryPipeline_SuccessPath_AllocatesNothingPerCall()
    {
        var pipeline = KinesisClient.RetryPipeline<bool>(new KinesisClientOptions(), 10, static args => ValueTask.FromResult(args.Outcome.Result));
        var state = new object();
        for (var i = 0; i < 100; i++)
        {
            await Execute(pipeline, state);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            await Execute(pipeline, state);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static async ValueTask<bool> Execute(Polly.ResiliencePipeline<bool> pipeline, object state)
        {
            var context = Polly.ResilienceContextPool.Shared.Get(CancellationToken.None);
            try
            {
                return await pipeline.ExecuteAsync(static (_, s) => ValueTask.FromResult(s is null), context, state);
            }
            finally
            {
                Polly.ResilienceContextPool.Shared.Return(context);
            }
        }
    }
}
