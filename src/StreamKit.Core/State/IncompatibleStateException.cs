namespace StreamKit.State;

/// <summary>
/// A stored snapshot cannot be restored into this pipeline: it was written in a snapshot format this build does not
/// read, or by a pipeline with a different definition (windows, lateness, out-of-orderness, key or aggregate).
/// </summary>
/// <remarks>
/// The message names what differs and the way forward: a new state key (and, for Kafka, a new consumer group), or
/// deleting the stored state, then replaying the input from the source. Restoring such state anyway would give wrong
/// numbers, so nothing is restored. A corrupt or truncated snapshot throws <see cref="InvalidDataException"/> instead.
/// </remarks>
public sealed class IncompatibleStateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IncompatibleStateException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public IncompatibleStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public IncompatibleStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
