namespace StreamKit.Kafka;

/// <summary>
/// Everything a Kafka client needs to use an Azure Event Hubs namespace through its Kafka endpoint, derived from an Event
/// Hubs connection string: the bootstrap server, SASL_SSL/PLAIN credentials, the event hub as topic and Microsoft's
/// recommended librdkafka settings for consumers and producers.
/// </summary>
/// <remarks>
/// <para>
/// The Kafka endpoint exists on the Standard, Premium and Dedicated tiers (not Basic). An event hub is a topic, a
/// consumer group is a Kafka consumer group, partitions map one to one. The connection string is the SASL password, so
/// treat these settings as a secret (do not log <see cref="ConsumerConfig"/> or <see cref="ProducerConfig"/>).
/// </para>
/// <para>
/// Recommended settings (from Microsoft's "Recommended configurations for Apache Kafka clients"): Azure closes idle TCP
/// connections after 240 s, so <c>socket.keepalive.enable=true</c>, <c>connections.max.idle.ms=180000</c> and
/// <c>metadata.max.age.ms=180000</c> keep the client off dead connections; consumers use <c>session.timeout.ms=30000</c>
/// (lower values cause timeout-rebalance cycles); producers use <c>request.timeout.ms=60000</c> (the service works with
/// at least 20 s internally) and <c>message.max.bytes=1000000</c> (the service closes the connection on requests over
/// 1,046,528 bytes). A user's own <c>Config</c> entries, applied later, override any of them.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var eventHubs = EventHubsKafkaSettings.Parse(connectionString);          // EntityPath=clicks in the string
/// await using var source = new KafkaSource(eventHubs.CreateSourceOptions("$Default"));
/// var sinkOptions = eventHubs.CreateSinkOptions&lt;Result&gt;("results");  // another hub in the same namespace
/// sinkOptions.Encoder = new JsonLinesEncoder&lt;Result&gt;(Result.Map);
/// </code>
/// </example>
public sealed class EventHubsKafkaSettings
{
    /// <summary>The port of Event Hubs' Kafka endpoint.</summary>
    public const int KafkaPort = 9093;

    private const string ExpectedForm = "Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=NAME;SharedAccessKey=KEY[;EntityPath=HUB]";

    private EventHubsKafkaSettings(string fullyQualifiedNamespace, string? eventHub, string bootstrapServers, Dictionary<string, string> common)
    {
        FullyQualifiedNamespace = fullyQualifiedNamespace;
        EventHub = eventHub;
        BootstrapServers = bootstrapServers;
        CommonConfig = common;
        ConsumerConfig = new Dictionary<string, string>(common, StringComparer.Ordinal)
        {
            ["session.timeout.ms"] = "30000",
            ["heartbeat.interval.ms"] = "3000",
        };
        ProducerConfig = new Dictionary<string, string>(common, StringComparer.Ordinal)
        {
            ["request.timeout.ms"] = "60000",
            ["message.max.bytes"] = "1000000",
        };
    }

    /// <summary>The namespace's host name, e.g. <c>my-ns.servicebus.windows.net</c>.</summary>
    public string FullyQualifiedNamespace { get; }

    /// <summary>The event hub (Kafka topic): the connection string's <c>EntityPath</c>, or the one given to <see cref="Parse"/>; <see langword="null"/> for a namespace-level string with none given.</summary>
    public string? EventHub { get; }

    /// <summary>The Kafka bootstrap server, <c>NAMESPACE:9093</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Security and the settings recommended for consumers and producers alike; what <see cref="EventHubsKafka.Config"/> returns.</summary>
    public IReadOnlyDictionary<string, string> CommonConfig { get; }

    /// <summary><see cref="CommonConfig"/> plus the recommended consumer settings.</summary>
    public IReadOnlyDictionary<string, string> ConsumerConfig { get; }

    /// <summary><see cref="CommonConfig"/> plus the recommended producer settings.</summary>
    public IReadOnlyDictionary<string, string> ProducerConfig { get; }

    /// <summary>Parses and checks an Event Hubs connection string (from the portal's "Shared access policies", namespace or event hub level).</summary>
    /// <param name="connectionString"><c>Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...[;EntityPath=HUB]</c>; a <c>SharedAccessSignature=...</c> instead of the key name and key is accepted too.</param>
    /// <param name="eventHub">The event hub to use when the string has no <c>EntityPath</c>; must match it when it has one.</param>
    /// <exception cref="ArgumentException">What is wrong: no or a non-<c>sb://</c> <c>Endpoint</c>, no key, a key name without key, an event hub that contradicts <c>EntityPath</c>.</exception>
    public static EventHubsKafkaSettings Parse(string connectionString, string? eventHub = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        string? endpoint = null, keyName = null, key = null, signature = null, entityPath = null;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException(NotAConnectionString($"'{(part.Length > 16 ? part[..16] + "..." : part)}' is not Name=Value"), nameof(connectionString));
            }

