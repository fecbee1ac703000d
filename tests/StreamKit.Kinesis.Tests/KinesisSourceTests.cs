using System.Diagnostics.Metrics;
using StreamKit.Diagnostics;
using StreamKit.Kinesis.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Kinesis.Tests;

[Collection(KinesisEmulator.Collection)]
[Trait("Category", "Integration")]
public sealed class KinesisSourceTests(KinesisEmulator emulator)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Runner_TwoShards_DeliversEveryRecordOnceInKeyOrderWithConsecutiveOrdinals()
    {
        var stream = await emulator.CreateStreamAsync(2);
        await emulator.PutAsync(stream, Click.Records(2_000, users: 20));
        var sink = new ClickSink();
        await using var source = new WrappedSource(new KinesisSource(SourceOptions(stream, new InMemoryStateStore())));

        var runner = await RunUntilAsync(source, sink, null, () => sink.Count >= 2_000);

        AssertExactlyOnceInKeyOrder(sink.Flushed, 2_000, users: 20);
        Assert.Equal(2, runner.Positions.Count);
        foreach (var (shard, position) in runner.Positions)
        {
            // Ordinals 1, 2, 3, ... per shard: the last one is the shard's record count.
            var batches = source.Batches.Where(b => b.Partition == shard && b.Count > 0).ToList();
            Assert.Equal(1, batches[0].First);
            Assert.Equal(batches.Sum(b => b.Count), position);
            for (var i = 1; i < batches.Count; i++)
            {
                Assert.Equal(batches[i - 1].Last + 1, batches[i].First);
            }
        }
    }

    [Fact]
    public async Task Source_ReportsTimeBehindLatestPerShard_ZeroOnceCaughtUp()
    {
        var stream = await emulator.CreateStreamAsync(2);
        await emulator.PutAsync(stream, Click.Records(200, users: 10));
        var lags = new List<(string Source, string Partition, double Seconds)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamKitMetrics.MeterName && instrument.Name == "streamkit.consumer.time_lag")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? source = null, partition = null;
            foreach (var tag in tags)
            {
                source = tag.Key == StreamKitMetrics.SourceTag ? (string?)tag.Value : source;
                partition = tag.Key == StreamKitMetrics.PartitionTag ? (string?)tag.Value : partition;
            }

            lock (lags)
            {
                lags.Add((source!, partition!, value));
            }
        });
        meters.Start();
        var sink = new ClickSink();
        await using var source = new KinesisSource(SourceOptions(stream, null));

        await RunUntilAsync(source, sink, null, () => sink.Count >= 200);

        List<(string Source, string Partition, double Seconds)> seen;
        lock (lags)
        {
            seen = lags.Where(l => l.Source == source.Name).ToList();
        }

        var shards = seen.Select(l => l.Partition).Distinct().Order().ToList();
        Assert.Equal(2, shards.Count);
        Assert.All(shards, shard => Assert.StartsWith("shardId-", shard, StringComparison.Ordinal));
        Assert.All(shards, shard => Assert.Equal(0, seen.Last(l => l.Partition == shard).Seconds));
    }

    [Fact]
    public async Task Runner_SourceTimestamps_AreArrivalTimes()
    {
        var stream = await emulator.CreateStreamAsync(1);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeMilliseconds();
        await emulator.PutAsync(stream, Click.Records(10, users: 2));
        var after = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds();
        var watermarks = new List<long>();
        var sink = new ClickSink();
        await using var source = new KinesisSource(SourceOptions(stream, null));

        var runner = await RunUntilAsync(source, sink, null, () => sink.Count >= 10, useSourceTimestamps: true, pipelineOut: p => watermarks.Add(p.Watermark));

        Assert.Equal(10, runner.Counters.Processed);

        // The click's own ts is in 2023; the watermark follows arrival time (now), so arrival time was used.
        var watermark = watermarks[^1] + (long)TimeSpan.FromSeconds(5).TotalMilliseconds;
        Assert.InRange(watermark, before, after);
    }

    [Fact]
    public async Task Runner_CrashAfterStateSavedBeforeSourceCommit_RestartSkipsReplayedOrdinalsExactly()
    {
        var stream = await emulator.CreateStreamAsync(2);
        await emulator.PutAsync(stream, Click.Records(3_000, users: 30));
        var store = new InMemoryStateStore();
        var sink = new ClickSink();

        // Run 1 dies inside its 4th source commit: the runner's checkpoint is saved, the source's is one behind.
        await using (var first = new WrappedSource(new KinesisSource(SourceOptions(stream, store, maxRecordsPerCall: 100))) { CrashOnCommit = 4 })
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => RunUntilAsync(first, sink, store, () => false));
        }

        sink.DropUnflushed();
        var beforeRestart = sink.Flushed.Count;
        Assert.InRange(beforeRestart, 1, 2_999);

        // Run 2 dies on its 6th read, before any checkpoint of its own: nothing of it may count.
        await using (var second = new WrappedSource(new KinesisSource(SourceOptions(stream, store, maxRecordsPerCall: 100))) { CrashOnRead = 6 })
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => RunUntilAsync(second, sink, store, () => false, checkpointEveryBatches: 100));
        }

        sink.DropUnflushed();
        Assert.Equal(beforeRestart, sink.Flushed.Count);

        // Run 3 to the end: the source replays from its own (older) checkpoint with the same ordinals, the runner skips
        // what it had applied, and every click is counted once.
        await using var third = new WrappedSource(new KinesisSource(SourceOptions(stream, store, maxRecordsPerCall: 100)));
        var runner = await RunUntilAsync(third, sink, store, () => sink.Count >= 3_000);

        Assert.True(runner.Counters.Skipped > 0, "the restart should have replayed records the runner had applied");
        AssertExactlyOnceInKeyOrder(sink.Flushed, 3_000, users: 30);
    }

    [Theory]
    [InlineData(KinesisStartingPosition.TrimHorizon)]
    [InlineData(KinesisStartingPosition.AtTimestamp)]
    public async Task Source_RestartBeforeFirstCommit_HandsOutTheSameRecordsUnderTheSameOrdinals(KinesisStartingPosition start)
    {
        var stream = await emulator.CreateStreamAsync(1);
        await emulator.PutAsync(stream, Click.Records(30, users: 3, firstSeq: 1_000));
        await Task.Delay(50);
        var startAt = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await emulator.PutAsync(stream, Click.Records(120, users: 3));
        var options = SourceOptions(stream, new InMemoryStateStore(), maxRecordsPerCall: 50);
        options.StartingPosition = start;
        options.StartTimestamp = startAt;
        var expected = start == KinesisStartingPosition.TrimHorizon ? 150 : 120;

        var first = new KinesisSource(options);
        var seen = await ReadUntilAsync(first, expected);
        await first.DisposeAsync(); // a crash: nothing committed

        var second = new KinesisSource(options);
        var again = await ReadUntilAsync(second, expected);
        await second.DisposeAsync();

        Assert.Equal(expected, seen.Count);
        Assert.Equal(seen, again);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seen.Select(r => r.Position));
    }

    [Fact]
    public async Task Runner_ShardSplit_ReadsParentToItsEndBeforeChildrenAndKeepsKeyOrder()
    {
        var stream = await emulator.CreateStreamAsync(1);
        await emulator.PutAsync(stream, Click.Records(300, users: 10));
        using (var client = emulator.Client())
        {
            var parent = Assert.Single(await client.ListShardsAsync(stream, CancellationToken.None));
            var middle = (System.Numerics.BigInteger.Parse(parent.StartingHashKey, System.Globalization.CultureInfo.InvariantCulture)
                + System.Numerics.BigInteger.Parse(parent.EndingHashKey, System.Globalization.CultureInfo.InvariantCulture)) / 2;
            await client.SplitShardAsync(stream, parent.ShardId, middle.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
            for (var i = 0; await client.DescribeStreamStatusAsync(stream, CancellationToken.None) != "ACTIVE"; i++)
            {
                Assert.True(i < 200, "split did not finish");
                await Task.Delay(20);
            }

            Assert.Equal(3, (await client.ListShardsAsync(stream, CancellationToken.None)).Count);
        }

        await emulator.PutAsync(stream, Click.Records(300, users: 10, firstSeq: 30));
        var sink = new ClickSink();
        await using var source = new WrappedSource(new KinesisSource(SourceOptions(stream, new InMemoryStateStore(), maxRecordsPerCall: 50)));

        await RunUntilAsync(source, sink, null, () => sink.Count >= 600);

        AssertExactlyOnceInKeyOrder(sink.Flushed, 600, users: 10);
        var partitions = source.Batches.Select(b => b.Partition).Distinct().ToList();
        Assert.Equal(3, partitions.Count);
        var parentId = partitions[0];
        var end = source.Batches.FindIndex(b => b.Partition == parentId && b.End);
        Assert.True(end >= 0, "the closed parent never reported EndOfPartition");
        var firstChild = source.Batches.FindIndex(b => b.Partition != parentId);
        Assert.True(end < firstChild, "a child shard was read before its parent ended");
    }

    [Fact]
    public async Task Runner_ShardMerge_ReadsBothParentsToTheirEndBeforeTheChild()
    {
        var stream = await emulator.CreateStreamAsync(2);
        await emulator.PutAsync(stream, Click.Records(400, users: 20));
        using (var client = emulator.Client())
        {
            var shards = await client.ListShardsAsync(stream, CancellationToken.None);
            await client.MergeShardsAsync(stream, shards[0].ShardId, shards[1].ShardId, CancellationToken.None);
            for (var i = 0; await client.DescribeStreamStatusAsync(stream, CancellationToken.None) != "ACTIVE"; i++)
            {
                Assert.True(i < 200, "merge did not finish");
                await Task.Delay(20);
            }

            var child = Assert.Single(await client.ListShardsAsync(stream, CancellationToken.None), s => s.ParentShardId is not null);
            Assert.NotNull(child.AdjacentParentShardId);
        }

        await emulator.PutAsync(stream, Click.Records(400, users: 20, firstSeq: 20));
        var sink = new ClickSink();
        await using var source = new WrappedSource(new KinesisSource(SourceOptions(stream, new InMemoryStateStore(), maxRecordsPerCall: 50)));

        await RunUntilAsync(source, sink, null, () => sink.Count >= 800);

        AssertExactlyOnceInKeyOrder(sink.Flushed, 800, users: 20);
        var partitions = source.Batches.Select(b => b.Partition).Distinct().ToList();
        Assert.Equal(3, partitions.Count);
        var childId = partitions[2];
        var firstChild = source.Batches.FindIndex(b => b.Partition == childId);
        foreach (var parentId in partitions.Take(2))
        {
            var end = source.Batches.FindIndex(b => b.Partition == parentId && b.End);
            Assert.InRange(end, 0, firstChild - 1);
        }
    }

    [Fact]
    public async Task Source_ThrottledAndFailingCalls_RetriesWithBackoffAndLosesNothing()
    {
        var stream = await emulator.CreateStreamAsync(1);
        await emulator.PutAsync(stream, Click.Records(500, users: 5));
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            FailCall = static (operation, call) => (operation, call) switch
            {
                ("GetRecords", <= 3) => (400, "ProvisionedThroughputExceededException"),
                ("GetRecords", 5) => (503, "ServiceUnavailable"),
                ("ListShards", 1) => (400, "LimitExceededException"),
                _ => null,
            },
        };
        var sink = new ClickSink();
        await using var source = new KinesisSource(SourceOptions(stream, null, maxRecordsPerCall: 100, endpoint: proxy.Endpoint));

        await RunUntilAsync(source, sink, null, () => sink.Count >= 500);

        Assert.Equal(5, source.Retries);
        AssertExactlyOnceInKeyOrder(sink.Flushed, 500, users: 5);
    }

    [Fact]
    public async Task Source_ExpiredIterator_ContinuesAfterTheLastRecordRead()
    {
        var stream = await emulator.CreateStreamAsync(1);
        await emulator.PutAsync(stream, Click.Records(400, users: 4));
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            FailCall = static (operation, call) => operation == "GetRecords" && call is 2 or 4 ? (400, "ExpiredIteratorException") : null,
        };
        var sink = new ClickSink();
        await using var source = new KinesisSource(SourceOptions(stream, null, maxRecordsPerCall: 100, endpoint: proxy.Endpoint));

        await RunUntilAsync(source, sink, null, () => sink.Count >= 400);

        Assert.Equal(0, source.Retries);
        AssertExactlyOnceInKeyOrder(sink.Flushed, 400, users: 4);
    }

    [Fact]
    public async Task Source_MissingStream_ThrowsResourceNotFound()
    {
        await using var source = new KinesisSource(SourceOptions("streamkit-missing-" + Guid.NewGuid().ToString("N"), null));
        using var batch = new StreamKit.Records.RawRecordBatch(16);

        var error = await Assert.ThrowsAsync<KinesisException>(async () => await source.ReadAsync(batch));

        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
    }

    internal KinesisSourceOptions SourceOptions(string stream, IStateStore? store, int maxRecordsPerCall = 10_000, Uri? endpoint = null) =>
        emulator.Configure(
            new KinesisSourceOptions
            {
                StreamName = stream,
                StateStore = store,
                MaxRecordsPerCall = maxRecordsPerCall,
                IdlePollInterval = TimeSpan.FromMilliseconds(200),
                ShardDiscoveryInterval = TimeSpan.FromSeconds(1),
            },
            endpoint);

    internal static async Task<PipelineRunner<Click>> RunUntilAsync(
        StreamKit.Runtime.IRecordSource source,
        ClickSink sink,
        IStateStore? store,
        Func<bool> done,
        int checkpointEveryBatches = 3,
        bool useSourceTimestamps = false,
        Action<Pipeline<Click>>? pipelineOut = null)
    {
        var written = new Pulse();
        var observed = new ObservedSink<Click>(sink, written);
        var pipeline = useSourceTimestamps
            ? StreamPipeline.Create<Click>().To(observed)
            : StreamPipeline.Create<Click>(static c => c.Ts).To(observed);
        var runner = new PipelineRunner<Click>(pipeline, source, Click.Decoder, new InMemoryDeadLetterSink(), new PipelineRunnerOptions
        {
            StateStore = store,
            StateKey = "pipeline",
            CheckpointEveryBatches = checkpointEveryBatches,
            UseSourceTimestamps = useSourceTimestamps,
        });
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await written.WaitUntilAsync(() => done() || run.IsCompleted, "the output the test waits for", s_timeout, run);

        await stop.CancelAsync();
        await run; // rethrows a crash; otherwise takes the final checkpoint
        pipelineOut?.Invoke(pipeline);
        return runner;
    }

    private static async Task<List<(long Position, string Key, string Data)>> ReadUntilAsync(KinesisSource source, int count)
    {
        using var batch = new StreamKit.Records.RawRecordBatch(64);
        var records = new List<(long, string, string)>();
        var deadline = DateTime.UtcNow + s_timeout;
        while (records.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {records.Count} of {count} records");
            batch.Clear();
            await source.ReadAsync(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                var record = batch[i];
                records.Add((record.Position, System.Text.Encoding.UTF8.GetString(record.Key), System.Text.Encoding.UTF8.GetString(record.Value)));
            }
        }

        return records;
    }

    internal static void AssertExactlyOnceInKeyOrder(IReadOnlyList<Click> clicks, int count, int users)
    {
        Assert.Equal(count, clicks.Count);
        var perUser = users == 0 ? 0 : count / users;
        foreach (var user in clicks.GroupBy(c => c.User))
        {
            Assert.Equal(Enumerable.Range(0, user.Count()).Select(i => (long)i + user.Min(c => c.Seq)), user.Select(c => c.Seq));
            Assert.Equal(perUser, user.Count());
        }
    }
}
