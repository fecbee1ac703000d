using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StreamKit.Kinesis.Tests.Support;

/// <summary>
/// A loopback HTTP proxy in front of kinesalite that injects the faults kinesalite cannot produce: throttled or
/// failed calls, expired iterators, and PutRecords entries reported as failed (those entries are taken out of the
/// forwarded request, so what the proxy reports failed is really not in the stream).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly Uri _target;
    private readonly Task _loop;
    private readonly Lock _lock = new();
    private int _failedEntries;

    public FaultProxy(Uri target)
    {
        _target = target;
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>Given the operation (e.g. <c>GetRecords</c>) and its call number (from 1), an error to answer with instead of forwarding: (HTTP status, __type), or null.</summary>
    public Func<string, int, (int Status, string Type)?>? FailCall { get; set; }

    /// <summary>Given a PutRecords entry's partition key and data, whether to report it failed (and not forward it).</summary>
    public Func<string, string, bool>? FailEntry { get; set; }

    public int FailedEntries => Volatile.Read(ref _failedEntries);

    private Dictionary<string, int> Calls { get; } = [];

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
        }

        _listener.Close();
        _http.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(reader);
            var body = reader.ToArray();
            var target = context.Request.Headers["X-Amz-Target"] ?? "";
            var operation = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
            int call;
            lock (_lock)
            {
                call = Calls[operation] = Calls.GetValueOrDefault(operation) + 1;
            }

            if (FailCall?.Invoke(operation, call) is { } failure)
            {
                await RespondAsync(context, failure.Status, $"{{\"__type\":\"{failure.Type}\",\"message\":\"injected by the test proxy\"}}");
                return;
            }

            if (operation == "PutRecords" && FailEntry is { } failEntry)
            {
                await PutRecordsWithFailuresAsync(context, body, failEntry);
                return;
            }

            var (status, text) = await ForwardAsync(context.Request, body);
            await RespondAsync(context, status, text);
        }
        catch (Exception ex)
        {
            await RespondAsync(context, 500, $"{{\"__type\":\"InternalFailure\",\"message\":\"proxy: {ex.GetType().Name}\"}}");
        }
    }

    private async Task PutRecordsWithFailuresAsync(HttpListenerContext context, byte[] body, Func<string, string, bool> failEntry)
    {
        var request = JsonNode.Parse(body)!.AsObject();
        var records = request["Records"]!.AsArray();
        var failed = new bool[records.Count];
        var forwarded = new JsonArray();
        for (var i = 0; i < records.Count; i++)
        {
            var key = records[i]!["PartitionKey"]!.GetValue<string>();
            var data = Encoding.UTF8.GetString(Convert.FromBase64String(records[i]!["Data"]!.GetValue<string>()));
            failed[i] = failEntry(key, data);
            if (!failed[i])
            {
                forwarded.Add(records[i]!.DeepClone());
            }
        }

        var answers = new JsonArray();
        if (forwarded.Count > 0)
        {
            request["Records"] = forwarded;
            var (status, text) = await ForwardAsync(context.Request, Encoding.UTF8.GetBytes(request.ToJsonString()));
            if (status != 200)
            {
                await RespondAsync(context, status, text);
                return;
            }

            answers = JsonNode.Parse(text)!["Records"]!.AsArray();
        }

        var merged = new JsonArray();
        var next = 0;
        var failedCount = 0;
        for (var i = 0; i < failed.Length; i++)
        {
            if (failed[i])
            {
                failedCount++;
                merged.Add(new JsonObject { ["ErrorCode"] = "ProvisionedThroughputExceededException", ["ErrorMessage"] = "Rate exceeded for shard (injected by the test proxy)" });
            }
            else
            {
                merged.Add(answers[next++]!.DeepClone());
            }
        }

        Interlocked.Add(ref _failedEntries, failedCount);
        await RespondAsync(context, 200, new JsonObject { ["FailedRecordCount"] = failedCount, ["Records"] = merged }.ToJsonString());
    }

    private async Task<(int Status, string Text)> ForwardAsync(HttpListenerRequest original, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", original.ContentType);
        foreach (var name in new[] { "X-Amz-Target", "X-Amz-Date", "Authorization" })
        {
            if (original.Headers[name] is { } value)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task RespondAsync(HttpListenerContext context, int status, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
