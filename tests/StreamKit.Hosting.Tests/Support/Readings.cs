using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Windows;

namespace StreamKit.Hosting.Tests.Support;

/// <summary>The record the hosting tests run: an event time and a key.</summary>
internal struct Reading
{
    public long Ts;
    public int Key;
}

/// <summary>JSON lines for <see cref="Reading"/>, a counting pipeline over it, and a host to run it in.</summary>
internal static class Readings
{
    public static RecordMap<Reading> Map { get; } = new RecordMap<Reading>()
        .TimestampMillis("ts", static (ref Reading r, long x) => r.Ts = x, static (in Reading r) => r.Ts)
        .Int32("key", static (ref Reading r, int x) => r.Key = x, static (in Reading r) => r.Key);

    public static string Line(long ts, int key) => $$"""{"ts":{{ts}},"key":{{key}}}""";

    public static JsonLinesDecoder<Reading> Decoder() => new(Map);

    /// <summary>Counts per key over 10-second tumbling windows; no out-of-orderness, so an event behind the watermark is late.</summary>
    public static Pipeline<Reading> Pipeline(string name, IRecordSink<WindowResult<int, long>> sink) =>
        StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { Name = name, MaxOutOfOrderness = TimeSpan.Zero })
            .KeyBy(static r => r.Key)
            .Window(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)))
            .Aggregate(static a => a.Count())
            .To(sink);

    /// <summary>A host with only StreamKit's services (no configuration files, no console logging).</summary>
    public static IHost BuildHost(Action<StreamKitBuilder> jobs, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        jobs(builder.Services.AddStreamKit());
        return builder.Build();
    }
}

/// <summary>A source whose reads wait until cancelled: a job that never gets to checkpoint on its own.</summary>
internal sealed class BlockingSource : IRecordSource
{
    public string Name => "blocking";

    /// <summary>Completes when the first read begins: the job is running and waits on its source.</summary>
    public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        FirstRead.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return true;
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A source that fails on its first read.</summary>
internal sealed class BrokenSource : IRecordSource
{
    public string Name => "broken";

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default) =>
        throw new InvalidDataException("the broken source cannot read");

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
