namespace StreamKit.Runtime;

/// <summary>Receives records that failed to decode or process, so that bad input is kept, not lost.</summary>
/// <remarks>
/// Called on the processing thread; copy what you keep, the spans die with the call. Make writes durable in
/// <see cref="FlushAsync"/>: the runner flushes before each checkpoint, so a dead letter is never committed past
/// without being stored.
/// </remarks>
public interface IDeadLetterSink
{
    /// <summary>Takes one dead letter.</summary>
    void Write(in DeadLetter letter);

    /// <summary>Makes everything written so far durable (or throws).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
