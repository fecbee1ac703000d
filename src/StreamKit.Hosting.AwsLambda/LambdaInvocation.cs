namespace StreamKit.Hosting.AwsLambda;

/// <summary>One invocation as the Lambda Runtime API hands it over: the event's raw JSON and the headers that come with it.</summary>
/// <param name="RequestId">The <c>Lambda-Runtime-Aws-Request-Id</c>: the id the response or error is posted under.</param>
/// <param name="Deadline">From <c>Lambda-Runtime-Deadline-Ms</c>: when the platform stops the invocation.</param>
/// <param name="FunctionArn">The <c>Lambda-Runtime-Invoked-Function-Arn</c>, or <see langword="null"/> when invoked locally.</param>
/// <param name="TraceId">The <c>Lambda-Runtime-Trace-Id</c> (X-Ray), or <see langword="null"/>.</param>
/// <param name="Event">The event's UTF-8 JSON, valid until the handler returns.</param>
public sealed record LambdaInvocation(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId, ReadOnlyMemory<byte> Event);
