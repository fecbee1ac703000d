using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Windows;

namespace StreamKit.Benchmarks.Variants;

/// <summary>Folds window results into a digest: the cheapest sink, so the benchmark measures the pipeline.</summary>
public sealed class ChecksumSink : IRecordSink<WindowResult<int, long>>, IRecordSink<WindowResult<(long Count, long SumDurationMs)>>
{
    private ResultChecksum _results;

    /// <summary>Everything written so far.</summary>
    public ResultChecksum Results => _results;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<WindowResult<int, long>> records)
    {
        foreach (ref readonly var r in records)
        {
            _results.Add(r.Start, r.End, r.Key, r.Value);
        }
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<WindowResult<(long Count, long SumDurationMs)>> records)
    {
        foreach (ref readonly var r in records)
        {
            _results.Add(0, 0, r.Value.Count, r.Value.SumDurationMs);
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => default;
}

/// <summary>A StreamKit query from <see cref="Queries"/>, built once and fed batch by batch.</summary>
public sealed class StreamKitQuery : BatchedVariant
{
    private readonly Pipeline<ClickEvent> _pipeline;
    private readonly ChecksumSink _sink = new();

    /// <summary>Builds the pipeline <paramref name="build"/> makes over a checksum sink.</summary>
    public StreamKitQuery(ClickData data, Func<ChecksumSink, Pipeline<ClickEvent>> build)
        : base(data) => _pipeline = build(_sink);

    /// <summary>Events the pipeline counted as late.</summary>
    public long Late => _pipeline.Counters.Late;

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        _pipeline.Complete();
        return _sink.Results;
    }

    /// <inheritdoc />
    protected override void OnBatch(Span<ClickEvent> batch) => _pipeline.Process(batch);
}

/// <summary>
/// A StreamKit query built anew for every pass and run over the data once (cold tables), then completed: what a
/// pipeline built per function invocation, or the first minutes after a start, costs compared with the steady
/// state of <see cref="StreamKitQuery"/>.
/// </summary>
public sealed class StreamKitColdQuery(ClickData data, Func<ChecksumSink, Pipeline<ClickEvent>> build) : QueryVariant(data)
{
    private readonly ClickEvent[] _batch = new ClickEvent[Feed.BatchSize];
    private ResultChecksum _results;

    /// <inheritdoc />
    public override void Invoke()
    {
        var sink = new ChecksumSink();
        var pipeline = build(sink);
        var events = Data.Events.AsSpan();
        for (var i = 0; i < events.Length; i += Feed.BatchSize)
        {
            var source = events.Slice(i, Math.Min(Feed.BatchSize, events.Length - i));
            var batch = _batch.AsSpan(0, source.Length);
            Feed.Deliver(source, batch, 0);
            pipeline.Process(batch);
        }

        pipeline.Complete();
        _results.Add(sink.Results);
    }

    /// <inheritdoc />
    public override ResultChecksum Finish() => _results;
}

/// <summary>Q5 with StreamKit: <see cref="JsonLinesDecoder{T}"/> into a batch, then <see cref="Queries.Tumbling"/>.</summary>
public sealed class StreamKitJsonTumbling : QueryVariant
{
    private readonly JsonLinesDecoder<ClickEvent> _decoder = new(ClickEvents.Map);
    private readonly ChecksumSink _sink = new();
    private readonly Pipeline<ClickEvent> _pipeline;
    private readonly ClickEvent[] _batch = new ClickEvent[Feed.BatchSize];
    private long _offset;

    /// <summary>Builds the decoder and the pipeline.</summary>
    public StreamKitJsonTumbling(ClickData data)
        : base(data) => _pipeline = Queries.Tumbling(_sink);

    /// <summary>Lines the decoder rejected.</summary>
    public long Rejected { get; private set; }

    /// <inheritdoc />
    public override void Invoke()
    {
        ReadOnlySpan<byte> input = Data.JsonLines;
        var batch = _batch;
        var offset = _offset;
        var count = 0;
        while (!input.IsEmpty)
        {
            var newline = input.IndexOf((byte)'\n');
            var line = newline < 0 ? input : input[..newline];
            input = newline < 0 ? default : input[(newline + 1)..];
            ref var record = ref batch[count];
            record = default;
            if (_decoder.TryDecode(line, ref record, out _))
            {
                record.Ts += offset;
                if (++count == batch.Length)
                {
                    _pipeline.Process(batch);
                    count = 0;
                }
            }
            else
            {
                Rejected++;
            }
        }

        if (count > 0)
        {
            _pipeline.Process(batch.AsSpan(0, count));
        }

        _offset += Data.PeriodMs;
    }

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        _pipeline.Complete();
        return _sink.Results;
    }
}
