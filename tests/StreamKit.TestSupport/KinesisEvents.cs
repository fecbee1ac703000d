using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace StreamKit.TestSupport;

/// <summary>Kinesis events as the Lambda platform sends them, made from clickstream JSON lines: one shard, base64 data, 56-digit sequence numbers.</summary>
public static class KinesisEvents
{
    public const string ShardId = "shardId-000000000000";
    private const string StreamArn = "arn:aws:kinesis:us-east-1:123456789012:stream/clickstream";

    /// <summary>The first <paramref name="count"/> lines of the sample's data set.</summary>
    public static List<string> ReadEvents(int count)
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Data", "events.jsonl.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var lines = new List<string>(count);
        while (lines.Count < count && reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>The sequence number of the record at <paramref name="index"/> in the shard: 56 digits, increasing.</summary>
    public static string SequenceNumber(int index) =>
        "4959" + (1_000_000_000_000L + index).ToString("D52", CultureInfo.InvariantCulture);

    /// <summary>A Kinesis event with the records <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive) of <paramref name="lines"/>.</summary>
    public static byte[] Create(IReadOnlyList<string> lines, int from, int to)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            for (var i = from; i < to; i++)
            {
                var sequence = SequenceNumber(i);
                json.WriteStartObject();
                json.WriteStartObject("kinesis");
                json.WriteString("kinesisSchemaVersion", "1.0");
                json.WriteString("partitionKey", "user-" + (i % 97).ToString(CultureInfo.InvariantCulture));
                json.WriteString("sequenceNumber", sequence);
                json.WriteBase64String("data", Encoding.UTF8.GetBytes(lines[i]));

                // Arrival time: seconds with milliseconds, as the platform writes it.
                json.WriteNumber("approximateArrivalTimestamp", (1_767_225_600_000L + (i * 10L)) / 1000m);
                json.WriteEndObject();
                json.WriteString("eventSource", "aws:kinesis");
                json.WriteString("eventVersion", "1.0");
                json.WriteString("eventID", ShardId + ":" + sequence);
                json.WriteString("eventName", "aws:kinesis:record");
                json.WriteString("invokeIdentityArn", "arn:aws:iam::123456789012:role/lambda-role");
                json.WriteString("awsRegion", "us-east-1");
                json.WriteString("eventSourceARN", StreamArn);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
