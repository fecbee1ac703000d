using System.Text;
using Confluent.Kafka;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Records;

namespace StreamKit.Kafka.Tests;

[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class KafkaSourceTests(KafkaBroker broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Library_VersionString_Is2160() => Assert.Equal("2.16.0", Library.VersionString);

    [Fact]
    public async Task ReadAsync_Bounded_GivesEveryMessageOnceWithOffsetsKeysAndTimestamps()
    {
        var topic = KafkaBroker.UniqueTopic("source-bounded");
        const long timestamp = 1_700_000_000_000;
        KafkaTestClient.Produce(broker.BootstrapServers, topic,
            Enumerable.Range(0, 1000).Select(i => ((byte[]?)Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}"), (int?)(i % 4))), timestamp);

        await using var source = new KafkaSource(Options(topic, bounded: true));
        var seen = new List<(string Partition, long Position, string Key, string Value, long Timestamp)>();
        using var batch = new RawRecordBatch(64);
        var producedLate = false;
        await ReadToEndAsync(source, batch, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                var r = b[i];
                seen.Add((b.Partition, r.Position, Encoding.UTF8.GetString(r.Key), Encoding.UTF8.GetString(r.Value), r.Timestamp));
            }

            if (!producedLate)
            {
                // Written after the run started: beyond the end offsets a bounded source observed, so never read.
                producedLate = true;
                KafkaTestClient.Produce(broker.BootstrapServers, topic, Enumerable.Range(0, 40).Select(i => ((byte[]?)null, Encoding.UTF8.GetBytes("late"), (int?)(i % 4))));
            }
        });

        Assert.Equal(1000, seen.Count);
        Assert.DoesNotContain(seen, s => s.Value == "late");
        Assert.All(seen, s => Assert.Equal(timestamp, s.Timestamp));
        foreach (var partition in seen.GroupBy(s => s.Partition))
        {
            var p = int.Parse(partition.Key[(topic.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"{topic}-{p}", partition.Key);
            Assert.Equal(Enumerable.Range(0, 250).Select(o => (long)o), partition.Select(s => s.Position));
            Assert.All(partition, s => Assert.Equal(s.Key[1..], s.Value[1..]));
            Assert.All(partition, s => Assert.Equal(p, int.Parse(s.Key[1..], System.Globalization.CultureInfo.InvariantCulture) % 4));
        }
    }

    [Fact]
    public async Task CommitAsync_Position_CommitsTheNextOffsetForAssignedPartitionsOnly()
    {
        var topic = KafkaBroker.UniqueTopic("source-commit");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 40).Select(i => $"m{i}"));
        var options = Options(topic, bounded: true);
        await using (var source = new KafkaSource(options))
        {
            using var batch = new RawRecordBatch(100);
            await ReadToEndAsync(source, batch, _ => { });
            await source.CommitAsync(new Dictionary<string, long> { [$"{topic}-0"] = 4, [$"{topic}-2"] = 9, ["other-topic-0"] = 3 });
        }

        var committed = KafkaTestClient.Committed(broker.BootstrapServers, options.GroupId, topic);
        Assert.Equal(5, committed[0]);
        Assert.Equal(10, committed[2]);
        Assert.Equal(Offset.Unset.Value, committed[1]);
    }

    [Fact]
    public async Task SeekAsync_Checkpoint_StartsAfterItsPositionOrAtALaterCommit()
    {
        var topic = KafkaBroker.UniqueTopic("source-seek");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 80).Select(i => $"m{i}"));
        var options = Options(topic, bounded: true);

        // Partition 0: the group committed 15 (someone else went further); partition 1: only the checkpoint knows.
        await using (var committer = new KafkaSource(options))
        {
            using var batch = new RawRecordBatch(100);
            await ReadToEndAsync(committer, batch, _ => { });
            await committer.CommitAsync(new Dictionary<string, long> { [$"{topic}-0"] = 14 });
        }

        await using var source = new KafkaSource(Options(topic, bounded: true, group: options.GroupId));
        await source.SeekAsync(new Dictionary<string, long> { [$"{topic}-0"] = 4, [$"{topic}-1"] = 6 });
        var first = new Dictionary<string, long>();
        using (var batch = new RawRecordBatch(100))
        {
            await ReadToEndAsync(source, batch, b => first.TryAdd(b.Partition, b[0].Position));
        }

        Assert.Equal(15, first[$"{topic}-0"]);
        Assert.Equal(7, first[$"{topic}-1"]);
        Assert.Equal(0, first[$"{topic}-2"]); // neither: auto.offset.reset=earliest
    }

    [Fact]
    public async Task ReadAsync_SlowPipeline_KeepsBuffersBoundedAndLosesNothing()
    {
        var topic = KafkaBroker.UniqueTopic("source-backpressure");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 4000).Select(i => $"m{i}"), partitions: 2);
        var options = Options(topic, bounded: true);
        options.MaxBufferedMessagesPerPartition = 64;
        await using var source = new KafkaSource(options);
        var positions = new Dictionary<string, List<long>>();
        using var batch = new RawRecordBatch(8);
        var batches = 0;
        var mostBuffered = 0;
        await ReadToEndAsync(source, batch, b =>
        {
            if (!positions.TryGetValue(b.Partition, out var list))
            {
                positions[b.Partition] = list = [];
            }

            for (var i = 0; i < b.Count; i++)
            {
                list.Add(b[i].Position);
            }

            mostBuffered = Math.Max(mostBuffered, source.Buffered);
            if (++batches % 25 == 0)
            {
                Thread.Sleep(2); // the pipeline falls behind the consume thread
            }
        });

        Assert.InRange(mostBuffered, 0, 2 * 64); // MaxBufferedMessagesPerPartition per partition
        Assert.Equal(2, positions.Count);
        Assert.All(positions.Values, list => Assert.Equal(Enumerable.Range(0, 2000).Select(o => (long)o), list));
    }

    [Fact]
    public async Task ReadAsync_StalledPipeline_PausesPartitionsAndLosesNothing()
    {
        var topic = KafkaBroker.UniqueTopic("source-stalled");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 4000).Select(i => $"m{i}"), partitions: 2);
        var options = Options(topic, bounded: true);
        options.MaxBufferedMessagesPerPartition = 64;
        options.Config = new Dictionary<string, string> { ["fetch.wait.max.ms"] = "10" }; // the idle partitions' fetches delay resumes by this much
        await using var source = new KafkaSource(options);
        var positions = new Dictionary<string, List<long>>();
        using var batch = new RawRecordBatch(8);
        var batches = 0;
        await ReadToEndAsync(source, batch, b =>
        {
            if (!positions.TryGetValue(b.Partition, out var list))
            {
                positions[b.Partition] = list = [];
            }

            for (var i = 0; i < b.Count; i++)
            {
                list.Add(b[i].Position);
            }

            if (++batches == 20)
            {
                Thread.Sleep(1500); // stalls well past the consume thread's wait for room: the full partition is paused
            }
        });

        Assert.True(source.Pauses > 0, "no partition was paused");
        Assert.Equal(2, positions.Count);
        Assert.All(positions.Values, list => Assert.Equal(Enumerable.Range(0, 2000).Select(o => (long)o), list));
    }

    [Fact]
    public async Task ReadAsync_Unbounded_ReturnsEmptyBatchesWhileIdle()
    {
        var topic = KafkaBroker.UniqueTopic("source-idle");
        KafkaTestClient.Create(broker.BootstrapServers, topic);
        var options = Options(topic, bounded: false);
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        await using var source = new KafkaSource(options);
        using var batch = new RawRecordBatch(16);
        using var cts = new CancellationTokenSource(s_timeout);
        Assert.True(await source.ReadAsync(batch, cts.Token));
        Assert.Equal(0, batch.Count);

        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, ["hello"], partitions: 1);
        while (batch.Count == 0)
        {
            batch.Clear();
            Assert.True(await source.ReadAsync(batch, cts.Token));
        }

        Assert.Equal("hello", Encoding.UTF8.GetString(batch[0].Value));
        Assert.Equal([$"{topic}-0", $"{topic}-1", $"{topic}-2", $"{topic}-3"], source.AssignedPartitions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Partitions_Bounded_ListsEveryPartitionBeforeReadingAndEndsEachOnce()
    {
        var topic = KafkaBroker.UniqueTopic("source-ends");
        KafkaTestClient.Produce(broker.BootstrapServers, topic, Enumerable.Range(0, 300).Select(i => ((byte[]?)null, Encoding.UTF8.GetBytes($"m{i}"), (int?)(i % 2)))); // 2 and 3 stay empty
        await using var source = new KafkaSource(Options(topic, bounded: true));
        string[] all = [$"{topic}-0", $"{topic}-1", $"{topic}-2", $"{topic}-3"];
        Assert.Equal(all, source.Partitions.Order(StringComparer.Ordinal)); // known before the first read: the runner registers them

        var batches = new List<(string Partition, int Count, bool End)>();
        using var batch = new RawRecordBatch(64);
        using var cts = new CancellationTokenSource(s_timeout);
        while (true)
        {
            batch.Clear();
            if (!await source.ReadAsync(batch, cts.Token))
            {
                break;
            }

            if (batch.Count > 0 || batch.EndOfPartition)
            {
                Assert.Same(source.Partitions.Single(p => p == batch.Partition), batch.Partition); // the very names batches carry
                batches.Add((batch.Partition, batch.Count, batch.EndOfPartition));
            }

            if (batches.Count == 1)
            {
                // Let the consume thread buffer the rest, so that batch sizes below show the source's choice, not timing.
                var deadline = DateTime.UtcNow + s_timeout;
                while (source.Buffered + batches[0].Count < 300)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the consume thread did not buffer the topic");
                    await Task.Delay(20, cts.Token);
                }
            }
        }

        Assert.Equal(all, batches.Where(b => b.End).Select(b => b.Partition).Order(StringComparer.Ordinal)); // each once, the empty ones too
        Assert.All(all, p => Assert.Equal(batches.FindLastIndex(b => b.Partition == p), batches.FindIndex(b => b.Partition == p && b.End))); // nothing after the end
        Assert.All(batches.Where(b => b.Partition is var p && (p == all[2] || p == all[3])), b => Assert.Equal(0, b.Count));
        Assert.Equal(300, batches.Sum(b => b.Count));

        // Full batches, no one-message priming (the runner waits for every listed partition anyway): after the first,
        // only each partition's last batch is short.
        Assert.InRange(batches.Skip(1).Count(b => b.Count is > 0 and < 64), 0, 2);
    }

    [Fact]
    public async Task Partitions_UnboundedOrConsumerGroup_IsEmpty()
    {
        var topic = KafkaBroker.UniqueTopic("source-unlisted");
        await using var unbounded = new KafkaSource(Options(topic, bounded: false));
        var grouped = Options(topic, bounded: true);
        grouped.Assignment = KafkaAssignment.ConsumerGroup;
        await using var group = new KafkaSource(grouped);
        Assert.Empty(unbounded.Partitions); // an unbounded partition never ends: listed, an empty one would hold the watermark for good
        Assert.Empty(group.Partitions); // known only once the group assigns them
    }

    [Fact]
    public async Task ReadAsync_UnboundedNewAssignment_HandsOnOneMessagePerPartitionUntilEveryPartitionIsHeardFrom()
    {
        var topic = KafkaBroker.UniqueTopic("source-priming");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 400).Select(i => $"m{i}"));
        await using var source = new KafkaSource(Options(topic, bounded: false));
        var batches = new List<(string Partition, int Count)>();
        using var batch = new RawRecordBatch(64);
        using var cts = new CancellationTokenSource(s_timeout);
        while (batches.Sum(b => b.Count) < 400)
        {
            batch.Clear();
            Assert.True(await source.ReadAsync(batch, cts.Token));
            if (batch.Count > 0)
            {
                batches.Add((batch.Partition, batch.Count));
            }
        }

        // The runner does not know these partitions up front: a first batch of 64 from one partition would carry event
        // time past the others' first messages.
        Assert.All(batches.Take(4), b => Assert.Equal(1, b.Count));
        Assert.Equal(4, batches.Take(4).Select(b => b.Partition).Distinct().Count());
        Assert.Contains(batches.Skip(4), b => b.Count == 64);
        Assert.Equal(400, batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task ReadAsync_BufferedMessages_AllocatesNothingOnTheReadingThread()
    {
        var topic = KafkaBroker.UniqueTopic("source-alloc");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, topic, Enumerable.Range(0, 6000).Select(i => Reading.Json(i, 1, i)), partitions: 1);
        await using var source = new KafkaSource(Options(topic, bounded: true));
        using var batch = new RawRecordBatch(512);
        using var cts = new CancellationTokenSource(s_timeout);
        while (batch.Count < 2)
        {
            batch.Clear();
            Assert.True(await source.ReadAsync(batch, cts.Token)); // warm up: priming, first batches
        }

        // Let the consume thread buffer the rest, so that the reads below complete synchronously from the buffer.
        var deadline = DateTime.UtcNow + s_timeout;
        while (source.Buffered < 5000)
        {
            Assert.True(DateTime.UtcNow < deadline, "the consume thread did not buffer the topic");
            await Task.Delay(20);
        }

        // The topic has four partitions and only one holds data: each empty one ends with one empty end-of-partition
        // batch, which may come among the reads below. Count full batches; allow those three empty ones.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = 0;
        var ends = 0;
        for (var full = 0; full < 8;)
        {
            batch.Clear();
            var pending = source.ReadAsync(batch, cts.Token);
            Assert.True(pending.IsCompletedSuccessfully);
            Assert.True(await pending); // completed already: no wait, no allocation
            if (batch.Count == 0)
            {
                Assert.True(batch.EndOfPartition && ++ends <= 3, "only the empty partitions may hand on empty batches");
                continue;
            }

            read += batch.Count;
            full++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(8 * 512, read);
    }

    [Fact]
    public async Task ReadAsync_TwoTopics_ReadsBothAndNamesPartitionsByTopic()
    {
        var first = KafkaBroker.UniqueTopic("source-a");
        var second = KafkaBroker.UniqueTopic("source-b");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, first, Enumerable.Range(0, 100).Select(i => $"a{i}"));
        KafkaTestClient.ProduceLines(broker.BootstrapServers, second, Enumerable.Range(0, 60).Select(i => $"b{i}"));
        var options = Options(first, bounded: true);
        options.Topics = [first, second];
        await using var source = new KafkaSource(options);
        var read = new List<(string Partition, string Value)>();
        using var batch = new RawRecordBatch(32);
        await ReadToEndAsync(source, batch, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                read.Add((b.Partition, Encoding.UTF8.GetString(b[i].Value)));
            }
        });

        Assert.Equal(160, read.Count);
        Assert.All(read, r => Assert.StartsWith(r.Value[0] == 'a' ? first + "-" : second + "-", r.Partition, StringComparison.Ordinal));
        Assert.Equal($"kafka:{first},{second}", source.Name);
    }

    internal static KafkaSourceOptions Options(string bootstrap, string topic, bool bounded, string? group = null) => new()
    {
        BootstrapServers = bootstrap,
        Topics = [topic],
        GroupId = group ?? "g-" + Guid.NewGuid().ToString("N"),
        Bounded = bounded,
        Assignment = KafkaAssignment.AllPartitions,
    };

    private KafkaSourceOptions Options(string topic, bool bounded, string? group = null) => Options(broker.BootstrapServers, topic, bounded, group);

    internal static async Task ReadToEndAsync(KafkaSource source, RawRecordBatch batch, Action<RawRecordBatch> onBatch)
    {
        using var cts = new CancellationTokenSource(s_timeout);
        while (true)
        {
            batch.Clear();
            if (!await source.ReadAsync(batch, cts.Token))
            {
                return;
            }

            if (batch.Count > 0)
            {
                onBatch(batch);
            }
        }
    }
}
