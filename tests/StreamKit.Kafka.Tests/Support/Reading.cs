using System.Buffers;
using System.Buffers.Text;
using StreamKit.Codecs;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Kafka.Tests.Support;

/// <summary>The tests' own small record: a sensor reading.</summary>
public struct Reading
{
    public long Ts;
    public int Sensor;
    public long Value;

    public static RecordMap<Reading> Map { get; } = new RecordMap<Reading>()
        .TimestampMillis("ts", static (ref Reading r, long v) => r.Ts = v, static (in Reading r) => r.Ts)
        .Int32("sensor", static (ref Reading r, int v) => r.Sensor = v, static (in Reading r) => r.Sensor)
        .Int64("value", static (ref Reading r, long v) => r.Value = v, static (in Reading r) => r.Value);

    public static string Json(long ts, int sensor, long value) => $"{{\"ts\":{ts},\"sensor\":{sensor},\"value\":{value}}}";

    /// <summary>The sensor id as decimal text: the key the sink tests write.</summary>
    public static void WriteKey(in Reading r, IBufferWriter<byte> key)
    {
        Utf8Formatter.TryFormat(r.Sensor, key.GetSpan(11), out var written);
        key.Advance(written);
    }
}

/// <summary>Collects records; for one runner's thread.</summary>
public sealed class ListSink<T> : IRecordSink<T>
{
    public List<T> Items { get; } = [];

    public void Write(ReadOnlySpan<T> records) => Items.AddRange(records);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>Keeps dead letters in memory.</summary>
public sealed class ListDeadLetters : IDeadLetterSink
{
    public List<(string Partition, long Position, string Reason)> Items { get; } = [];

    public void Write(in DeadLetter letter) => Items.Add((letter.Partition, letter.Position, letter.Reason));

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
