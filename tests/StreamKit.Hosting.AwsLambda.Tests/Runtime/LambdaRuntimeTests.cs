using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamKit.Hosting.AwsLambda.Runtime;

namespace StreamKit.Hosting.AwsLambda.Tests.Runtime;

public sealed class LambdaRuntimeTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private static readonly long s_deadlineMs = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds();

    [Fact]
    public async Task RunAsync_SeveralInvocations_OneHandlerInstanceAnswersEach()
    {
        await using var server = new RuntimeApiServer();
        var built = 0;
        var handler = new EchoHandler();
        using var stop = new CancellationTokenSource();
        var loop = LambdaRuntime.RunAsync(
            () =>
            {
                built++;
                return handler;
            },
            new LambdaRuntimeOptions { RuntimeApi = server.Address },
            stop.Token);

        // The third event is larger than the loop's initial event buffer, so it grows once and keeps the larger one.
        var events = new[] { "{\"n\":1}", "{\"n\":2}", "{\"pad\":\"" + new string('x', 600_000) + "\"}", "{\"n\":4}" };
        for (var i = 0; i < events.Length; i++)
        {
            server.Enqueue("req-" + i, Encoding.UTF8.GetBytes(events[i]), s_deadlineMs);
        }

        for (var i = 0; i < events.Length; i++)
        {
            var outcome = await server.NextOutcomeAsync(s_wait);
            Assert.Equal(OutcomeKind.Response, outcome.Kind);
            Assert.Equal("req-" + i, outcome.RequestId);
            Assert.Equal("{\"invocation\":" + (i + 1) + ",\"event\":" + events[i] + "}", outcome.Text);
        }

        await stop.CancelAsync();
        await loop;
        Assert.Equal(1, built);
        Assert.Equal(events.Length, handler.Invocations);
    }

    [Fact]
    public async Task RunAsync_HandlerThrows_ErrorPostedWithTypeAndMessage_AndLoopGoesOn()
    {
        await using var server = new RuntimeApiServer();
        using var stop = new CancellationTokenSource();
        var loop = LambdaRuntime.RunAsync(new FailingHandler(), new LambdaRuntimeOptions { RuntimeApi = server.Address }, stop.Token);

        server.Enqueue("bad", "{\"fail\":true}"u8.ToArray(), s_deadlineMs);
        server.Enqueue("good", "{\"fail\":false}"u8.ToArray(), s_deadlineMs);

        var error = await server.NextOutcomeAsync(s_wait);
        Assert.Equal(OutcomeKind.Error, error.Kind);
        Assert.Equal("bad", error.RequestId);
        Assert.Equal("Unhandled", error.ErrorType);
        using (var document = JsonDocument.Parse(error.Body))
        {
            var root = document.RootElement;
            Assert.Equal("the event asked to fail", root.GetProperty("errorMessage").GetString());
            Assert.Equal(typeof(InvalidDataException).FullName, root.GetProperty("errorType").GetString());
            var stackTrace = root.GetProperty("stackTrace");
            Assert.Equal(JsonValueKind.Array, stackTrace.ValueKind);
            Assert.Contains(stackTrace.EnumerateArray(), frame => frame.GetString()!.Contains(nameof(FailingHandler), StringComparison.Ordinal));
        }

        var response = await server.NextOutcomeAsync(s_wait);
        Assert.Equal(OutcomeKind.Response, response.Kind);
        Assert.Equal("good", response.RequestId);
        Assert.Equal("{}", response.Text);

        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task RunAsync_InvocationHeaders_GiveDeadlineArnAndTraceIdEnvironmentVariable()
    {
        await using var server = new RuntimeApiServer();
        using var stop = new CancellationTokenSource();
        var loop = LambdaRuntime.RunAsync(new HeadersHandler(), new LambdaRuntimeOptions { RuntimeApi = server.Address }, stop.Token);

        const string Arn = "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime";
        const string Trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
        server.Enqueue("traced", "{}"u8.ToArray(), 1542409706888, Arn, Trace);
        server.Enqueue("untraced", "{}"u8.ToArray(), 1542409706999);

        var traced = await server.NextOutcomeAsync(s_wait);
        Assert.Equal($"1542409706888|{Arn}|{Trace}|{Trace}", traced.Text);
        var untraced = await server.NextOutcomeAsync(s_wait);
        Assert.Equal("1542409706999|||", untraced.Text);

        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task RunAsync_HandlerCannotBeBuilt_InitErrorPostedAndRethrown()
    {
        await using var server = new RuntimeApiServer();
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => LambdaRuntime.RunAsync(
            () => throw new InvalidOperationException("STATE_DIR is not set"),
            new LambdaRuntimeOptions { RuntimeApi = server.Address }));
        Assert.Equal("STATE_DIR is not set", thrown.Message);

        var outcome = await server.NextOutcomeAsync(s_wait);
        Assert.Equal(OutcomeKind.InitError, outcome.Kind);
        Assert.Equal("Unhandled", outcome.ErrorType);
        using var document = JsonDocument.Parse(outcome.Body);
        Assert.Equal("STATE_DIR is not set", document.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(typeof(InvalidOperationException).FullName, document.RootElement.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task RunAsync_NoRuntimeApi_Throws()
    {
        if (Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API") is not null)
        {
            return; // inside a real Lambda environment the variable is set; there is nothing to check
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => LambdaRuntime.RunAsync(new EchoHandler()));
    }

    private sealed class EchoHandler : ILambdaHandler
    {
        public int Invocations { get; private set; }

        public ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default)
        {
            Invocations++;
            response.Write(Encoding.UTF8.GetBytes("{\"invocation\":" + Invocations.ToString(CultureInfo.InvariantCulture) + ",\"event\":"));
            response.Write(invocation.Event.Span);
            response.Write("}"u8);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FailingHandler : ILambdaHandler
    {
        public ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default)
        {
            using var document = JsonDocument.Parse(invocation.Event);
            if (document.RootElement.GetProperty("fail").GetBoolean())
            {
                response.Write("{\"partial\":"u8); // written before the failure: must not reach the platform
                throw new InvalidDataException("the event asked to fail");
            }

            response.Write("{}"u8);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class HeadersHandler : ILambdaHandler
    {
        public ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default)
        {
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{invocation.Deadline.ToUnixTimeMilliseconds()}|{invocation.FunctionArn}|{invocation.TraceId}|{Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID")}");
            response.Write(Encoding.UTF8.GetBytes(text));
            return ValueTask.CompletedTask;
        }
    }
}
