using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace AzureFunctions.Clickstream.Tests;

/// <summary>Event Hubs trigger batches (<c>BATCH.json</c>) cut from the sample's data set, as partition "0" of an event hub.</summary>
internal static class BatchFiles
{
    private static readonly DateTimeOffset s_firstEnqueued = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first <paramref name="count"/> lines of <c>samples/Clickstream/Data/events.jsonl.gz</c> (embedded in Clickstream.dll).</summary>
    public static List<string> Events(int count)
    {
        using var resource = typeof(global::Clickstream.ClickEvent).Assembly.GetManifestResourceStream("events.jsonl.gz")!;
        using var reader = new StreamReader(new GZipStream(resource, CompressionMode.Decompress), Encoding.UTF8);
        var lines = new List<string>(count);
        while (lines.Count < count && reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Writes events [<paramref name="from"/>, <paramref name="to"/>) as a batch: sequence number = index + 1000, offset = 64 × sequence number, enqueued 10 ms apart.</summary>
    public static string Write(string path, List<string> events, int from, int to)
    {
        using (var file = File.Create(path))
        using (var json = new Utf8JsonWriter(file))
        {
            json.WriteStartObject();
            json.WriteString("partitionId", "0");
            json.WriteStartArray("events");
            for (var i = from; i < to; i++)
            {
                var sequence = 1000L + i;
                json.WriteStartObject();
                json.WriteBase64String("body", Encoding.UTF8.GetBytes(events[i]));
                json.WriteNumber("sequenceNumber", sequence);
                json.WriteString("offset", (sequence * 64).ToString(System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("enqueuedTimeUtc", s_firstEnqueued.AddMilliseconds(10.0 * i));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return path;
    }

    /// <summary>The events as one JSON lines file, for the file run.</summary>
    public static string WriteLines(string path, List<string> events)
    {
        File.WriteAllText(path, string.Join('\n', events) + "\n");
        return path;
    }
}
