using System.Text;
using StreamKit.Records;

namespace StreamKit.Testing.Tests;

public class InMemorySourceTests
{
    [Fact]
    public async Task ReadAsync_Bounded_DeliversEachPartitionInTurnThenEnds()
    {
        var source = new InMemorySource("test") { MaxBatchSize = 2 };
        for (var i = 0; i < 3; i++)
        {
            source.Add("a", "a" + i, timestamp: 100 + i);
        }

        source.Add("b", "b0");

        var batches = await ReadAllAsync(source);

        Assert.Equal(["a:a0@0,a1@1", "b:b0@0", "a:a2@2"], batches);
        Assert.Equal(3, source.BatchesDelivered);
        Assert.Equal(4, source.RecordsDelivered);
        Assert.Equal(["a", "b"], source.Partitions);
    }

    [Fact]
    public async Task ReadAsync_Record_CarriesPayloadKeyPositionAndTimestamp()
    {
        var source = new InMemorySource();
        source.Add("p", "v"u8, timestamp: 1234, key: "k"u8, position: 40);
        using var batch = new RawRecordBatch(8);

        Assert.True(await source.ReadAsync(batch));

        Assert.Equal("p", batch.Partition);
        var record = batch[0];
        Assert.Equal("v"u8.ToArray(), record.Value.ToArray());
        Assert.Equal("k"u8.ToArray(), record.Key.ToArray());
        Assert.Equal(40, record.Position);
        Assert.Equal(1234, record.Timestamp);
        Assert.Null(record.Error);
    }

    [Fact]
    public void Add_PositionNotAfterLast_Throws()
    {
        var source = new InMemorySource();
        Assert.Equal(5, source.Add("p", "x"u8, position: 5));
        Assert.Equal(6, source.Add("p", "y"u8));

        Assert.Throws<ArgumentOutOfRangeException>(() => source.Add("p", "z"u8, position: 6));
        Assert.Equal(0, source.Add("q", "z"u8));
    }

    [Fact]
    public async Task ReadAsync_BatchCapacitySmallerThanMaxBatchSize_LimitedByCapacity()
    {
        var source = new InMemorySource();
        for (var i = 0; i < 10; i++)
        {
            source.Add("p", "x");
        }

        using var batch = new RawRecordBatch(capacity: 4);
        Assert.True(await source.ReadAsync(batch));
        Assert.Equal(4, batch.Count);
    }

    [Fact]
    public async Task SeekAsync_Positions_ContinuesAfterThemIncludingRecordsAddedLater()
    {
        var source = new InMemorySource();
        AddMany(source, "a", 5);
        AddMany(source, "b", 2);

        await source.SeekAsync(new Dictionary<string, long> { ["a"] = 2, ["c"] = 1 });
        source.Add("c", "c0", position: 0);
        source.Add("c", "c1", position: 1);
        source.Add("c", "c2", position: 2);

        Assert.Equal(["a:3@3,4@4", "b:0@0,1@1", "c:c2@2"], await ReadAllAsync(source));
    }

    [Fact]
    public async Task SeekAsync_IgnoreSeek_DeliversFromOwnCursor()
    {
        var source = new InMemorySource { IgnoreSeek = true };
        AddMany(source, "a", 3);

        await source.SeekAsync(new Dictionary<string, long> { ["a"] = 1 });

        Assert.Equal(["a:0@0,1@1,2@2"], await ReadAllAsync(source));
    }

    [Fact]
    public async Task RedeliverFrom_Position_DeliversAgainFromThere()
    {
        var source = new InMemorySource();
        AddMany(source, "a", 4);
        await ReadAllAsync(source);

        source.RedeliverFrom("a", 2);

        Assert.Equal(["a:2@2,3@3"], await ReadAllAsync(source));
        source.RedeliverAll();
        Assert.Equal(["a:0@0,1@1,2@2,3@3"], await ReadAllAsync(source));
    }

