using System.Text.Json;
using StreamKit.Kinesis.Tests.Support;
using StreamKit.Testing;

namespace StreamKit.Kinesis.Tests;

[Collection(KinesisEmulator.Collection)]
[Trait("Category", "Integration")]
public sealed class KinesisSinkTests(KinesisEmulator emulator)
{
    [Fact]
    public async Task Flush_ManyRecords_AllInStreamOnceInOrderPerKey()
    {
        var stream = await emulator.CreateStreamAsync(2);
        var deadLetters = new InMemoryDeadLetterSink();
        await using var sink = new KinesisSink<Click>(SinkOptions(stream, deadLetters));

        sink.Write(Clicks(1_200, users: 12));
        await sink.FlushAsync();

        Assert.Equal(1_200, sink.Count);
        Assert.Equal(0, sink.Pending);
        Assert.Empty(deadLetters.Letters);
        var read = await emulator.ReadAllAsync(stream);
        Assert.Equal(2, read.Select(r => r.Shard).Distinct().Count());
        KinesisSourceTests.AssertExactlyOnceInKeyOrder(Parse(read), 1_200, users: 12);
        Assert.All(read, r => Assert.Equal(Click.Key(Parse(r.Data).User), r.Key));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Flush_PartialFailures_RetriedUntilDeliveredAndPoisonKeyDeadLettered(bool preserveKeyOrder)
    {
        var stream = await emulator.CreateStreamAsync(2);
        var random = new Random(7);
        var gate = new Lock();
        await using var proxy = new FaultProxy(emulator.Endpoint)
        {
            // A fifth of the entries fail on any attempt; user 3's first five clicks always fail.
            FailEntry = (key, data) =>
            {
                lock (gate)
                {
                    return (key == Click.Key(3) && JsonSerializer.Deserialize<JsonElement>(data).GetProperty("seq").GetInt64() < 5) || random.NextDouble() < 0.2;
                }
            },
        };
        var deadLetters = new InMemoryDeadLetterSink();
        var options = SinkOptions(stream, deadLetters, proxy.Endpoint);
        options.PreserveKeyOrder = preserveKeyOrder;
        options.MaxAttempts = 6;
        options.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
        await using var sink = new KinesisSink<Click>(options);

        // With order kept, each request carries one click per user, so keep the count small: 20 clicks per user.
        sink.Write(Clicks(120, users: 6));
        await sink.FlushAsync();

        Assert.True(sink.RetriedRecords > 0);
        Assert.Equal(115, sink.Count);
        Assert.Equal(5, sink.DeadLettered);
        Assert.Equal(5, deadLetters.Flushed.Count);
        Assert.All(deadLetters.Flushed, letter =>
        {
            Assert.Equal(Click.Key(3), System.Text.Encoding.UTF8.GetString(letter.Key));
            Assert.Contains("PutRecords failed 6 times", letter.Reason, StringComparison.Ordinal);
            Assert.Contains("ProvisionedThroughputExceededException", letter.Reason, StringComparison.Ordinal);
        });
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), deadLetters.Flushed.Select(l => JsonSerializer.Deserialize<JsonElement>(l.Payload).GetProperty("seq").GetInt64()).Order());

