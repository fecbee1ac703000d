using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Polly;
using Polly.Retry;

namespace StreamKit.Kinesis.Internal;

/// <summary>The handful of Kinesis Data Streams calls StreamKit needs, over the JSON 1.1 protocol, SigV4-signed, with retries.</summary>
/// <remarks>
/// Throttling (<c>ProvisionedThroughputExceededException</c>, <c>LimitExceededException</c>), 5xx answers, timeouts and
/// connection failures are retried through a Polly retry pipeline (exponential backoff with jitter, built once per client)
/// up to <see cref="KinesisClientOptions.MaxRetries"/>; every other error throws a <see cref="KinesisException"/> at once.
/// Thread-safe.
/// </remarks>
internal sealed partial class KinesisClient : IDisposable
{
    private const string TargetPrefix = "Kinesis_20131202.";
    private static readonly MediaTypeHeaderValue s_contentType = new("application/x-amz-json-1.1");
    private readonly KinesisClientOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _host;
    private readonly SigV4Signer _signer;
    private readonly SemaphoreSlim _credentialsGate = new(1, 1);
    private readonly ResiliencePipeline<Attempt> _retry;
    private AWSCredentials? _credentials;
    private long _retries;

    public KinesisClient(KinesisClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateClient();
        _options = options;
        var region = options.ResolveRegion()!;
        _endpoint = options.ServiceUrl ?? new Uri($"https://kinesis.{region}.amazonaws.com/");
        _host = _endpoint.IsDefaultPort ? _endpoint.Host : _endpoint.Authority;
        _signer = new SigV4Signer(region, "kinesis");
        _credentials = options.Credentials;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per request, see AttemptAsync
        };
        _retry = RetryPipeline<Attempt>(options, options.MaxRetries, static args => ValueTask.FromResult(args.Outcome.Result.Retryable), _ =>
        {
            Interlocked.Increment(ref _retries);
            return default;
        });
    }

    /// <summary>Requests that were retried (throttled, 5xx, failed to connect), for tests and diagnostics.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>Sends one call and returns its (successful) response body; the caller disposes it.</summary>
    /// <remarks>Per call, the retry pipeline allocates nothing: a pooled context, a static callback and a struct state.</remarks>
    /// <exception cref="KinesisException">The service answered with an error that is not retried, or retries ran out.</exception>
    public async ValueTask<ResponseBuffer> SendAsync(string operation, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var call = new Call(this, operation, TargetPrefix + operation, body, SigV4Signer.HashHex(body.Span));
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        Attempt last;
        try
        {
            last = await _retry.ExecuteAsync(static (context, call) => call.Client.AttemptAsync(call, context.CancellationToken), context, call).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        return last.Response ?? throw last.Failure!;
    }

    /// <summary>
    /// A retry pipeline with the client options' exponential backoff and jitter: Polly's decorrelated jitter around
    /// <see cref="KinesisClientOptions.RetryBaseDelay"/> × 2^retry, capped at <see cref="KinesisClientOptions.RetryMaxDelay"/>,
    /// timed by <see cref="KinesisClientOptions.TimeProvider"/>.
    /// </summary>
    /// <param name="options">The delays and the clock.</param>
    /// <param name="maxRetries">Retries after the first try; 0 gives a pipeline that only runs the callback.</param>
    /// <param name="shouldHandle">Which outcomes are retried.</param>
    /// <param name="onRetry">Called before each retry's delay, or <see langword="null"/>.</param>
    /// <typeparam name="T">The callback's result; annotated as Polly's <c>AddRetry</c> requires (it validates the options through data annotations).</typeparam>
    internal static ResiliencePipeline<T> RetryPipeline<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] T>(
        KinesisClientOptions options,
        int maxRetries,
        Func<RetryPredicateArguments<T>, ValueTask<bool>> shouldHandle,
        Func<OnRetryArguments<T>, ValueTask>? onRetry = null)
    {
        if (maxRetries == 0)
        {
            return ResiliencePipeline<T>.Empty;
        }

        return new ResiliencePipelineBuilder<T> { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions<T>
            {
                ShouldHandle = shouldHandle,
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                OnRetry = onRetry,
            })
            .Build();
    }

    public void Dispose()
    {
        _http.Dispose();
        _credentialsGate.Dispose();
    }

    internal static bool IsRetryable(KinesisException error) =>
        error.StatusCode >= HttpStatusCode.InternalServerError
        || error.ErrorCode is "ProvisionedThroughputExceededException" or "LimitExceededException" or "ThrottlingException" or "KMSThrottlingException" or "InternalFailure" or "ServiceUnavailable";

    /// <summary>One try: the body of a successful answer, or the failure and whether another try may succeed. Throws only when the caller cancels or credentials fail.</summary>
    private async ValueTask<Attempt> AttemptAsync(Call call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var request = await CreateRequestAsync(call.Target, call.Body, call.PayloadHash, cancellationToken).ConfigureAwait(false);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var buffer = await ResponseBuffer.ReadAsync(response.Content, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return new Attempt(buffer, null, Retryable: false);
            }

            using (buffer)
            {
                var failure = ParseError(buffer.Span, response.StatusCode);
                return new Attempt(null, failure, IsRetryable(failure));
            }
        }
        catch (HttpRequestException ex)
        {
            return new Attempt(null, new KinesisException($"{call.Operation} failed: {ex.Message}", ex), Retryable: true);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new Attempt(null, new KinesisException($"{call.Operation} timed out after {_options.RequestTimeout}.", ex), Retryable: true);
        }
    }

    private static KinesisException ParseError(ReadOnlySpan<byte> body, HttpStatusCode status)
    {
        var type = "";
        var message = "";
        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = reader.ValueTextEquals("__type"u8);
                    var isMessage = reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("Message"u8);
                    reader.Read();
                    if (isType && reader.TokenType == JsonTokenType.String)
                    {
                        type = reader.GetString() ?? "";
                    }
                    else if (isMessage && reader.TokenType == JsonTokenType.String)
                    {
                        message = reader.GetString() ?? "";
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = "unparsable error body";
        }

        // The type may carry a namespace: "com.amazonaws.kinesis.v20131202#ExpiredIteratorException".
        var hash = type.LastIndexOf('#');
        if (hash >= 0)
        {
            type = type[(hash + 1)..];
        }

        if (type.Length == 0)
        {
            type = status >= HttpStatusCode.InternalServerError ? "InternalFailure" : "UnknownError";
        }

        return new KinesisException(type, status, message);
    }

    private async ValueTask<HttpRequestMessage> CreateRequestAsync(string target, ReadOnlyMemory<byte> body, string payloadHash, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(cancellationToken).ConfigureAwait(false);
        var amzDate = SigV4Signer.AmzDate(_options.TimeProvider.GetUtcNow());
        var token = credentials.UseToken ? credentials.Token : null;
        KeyValuePair<string, string>[] headers = token is null
            ?
            [
                new("content-type", "application/x-amz-json-1.1"),
                new("host", _host),
                new("x-amz-date", amzDate),
                new("x-amz-target", target),
            ]
            :
            [
                new("content-type", "application/x-amz-json-1.1"),
                new("host", _host),
                new("x-amz-date", amzDate),
                new("x-amz-security-token", token),
                new("x-amz-target", target),
            ];
        var authorization = _signer.Authorize("POST", "/", "", headers, payloadHash, amzDate, credentials.AccessKey, credentials.SecretKey);

        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = s_contentType;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", token);
        }

        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private async ValueTask<ImmutableCredentials> CredentialsAsync(CancellationToken cancellationToken)
    {
        // Resolved on first use (not at construction: a cold start should not wait for instance metadata before it
        // needs to); AWSSDK.Core's refreshing credentials renew themselves before they expire.
        var credentials = Volatile.Read(ref _credentials);
        if (credentials is null)
        {
            await _credentialsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                credentials = _credentials ??= await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().ConfigureAwait(false);
            }
            finally
            {
                _credentialsGate.Release();
            }
        }

        return await credentials.GetCredentialsAsync().ConfigureAwait(false);
    }

    /// <summary>What every try of one call needs; a struct, so the pipeline's state costs no allocation.</summary>
    private readonly record struct Call(KinesisClient Client, string Operation, string Target, ReadOnlyMemory<byte> Body, string PayloadHash);

    /// <summary>One try's outcome. Failures are results, not exceptions, so a throttled call throws nothing until retries run out.</summary>
    private readonly record struct Attempt(ResponseBuffer? Response, KinesisException? Failure, bool Retryable);
}
