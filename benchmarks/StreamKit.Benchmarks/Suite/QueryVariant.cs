using Clickstream;
using StreamKit.Benchmarks.Data;

namespace StreamKit.Benchmarks.Suite;

/// <summary>One implementation of one query. A benchmark invocation is one <see cref="Invoke"/>: all the data, once.</summary>
public abstract class QueryVariant(ClickData data)
{
    /// <summary>The input.</summary>
    protected ClickData Data { get; } = data;

    /// <summary>Processes every event of <see cref="Data"/> once.</summary>
    public abstract void Invoke();

    /// <summary>Ends the input: closes every open window and returns the digest of every result since creation.</summary>
    public abstract ResultChecksum Finish();
}

/// <summary>
/// A variant with long-lived state fed batch by batch (hand-written and StreamKit): built once, like a pipeline in a
/// host, and given the data again on every invocation with event time shifted on by <see cref="ClickData.PeriodMs"/>,
/// so the benchmark measures the steady state of an endless stream rather than start-up.
/// </summary>
public abstract class BatchedVariant(ClickData data) : QueryVariant(data)
{
    private readonly ClickEvent[] _batch = new ClickEvent[Feed.BatchSize];
    private long _offset;

    /// <inheritdoc />
    public sealed override void Invoke()
    {
        var events = Data.Events.AsSpan();
        var offset = _offset;
        for (var i = 0; i < events.Length; i += Feed.BatchSize)
        {
            var source = events.Slice(i, Math.Min(Feed.BatchSize, events.Length - i));
            var batch = _batch.AsSpan(0, source.Length);
            Feed.Deliver(source, batch, offset);
            OnBatch(batch);
        }

        _offset += Data.PeriodMs;
    }

    /// <summary>Processes one batch delivered by someone else (a peer that feeds this variant from another thread); may overwrite it.</summary>
    public void Accept(Span<ClickEvent> batch) => OnBatch(batch);

    /// <summary>Processes one delivered batch; may overwrite it.</summary>
    protected abstract void OnBatch(Span<ClickEvent> batch);
}

/// <summary>A variant that computes the whole answer from scratch per invocation (System.Linq, Rx.NET).</summary>
public abstract class WholeInputVariant(ClickData data) : QueryVariant(data)
{
    private ResultChecksum _results;

    /// <inheritdoc />
    public sealed override void Invoke() => Run(Data, ref _results);

    /// <inheritdoc />
    public sealed override ResultChecksum Finish() => _results;

    /// <summary>Computes every result over all of <paramref name="data"/> and adds it to <paramref name="results"/>.</summary>
    protected abstract void Run(ClickData data, ref ResultChecksum results);
}

/// <summary>Window arithmetic shared by the variants (event times are positive epoch milliseconds).</summary>
public static class Windowing
{
    /// <summary>The allowed out-of-orderness of every query: the watermark trails the largest event time by this.</summary>
    public const long MaxOutOfOrderMs = 5_000;

    /// <summary>Q2's tumbling window.</summary>
    public const long MinuteMs = 60_000;

    /// <summary>Q3's window length (its hop is <see cref="MinuteMs"/>).</summary>
    public const long FiveMinutesMs = 300_000;

    /// <summary>Q4's session gap.</summary>
    public const long SessionGapMs = 1_800_000;

    /// <summary>The start of the aligned window or slice of length <paramref name="size"/> holding <paramref name="ts"/>.</summary>
    public static long Floor(long ts, long size) => ts - (ts % size);
}
