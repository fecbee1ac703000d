using Confluent.Kafka;

namespace StreamKit.Kafka.Tests.Support;

/// <summary>
/// The Kafka-protocol broker for the integration tests: <c>STREAMKIT_KAFKA_BOOTSTRAP</c> when set, else the one
/// <c>eng/test-peers.sh start kafka</c> starts (see <see cref="TestPeer"/>).
/// </summary>
public sealed class KafkaBroker : IDisposable
{
    public const string Collection = "kafka";
    private readonly TestPeer _peer;

    public KafkaBroker()
    {
        // Debian's librdkafka1 (2.0.2, pulled in by kcat) must never be the one loaded.
        if (Library.VersionString != "2.16.0")
        {
            throw new InvalidOperationException($"librdkafka {Library.VersionString} is loaded; Confluent.Kafka 2.16.0 needs 2.16.0 (librdkafka.redist).");
        }

        // -d 0: no initial rebalance delay, so consumer-group tests do not wait 3 s per join.
        _peer = new TestPeer("kafka", "STREAMKIT_KAFKA_BOOTSTRAP", "-d", "0");
    }

    /// <summary>Comma-separated bootstrap servers.</summary>
    public string BootstrapServers => _peer.Address;

    public string RepositoryRoot => _peer.RepositoryRoot;

    public void Dispose() => _peer.Dispose();

    /// <summary>A topic name no other test (or run) uses.</summary>
    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static int Run(string file, IEnumerable<string> arguments, TimeSpan timeout, out string stdout, out string stderr, string? stdin = null) =>
        TestPeer.Run(file, arguments, timeout, out stdout, out stderr, stdin);
}

[CollectionDefinition(KafkaBroker.Collection)]
public sealed class KafkaCollection : ICollectionFixture<KafkaBroker>
{
}
