using System.Globalization;

namespace StreamKit.Kafka;

/// <summary>The <c>topic-partition</c> names a <see cref="KafkaSource"/> gives its partitions.</summary>
public static class KafkaPartitionName
{
    /// <summary>The name of a topic's partition: <c>topic-partition</c>.</summary>
    public static string Format(string topic, int partition) => topic + "-" + partition.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits a <c>topic-partition</c> name at its last <c>-</c> (topic names may contain dashes, partition numbers do not).</summary>
    public static bool TryParse(string name, out string topic, out int partition)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dash = name.LastIndexOf('-');
        if (dash > 0 && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition))
        {
            topic = name[..dash];
            return true;
        }

        topic = "";
        partition = -1;
        return false;
    }
}
