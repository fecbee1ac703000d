namespace StreamKit.Kafka;

/// <summary>Shortcuts to Azure Event Hubs' Kafka endpoint (Standard tier or higher) from a connection string.</summary>
/// <remarks>For Microsoft's recommended client settings and the event hub as topic, use <see cref="EventHubsKafkaSettings"/>.</remarks>
/// <example>
/// <code>
/// var options = new KafkaSourceOptions
/// {
///     BootstrapServers = EventHubsKafka.BootstrapServers(connectionString),
///     Config = EventHubsKafka.Config(connectionString),
///     Topics = ["clicks"],          // the event hub
///     GroupId = "$Default",         // the consumer group
/// };
/// </code>
/// </example>
public static class EventHubsKafka
{
    /// <summary>The namespace's Kafka endpoint, <c>NAMESPACE.servicebus.windows.net:9093</c>, from a connection string's <c>Endpoint=sb://...</c>.</summary>
    /// <exception cref="ArgumentException">The connection string is not a valid Event Hubs connection string (see <see cref="EventHubsKafkaSettings.Parse"/>).</exception>
    public static string BootstrapServers(string connectionString) => EventHubsKafkaSettings.Parse(connectionString).BootstrapServers;

    /// <summary>
    /// SASL_SSL with PLAIN, user <c>$ConnectionString</c> and the connection string as password, plus the settings Microsoft
    /// recommends for every client (keep-alive, metadata age and idle connections under Azure's 240 s idle cut-off): pass as
    /// <c>Config</c> of a source, sink or producer.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string is not a valid Event Hubs connection string.</exception>
    public static IReadOnlyDictionary<string, string> Config(string connectionString) => EventHubsKafkaSettings.Parse(connectionString).CommonConfig;
}
