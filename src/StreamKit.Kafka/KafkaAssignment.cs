namespace StreamKit.Kafka;

/// <summary>How a <see cref="KafkaSource"/> gets its partitions.</summary>
public enum KafkaAssignment
{
    /// <summary>Subscribe as a member of <see cref="KafkaSourceOptions.GroupId"/>: partitions are shared among the group's members and move on rebalances.</summary>
    ConsumerGroup,

    /// <summary>Assign every partition of the topics to this instance, without group membership (no rebalance delay); offsets are still committed under the group id.</summary>
    /// <remarks>
    /// For one instance per topic (backfills, tests, a single long-running job). Partitions added later are not picked up.
    /// The consumer connects to every broker of the cluster at once (librdkafka's <c>enable.sparse.connections=false</c>),
    /// which takes up to 50 ms off the start; set it back to <c>true</c> in <see cref="KafkaSourceOptions.Config"/> on a
    /// large cluster whose topic lives on few brokers.
    /// </remarks>
    AllPartitions,
}
