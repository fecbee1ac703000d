using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamKit.Hosting.Tests.Support;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.Tests;

public sealed class PipelineJobServiceTests
{
    [Fact]
    public async Task Stop_WhileRunning_TakesFinalCheckpointWithEveryPosition()
    {
        var store = new InMemoryStateStore();
        var source = new InMemorySource("memory", bounded: false) { PollInterval = TimeSpan.FromMilliseconds(5) };
        source.Add("p0", Readings.Line(1_000, 1));
        source.Add("p0", Readings.Line(2_000, 2));
        source.Add("p0", "not json");
        var last = source.Add("p0", Readings.Line(3_000, 1));
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        using var host = Readings.BuildHost(streamKit => streamKit
            .AddJob("readings", (_, _) => new StreamKitJob<Reading>
            {
                Pipeline = Readings.Pipeline("readings", sink),
                Source = source,
                Decoder = Readings.Decoder(),
                DeadLetters = deadLetters,
                StateStore = store,
            })
            .Configure(o => o.CheckpointInterval = TimeSpan.FromHours(1))); // no checkpoint but the final one

        var delivered = new Pulse();
        source.BatchDelivered = _ => delivered.Notify();
        await host.StartAsync();
        await delivered.WaitUntilAsync(() => source.RecordsDelivered == 4, "the job reading all 4 records");
        Assert.Empty(source.Commits);
        await host.StopAsync();

        Assert.NotNull(await store.LoadAsync("readings"));
        Assert.Equal(last, source.CommittedPositions["p0"]);
        Assert.Single(deadLetters.Flushed);
        Assert.True(source.IsDisposed);
        var health = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal("Stopped", health.Data["readings"]);
    }

    [Fact]
    public async Task Run_BoundedSourceWithStopHostWhenCompleted_CompletesAndStopsHost()
    {
        var source = new InMemorySource();
        for (var i = 0; i < 20; i++)
        {
            source.Add("p0", Readings.Line(i * 1_000, i % 3));
        }

        var sink = new CollectingSink<WindowResult<int, long>>();
        using var host = Readings.BuildHost(streamKit => streamKit
            .AddJob("bounded", (_, _) => new StreamKitJob<Reading>
            {
                Pipeline = Readings.Pipeline("bounded", sink),
                Source = source,
                Decoder = Readings.Decoder(),
                DeadLetters = new InMemoryDeadLetterSink(),
            })
            .Configure(o => o.StopHostWhenCompleted = true));

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.StartAsync(bound.Token);
        await host.WaitForShutdownAsync(bound.Token);

        Assert.False(bound.IsCancellationRequested, "the host stopped by itself");
        Assert.Equal(20, SumCounts(sink.Flushed));
        Assert.Equal(19, source.CommittedPositions["p0"]);
        Assert.Equal("Completed", (await CheckHealthAsync(host)).Data["bounded"]);
    }

