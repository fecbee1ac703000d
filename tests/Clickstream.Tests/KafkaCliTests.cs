using System.Text;
using Confluent.Kafka;

namespace Clickstream.Tests;

/// <summary>The README's Kafka command, query after query on one topic: each query has its own default consumer group.</summary>
[Trait("Category", "Integration")]
public sealed class KafkaCliTests : IClassFixture<KafkaCliTests.Broker>, IDisposable
{
    private readonly Broker _broker;
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-kafka-cli-").FullName;

    public KafkaCliTests(Broker broker) => _broker = broker;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Run_BoundedQueriesOneAfterAnother_EachReadsTheWholeTopicThenNothingNew()
    {
        var input = Path.Combine(AppContext.BaseDirectory, "Data", "small.jsonl");
        var topic = "cli-" + Guid.NewGuid().ToString("N");
        Produce(topic, File.ReadAllLines(input).Where(l => l.Length > 0));
        var address = $"kafka://{_broker.Peer.Address}/{topic}";

        foreach (var query in new[] { "tumbling", "sessions", "hopping" })
        {
            var expected = Path.Combine(_directory, query + ".file.jsonl");
            Assert.Equal(0, Sample.Execute("--input", input, "--query", query, "--output", expected).Exit);
            var actual = Path.Combine(_directory, query + ".kafka.jsonl");

            var (exit, error) = Sample.Execute("--input", address, "--query", query, "--output", actual, "--bounded");

            Assert.True(exit == 0, error);
            Assert.DoesNotContain("nothing new", error, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllLines(expected).Order(StringComparer.Ordinal), File.ReadAllLines(actual).Order(StringComparer.Ordinal));
        }

        var (againExit, again) = Sample.Execute("--input", address, "--query", "tumbling", "--output", Path.Combine(_directory, "again.jsonl"), "--bounded");

        Assert.Equal(0, againExit);
        Assert.Contains("tumbling: 0 records read", again, StringComparison.Ordinal);
        Assert.Contains("tumbling: nothing new: consumer group 'streamkit-clickstream-tumbling' has already read", again, StringComparison.Ordinal);
        Assert.Contains("?group=", again, StringComparison.Ordinal);

        // An explicit group still wins: a new one reads the topic from the start.
        var (groupExit, fresh) = Sample.Execute("--input", address + "?group=fresh-" + Guid.NewGuid().ToString("N"), "--query", "tumbling", "--output", Path.Combine(_directory, "fresh.jsonl"), "--bounded");

        Assert.Equal(0, groupExit);
        Assert.DoesNotContain("nothing new", fresh, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllLines(Path.Combine(_directory, "tumbling.file.jsonl")).Order(StringComparer.Ordinal), File.ReadAllLines(Path.Combine(_directory, "fresh.jsonl")).Order(StringComparer.Ordinal));
    }

    private void Produce(string topic, IEnumerable<string> lines)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.Peer.Address }).Build();
        var i = 0;
        foreach (var line in lines)
        {
            producer.Produce(new TopicPartition(topic, i++ % 4), new Message<Null, string> { Value = line });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The test broker (<c>eng/test-peers.sh start kafka</c>, or <c>STREAMKIT_KAFKA_BOOTSTRAP</c>).</summary>
    public sealed class Broker : IDisposable
    {
        public TestPeer Peer { get; } = new("kafka", "STREAMKIT_KAFKA_BOOTSTRAP", "-d", "0");

        public void Dispose() => Peer.Dispose();
    }
}
