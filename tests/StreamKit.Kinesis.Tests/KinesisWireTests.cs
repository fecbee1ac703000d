using System.Text;
using StreamKit.Kinesis.Internal;
using StreamKit.Records;

namespace StreamKit.Kinesis.Tests;

/// <summary>The JSON protocol readers over checked-in responses (Golden/), in the shape the service documents.</summary>
public sealed class KinesisWireTests
{
    private static readonly byte[] s_getRecords = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "get-records.json"));

    [Fact]
    public void ReadRecords_GoldenResponse_DecodesDataKeysArrivalTimesAndOrdinals()
    {
        using var batch = new RawRecordBatch(8);
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(16);

        var page = KinesisClient.ReadRecords(s_getRecords, batch, nextOrdinal: 41, ref scratch);

        Assert.Equal(4, page.Count);
        Assert.Equal("AAAAAAAAAAE/next", page.NextIterator);
        Assert.Equal("49590338271490256608559692538361571095921575989136588999", page.LastSequenceNumber);
        Assert.Equal(1500, page.MillisBehindLatest);
        Assert.Equal("{\"ts\":1700000000001,\"user\":1,\"seq\":1}", Encoding.UTF8.GetString(batch[1].Value));
        Assert.Equal("user-1", Encoding.UTF8.GetString(batch[1].Key));
        Assert.Equal(1_700_000_001_123, batch[1].Timestamp);
        Assert.Equal([41L, 42, 43, 44], Enumerable.Range(0, 4).Select(i => batch[i].Position));

        // Escaped JSON ('\/' in base64, '\u00e9' in the key) is legal and must decode the same.
        Assert.Equal(new byte[] { 0xff, 0xfe, 0xfd, 0x3f, 0xbf }, batch[3].Value.ToArray());
        Assert.Equal("café", Encoding.UTF8.GetString(batch[3].Key));
        Assert.Equal(1_700_000_003_500, batch[3].Timestamp);
        Assert.Null(batch[3].Error);
        System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
    }

    [Fact]
    public void ReadRecords_ManyRecords_AllocatesPerCallNotPerRecord()
    {
        var json = ManyRecords(2_000);
        using var batch = new RawRecordBatch(2_048);
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(16);
        for (var i = 0; i < 20; i++)
        {
            batch.Clear();
            KinesisClient.ReadRecords(json, batch, 1, ref scratch);
        }

        batch.Clear();
        var before = GC.GetAllocatedBytesForCurrentThread();
        KinesisClient.ReadRecords(json, batch, 1, ref scratch);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2_000, batch.Count);
        Assert.True(allocated < 1_024, $"{allocated} B for 2,000 records: only the last sequence number and the next iterator may allocate");
        System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
    }

    [Fact]
    public void ReadPutResults_PartialFailure_ReportsEachEntryInOrder()
    {
        var json = """{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"},{"SequenceNumber":"3","ShardId":"shardId-000000000001"}]}"""u8.ToArray();
        var results = new PutResult[3];

        var failed = KinesisClient.ReadPutResults(json, results);

        Assert.Equal(1, failed);
        Assert.True(results[0].Succeeded);
        Assert.Equal(new PutResult("ProvisionedThroughputExceededException", "Rate exceeded"), results[1]);
        Assert.True(results[2].Succeeded);
        Assert.Throws<KinesisException>(() => KinesisClient.ReadPutResults(json, new PutResult[2]));
    }

    private static byte[] ManyRecords(int count)
    {
        var json = new StringBuilder("{\"Records\":[");
        for (var i = 0; i < count; i++)
        {
            var data = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"ts\":{1_700_000_000_000 + i},\"user\":{i % 50},\"seq\":{i}}}"));
            json.Append(i == 0 ? "" : ",").Append("{\"Data\":\"").Append(data).Append("\",\"PartitionKey\":\"user-").Append(i % 50)
                .Append("\",\"SequenceNumber\":\"4959033827149025660855969253836157109592157598913658").Append(1000 + i)
                .Append("\",\"ApproximateArrivalTimestamp\":1700000000.").Append(i % 1000).Append('}');
        }

        return Encoding.UTF8.GetBytes(json.Append("],\"NextShardIterator\":\"AAAA\",\"MillisBehindLatest\":0}").ToString());
    }
}
