using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using StreamKit.Kinesis.Internal;

namespace StreamKit.Kinesis.Tests.Support;

/// <summary>
/// kinesalite for the integration tests: <c>STREAMKIT_KINESIS_ENDPOINT</c> when set, else the one
/// <c>eng/test-peers.sh start kinesis</c> starts (see <see cref="TestPeer"/>). Tests create their own streams.
/// </summary>
public sealed class KinesisEmulator : IDisposable
{
    public const string Collection = "kinesis";
    private readonly TestPeer _peer = new("kinesis", "STREAMKIT_KINESIS_ENDPOINT");
    private readonly List<string> _streams = [];

    public Uri Endpoint => new(_peer.Address);

    /// <summary>Deletes the streams the tests created (the peer may outlive this run), then stops the peer if this run started it.</summary>
    public void Dispose()
    {
        using (var client = Client())
        {
            foreach (var stream in _streams)
            {
                client.DeleteStreamAsync(stream, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }

        _peer.Dispose();
    }

    /// <summary>Points options at the emulator (or <paramref name="endpoint"/>, e.g. a fault proxy) with dummy credentials: kinesalite checks no signature.</summary>
    public TOptions Configure<TOptions>(TOptions options, Uri? endpoint = null)
        where TOptions : KinesisClientOptions
    {
        options.Region = "us-east-1";
        options.ServiceUrl = endpoint ?? Endpoint;
        options.Credentials = new BasicAWSCredentials("AKIDSTREAMKITTEST", "streamkit-test-secret");
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        options.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
        return options;
    }

    internal KinesisClient Client() => new(Configure(new KinesisClientOptions()));

    /// <summary>Creates a uniquely named stream and waits until it is ACTIVE.</summary>
    public async Task<string> CreateStreamAsync(int shards)
    {
        var name = "streamkit-" + Guid.NewGuid().ToString("N");
        using var client = Client();
        await client.CreateStreamAsync(name, shards, CancellationToken.None);
        lock (_streams)
        {
            _streams.Add(name);
        }

        for (var i = 0; await client.DescribeStreamStatusAsync(name, CancellationToken.None) != "ACTIVE"; i++)
        {
            Assert.True(i < 200, $"stream {name} did not become ACTIVE");
            await Task.Delay(20);
        }

        return name;
    }

    /// <summary>Puts records (key, UTF-8 data) in request order, 500 per request, failing on any failed entry.</summary>
    public async Task PutAsync(string stream, IReadOnlyList<(string Key, string Data)> records)
    {
        using var client = Client();
        for (var start = 0; start < records.Count; start += 500)
        {
            var entries = new JsonArray();
            for (var i = start; i < Math.Min(records.Count, start + 500); i++)
            {
                entries.Add(new JsonObject { ["Data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(records[i].Data)), ["PartitionKey"] = records[i].Key });
            }

            var body = Encoding.UTF8.GetBytes(new JsonObject { ["StreamName"] = stream, ["Records"] = entries }.ToJsonString());
            using var response = await client.SendAsync("PutRecords", body, CancellationToken.None);
            using var document = JsonDocument.Parse(response.Span.ToArray());
            Assert.Equal(0, document.RootElement.GetProperty("FailedRecordCount").GetInt32());
        }
    }

    /// <summary>Every record in the stream, shard by shard from TRIM_HORIZON: (shard, key, data).</summary>
    public async Task<List<(string Shard, string Key, string Data)>> ReadAllAsync(string stream)
    {
        using var client = Client();
        var result = new List<(string, string, string)>();
        foreach (var shard in await client.ListShardsAsync(stream, CancellationToken.None))
        {
            string? iterator = await client.GetShardIteratorAsync(stream, shard.ShardId, IteratorKind.TrimHorizon, null, 0, CancellationToken.None);
            while (iterator is not null)
            {
                var body = Encoding.UTF8.GetBytes(new JsonObject { ["ShardIterator"] = iterator, ["Limit"] = 10000 }.ToJsonString());
                using var response = await client.SendAsync("GetRecords", body, CancellationToken.None);
                using var document = JsonDocument.Parse(response.Span.ToArray());
                var records = document.RootElement.GetProperty("Records");
                foreach (var record in records.EnumerateArray())
                {
                    result.Add((shard.ShardId, record.GetProperty("PartitionKey").GetString()!, Encoding.UTF8.GetString(record.GetProperty("Data").GetBytesFromBase64())));
                }

                iterator = records.GetArrayLength() == 0 ? null : document.RootElement.TryGetProperty("NextShardIterator", out var next) ? next.GetString() : null;
            }
        }

        return result;
    }

    public static string UniqueKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(KinesisEmulator.Collection)]
public sealed class KinesisCollection : ICollectionFixture<KinesisEmulator>;
