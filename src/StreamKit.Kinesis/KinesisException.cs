using System.Net;

namespace StreamKit.Kinesis;

/// <summary>Kinesis answered a request with an error (after any retries).</summary>
/// <remarks><see cref="ErrorCode"/> is the service's error type, e.g. <c>ResourceNotFoundException</c>.</remarks>
public sealed class KinesisException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KinesisException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public KinesisException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public KinesisException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a service error.</summary>
    /// <param name="errorCode">The error type the service sent (<c>__type</c>, without its namespace).</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="message">The service's message.</param>
    public KinesisException(string errorCode, HttpStatusCode statusCode, string message)
        : base($"{errorCode} ({(int)statusCode}): {message}")
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
    }

    /// <summary>The service's error type (e.g. <c>ExpiredIteratorException</c>), or empty when the request never got an answer.</summary>
    public string ErrorCode { get; } = "";

    /// <summary>The HTTP status, or 0 when the request never got an answer.</summary>
    public HttpStatusCode StatusCode { get; }
}
