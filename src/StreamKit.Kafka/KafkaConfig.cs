using System.Globalization;

namespace StreamKit.Kafka;

/// <summary>Builds librdkafka configurations: StreamKit's defaults, then the user's settings, then the settings StreamKit cannot work without.</summary>
internal static class KafkaConfig
{
    public static Dictionary<string, string> Build(
        IReadOnlyDictionary<string, string> defaults,
        IReadOnlyDictionary<string, string>? user,
        IReadOnlyDictionary<string, string> required)
    {
        var config = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
        if (user is not null)
        {
            foreach (var (key, value) in user)
            {
                if (required.TryGetValue(key, out var fixedValue) && !string.Equals(fixedValue, value, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"'{key}' must be '{fixedValue}' for StreamKit (given '{value}').", nameof(user));
                }

                config[key] = value;
            }
        }

        foreach (var (key, value) in required)
        {
            config[key] = value;
        }

        return config;
    }

    public static string Milliseconds(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}

/// <summary>Settings for Azure Event Hubs' Kafka endpoint (Standard tier or higher).</summary>
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
    /// <exception cref="ArgumentException">The connection string has no <c>Endpoint</c>.</exception>
    public static string BootstrapServers(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part.AsSpan(0, equals).Trim().Equals("Endpoint", StringComparison.OrdinalIgnoreCase)
                && Uri.TryCreate(part[(equals + 1)..].Trim(), UriKind.Absolute, out var endpoint))
            {
                return endpoint.Host + ":9093";
            }
        }

        throw new ArgumentException("The connection string has no 'Endpoint=sb://NAMESPACE.servicebus.windows.net/'.", nameof(connectionString));
    }

    /// <summary>SASL_SSL with PLAIN, user <c>$ConnectionString</c> and the connection string as password: pass as <c>Config</c> of a source, sink or producer.</summary>
    public static IReadOnlyDictionary<string, string> Config(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "PLAIN",
            ["sasl.username"] = "$ConnectionString",
            ["sasl.password"] = connectionString,
        };
    }
}
