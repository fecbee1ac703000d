namespace StreamKit.State;

/// <summary>Another writer saved the same state key since this one loaded it.</summary>
public sealed class StateConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateConflictException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StateConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public StateConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
