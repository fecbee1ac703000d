using System.Buffers;

namespace StreamKit.Hosting.AwsLambda;

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
