using System.Buffers;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Kinesis.Tests.Support;

/// <summary>The tests' record: a user's n-th click.</summary>
public struct Click
{
    public long Ts;
    public int User;
    public long Seq;

    public static RecordMap<Click> Map { get; } = new RecordMap<Click>()
        .TimestampMillis("ts", static (ref Click c, long v) => c.Ts = v, static (in Click c) => c.Ts)
        .Int32("user", static (ref Click c, int v) => c.User = v, static (in Click c) => c.User)
        .Int64("seq", static (ref Click c, long v) => c.Seq = v, static (in Click c) => c.Seq);

    public static JsonLinesDecoder<Click> Decoder { get; } = new(Map);

    public static JsonLinesEncoder<Click> Encoder { get; } = new(Map);

    public static string Key(int user) => $"user-{user}";

    public static string Json(long ts, int user, long seq) => $"{{\"ts\":{ts},\"user\":{user},\"seq\":{seq}}}";

    /// <summary>Writes <c>user-{User}</c> without allocating.</summary>
    public static void WriteKey(in Click c, IBufferWriter<byte> key)
    {
        var span = key.GetSpan(16);
        "user-"u8.CopyTo(span);
        System.Buffers.Text.Utf8Formatter.TryFormat(c.User, span[5..], out var written);
        key.Advance(5 + written);
    }

    /// <summary><paramref name="count"/> clicks of <paramref name="users"/> users, round-robin, each user's seq counting up from <paramref name="firstSeq"/>.</summary>
    public static List<(string Key, string Data)> Records(int count, int users, long firstSeq = 0)
    {
        var records = new List<(string, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var user = i % users;
            records.Add((Key(user), Json(1_700_000_000_000 + i, user, firstSeq + (i / users))));
        }

        return records;
    }
}

/// <summary>A sink that keeps records, with <see cref="Flushed"/> as what a durable sink would still hold after a crash.</summary>
public sealed class ClickSink : IRecordSink<Click>
{
    private readonly Lock _lock = new();
    private readonly List<Click> _records = [];
    private int _flushed;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public List<Click> Flushed
    {
        get
        {
            lock (_lock)
            {
                return _records.GetRange(0, _flushed);
            }
        }
    }

    public void Write(ReadOnlySpan<Click> records)
    {
        lock (_lock)
        {
            _records.AddRange(records);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _flushed = _records.Count;
        }

        return ValueTask.CompletedTask;
    }

    public void DropUnflushed()
    {
        lock (_lock)
        {
            _records.RemoveRange(_flushed, _records.Count - _flushed);
        }
    }
}
