using System.Buffers;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Hosting.AwsLambda.Tests.Support;

/// <summary>A record that remembers how long its payload was.</summary>
internal struct Payload
{
    public int Length;
}

/// <summary>One function process: a <see cref="StreamKitFunction{T}"/> over pipelines that pass payloads to a shared sink.</summary>
internal sealed class FunctionHarness
{
    /// <summary>The partial batch response that reports every record handled.</summary>
    public const string NoFailures = """{"batchItemFailures":[]}""";

    private readonly ArrayBufferWriter<byte> _response = new();

    public FunctionHarness(LambdaEventSource source, IStateStore store, ManualTimeProvider? clock = null, Action? onDecode = null, bool capture = true)
    {
        Clock = clock ?? new ManualTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        Sink = new CountingSink();
        var runner = new InvocationRunner<Payload>(
            () => new PipelineInstance<Payload>(
                StreamPipeline.Create<Payload>(new PipelineOptions { Name = "payloads" }).To(Sink),
                new PayloadDecoder(capture ? Decoded : null, onDecode)),
            DeadLetters,
            new InvocationRunnerOptions { StateStore = store, UseSourceTimestamps = true, TimeProvider = Clock });
        Function = new StreamKitFunction<Payload>(source, runner, Clock);
    }

    public ManualTimeProvider Clock { get; }

    public StreamKitFunction<Payload> Function { get; }

    /// <summary>Every payload the pipelines' decoders accepted, as text, in order.</summary>
    public List<string> Decoded { get; } = [];

    public CountingSink Sink { get; }

    public InMemoryDeadLetterSink DeadLetters { get; } = new();

    /// <summary>Invokes the function with <paramref name="json"/> and returns its response; no deadline unless given.</summary>
    public async Task<string> InvokeAsync(byte[] json, DateTimeOffset? deadline = null)
    {
        _response.ResetWrittenCount();
        await Function.HandleAsync(Invocation(json, deadline ?? DateTimeOffset.MaxValue), _response);
        return Encoding.UTF8.GetString(_response.WrittenSpan);
    }

    /// <summary>Invokes without creating strings: for the allocation test.</summary>
    public ValueTask InvokeRawAsync(LambdaInvocation invocation)
    {
        _response.ResetWrittenCount();
        return Function.HandleAsync(invocation, _response);
    }

    public static LambdaInvocation Invocation(byte[] json, DateTimeOffset deadline) =>
        new("request-1", deadline, "arn:aws:lambda:us-east-1:123456789012:function:clicks", null, json);

    /// <summary>Takes a payload as a record; rejects an empty one, as a real decoder would.</summary>
    private sealed class PayloadDecoder(List<string>? decoded, Action? onDecode) : IRecordDecoder<Payload>
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref Payload record, out string? error)
        {
            onDecode?.Invoke();
            if (payload.IsEmpty)
            {
                error = "empty payload";
                return false;
            }

            decoded?.Add(Encoding.UTF8.GetString(payload));
            record.Length = payload.Length;
            error = null;
            return true;
        }
    }
}

/// <summary>A sink that counts records and bytes without keeping them, so it allocates nothing.</summary>
internal sealed class CountingSink : IRecordSink<Payload>
{
    public long Records { get; private set; }

    public long Bytes { get; private set; }

    public void Write(ReadOnlySpan<Payload> records)
    {
        foreach (var record in records)
        {
            Records++;
            Bytes += record.Length;
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
