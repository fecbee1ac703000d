using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace StreamKit.Hosting.AwsLambda.Runtime;

/// <summary>
/// A custom-runtime loop over the Lambda Runtime API: asks for the next invocation, hands it to an
/// <see cref="ILambdaHandler"/>, posts its response or its error, and repeats for as long as the instance lives.
/// </summary>
/// <remarks>
/// <para>With it a function runs on the <c>provided.al2023</c> runtime (an executable named <c>bootstrap</c>, or a
/// <c>bootstrap</c> script that starts one) without any Amazon.Lambda package. The handler is built once per process
/// and every warm invocation reuses it, so pipelines, state caches and clients survive between invocations.</para>
/// <para>Per invocation the loop reads the event into one reused buffer and the handler writes its response into
/// another; what remains allocated is what <see cref="HttpClient"/> needs for two requests, the request id and the
/// <see cref="LambdaInvocation"/>.</para>
/// <para>Invocations are handled one at a time, as Lambda hands them to an instance. The loop stops when the token is
/// cancelled (tests, local runs) or when the Runtime API answers with an error status (it then throws: the platform
/// expects the runtime process to exit).</para>
/// </remarks>
public static class LambdaRuntime
{
    /// <summary>The error type reported for exceptions the handler does not handle, as in the Runtime API's examples.</summary>
    private const string UnhandledErrorType = "Unhandled";
    private const string ApiVersion = "2018-06-01";
    private const string TraceIdVariable = "_X_AMZN_TRACE_ID";
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    /// <summary>Runs the loop with an already built handler until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="handler">Handles every invocation of this process.</param>
    /// <param name="options">Where the Runtime API is; defaults to <c>AWS_LAMBDA_RUNTIME_API</c>.</param>
    /// <param name="cancellationToken">Stops the loop; the invocation in progress is cancelled and not answered.</param>
    /// <exception cref="InvalidOperationException">No Runtime API address is configured.</exception>
    /// <exception cref="HttpRequestException">The Runtime API answered with an error status: exit the process.</exception>
    public static Task RunAsync(ILambdaHandler handler, LambdaRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return RunAsync(() => handler, options, cancellationToken);
    }

    /// <summary>Builds the handler, reporting a failure as an initialization error, then runs the loop until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="createHandler">Builds the handler once for the process (read configuration, build the pipeline).</param>
    /// <param name="options">Where the Runtime API is; defaults to <c>AWS_LAMBDA_RUNTIME_API</c>.</param>
    /// <param name="cancellationToken">Stops the loop; the invocation in progress is cancelled and not answered.</param>
    /// <remarks>
    /// An exception from <paramref name="createHandler"/> is posted to <c>/runtime/init/error</c> and then rethrown:
    /// the platform fails the pending invocation with it and expects the process to exit. Use this overload whenever
    /// building the handler can fail (missing configuration, an unreachable store) so the cause shows in the
    /// invocation's error rather than as a bare process exit.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No Runtime API address is configured.</exception>
    /// <exception cref="HttpRequestException">The Runtime API answered with an error status: exit the process.</exception>
    public static async Task RunAsync(Func<ILambdaHandler> createHandler, LambdaRuntimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createHandler);
        var api = options?.RuntimeApi ?? Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
        if (string.IsNullOrEmpty(api))
        {
            throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: the loop runs inside Lambda, or against an endpoint set in LambdaRuntimeOptions.RuntimeApi.");
        }

        using var client = new RuntimeApiClient(api);
        ILambdaHandler handler;
        try
        {
            handler = createHandler();
        }
        catch (Exception e)
        {
            await client.PostErrorAsync("init/error", e, cancellationToken).ConfigureAwait(false);
            throw;
        }

