using System.Text;
using StreamKit.Codecs;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Records;

namespace StreamKit.Kafka.Tests;

/// <summary>kcat (librdkafka's command-line client, from Debian) as an independent client in both directions.</summary>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class KcatInteropTests(KafkaBroker broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KcatProduces_KafkaSourceReadsKeysValuesTimestampsAndHeaders()
    {
        var topic = KafkaBroker.UniqueTopic("kcat-in");
        var lines = Enumerable.Range(0, 300).Select(i => $"user{i % 13}\t{Reading.Json(1_700_000_000_000 + i, i % 13, i)}").ToList();
        var exit = KafkaBroker.Run("kcat", ["-P", "-b", broker.BootstrapServers, "-t", topic, "-K", "\t", "-z", "lz4", "-H", "trace=kcat-1"], s_timeout, out _, out var stderr, string.Join('\n', lines) + "\n");
        Assert.True(exit == 0, stderr);

        var before = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        var options = KafkaSourceTests.Options(broker.BootstrapServers, topic, bounded: true);
        options.IncludeHeaders = true;
        await using var source = new KafkaSource(options);
        var read = new List<(string Key, string Value, long Timestamp, string Partition, long Position)>();
        var traces = new List<string>();
        var decodedWithHeaders = 0;

        // The header reaches the decoder: an enriching decoder rejects a record without it.
        var enriching = new EnrichingDecoder<Reading>(
            new JsonLinesDecoder<Reading>(Reading.Map),
            static (ref Reading r, in RawRecord raw) => raw.Headers.TryGetLast("trace"u8, out var trace) && trace.SequenceEqual("kcat-1"u8) ? null : "no trace header");
        using var batch = new RawRecordBatch(128);
        await KafkaSourceTests.ReadToEndAsync(source, batch, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                var raw = b[i];
                read.Add((Encoding.UTF8.GetString(raw.Key), Encoding.UTF8.GetString(raw.Value), raw.Timestamp, b.Partition, raw.Position));
                Assert.True(raw.Headers.TryGetLast("trace"u8, out var trace));
                traces.Add($"{b.Partition}@{raw.Position}:{Encoding.UTF8.GetString(trace)}");
                var reading = default(Reading);
                decodedWithHeaders += enriching.TryDecode(raw, ref reading, out _) ? 1 : 0;
            }
        });

        Assert.Equal(lines.Order(StringComparer.Ordinal), read.Select(r => $"{r.Key}\t{r.Value}").Order(StringComparer.Ordinal));
        Assert.All(read, r => Assert.InRange(r.Timestamp, before, DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds()));
        Assert.All(read.GroupBy(r => r.Key), g => Assert.Single(g.Select(r => r.Partition).Distinct())); // keyed by kcat's partitioner
        Assert.Equal(read.Select(r => $"{r.Partition}@{r.Position}:kcat-1").Order(StringComparer.Ordinal), traces.Order(StringComparer.Ordinal));
        Assert.Equal(read.Count, decodedWithHeaders);

        var decoder = new JsonLinesDecoder<Reading>(Reading.Map);
        Assert.All(read, r =>
        {
            var reading = default(Reading);
            Assert.True(decoder.TryDecode(Encoding.UTF8.GetBytes(r.Value), ref reading, out var error), error);
            Assert.Equal($"user{reading.Sensor}", r.Key);
        });
    }

    [Fact]
    public async Task KafkaSinkProduces_KcatReadsKeysValuesAndHeaders()
    {
        var topic = KafkaBroker.UniqueTopic("kcat-out");
        var records = Enumerable.Range(0, 200).Select(i => new Reading { Ts = 1_700_000_000_000 + (i * 1000L), Sensor = i % 5, Value = i * 3 }).ToArray();
        await using (var sink = new KafkaSink<Reading>(new KafkaSinkOptions<Reading>
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = topic,
            Encoder = new JsonLinesEncoder<Reading>(Reading.Map),
            Key = Reading.WriteKey,
            Timestamp = static (in Reading r) => r.Ts,
            Headers = [new("app", "streamkit"u8.ToArray())],
            Config = new Dictionary<string, string> { ["compression.type"] = "zstd" },
        }))
        {
            sink.Write(records);
            await sink.FlushAsync().AsTask().WaitAsync(s_timeout);
        }

        var exit = KafkaBroker.Run("kcat", ["-C", "-b", broker.BootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k|%s|%h|%T\\n"], s_timeout, out var stdout, out var stderr);
        Assert.True(exit == 0, stderr);

        var expected = records.Select(r => $"{r.Sensor}|{Reading.Json(r.Ts, r.Sensor, r.Value)}|app=streamkit|{r.Ts}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }
}
