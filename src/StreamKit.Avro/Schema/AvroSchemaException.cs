namespace StreamKit.Avro.Schema;

/// <summary>Thrown at setup time when a schema is malformed or two schemas cannot be resolved.</summary>
/// <remarks>Never thrown for bad record bytes: the per-record paths report failures with a return value.</remarks>
public sealed class AvroSchemaException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public AvroSchemaException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, naming the offending schema element.</param>
    public AvroSchemaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying failure, such as a JSON syntax error.</param>
    public AvroSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
