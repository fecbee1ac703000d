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
        var clock = new ObservedClock();

        // Delays of an hour and more: only the manual clock can let these retries happen within the test's timeout.
        using var client = new KinesisClient(Options(proxy, clock, maxRetries: 5));
        var status = client.DescribeStreamStatusAsync(stream, CancellationToken.None).AsTask();

        for (var retry = 1; retry <= 3; retry++)
        {
            // The retry's backoff timer is made: the client now waits on its clock, and no further call can come until
            // the clock moves.
            await clock.WaitForTimersAsync(retry, status);
            Assert.Equal(retry, Volatile.Read(ref calls));
            Assert.False(status.IsCompleted);
            clock.Advance(TimeSpan.FromHours(4));
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
        var clock = new ObservedClock();
        using var client = new KinesisClient(Options(proxy, clock, maxRetries: 2));
        var status = client.DescribeStreamStatusAsync(stream, CancellationToken.None).AsTask();

        await AdvanceThroughBackoffsAsync(clock, status);

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

    /// <summary>
    /// Moves the clock past each backoff as it begins (a timer made) until <paramref name="run"/> ends: a retry too many
    /// makes a timer the test also moves past, so the counts asserted afterwards see it.
    /// </summary>
    internal static async Task AdvanceThroughBackoffsAsync(ObservedClock clock, Task run, TimeSpan? longestDelay = null)
    {
        for (var waits = 1; ; waits++)
        {
            await clock.WaitForTimersAsync(waits, run);
            if (run.IsCompleted)
            {
                return;
            }

            clock.Advance(longestDelay ?? TimeSpan.FromHours(4));
        }
    }
}

/// <summary>The retry pipeline the client and the sink build from <see cref="KinesisClientOptions"/>, without a service.</summary>
public sealed class KinesisRetryPipelineTests
{
    [Fact]
    public async Task RetryPipeline_AlwaysRetryable_RetriesMaxRetriesTimesWithDelaysUpToTheMaximum()
    {
        var clock = new ObservedClock();
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
        await KinesisRetryTests.AdvanceThroughBackoffsAsync(clock, run, TimeSpan.FromSeconds(8));

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
