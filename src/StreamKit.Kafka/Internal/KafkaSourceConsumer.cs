using Confluent.Kafka;

namespace StreamKit.Kafka.Internal;

/// <summary>Builds a <see cref="KafkaSource"/>'s librdkafka consumer from its options: the settings StreamKit relies on, and the callbacks it needs.</summary>
internal static class KafkaSourceConsumer
{
    /// <summary>Creates the consumer; keys and values are copied into <paramref name="staging"/> instead of a new array each.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="staging">The consume thread's staging buffer.</param>
    /// <param name="onError">Client errors (fatal or not).</param>
    /// <param name="onAssigned">A consumer group's assignment; returns where each partition starts.</param>
    /// <param name="onRevoked">A consumer group's revocation or loss of partitions.</param>
    /// <exception cref="ArgumentException"><see cref="KafkaSourceOptions.Config"/> contradicts a setting StreamKit relies on.</exception>
    public static IConsumer<Staged, Staged> Create(
        KafkaSourceOptions options,
        StagingDeserializer staging,
        Action<Error> onError,
        Func<List<TopicPartition>, List<TopicPartitionOffset>> onAssigned,
        Action<List<TopicPartitionOffset>> onRevoked)
    {
        var fields = "timestamp";
        if (options.Topics.Count != 1)
        {
            fields += ",topic"; // with one topic the name is known: not marshalling it saves a string per message
        }

        if (options.IncludeHeaders || options.ReadTraceContext)
        {
            fields += ",headers";
        }

        var defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["bootstrap.servers"] = options.BootstrapServers,
            ["group.id"] = options.GroupId,
            ["auto.offset.reset"] = options.AutoOffsetReset.ToString().ToLowerInvariant(),
            ["enable.partition.eof"] = "true", // bounded partitions end on it (empty ones, trailing transaction markers)

            // A resumed partition is fetched only when the broker answers the fetch in flight, which it may hold
            // for fetch.wait.max.ms when the broker's other partitions are idle: librdkafka's 500 ms default made
            // every pause cost up to half a second (measured on the mock broker). 50 ms keeps resumes quick for
            // 20 idle fetches a second per broker.
            ["fetch.wait.max.ms"] = "50",
        };
        if (options.Assignment == KafkaAssignment.AllPartitions)
        {
            // Every partition's metadata is fetched from "any" connected broker before reading. With sparse connections
            // librdkafka drops its bootstrap connection as soon as the group coordinator lookup has named the cluster's
            // brokers (a few milliseconds after the consumer is created), and opens another for such a request at most
            // every 50 ms: measured creating a consumer and fetching a topic's metadata on the mock broker, 15 of 66
            // starts waited 52-67 ms, and none of 22 (at most 36 ms) with connections to every broker. A consumer that
            // reads every partition of a topic connects to most brokers anyway. (A librdkafka setting its documentation
            // leaves out; Config can turn it back on.)
            defaults["enable.sparse.connections"] = "false";
        }

        var config = KafkaConfig.Build(
            defaults,
            options.Config,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["enable.auto.commit"] = "false",
                ["enable.auto.offset.store"] = "false",
                [ConfigPropertyNames.Consumer.ConsumeResultFields] = fields,
            });

        var builder = new ConsumerBuilder<Staged, Staged>(config)
            .SetKeyDeserializer(staging)
            .SetValueDeserializer(staging)
            .SetErrorHandler((_, error) => onError(error));
        if (options.Assignment == KafkaAssignment.ConsumerGroup)
        {
            builder
                .SetPartitionsAssignedHandler((_, partitions) => onAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => onRevoked(partitions))
                .SetPartitionsLostHandler((_, partitions) => onRevoked(partitions));
        }

        return builder.Build();
    }
}