    [Fact]
    public async Task Start_InvalidOptions_FailsNamingTheJobAndEverySetting()
    {
        using var host = Readings.BuildHost(streamKit => streamKit
            .AddJob<Reading>("bad", (_, _) => throw new InvalidOperationException("never built"))
            .Configure(o =>
            {
                o.BatchSize = 0;
                o.CheckpointInterval = TimeSpan.Zero;
                o.MaxRestartDelay = TimeSpan.FromMilliseconds(1);
            }));

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("bad", e.OptionsName);
        Assert.Contains("StreamKit job 'bad': BatchSize must be from 1 to 1000000 (was 0).", e.Message, StringComparison.Ordinal);
        Assert.Contains("StreamKit job 'bad': CheckpointInterval must be positive", e.Message, StringComparison.Ordinal);
        Assert.Contains("StreamKit job 'bad': MaxRestartDelay", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJob_SameNameTwice_Throws()
    {
        var services = new ServiceCollection();
        var streamKit = services.AddStreamKit();
        streamKit.AddJob<Reading>("twice", (_, _) => throw new InvalidOperationException());

        var e = Assert.Throws<ArgumentException>(() => streamKit.AddJob<Reading>("twice", (_, _) => throw new InvalidOperationException()));
        Assert.Contains("twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FailsWithStopHost_StopsHostAndReportsUnhealthy()
    {
        using var host = Readings.BuildHost(streamKit => streamKit.AddJob("failing", (_, _) => new StreamKitJob<Reading>
        {
            Pipeline = Readings.Pipeline("failing", new CollectingSink<WindowResult<int, long>>()),
            Source = new BrokenSource(),
            Decoder = Readings.Decoder(),
            DeadLetters = new InMemoryDeadLetterSink(),
        }));

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.StartAsync(bound.Token);
        await host.WaitForShutdownAsync(bound.Token);

        Assert.False(bound.IsCancellationRequested, "the job's failure stopped the host");
        var health = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("the broken source cannot read", health.Description, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(health.Exception);
        Assert.Equal("Faulted", health.Data["failing"]);
    }

    [Fact]
    public async Task Run_FailsWithRestart_ResumesFromCheckpointAndCountsEveryRecordOnce()
    {
        var store = new InMemoryStateStore();
        var sink = new CollectingSink<WindowResult<int, long>>();
        var runs = 0;
        using var host = Readings.BuildHost(streamKit => streamKit
            .AddJob("restarting", (_, _) =>
            {
                runs++;
                sink.DropUnflushed(); // what a crash loses: output written since the last checkpoint
                var source = new InMemorySource { MaxBatchSize = 5, CrashAfterBatches = runs == 1 ? 5 : null };
                for (var i = 0; i < 60; i++)
                {
                    source.Add("p0", Readings.Line(i * 1_000, i % 4));
                }

                return new StreamKitJob<Reading>
                {
                    Pipeline = Readings.Pipeline("restarting", sink),
                    Source = source,
                    Decoder = Readings.Decoder(),
                    DeadLetters = new InMemoryDeadLetterSink(),
                    StateStore = store,
                };
            })
            .Configure(o =>
            {
                o.OnFailure = JobFailureAction.Restart;
                o.RestartDelay = TimeSpan.FromMilliseconds(10);
                o.CheckpointEveryBatches = 2;
                o.StopHostWhenCompleted = true;
            }));

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.StartAsync(bound.Token);
        await host.WaitForShutdownAsync(bound.Token);

        Assert.Equal(2, runs);
        Assert.Equal(60, SumCounts(sink.Flushed));
        var health = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal("Completed", health.Data["restarting"]);
    }

    [Fact]
    public async Task Run_FailsWithRestartWithoutCheckpoints_RestartsMaxRestartsTimesThenFaults()
    {
        var runs = 0;
        using var host = Readings.BuildHost(streamKit => streamKit
            .AddJob("hopeless", (_, _) =>
            {
                runs++;
                return new StreamKitJob<Reading>
                {
                    Pipeline = Readings.Pipeline("hopeless", new CollectingSink<WindowResult<int, long>>()),
                    Source = new BrokenSource(),
                    Decoder = Readings.Decoder(),
                    DeadLetters = new InMemoryDeadLetterSink(),
                };
            })
            .Configure(o =>
            {
                o.OnFailure = JobFailureAction.Restart;
                o.MaxRestarts = 2;
                o.RestartDelay = TimeSpan.FromMilliseconds(1);
            }));

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.StartAsync(bound.Token);
        await host.WaitForShutdownAsync(bound.Token);

        Assert.False(bound.IsCancellationRequested, "the job's last failure stopped the host");
        Assert.Equal(3, runs); // the first run and two restarts, none of which reached a checkpoint
        var health = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Equal("Faulted", health.Data["hopeless"]);
    }

    [Fact]
    public async Task Health_NoCheckpointWithinIntervals_IsDegradedUntilStopped()
    {
        var time = new ManualTimeProvider();
        var source = new BlockingSource();
        using var host = Readings.BuildHost(
            streamKit => streamKit
                .AddJob("stuck", (_, _) => new StreamKitJob<Reading>
                {
                    Pipeline = Readings.Pipeline("stuck", new CollectingSink<WindowResult<int, long>>()),
                    Source = source,
                    Decoder = Readings.Decoder(),
                    DeadLetters = new InMemoryDeadLetterSink(),
                })
                .Configure(o =>
                {
                    o.CheckpointInterval = TimeSpan.FromSeconds(10);
                    o.DegradedAfterIntervals = 3;
                }),
            time);

        await host.StartAsync();
        await source.FirstRead.Task.WaitAsync(Pulse.DefaultTimeout); // the job reports Running before it first reads
        Assert.Equal("Running", (await CheckHealthAsync(host)).Data["stuck"]);
        Assert.Equal(HealthStatus.Healthy, (await CheckHealthAsync(host)).Status);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthStatus.Healthy, (await CheckHealthAsync(host)).Status);

        time.Advance(TimeSpan.FromSeconds(2));
        var degraded = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("'stuck' has not completed a checkpoint", degraded.Description, StringComparison.Ordinal);

        await host.StopAsync();
        var stopped = await CheckHealthAsync(host);
        Assert.Equal(HealthStatus.Healthy, stopped.Status);
        Assert.Equal("Stopped", stopped.Data["stuck"]);
    }

    private static Task<HealthCheckResult> CheckHealthAsync(IHost host) =>
        host.Services.GetRequiredService<StreamKitHealthCheck>().CheckHealthAsync(new HealthCheckContext());

    private static long SumCounts(IReadOnlyList<WindowResult<int, long>> results)
    {
        var sum = 0L;
        foreach (var result in results)
        {
            sum += result.Value;
        }

        return sum;
    }
}
