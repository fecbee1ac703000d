using System.Text;
using Confluent.Kafka;

namespace StreamKit.Kafka.Tests.Support;

/// <summary>Plain Confluent.Kafka producing and reading for the tests, independent of the code under test.</summary>
public static class KafkaTestClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Produces messages (to their partition, or by key when it is null) and waits for every delivery.</summary>
    public static void Produce(string bootstrap, string topic, IEnumerable<(byte[]? Key, byte[] Value, int? Partition)> messages, long timestamp = 0)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        var failed = 0;
        foreach (var (key, value, partition) in messages)
        {
            var message = new Message<byte[]?, byte[]>
            {
                Key = key,
                Value = value,
                Timestamp = timestamp > 0 ? new Timestamp(timestamp, TimestampType.CreateTime) : Timestamp.Default,
            };
            while (true)
            {
                try
                {
                    if (partition is { } p)
                    {
                        producer.Produce(new TopicPartition(topic, p), message, r => { if (r.Error.IsError) { Interlocked.Increment(ref failed); } });
                    }
                    else
                    {
                        producer.Produce(topic, message, r => { if (r.Error.IsError) { Interlocked.Increment(ref failed); } });
                    }

                    break;
                }
                catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }

        if (producer.Flush(Timeout) != 0 || failed != 0)
        {
            throw new InvalidOperationException($"producing to {topic} failed ({failed} failed deliveries)");
        }
    }

    /// <summary>Produces UTF-8 lines to partitions round-robin (line i to partition i % partitions).</summary>
    public static void ProduceLines(string bootstrap, string topic, IEnumerable<string> lines, int partitions = 4) =>
        Produce(bootstrap, topic, lines.Select((line, i) => ((byte[]?)null, Encoding.UTF8.GetBytes(line), (int?)(i % partitions))));

    /// <summary>Creates a topic with the mock's default 4 partitions by producing to it (the mock has no CreateTopics).</summary>
    public static void Create(string bootstrap, string topic)
    {
        using var producer = new ProducerBuilder<Null, Null>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var metadata = admin.GetMetadata(topic, Timeout);
            if (metadata.Topics.Find(t => t.Topic == topic) is { Error.IsError: false, Partitions.Count: > 0 })
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"topic {topic} was not created");
            Thread.Sleep(100);
        }
    }

    /// <summary>Reads every message of every partition from the beginning to the end offsets seen now.</summary>
    /// <remarks>Ends at each partition's end-of-partition event, not at offset high-1: transaction markers take offsets too.</remarks>
    public static List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadUncommitted,
        }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var partitions = admin.GetMetadata(topic, Timeout).Topics.Single(t => t.Topic == topic).Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, Timeout).High.Value);
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var remaining = ends.Keys.ToHashSet();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + Timeout;
        while (remaining.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"reading {topic} timed out with partitions {string.Join(',', remaining)} unfinished");
            var result = consumer.Consume(100);
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                if (result.Offset.Value >= ends[result.Partition.Value])
                {
                    remaining.Remove(result.Partition.Value);
                }

                continue;
            }

            if (result.Offset.Value < ends[result.Partition.Value])
            {
                results.Add(result);
            }
        }

        return results;
    }

    /// <summary>The group's committed offsets for the topic's partitions (-1001 where none).</summary>
    public static Dictionary<int, long> Committed(string bootstrap, string group, string topic, int partitions = 4)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), Timeout)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    public static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);
}
