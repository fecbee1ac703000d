namespace StreamKit.Hosting.AzureFunctions;

/// <summary>How an <see cref="AzureFunctionsRunner{T}"/> budgets an invocation and where it puts the records it could not process.</summary>
public sealed class AzureFunctionsRunnerOptions
{
    /// <summary>The function's timeout: <c>functionTimeout</c> in host.json.</summary>
    /// <remarks>
    /// The deadline is the time the runner is called plus this; records are taken until
    /// <see cref="Runtime.InvocationRunnerOptions.DeadlineMargin"/> before it, and the rest are dead-lettered. The host starts its
    /// clock a little before the function body runs, so keep the margin above that gap (and above a checkpoint's duration).
    /// </remarks>
    /// <value>Defaults to 5 minutes, the Consumption plan's default.</value>
    public TimeSpan FunctionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock the deadline is computed from; give it the same instance as <see cref="Runtime.InvocationRunnerOptions.TimeProvider"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The source name written on the dead letters this runner writes itself (records past the deadline or in a failed invocation).</summary>
    /// <value>Defaults to <c>azure-functions</c>.</value>
    public string DeadLetterSource { get; set; } = "azure-functions";
}
