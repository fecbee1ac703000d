using System.Buffers;
using System.Globalization;
using StreamKit.Codecs;
using StreamKit.Kafka;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>A parsed <c>kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G]</c> address.</summary>
/// <param name="BootstrapServers">The brokers, comma-separated.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Group">The consumer group from <c>?group=</c>, or <see langword="null"/>.</param>
public sealed record KafkaAddress(string BootstrapServers, string Topic, string? Group);

/// <summary>
/// The sample's Kafka input and output: <c>--input kafka://...</c> (with <c>--bounded</c>: read to the end offsets
/// seen at start, then finish) and <c>--output kafka://...</c> (each result one JSON object per message).
/// </summary>
/// <remarks>A user would reference the package: <c>&lt;PackageReference Include="StreamKit.Kafka" Version="0.1.0" /&gt;</c>.</remarks>
public static class KafkaJobs
{
    /// <summary>The consumer group used when the address names none and no query is given (the hosted sample's).</summary>
    public const string DefaultGroup = "streamkit-clickstream";

    /// <summary>The consumer group a query uses when the address names none: <c>streamkit-clickstream-QUERY</c>.</summary>
    /// <remarks>
    /// One group per query: a group's committed offsets say where its next run starts, so queries sharing one would
    /// each read only what the previous query left (a bounded run after another query's would read nothing).
    /// </remarks>
    public static string DefaultGroupOf(string? query) => query is null ? DefaultGroup : DefaultGroup + "-" + query;

    /// <summary>Whether <paramref name="location"/> is a <c>kafka://</c> address rather than a path.</summary>
    public static bool IsKafka(string? location) => location is not null && location.StartsWith("kafka://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G]</c>.</summary>
    /// <exception cref="FormatException">The address is not of that form; the message says what is wrong.</exception>
    public static KafkaAddress ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!IsKafka(address))
        {
            throw new FormatException($"'{address}' is not a kafka:// address (kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G]).");
        }

        var rest = address["kafka://".Length..];
        string? group = null;
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
                if (name != "group" || value.Length == 0)
                {
                    throw new FormatException($"'{address}': unknown or empty parameter '{pair}' (only ?group=NAME is understood).");
                }

                group = value;
            }

            rest = rest[..query];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            throw new FormatException($"'{address}': expected kafka://HOST:PORT[,HOST:PORT]/TOPIC.");
        }

        var topic = Uri.UnescapeDataString(rest[(slash + 1)..]);
        if (topic.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"'{address}': the topic '{topic}' contains '/'.");
        }

        var servers = rest[..slash].Split(',', StringSplitOptions.TrimEntries);
        foreach (var server in servers)
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !ushort.TryParse(server.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
            {
                throw new FormatException($"'{address}': '{server}' is not HOST:PORT.");
            }
        }

        return new KafkaAddress(string.Join(',', servers), topic, group);
    }

    /// <summary>A source over the address's topic.</summary>
    /// <param name="address">Where to read.</param>
    /// <param name="bounded">
    /// Read to the end offsets seen at start, then finish. A bounded run assigns itself every partition (no group
    /// membership, so no rebalance wait, and with one instance the answers equal the file run's); an unbounded one joins
    /// the consumer group, so several instances share the partitions.
    /// </param>
    /// <param name="query">The query run, naming the default group (<see cref="DefaultGroupOf"/>); <c>?group=</c> wins.</param>
    public static KafkaSource CreateSource(KafkaAddress address, bool bounded, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new KafkaSource(new KafkaSourceOptions
        {
            BootstrapServers = address.BootstrapServers,
            Topics = [address.Topic],
            GroupId = address.Group ?? DefaultGroupOf(query),
            Bounded = bounded,
            Assignment = bounded ? KafkaAssignment.AllPartitions : KafkaAssignment.ConsumerGroup,
        });
    }

    /// <summary>A sink writing each record to the address's topic as one compact JSON object per message, with the fields of <paramref name="format"/>.</summary>
    /// <param name="address">Where to write.</param>
    /// <param name="format">The message value's fields.</param>
    /// <param name="key">
    /// The message key; the queries use the result's window and key (<see cref="WindowKey"/>), so a result produced
    /// again after a crash has the key of the first copy and a compacted topic keeps one value per window.
    /// </param>
    public static KafkaSink<T> CreateSink<T>(KafkaAddress address, RecordMap<T> format, KafkaKeyWriter<T>? key = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(address);
        return new KafkaSink<T>(new KafkaSinkOptions<T>
        {
            BootstrapServers = address.BootstrapServers,
            Topic = address.Topic,
            Encoder = new JsonLinesEncoder<T>(format),
            Key = key,
        });
    }

    /// <summary>The message key of a windowed result: <c>WINDOWSTART/KEY</c> in ASCII digits (<c>1767225600000/42</c>).</summary>
    /// <remarks>The same window and key always give the same bytes, which is what log compaction keys on.</remarks>
    public static void WindowKey<TKey, TValue>(in WindowResult<TKey, TValue> result, IBufferWriter<byte> key)
        where TKey : unmanaged, IUtf8SpanFormattable
    {
        ArgumentNullException.ThrowIfNull(key);
        var span = key.GetSpan(48);
        result.Start.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        span[written++] = (byte)'/';
        result.Key.TryFormat(span[written..], out var keyBytes, default, CultureInfo.InvariantCulture);
        key.Advance(written + keyBytes);
    }

    /// <summary>The message key of <c>filter</c>'s single total: <c>total</c>.</summary>
    public static void TotalKey<TValue>(in WindowResult<TValue> result, IBufferWriter<byte> key)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.Write("total"u8);
    }

    /// <summary>
    /// Where a run's dead letters go: next to a file output, <c>DIR.deadletters.jsonl</c> next to a directory output,
    /// or <c>TOPIC.deadletters.jsonl</c> in the working directory for a Kafka output.
    /// </summary>
    public static string DeadLetterPath(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return (IsKafka(output) ? ParseAddress(output).Topic : output.TrimEnd('/', Path.DirectorySeparatorChar)) + ".deadletters.jsonl";
    }
}
