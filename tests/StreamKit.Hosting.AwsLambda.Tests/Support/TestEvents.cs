using System.Globalization;
using System.Text;

namespace StreamKit.Hosting.AwsLambda.Tests.Support;

/// <summary>The golden payloads and generated events in the platform's shapes.</summary>
internal static class TestEvents
{
    public const string KinesisSequenceBase = "49590338271490256608559692538361571095921575989136";

    public static byte[] Golden(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    public static string Sequence(int i) => KinesisSequenceBase + i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>A Kinesis event of records <paramref name="from"/> to <paramref name="to"/> (exclusive) on one shard.</summary>
    /// <param name="data">The base64 data of record i; defaults to "record i" encoded.</param>
    public static byte[] Kinesis(int from, int to, Func<int, string>? data = null, string shard = "shardId-000000000000")
    {
        var json = new StringBuilder("{\"Records\":[");
        for (var i = from; i < to; i++)
        {
            var text = data?.Invoke(i) ?? Convert.ToBase64String(Encoding.UTF8.GetBytes("record " + i.ToString(CultureInfo.InvariantCulture)));
            json.Append(CultureInfo.InvariantCulture, $$"""
                {"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"user-{{i % 7}}","sequenceNumber":"{{Sequence(i)}}","data":"{{text}}","approximateArrivalTimestamp":1700000000.{{i % 1000:D3}}},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"{{shard}}:{{Sequence(i)}}","eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::123456789012:role/LambdaRole","awsRegion":"us-east-1","eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/clicks"}
                """);
            json.Append(i + 1 < to ? "," : "");
        }

        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }

    /// <summary>An SQS event; a message is (id, body, group or null for a standard queue, sequence number or null).</summary>
    public static byte[] Sqs(params (string Id, string Body, string? Group, string? Sequence)[] messages)
    {
        var json = new StringBuilder("{\"Records\":[");
        for (var i = 0; i < messages.Length; i++)
        {
            var (id, body, group, sequence) = messages[i];
            var fifo = group is null ? "" : $",\"MessageGroupId\":\"{group}\",\"SequenceNumber\":\"{sequence}\",\"MessageDeduplicationId\":\"d{i}\"";
            var queue = group is null ? "clicks" : "clicks.fifo";
            json.Append(CultureInfo.InvariantCulture, $$"""
                {"messageId":"{{id}}","receiptHandle":"handle-{{i}}","body":{{System.Text.Json.JsonSerializer.Serialize(body)}},"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"{{1700000000000 + i}}","SenderId":"AIDAEXAMPLE","ApproximateFirstReceiveTimestamp":"{{1700000000100 + i}}"{{fifo}}},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:{{queue}}","awsRegion":"us-east-1"}
                """);
            json.Append(i + 1 < messages.Length ? "," : "");
        }

        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }
}