        var delivered = Parse(await emulator.ReadAllAsync(stream));
        Assert.Equal(115, delivered.Count);
        Assert.DoesNotContain(delivered, c => c.User == 3 && c.Seq < 5);
        Assert.Equal(115, delivered.Select(c => (c.User, c.Seq)).Distinct().Count());
        if (preserveKeyOrder)
        {
            foreach (var user in delivered.GroupBy(c => c.User))
            {
                Assert.Equal(user.Select(c => c.Seq).Order(), user.Select(c => c.Seq));
            }
        }
    }

    [Fact]
    public async Task Write_SteadyState_AllocatesNothingPerRecord()
    {
        var stream = await emulator.CreateStreamAsync(1);
        await using var sink = new KinesisSink<Click>(SinkOptions(stream, new InMemoryDeadLetterSink()));
        var clicks = Clicks(1_000, users: 1_000);
        for (var round = 0; round < 3; round++)
        {
            sink.Write(clicks);
            await sink.FlushAsync();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        sink.Write(clicks);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await sink.FlushAsync();

        Assert.Equal(0, allocated);
        Assert.Equal(4_000, sink.Count);
    }

    [Fact]
    public async Task Write_OversizedRecordOrEmptyKey_DeadLetteredAtOnce()
    {
        var stream = await emulator.CreateStreamAsync(1);
        var deadLetters = new InMemoryDeadLetterSink();
        var options = SinkOptions(stream, deadLetters);
        options.Encoder = new PaddingEncoder();
        options.PartitionKey = static (in Click c, System.Buffers.IBufferWriter<byte> key) =>
        {
            if (c.User != 0)
            {
                Click.WriteKey(c, key);
            }
        };
        await using var sink = new KinesisSink<Click>(options);

        // seq = payload size: one just fits with its key (1 MiB), one is a byte over, one has no key.
        var key = Click.Key(1).Length;
        sink.Write([new Click { User = 1, Seq = (1 << 20) - key }, new Click { User = 2, Seq = (1 << 20) - key + 1 }, new Click { User = 0, Seq = 10 }]);
        await sink.FlushAsync();

        Assert.Equal(1, sink.Count);
        Assert.Equal(2, deadLetters.Flushed.Count);
        Assert.Contains("exceeds 1 MiB", deadLetters.Flushed[0].Reason, StringComparison.Ordinal);
        Assert.Contains("partition key is empty", deadLetters.Flushed[1].Reason, StringComparison.Ordinal);
        var read = Assert.Single(await emulator.ReadAllAsync(stream));
        Assert.Equal((1 << 20) - key, read.Data.Length);
    }

    [Fact]
    public async Task Flush_OverFiveMiB_SplitsIntoRequestsWithinTheLimit()
    {
        var stream = await emulator.CreateStreamAsync(1);
        var deadLetters = new InMemoryDeadLetterSink();
        var options = SinkOptions(stream, deadLetters);
        options.Encoder = new PaddingEncoder();
        options.PreserveKeyOrder = false;
        await using var sink = new KinesisSink<Click>(options);

        // 12 records of 900 KiB: 5 fit a request, so three requests; all arrive.
        sink.Write(Enumerable.Range(0, 12).Select(i => new Click { User = i % 2, Seq = 900 * 1024 }).ToArray());
        await sink.FlushAsync();

        Assert.Equal(12, sink.Count);
        Assert.Equal(12, (await emulator.ReadAllAsync(stream)).Count);
    }

    internal KinesisSinkOptions<Click> SinkOptions(string stream, InMemoryDeadLetterSink deadLetters, Uri? endpoint = null) =>
        emulator.Configure(
            new KinesisSinkOptions<Click>
            {
                StreamName = stream,
                Encoder = Click.Encoder,
                PartitionKey = Click.WriteKey,
                DeadLetters = deadLetters,
            },
            endpoint);

    internal static Click[] Clicks(int count, int users)
    {
        var clicks = new Click[count];
        for (var i = 0; i < count; i++)
        {
            clicks[i] = new Click { Ts = 1_700_000_000_000 + i, User = i % users, Seq = i / users };
        }

        return clicks;
    }

    private static List<Click> Parse(List<(string Shard, string Key, string Data)> read) => read.Select(r => Parse(r.Data)).ToList();

    private static Click Parse(string json)
    {
        var click = default(Click);
        Assert.True(Click.Decoder.TryDecode(System.Text.Encoding.UTF8.GetBytes(json), ref click, out var error), error);
        return click;
    }

    /// <summary>Encodes a click as <see cref="Click.Seq"/> bytes of 'x': for size limits.</summary>
    private sealed class PaddingEncoder : StreamKit.Codecs.IRecordEncoder<Click>
    {
        public void Encode(in Click record, System.Buffers.IBufferWriter<byte> output)
        {
            var span = output.GetSpan((int)record.Seq);
            span[..(int)record.Seq].Fill((byte)'x');
            output.Advance((int)record.Seq);
        }
    }
}