        await client.LoopAsync(handler, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The HTTP side: one connection to the Runtime API, the event and response buffers, reused for every invocation.</summary>
    private sealed class RuntimeApiClient : IDisposable
    {
        private readonly HttpClient _http;
        private readonly string _prefix;
        private readonly Uri _next;
        private readonly ArrayBufferWriter<byte> _response = new(16 * 1024);
        private byte[] _event = ArrayPool<byte>.Shared.Rent(256 * 1024);

        public RuntimeApiClient(string api)
        {
            // No proxy (the API is local, and looking proxies up costs start-up time), no cookies, no redirects; the
            // long poll for the next invocation may wait for minutes while the instance is frozen, so no timeout.
            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            };
            _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            _prefix = $"http://{api}/{ApiVersion}/runtime/";
            _next = new Uri(_prefix + "invocation/next");
        }

        public async Task LoopAsync(ILambdaHandler handler, CancellationToken cancellationToken)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var invocation = await NextAsync(cancellationToken).ConfigureAwait(false);
                    _response.ResetWrittenCount();
                    try
                    {
                        await handler.HandleAsync(invocation, _response, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        await PostErrorAsync("invocation/" + invocation.RequestId + "/error", e, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    await PostAsync("invocation/" + invocation.RequestId + "/response", _response.WrittenMemory, errorType: null, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // stopped: the invocation in progress, if any, is left unanswered
            }
        }

        public async Task PostErrorAsync(string path, Exception exception, CancellationToken cancellationToken)
        {
            _response.ResetWrittenCount();
            WriteError(_response, exception);
            await PostAsync(path, _response.WrittenMemory, UnhandledErrorType, cancellationToken).ConfigureAwait(false);
        }

        public void Dispose()
        {
            _http.Dispose();
            ArrayPool<byte>.Shared.Return(_event);
            _event = [];
        }

        private async Task<LambdaInvocation> NextAsync(CancellationToken cancellationToken)
        {
            using var message = await _http.GetAsync(_next, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(message, "next invocation");
            var headers = message.Headers.NonValidated;
            var requestId = Header(headers, "Lambda-Runtime-Aws-Request-Id")
                ?? throw new HttpRequestException("The Runtime API's next invocation has no Lambda-Runtime-Aws-Request-Id header.");
            var deadline = long.TryParse(Header(headers, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var deadlineMs)
                ? DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs)
                : DateTimeOffset.MaxValue;
            var traceId = Header(headers, "Lambda-Runtime-Trace-Id");

            // The X-Ray SDKs read the trace header from this variable; clear it when absent so one invocation's id does
            // not leak into the next.
            Environment.SetEnvironmentVariable(TraceIdVariable, traceId);
            var length = await ReadEventAsync(message.Content, cancellationToken).ConfigureAwait(false);
            return new LambdaInvocation(requestId, deadline, Header(headers, "Lambda-Runtime-Invoked-Function-Arn"), traceId, _event.AsMemory(0, length));
        }

        private async Task<int> ReadEventAsync(HttpContent content, CancellationToken cancellationToken)
        {
            if (content.Headers.ContentLength is { } announced && announced > _event.Length)
            {
                Grow(checked((int)announced));
            }

            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var length = 0;
                while (true)
                {
                    if (length == _event.Length)
                    {
                        Grow(_event.Length * 2);
                    }

                    var read = await stream.ReadAsync(_event.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return length;
                    }

                    length += read;
                }
            }
        }

        private void Grow(int size)
        {
            // Called before reading or when the buffer is full, so the whole buffer is kept.
            var larger = ArrayPool<byte>.Shared.Rent(size);
            _event.CopyTo(larger, 0);
            ArrayPool<byte>.Shared.Return(_event);
            _event = larger;
        }

        private async Task PostAsync(string path, ReadOnlyMemory<byte> body, string? errorType, CancellationToken cancellationToken)
        {
            using var content = new ReadOnlyMemoryContent(body);
            content.Headers.ContentType = s_json;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_prefix + path)) { Content = content };
            if (errorType is not null)
            {
                request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", errorType);
            }

            using var reply = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(reply, path);
        }

        private static string? Header(HttpHeadersNonValidated headers, string name) =>
            headers.TryGetValues(name, out var values) ? values.ToString() : null;

        private static void EnsureSuccess(HttpResponseMessage message, string what)
        {
            if (!message.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"The Runtime API answered {(int)message.StatusCode} to {what}.", null, message.StatusCode);
            }
        }
    }

    /// <summary>The Runtime API's error document: <c>errorMessage</c>, <c>errorType</c> and <c>stackTrace</c> (one frame per entry).</summary>
    private static void WriteError(IBufferWriter<byte> output, Exception exception)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("errorMessage"u8, exception.Message);
        writer.WriteString("errorType"u8, exception.GetType().FullName);
        writer.WriteStartArray("stackTrace"u8);
        foreach (var line in (exception.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            writer.WriteStringValue(line);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
