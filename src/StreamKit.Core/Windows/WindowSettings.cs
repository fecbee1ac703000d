using StreamKit.Operators;
using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>Settings every window operator shares.</summary>
/// <remarks><c>ExpectedKeys</c> is the user's capacity hint: distinct keys per window (0: none), see <c>WindowedPipelineBuilder.ExpectedKeys</c>.</remarks>
internal sealed record WindowSettings<T>(LateEventPolicy Policy, long AllowedLatenessMs, IRecordSink<T>? LateSink, PipelineCounters Counters, int ExpectedKeys = 0)
{
    /// <summary>The initial capacity of a keyed table: the hint, or a small default that grows.</summary>
    public int TableCapacity => ExpectedKeys > 0 ? ExpectedKeys : 16;

    /// <summary>How long a fired window's state is kept for late updates: only the update policy uses it.</summary>
    public long RetentionMs => Policy == LateEventPolicy.Update ? AllowedLatenessMs : 0;

    /// <summary>The late-event policy as a snapshot's pipeline definition records it, so a restore under another policy is refused.</summary>
    public string LatePolicyDescription => Policy == LateEventPolicy.Update
        ? $"update, allowed lateness {SnapshotFormat.Milliseconds(AllowedLatenessMs)}"
        : Policy == LateEventPolicy.SideOutput ? "side output" : "drop";
}

/// <summary>Events no window can take any more: counted, then sent to the late sink or dropped, per the policy.</summary>
/// <remarks>Buffers the batch's late events and hands them on in one call per batch.</remarks>
internal sealed class LateEvents<T>(WindowSettings<T> settings)
{
    private readonly OutputBuffer<T> _buffer = new();
    private readonly SinkOperator<T>? _sink = settings is { Policy: LateEventPolicy.SideOutput, LateSink: { } sink }
        ? new SinkOperator<T>(sink, settings.Counters, countOutput: false)
        : null;

    public void Reject(in T item, long time)
    {
        settings.Counters.LateEvents++;
        if (_sink is not null)
        {
            _buffer.Add(item, time);
        }
        else
        {
            settings.Counters.LateDropped++;
        }
    }

    public void Flush()
    {
        if (_sink is not null)
        {
            _buffer.FlushTo(_sink);
        }
    }
}
