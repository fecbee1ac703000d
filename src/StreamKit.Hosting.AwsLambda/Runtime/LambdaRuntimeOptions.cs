namespace StreamKit.Hosting.AwsLambda.Runtime;

/// <summary>Where <see cref="LambdaRuntime"/> finds the Lambda Runtime API.</summary>
public sealed class LambdaRuntimeOptions
{
    /// <summary>The Runtime API's <c>host:port</c>.</summary>
    /// <remarks>Lambda sets <c>AWS_LAMBDA_RUNTIME_API</c> in the execution environment; set this only to point the loop at another endpoint (a local emulator, a test server).</remarks>
    /// <value>Defaults to the <c>AWS_LAMBDA_RUNTIME_API</c> environment variable.</value>
    public string? RuntimeApi { get; set; }
}