            var value = part[(equals + 1)..].Trim();
            switch (part[..equals].Trim().ToUpperInvariant())
            {
                case "ENDPOINT": endpoint = value; break;
                case "SHAREDACCESSKEYNAME": keyName = value; break;
                case "SHAREDACCESSKEY": key = value; break;
                case "SHAREDACCESSSIGNATURE": signature = value; break;
                case "ENTITYPATH": entityPath = value; break;
                default: break; // e.g. UseDevelopmentEmulator: not meaningful for the Kafka endpoint, and harmless
            }
        }

        if (string.IsNullOrEmpty(endpoint))
        {
            throw new ArgumentException(NotAConnectionString("it has no Endpoint"), nameof(connectionString));
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != "sb" || uri.Host.Length == 0)
        {
            throw new ArgumentException(NotAConnectionString($"its Endpoint '{endpoint}' is not sb://NAMESPACE.servicebus.windows.net/"), nameof(connectionString));
        }

        if (string.IsNullOrEmpty(signature))
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException(NotAConnectionString("it has no SharedAccessKey (or SharedAccessSignature)"), nameof(connectionString));
            }

            if (string.IsNullOrEmpty(keyName))
            {
                throw new ArgumentException(NotAConnectionString("it has a SharedAccessKey but no SharedAccessKeyName"), nameof(connectionString));
            }
        }

        if (!string.IsNullOrEmpty(entityPath) && eventHub is not null && !string.Equals(entityPath, eventHub, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The connection string is scoped to event hub '{entityPath}', not '{eventHub}'.", nameof(eventHub));
        }

        if (eventHub is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(eventHub);
        }

        var common = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "PLAIN",
            ["sasl.username"] = "$ConnectionString",
            ["sasl.password"] = connectionString.Trim(),
            ["socket.keepalive.enable"] = "true",
            ["connections.max.idle.ms"] = "180000",
            ["metadata.max.age.ms"] = "180000",
        };
        return new EventHubsKafkaSettings(uri.Host, string.IsNullOrEmpty(entityPath) ? eventHub : entityPath, $"{uri.Host}:{KafkaPort}", common);
    }

    /// <summary>Source options for <see cref="EventHub"/> in <paramref name="consumerGroup"/>, with <see cref="ConsumerConfig"/>; set the rest (bounded, event time, ...) on the result.</summary>
    /// <param name="consumerGroup">An Event Hubs consumer group; <c>$Default</c> exists on every hub.</param>
    /// <exception cref="InvalidOperationException">No event hub is known (namespace-level connection string and none given to <see cref="Parse"/>).</exception>
    public KafkaSourceOptions CreateSourceOptions(string consumerGroup = "$Default") => new()
    {
        BootstrapServers = BootstrapServers,
        Topics = [RequireEventHub()],
        GroupId = consumerGroup,
        Config = ConsumerConfig,
    };

    /// <summary>Sink options writing to <paramref name="eventHub"/> (default: <see cref="EventHub"/>), with <see cref="ProducerConfig"/>; set the encoder and the rest on the result.</summary>
    /// <exception cref="InvalidOperationException">No event hub given or known.</exception>
    public KafkaSinkOptions<T> CreateSinkOptions<T>(string? eventHub = null) => ApplyTo(new KafkaSinkOptions<T> { Topic = eventHub ?? RequireEventHub() });

    /// <summary>Points producer (or sink) options at the namespace: sets the bootstrap server and puts <see cref="ProducerConfig"/> under the options' own <c>Config</c>, whose entries win.</summary>
    /// <returns><paramref name="options"/>.</returns>
    public TOptions ApplyTo<TOptions>(TOptions options)
        where TOptions : KafkaProducerOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.BootstrapServers = BootstrapServers;
        options.Config = Merge(ProducerConfig, options.Config);
        return options;
    }

    /// <summary>
    /// The same settings with the transport replaced by a plaintext connection to <paramref name="bootstrapServers"/> (a
    /// local broker): <c>security.protocol=PLAINTEXT</c> and no <c>sasl.*</c>; every other setting stays. For tests.
    /// </summary>
    internal EventHubsKafkaSettings WithPlaintextTransport(string bootstrapServers)
    {
        var common = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in CommonConfig)
        {
            if (!name.StartsWith("sasl.", StringComparison.Ordinal))
            {
                common[name] = value;
            }
        }

        common["security.protocol"] = "PLAINTEXT";
        return new EventHubsKafkaSettings(FullyQualifiedNamespace, EventHub, bootstrapServers, common);
    }

    private string RequireEventHub() =>
        EventHub ?? throw new InvalidOperationException("No event hub: the connection string has no EntityPath; pass the hub to EventHubsKafkaSettings.Parse or CreateSinkOptions.");

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> defaults, IReadOnlyDictionary<string, string>? user)
    {
        var merged = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
        if (user is not null)
        {
            foreach (var (name, value) in user)
            {
                merged[name] = value;
            }
        }

        return merged;
    }

    private static string NotAConnectionString(string problem) =>
        $"Not an Event Hubs connection string: {problem}. Expected {ExpectedForm}.";
}
