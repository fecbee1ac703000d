
namespace StreamKit.TestSupport;

/// <summary>Forwards to another sink and notifies <see cref="Written"/> after each write and flush, so a test waits for output on the event.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class ObservedSink<T>(IRecordSink<T> inner, Pulse written) : IRecordSink<T>
{
    /// <summary>Notified after each <see cref="Write"/> and <see cref="FlushAsync"/> has reached the inner sink.</summary>
    public Pulse Written { get; } = written;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<T> records)
    {
        inner.Write(records);
        Written.Notify();
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await inner.FlushAsync(cancellationToken);
        Written.Notify();
    }
}
