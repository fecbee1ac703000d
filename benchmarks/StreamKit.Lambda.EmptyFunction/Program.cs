using System.Buffers;
using StreamKit.Hosting.AwsLambda;
using StreamKit.Hosting.AwsLambda.Runtime;

// The smallest custom-runtime function: the loop and a handler that answers {}. The cold-start measurement compares
// the clickstream function with it, so the difference is what StreamKit's pipeline, state and adapters add.
await LambdaRuntime.RunAsync(new EmptyHandler());

internal sealed class EmptyHandler : ILambdaHandler
{
    public ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default)
    {
        response.Write("{}"u8);
        return ValueTask.CompletedTask;
    }
}
