using System.Buffers;

namespace StreamKit.Hosting.AwsLambda;

/// <summary>One invocation as the Lambda Runtime API hands it over: the event's raw JSON and the headers that come with it.</summary>
/// <param name="RequestId">The <c>Lambda-Runtime-Aws-Request-Id</c>: the id the response or error is posted under.</param>
/// <param name="Deadline">From <c>Lambda-Runtime-Deadline-Ms</c>: when the platform stops the invocation.</param>
/// <param name="FunctionArn">The <c>Lambda-Runtime-Invoked-Function-Arn</c>, or <see langword="null"/> when invoked locally.</param>
/// <param name="TraceId">The <c>Lambda-Runtime-Trace-Id</c> (X-Ray), or <see langword="null"/>.</param>
/// <param name="Event">The event's UTF-8 JSON, valid until the handler returns.</param>
public sealed record LambdaInvocation(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId, ReadOnlyMemory<byte> Event);

/// <summary>Handles one Lambda invocation: reads the event, writes the JSON response.</summary>
/// <remarks>
/// The runtime loop calls it once per invocation, never concurrently (Lambda gives an instance one invocation at a
/// time), and reuses the instance across warm invocations: build expensive things (pipelines, clients) once, in the
/// handler's constructor. An exception is reported to the platform as an invocation error, which retries the whole
/// event.
/// </remarks>
public interface ILambdaHandler
{
    /// <summary>Handles <paramref name="invocation"/>, writing the response body (UTF-8 JSON) to <paramref name="response"/>.</summary>
    ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default);
}
