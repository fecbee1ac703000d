using Amazon.Runtime;

namespace StreamKit.Kinesis;

/// <summary>How StreamKit reaches Kinesis Data Streams: region, endpoint, credentials and retries.</summary>
/// <remarks>
/// Shared by <see cref="KinesisSourceOptions"/> and <see cref="KinesisSinkOptions{T}"/>. Requests use the service's
/// JSON protocol (<c>application/x-amz-json-1.1</c>) over HTTPS, signed with Signature Version 4.
/// </remarks>
public class KinesisClientOptions
{
    /// <summary>The AWS region, e.g. <c>eu-west-1</c>.</summary>
    /// <value>Defaults to <c>AWS_REGION</c>, then <c>AWS_DEFAULT_REGION</c> (Lambda sets the first).</value>
    public string? Region { get; set; }

    /// <summary>The endpoint to call instead of <c>https://kinesis.{region}.amazonaws.com</c>: an emulator, a VPC endpoint.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Credentials to sign with; <see langword="null"/> uses AWSSDK.Core's default chain.</summary>
    /// <remarks>
    /// The default chain looks at environment variables (what Lambda provides), the shared profile, the container
    /// (ECS/EKS) endpoint and EC2 instance metadata; it is resolved on the first request, not at construction, and
    /// refreshing credentials (instance, container, assumed roles) are renewed by AWSSDK.Core before they expire.
    /// </remarks>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>How many times a throttled (<c>ProvisionedThroughputExceededException</c>, <c>LimitExceededException</c>), 5xx, timed-out or failed-to-connect request is retried before it throws.</summary>
    /// <remarks>Polly's <c>RetryStrategyOptions.MaxRetryAttempts</c>; 0 turns retries off.</remarks>
    /// <value>Defaults to 10.</value>
    public int MaxRetries { get; set; } = 10;

    /// <summary>The typical delay before the first retry; each further retry doubles it up to <see cref="RetryMaxDelay"/>, with jitter.</summary>
    /// <remarks>
    /// Polly's exponential backoff with jitter (<c>Delay</c> with <c>BackoffType = Exponential</c>, <c>UseJitter = true</c>):
    /// decorrelated jitter whose median before retry n is about this × 2^(n-1), so clients throttled together spread out.
    /// Used for failed requests and for PutRecords entries the service reported failed.
    /// </remarks>
    /// <value>Defaults to 100 ms.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between retries (Polly's <c>MaxDelay</c>).</summary>
    /// <value>Defaults to 5 seconds; at most one day.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one HTTP request may take.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for request dates and the retry pipelines' delays; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void ValidateClient()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero, nameof(RetryBaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryBaseDelay, nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RetryMaxDelay, TimeSpan.FromDays(1), nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        if (ResolveRegion() is null)
        {
            throw new ArgumentException("Set KinesisClientOptions.Region (or AWS_REGION).", nameof(Region));
        }
    }

    internal string? ResolveRegion() =>
        Region is { Length: > 0 } region ? region
        : Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } fromEnv ? fromEnv
        : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is { Length: > 0 } fromDefault ? fromDefault
        : null;
}