    [Fact]
    public async Task RewindToCommitted_AfterCommit_DeliversWhatFollowsTheCommit()
    {
        var source = new InMemorySource();
        AddMany(source, "a", 4);
        AddMany(source, "b", 2);
        await ReadAllAsync(source);
        await source.CommitAsync(new Dictionary<string, long> { ["a"] = 1 });

        source.RewindToCommitted();

        Assert.Equal(["a:2@2,3@3", "b:0@0,1@1"], await ReadAllAsync(source));
    }

    [Fact]
    public async Task CommitAsync_Positions_RecordedAsCopies()
    {
        var source = new InMemorySource();
        var positions = new Dictionary<string, long> { ["a"] = 1 };

        await source.CommitAsync(positions);
        positions["a"] = 7;
        await source.CommitAsync(positions);

        Assert.Equal(2, source.Commits.Count);
        Assert.Equal(1, source.Commits[0]["a"]);
        Assert.Equal(7, source.CommittedPositions["a"]);
    }

    [Fact]
    public async Task ReadAsync_CrashAfterBatches_ThrowsUntilCleared()
    {
        var source = new InMemorySource { MaxBatchSize = 1, CrashAfterBatches = 2 };
        AddMany(source, "a", 3);
        using var batch = new RawRecordBatch(8);

        Assert.True(await source.ReadAsync(batch));
        batch.Clear();
        Assert.True(await source.ReadAsync(batch));
        batch.Clear();
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await source.ReadAsync(batch));

        source.CrashAfterBatches = null;
        Assert.True(await source.ReadAsync(batch));
        Assert.Equal(2, batch[0].Position);
    }

    [Fact]
    public async Task ReadAsync_BatchDelivered_CalledWithCount()
    {
        var counts = new List<int>();
        var source = new InMemorySource { MaxBatchSize = 1, BatchDelivered = counts.Add };
        AddMany(source, "a", 3);

        await ReadAllAsync(source);

        Assert.Equal([1, 2, 3], counts);
    }

    [Fact]
    public async Task ReadAsync_Cancelled_Throws()
    {
        var source = new InMemorySource();
        AddMany(source, "a", 1);
        using var batch = new RawRecordBatch(8);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await source.ReadAsync(batch, new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task ReadAsync_UnboundedAndEmpty_ReturnsEmptyBatchUntilRecordsArriveThenEndsAfterComplete()
    {
        var source = new InMemorySource(bounded: false) { PollInterval = TimeSpan.FromMilliseconds(1) };
        using var batch = new RawRecordBatch(8);

        Assert.True(await source.ReadAsync(batch));
        Assert.Equal(0, batch.Count);

        var waiting = source.PollInterval = TimeSpan.FromSeconds(30);
        var read = source.ReadAsync(batch).AsTask();
        Assert.False(read.IsCompleted); // parked on the arrival signal: the record below is what wakes it
        source.Add("a", "late");
        Assert.True(await read.WaitAsync(waiting));
        Assert.Equal(1, batch.Count);

        batch.Clear();
        source.Complete();
        Assert.False(await source.ReadAsync(batch));
        Assert.Throws<InvalidOperationException>(() => source.Add("a", "more"));
    }

    private static void AddMany(InMemorySource source, string partition, int count)
    {
        for (var i = 0; i < count; i++)
        {
            source.Add(partition, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Reads until the source ends, describing each batch as <c>partition:payload@position,…</c>.</summary>
    private static async Task<List<string>> ReadAllAsync(InMemorySource source)
    {
        var batches = new List<string>();
        using var batch = new RawRecordBatch(64);
        while (await source.ReadAsync(batch))
        {
            var text = new StringBuilder(batch.Partition).Append(':');
            for (var i = 0; i < batch.Count; i++)
            {
                text.Append(i == 0 ? "" : ",").Append(Encoding.UTF8.GetString(batch[i].Value)).Append('@').Append(batch[i].Position);
            }

            batches.Add(text.ToString());
            batch.Clear();
        }

        return batches;
    }
}
