using System.Text;
using Confluent.Kafka;
using StreamKit.Codecs;
using StreamKit.Kafka.Tests.Support;

namespace StreamKit.Kafka.Tests;

[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class KafkaSinkTests(KafkaBroker broker)
{
    [Fact]
    public async Task Write_ThenFlush_DeliversKeysValuesHeadersAndTimestamps()
    {
        var topic = KafkaBroker.UniqueTopic("sink");
        await using var sink = new KafkaSink<Reading>(new KafkaSinkOptions<Reading>
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = topic,
            Encoder = new JsonLinesEncoder<Reading>(Reading.Map),
            Key = Reading.WriteKey,
            Timestamp = static (in Reading r) => r.Ts,
            Headers = [new("origin", "test"u8.ToArray())],
        });
        var records = Enumerable.Range(0, 500).Select(i => new Reading { Ts = 1_700_000_000_000 + i, Sensor = i % 7, Value = i }).ToArray();
        sink.Write(records.AsSpan(0, 200));
        sink.Write(records.AsSpan(200));
        await sink.FlushAsync().AsTask().WaitAsync(KafkaTestClient.Timeout);

        Assert.Equal(500, sink.Count);
        Assert.Equal(500, sink.Producer.Produced);
        var messages = KafkaTestClient.ReadAll(broker.BootstrapServers, topic);
        Assert.Equal(500, messages.Count);
        foreach (var m in messages)
        {
            var value = KafkaTestClient.Text(m.Message.Value);
            var r = records.Single(x => Reading.Json(x.Ts, x.Sensor, x.Value) == value); // no trailing newline
            Assert.Equal(r.Sensor.ToString(System.Globalization.CultureInfo.InvariantCulture), KafkaTestClient.Text(m.Message.Key));
            Assert.Equal(r.Ts, m.Message.Timestamp.UnixTimestampMs);
            Assert.Equal("test", Encoding.UTF8.GetString(m.Message.Headers.GetLastBytes("origin")));
        }

        // Same key, same partition: the producer's partitioner kept each sensor together.
        Assert.All(messages.GroupBy(m => KafkaTestClient.Text(m.Message.Key)), g => Assert.Single(g.Select(m => m.Partition.Value).Distinct()));
    }

    [Fact]
    public async Task FlushAsync_MessageNeverDelivered_Throws()
    {
        // Nothing listens on this port: librdkafka retries until message.timeout.ms, then reports the message failed.
        await using var sink = new KafkaSink<Reading>(new KafkaSinkOptions<Reading>
        {
            BootstrapServers = "127.0.0.1:1",
            Topic = "nowhere",
            Encoder = new JsonLinesEncoder<Reading>(Reading.Map),
            Config = new Dictionary<string, string> { ["message.timeout.ms"] = "1000", ["log_level"] = "0" },
        });
        sink.Write([new Reading { Ts = 1, Sensor = 1, Value = 1 }]);

        var error = await Assert.ThrowsAsync<KafkaException>(() => sink.FlushAsync().AsTask().WaitAsync(KafkaTestClient.Timeout));
        Assert.Contains("could not be delivered", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, sink.Producer.Failed);

        // Sticky: a later flush must not report success for output that was lost.
        await Assert.ThrowsAsync<KafkaException>(() => sink.FlushAsync().AsTask());
    }
}
