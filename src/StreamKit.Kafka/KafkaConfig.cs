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
