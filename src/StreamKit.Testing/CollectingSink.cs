
namespace StreamKit.Testing;

/// <summary>A sink that keeps every record written to it, for assertions.</summary>
/// <remarks>
/// <see cref="Records"/> holds what was written; <see cref="Flushed"/> only what was written before the last
/// <see cref="FlushAsync"/>, which is what a durable sink would still have after a crash. Not thread-safe.
/// </remarks>
public sealed class CollectingSink<T> : IRecordSink<T>
{
    private readonly List<T> _records = [];
    private int _flushed;

    /// <summary>Everything written so far, in order.</summary>
    public IReadOnlyList<T> Records => _records;

    /// <summary>What had been written when the sink was last flushed.</summary>
    public IReadOnlyList<T> Flushed => _records.GetRange(0, _flushed);

    /// <summary>How many times the sink was flushed.</summary>
    public int FlushCount { get; private set; }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<T> records)
    {
        foreach (var record in records)
        {
            _records.Add(record);
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        _flushed = _records.Count;
        FlushCount++;
        return ValueTask.CompletedTask;
    }

    /// <summary>Forgets what was written but not flushed, as a crash would.</summary>
    public void DropUnflushed() => _records.RemoveRange(_flushed, _records.Count - _flushed);

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        _records.Clear();
        _flushed = 0;
    }
}
