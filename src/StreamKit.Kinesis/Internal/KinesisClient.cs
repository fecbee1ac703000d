using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace StreamKit.Kinesis.Internal;

/// <summary>The handful of Kinesis Data Streams calls StreamKit needs, over the JSON 1.1 protocol, SigV4-signed, with retries.</summary>
/// <remarks>
/// Throttling (<c>ProvisionedThroughputExceededException</c>, <c>LimitExceededException</c>), 5xx answers, timeouts and
/// connection failures are retried with exponential backoff and jitter up to <see cref="KinesisClientOptions.MaxRetries"/>;
/// every other error throws a <see cref="KinesisException"/> at once. Thread-safe.
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
            Timeout = Timeout.InfiniteTimeSpan, // per request, see SendAsync
        };
    }

    /// <summary>Requests that were retried (throttled, 5xx, failed to connect), for tests and diagnostics.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>Sends one call and returns its (successful) response body; the caller disposes it.</summary>
    /// <exception cref="KinesisException">The service answered with an error that is not retried, or retries ran out.</exception>
    public async ValueTask<ResponseBuffer> SendAsync(string operation, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var target = TargetPrefix + operation;
        var payloadHash = SigV4Signer.HashHex(body.Span);
        for (var attempt = 0; ; attempt++)
        {
            KinesisException failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    using var request = await CreateRequestAsync(target, body, payloadHash, cancellationToken).ConfigureAwait(false);
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    var buffer = await ResponseBuffer.ReadAsync(response.Content, timeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return buffer;
                    }

                    using (buffer)
                    {
                        failure = ParseError(buffer.Span, response.StatusCode);
                    }

                    if (!IsRetryable(failure))
                    {
                        throw failure;
                    }
                }
                catch (HttpRequestException ex)
                {
                    failure = new KinesisException($"{operation} failed: {ex.Message}", ex);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new KinesisException($"{operation} timed out after {_options.RequestTimeout}.", ex);
                }
            }

            if (attempt >= _options.MaxRetries)
            {
                throw failure;
            }

            Interlocked.Increment(ref _retries);
            await Task.Delay(Backoff(attempt), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Exponential backoff with jitter: a random delay in the upper half of min(max, base × 2^attempt).</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.RetryMaxDelay.TotalMilliseconds, _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    public void Dispose()
    {
        _http.Dispose();
        _credentialsGate.Dispose();
    }

    internal static bool IsRetryable(KinesisException error) =>
        error.StatusCode >= HttpStatusCode.InternalServerError
        || error.ErrorCode is "ProvisionedThroughputExceededException" or "LimitExceededException" or "ThrottlingException" or "KMSThrottlingException" or "InternalFailure" or "ServiceUnavailable";

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
}
