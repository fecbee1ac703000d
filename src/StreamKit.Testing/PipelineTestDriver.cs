using System.Buffers;
using StreamKit.Pipeline;
using StreamKit.State;

namespace StreamKit.Testing;

/// <summary>Drives a <see cref="Pipeline{T}"/> by hand: batches with chosen timestamps and partitions, watermarks, virtual time, snapshots.</summary>
/// <remarks>
/// <para>Build the pipeline through the driver's constructor so it runs on the driver's <see cref="ManualTimeProvider"/>
/// (or pass a pipeline built with <see cref="PipelineOptions.TimeProvider"/> set to that same clock), and give it a
/// <see cref="CollectingSink{T}"/> to see what it emits.</para>
/// <para>Records are copied before processing, so the spans passed in are left as they were. Not thread-safe.</para>
/// </remarks>
/// <example>
/// <code>
/// var sink = new CollectingSink&lt;WindowResult&lt;int, long&gt;&gt;();
/// var driver = new PipelineTestDriver&lt;Click&gt;(options => StreamPipeline.Create&lt;Click&gt;(static c => c.Ts, options)
///     .KeyBy(static c => c.PageId).Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1))).Aggregate(static a => a.Count()).To(sink));
/// driver.Push([new Click { Ts = 1_000, PageId = 7 }]);
/// driver.AdvanceWatermark(60_000); // fires [0, 60 000)
/// </code>
/// </example>
/// <typeparam name="T">The pipeline's input record type.</typeparam>
public sealed class PipelineTestDriver<T>
    where T : struct
{
    private T[] _records = new T[16];
    private long[] _timestamps = new long[16];

    /// <summary>Builds a pipeline on a new virtual clock and wraps it.</summary>
    /// <param name="build">Builds the pipeline from the options it is given (their clock is <see cref="Time"/>).</param>
    /// <param name="options">Event-time settings; their <see cref="PipelineOptions.TimeProvider"/> is replaced by <see cref="Time"/>.</param>
    /// <param name="time">The clock to use; a new one by default.</param>
    public PipelineTestDriver(Func<PipelineOptions, Pipeline<T>> build, PipelineOptions? options = null, ManualTimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        Time = time ?? new ManualTimeProvider();
        options ??= new PipelineOptions();
        options.TimeProvider = Time;
        Pipeline = build(options);
    }

    /// <summary>Wraps a built pipeline.</summary>
    /// <param name="pipeline">The pipeline; it must have been built with <paramref name="time"/> as its clock for <see cref="AdvanceTime"/> to mean anything.</param>
    /// <param name="time">The pipeline's clock.</param>
    public PipelineTestDriver(Pipeline<T> pipeline, ManualTimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(time);
        Pipeline = pipeline;
        Time = time;
    }

    /// <summary>The pipeline being driven.</summary>
    public Pipeline<T> Pipeline { get; }

    /// <summary>The virtual wall clock (idle timeouts).</summary>
    public ManualTimeProvider Time { get; }

    /// <summary>The pipeline's current watermark in epoch milliseconds.</summary>
    public long Watermark => Pipeline.Watermark;

    /// <summary>The pipeline's counters.</summary>
    public PipelineCounters Counters => Pipeline.Counters;

    /// <summary>Processes one batch, taking event time from the pipeline's event-time selector.</summary>
    /// <param name="records">The batch.</param>
    /// <param name="partition">The source partition (0, 1, 2…); each has its own watermark.</param>
    public void Push(ReadOnlySpan<T> records, int partition = 0)
    {
        if (!Pipeline.HasEventTimeSelector)
        {
            throw new InvalidOperationException("The pipeline has no event-time selector: push records with their timestamps.");
        }

        var copy = Copy(records);
        Pipeline.Process(copy, partition);
    }

    /// <summary>Processes one batch with explicit event timestamps, whatever the pipeline's selector says.</summary>
    /// <param name="records">The batch.</param>
    /// <param name="timestamps">Each record's event time in epoch milliseconds.</param>
    /// <param name="partition">The source partition (0, 1, 2…); each has its own watermark.</param>
    public void Push(ReadOnlySpan<T> records, ReadOnlySpan<long> timestamps, int partition = 0)
    {
        if (timestamps.Length != records.Length)
        {
            throw new ArgumentException("One timestamp per record is required.", nameof(timestamps));
        }

        var copy = Copy(records);
        var times = _timestamps.AsSpan(0, timestamps.Length);
        timestamps.CopyTo(times);
        Pipeline.Process(copy, times, partition);
    }

    /// <summary>Processes a batch of one record with an explicit event timestamp.</summary>
    public void Push(T record, long timestamp, int partition = 0) => Push([record], [timestamp], partition);

    /// <summary>Moves the watermark to <paramref name="watermark"/> (never back), firing the windows it closes.</summary>
    public void AdvanceWatermark(long watermark) => Pipeline.AdvanceWatermark(watermark);

    /// <summary>Moves the watermark to <paramref name="watermark"/> (never back), firing the windows it closes.</summary>
    public void AdvanceWatermark(DateTimeOffset watermark) => Pipeline.AdvanceWatermark(watermark.ToUnixTimeMilliseconds());

    /// <summary>Moves the wall clock on by <paramref name="delta"/> and lets the pipeline re-evaluate idle partitions, as an empty poll would.</summary>
    public void AdvanceTime(TimeSpan delta)
    {
        Time.Advance(delta);
        Pipeline.Tick();
    }

    /// <summary>Ends the input: every open window fires.</summary>
    public void Complete() => Pipeline.Complete();

    /// <summary>Flushes the pipeline's sinks.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => Pipeline.FlushAsync(cancellationToken);

    /// <summary>Takes a snapshot of the pipeline's state, as a checkpoint would store it.</summary>
    public byte[] Snapshot()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Pipeline.WriteState(new StateWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Replaces the pipeline's state with <paramref name="snapshot"/>, taken by <see cref="Snapshot"/> from a pipeline built the same way.</summary>
    /// <exception cref="InvalidDataException">The snapshot is corrupt or from a different pipeline.</exception>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var reader = new StateReader(snapshot);
        Pipeline.ReadState(ref reader);
        if (!reader.IsEmpty)
        {
            throw new InvalidDataException("The snapshot has bytes left over: it was taken from a different pipeline.");
        }
    }

    private Span<T> Copy(ReadOnlySpan<T> records)
    {
        if (_records.Length < records.Length)
        {
            var size = Math.Max(records.Length, _records.Length * 2);
            _records = new T[size];
            _timestamps = new long[size];
        }

        var copy = _records.AsSpan(0, records.Length);
        records.CopyTo(copy);
        return copy;
    }
}
