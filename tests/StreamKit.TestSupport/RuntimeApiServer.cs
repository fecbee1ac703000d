using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace StreamKit.TestSupport;

/// <summary>
/// A loopback HTTP/1.1 server that follows the published Lambda Runtime API (version 2018-06-01): it serves queued
/// events from <c>GET /runtime/invocation/next</c> (blocking until one is queued, as the platform does) and records
/// what the runtime posts to <c>/response</c>, <c>/error</c> and <c>/init/error</c>.
/// </summary>
/// <remarks>AWS's runtime interface emulator cannot be fetched here; this stands in for it. Also used by the cold-start measurement.</remarks>
public sealed class RuntimeApiServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<QueuedInvocation> _pending = Channel.CreateUnbounded<QueuedInvocation>();
    private readonly Channel<RuntimeOutcome> _outcomes = Channel.CreateUnbounded<RuntimeOutcome>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public RuntimeApiServer()
    {
        _listener.Start();
        Address = "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        _accepting = AcceptAsync();
    }

    /// <summary>The <c>host:port</c> to put in <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; }

    /// <summary>Queues an invocation for the next <c>GET next</c>.</summary>
    public void Enqueue(string requestId, ReadOnlyMemory<byte> body, long deadlineMs, string? functionArn = null, string? traceId = null) =>
        _pending.Writer.TryWrite(new QueuedInvocation(requestId, body, deadlineMs, functionArn, traceId));

    /// <summary>The next thing the runtime posted, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<RuntimeOutcome> NextOutcomeAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await _outcomes.Reader.ReadAsync(cancel.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped while accepting
        }

        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var connection = socket;
        await using var stream = new NetworkStream(connection, ownsSocket: false);
        var reader = new RequestReader(stream);
        try
        {
            while (await reader.ReadAsync(_stop.Token) is { } request)
            {
                await RouteAsync(stream, request);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // the runtime or the server went away
        }
    }

    private async Task RouteAsync(NetworkStream stream, Request request)
    {
        const string Prefix = "/2018-06-01/runtime/";
        if (!request.Path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            await WriteAsync(stream, "404 Not Found", [], """{"errorMessage":"unknown path","errorType":"InvalidRequest"}"""u8.ToArray());
            return;
        }

        var path = request.Path[Prefix.Length..];
        if (request.Method == "GET" && path == "invocation/next")
        {
            var next = await _pending.Reader.ReadAsync(_stop.Token);
            var headers = new List<(string, string)>
            {
                ("Lambda-Runtime-Aws-Request-Id", next.RequestId),
                ("Lambda-Runtime-Deadline-Ms", next.DeadlineMs.ToString(CultureInfo.InvariantCulture)),
            };
            if (next.FunctionArn is not null)
            {
                headers.Add(("Lambda-Runtime-Invoked-Function-Arn", next.FunctionArn));
            }

            if (next.TraceId is not null)
            {
                headers.Add(("Lambda-Runtime-Trace-Id", next.TraceId));
            }

            await WriteAsync(stream, "200 OK", headers, next.Body);
            return;
        }

        RuntimeOutcome? outcome = null;
        if (request.Method == "POST" && path == "init/error")
        {
            outcome = new RuntimeOutcome(OutcomeKind.InitError, null, request.ErrorType, request.Body);
        }
        else if (request.Method == "POST" && path.StartsWith("invocation/", StringComparison.Ordinal))
        {
            var parts = path.Split('/');
            if (parts.Length == 3 && parts[2] is "response" or "error")
            {
                outcome = new RuntimeOutcome(parts[2] == "response" ? OutcomeKind.Response : OutcomeKind.Error, parts[1], request.ErrorType, request.Body);
            }
        }

        if (outcome is null)
        {
            await WriteAsync(stream, "404 Not Found", [], """{"errorMessage":"unknown path","errorType":"InvalidRequest"}"""u8.ToArray());
            return;
        }

        await WriteAsync(stream, "202 Accepted", [], """{"status":"OK"}"""u8.ToArray());
        _outcomes.Writer.TryWrite(outcome);
    }

    private async Task WriteAsync(NetworkStream stream, string status, List<(string Name, string Value)> headers, ReadOnlyMemory<byte> body)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
    }

    private sealed record QueuedInvocation(string RequestId, ReadOnlyMemory<byte> Body, long DeadlineMs, string? FunctionArn, string? TraceId);

    private sealed record Request(string Method, string Path, string? ErrorType, byte[] Body);

    /// <summary>Reads HTTP/1.1 requests with a Content-Length body (what HttpClient sends) off a kept-alive connection.</summary>
    private sealed class RequestReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<Request?> ReadAsync(CancellationToken cancellationToken)
        {
            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (!await FillAsync(cancellationToken))
                {
                    return null;
                }
            }

            var lines = Encoding.ASCII.GetString(_buffer, _start, headerEnd).Split("\r\n");
            _start += headerEnd + 4;
            var requestLine = lines[0].Split(' ');
            var length = 0;
            string? errorType = null;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    length = int.Parse(value, CultureInfo.InvariantCulture);
                }
                else if (name.Equals("Lambda-Runtime-Function-Error-Type", StringComparison.OrdinalIgnoreCase))
                {
                    errorType = value;
                }
            }

            var body = new byte[length];
            var copied = 0;
            while (copied < length)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    return null;
                }

                var take = Math.Min(length - copied, _end - _start);
                _buffer.AsSpan(_start, take).CopyTo(body.AsSpan(copied));
                _start += take;
                copied += take;
            }

            return new Request(requestLine[0], requestLine[1], errorType, body);
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read > 0;
        }
    }
}

/// <summary>What the runtime posted.</summary>
public enum OutcomeKind
{
    Response,
    Error,
    InitError,
}

/// <summary>One post from the runtime: its kind, the request id in its path, the error type header and the body.</summary>
public sealed record RuntimeOutcome(OutcomeKind Kind, string? RequestId, string? ErrorType, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}
