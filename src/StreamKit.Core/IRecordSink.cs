namespace StreamKit;

/// <summary>Receives a pipeline's output records.</summary>
/// <remarks>
/// <see cref="Write"/> is called on the processing thread with a span that is only valid during the call: copy or
/// encode what you need. Buffer writes and make them durable in <see cref="FlushAsync"/>; the runner flushes
/// before every checkpoint, so a position is committed only after the output derived from it is durable.
/// </remarks>
/// <typeparam name="T">The output record type.</typeparam>
public interface IRecordSink<T>
{
    /// <summary>Takes a batch of output records.</summary>
    void Write(ReadOnlySpan<T> records);

    /// <summary>Makes everything written so far durable (or throws).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
