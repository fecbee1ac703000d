using System.Diagnostics;
using System.Globalization;
using Clickstream;
using StreamKit;
using StreamKit.Codecs;
using StreamKit.Hosting.AwsLambda;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.TestSupport;
using StreamKit.Windows;

// Figures for docs/performance.md (eng/lambda-coldstart.sh runs both modes):
//   coldstart RUNS LABEL EXECUTABLE [LABEL EXECUTABLE]...  process start -> first response posted to a loopback
//                                    Runtime API; the variants take turns, run by run, so load on a shared machine
//                                    falls on all of them alike; median of RUNS each
//   invoke [RECORDS]                 per query, one RECORDS-record Kinesis batch: decode + process, state load + save, bytes stored
const string Usage = "usage: StreamKit.Lambda.Benchmarks coldstart RUNS LABEL EXECUTABLE [LABEL EXECUTABLE]... | invoke [RECORDS]";
if (args is ["coldstart", var runText, ..] && args.Length >= 4 && args.Length % 2 == 0 && int.TryParse(runText, CultureInfo.InvariantCulture, out var runs) && runs > 0)
{
    var variants = new List<(string Label, string Executable)>();
    for (var i = 2; i < args.Length; i += 2)
    {
        variants.Add((args[i], Path.GetFullPath(args[i + 1])));
    }

    return await ColdStart.RunAsync(variants, runs);
}

if (args is ["invoke", ..] && (args.Length == 1 || int.TryParse(args[1], CultureInfo.InvariantCulture, out _)))
{
    return await Invocation.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000);
}

Console.Error.WriteLine(Usage);
return 2;

internal static class ColdStart
{
    public static async Task<int> RunAsync(List<(string Label, string Executable)> variants, int runs)
    {
        // A small real batch (100 clickstream records), so the sample decodes, processes and saves state before answering.
        var kinesisEvent = KinesisEvents.Create(KinesisEvents.ReadEvents(100), 0, 100);
        var times = new List<double>[variants.Count];
        for (var v = 0; v < variants.Count; v++)
        {
            times[v] = [];
        }

        // One round more than asked: the first warms the disk cache and is left out.
        for (var run = 0; run <= runs; run++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                var elapsed = await StartOnceAsync(variants[v].Executable, kinesisEvent);
                if (elapsed is null)
                {
                    Console.Error.WriteLine($"{variants[v].Label}: no response");
                    return 1;
                }

                if (run > 0)
                {
                    times[v].Add(elapsed.Value);
                }
            }
        }

        for (var v = 0; v < variants.Count; v++)
        {
            var sorted = times[v];
            sorted.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {variants[v].Label} | {Median(sorted):F1} | {sorted[0]:F1} | {sorted[^1]:F1} |"));
        }

        return 0;
    }

    /// <summary>Starts the function once; milliseconds from process start to its first response, or null when it failed.</summary>
    private static async Task<double?> StartOnceAsync(string executable, byte[] kinesisEvent)
    {
        var state = Directory.CreateTempSubdirectory("lambda-coldstart-").FullName;
        try
        {
            await using var server = new RuntimeApiServer();
            server.Enqueue("cold", kinesisEvent, DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
            var start = executable.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet", [executable]) : new ProcessStartInfo(executable);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.Environment["AWS_LAMBDA_RUNTIME_API"] = server.Address;
            start.Environment["CLICKSTREAM_QUERY"] = "tumbling";
            start.Environment["CLICKSTREAM_STATE_DIR"] = state;

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var answered = server.NextOutcomeAsync(TimeSpan.FromSeconds(60));
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(answered, exited) != answered)
            {
                Console.Error.WriteLine($"{executable} exited with {process.ExitCode} before answering: {await error}");
                return null;
            }

            var outcome = await answered;
            var elapsed = clock.Elapsed.TotalMilliseconds;
            process.Kill();
            await exited;
            if (outcome.Kind != OutcomeKind.Response)
            {
                Console.Error.WriteLine($"{executable} answered {outcome.Kind}: {outcome.Text}");
                return null;
            }

            return elapsed;
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    public static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

internal static class Invocation
{
    private const int Repeats = 15;

    public static async Task<int> RunAsync(int records)
    {
        var lines = KinesisEvents.ReadEvents(records * 3);
        byte[][] events = [KinesisEvents.Create(lines, 0, records), KinesisEvents.Create(lines, records, records * 2), KinesisEvents.Create(lines, records * 2, records * 3)];
        Console.WriteLine($"{records:N0}-record Kinesis batch ({events[0].Length / 1024:N0} KiB event), median of {Repeats}; times in ms");
        Console.WriteLine("| query | invocation | whole invocation | decode + process | state load | state save | bytes stored |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        string[] queries = ["filter", "tumbling", "hopping", "sessions"];

        // Warm every query up before measuring any, so the first one measured is not left with the JIT's first tiers
        // (the measured figures are the warm process's; the cold start is measured separately).
        for (var i = 0; i < 5; i++)
        {
            foreach (var query in queries)
            {
                await MeasureAsync(query, events, records, warmUp: true);
            }
        }

        foreach (var query in queries)
        {
            var rounds = new List<Figures[]>();
            for (var i = 0; i < Repeats; i++)
            {
                rounds.Add(await MeasureAsync(query, events, records, warmUp: false));
            }

            string[] names = ["first (empty state)", "warm instance", "new instance (state loaded)"];
            for (var k = 0; k < names.Length; k++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {query} | {names[k]} | {Median(rounds, k, f => f.Total):F2} | {Median(rounds, k, f => f.Total - f.Load - f.Save):F2} | {Median(rounds, k, f => f.Load):F2} | {Median(rounds, k, f => f.Save):F2} | {rounds[0][k].Bytes:N0} |"));
            }
        }

        return 0;
    }

    /// <summary>Three invocations: a fresh instance on empty state, the same instance again (warm), a new instance that loads the saved state.</summary>
    private static async Task<Figures[]> MeasureAsync(string query, byte[][] events, int records, bool warmUp)
    {
        var directory = Directory.CreateTempSubdirectory("lambda-invoke-").FullName;
        try
        {
            var store = new TimingStore(new FileStateStore(directory));
            var first = Create(query, store);
            var figures = new Figures[3];
            figures[0] = await InvokeAsync(first, events[0], records, store);
            figures[1] = await InvokeAsync(first, events[1], records, store);
            figures[2] = await InvokeAsync(Create(query, store), events[2], records, store);
            return warmUp ? [] : figures;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static StreamKitFunction<ClickEvent> Create(string query, IStateStore store)
    {
        var options = new InvocationRunnerOptions { StateStore = store, StateKeyPrefix = query + "/" };
        var runner = new InvocationRunner<ClickEvent>(() => new PipelineInstance<ClickEvent>(Build(query), new JsonLinesDecoder<ClickEvent>(ClickEvents.Map)), new DiscardDeadLetters(), options);
        return new StreamKitFunction<ClickEvent>(LambdaEventSource.Kinesis, runner);
    }

    private static Pipeline<ClickEvent> Build(string query) => query switch
    {
        "filter" => Queries.Filter(new Discard<WindowResult<(long Count, long SumDurationMs)>>()),
        "tumbling" => Queries.Tumbling(new Discard<WindowResult<int, long>>()),
        "hopping" => Queries.Hopping(new Discard<WindowResult<int, long>>()),
        _ => Queries.Sessions(new Discard<WindowResult<int, long>>()),
    };

    private static async Task<Figures> InvokeAsync(StreamKitFunction<ClickEvent> function, byte[] kinesisEvent, int records, TimingStore store)
    {
        var response = new System.Buffers.ArrayBufferWriter<byte>();
        store.Reset();
        var clock = Stopwatch.StartNew();
        await function.HandleAsync(new LambdaInvocation("measure", DateTimeOffset.UtcNow.AddMinutes(15), null, null, kinesisEvent), response);
        var total = clock.Elapsed.TotalMilliseconds;
        if (function.LastResult.Taken != records)
        {
            throw new InvalidOperationException("The invocation left records untaken.");
        }

        return new Figures(total, store.LoadMs, store.SaveMs, store.LastBytes);
    }

    private static double Median(List<Figures[]> rounds, int index, Func<Figures, double> value)
    {
        var values = new List<double>(rounds.Count);
        foreach (var round in rounds)
        {
            values.Add(value(round[index]));
        }

        values.Sort();
        return ColdStart.Median(values);
    }

    private readonly record struct Figures(double Total, double Load, double Save, long Bytes);
}

/// <summary>Times the store's calls: loads (and version checks) and saves.</summary>
internal sealed class TimingStore(IStateStore inner) : IStateStore
{
    public double LoadMs { get; private set; }

    public double SaveMs { get; private set; }

    public long LastBytes { get; private set; }

    public void Reset() => (LoadMs, SaveMs) = (0, 0);

    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var state = await inner.LoadAsync(key, cancellationToken);
        LoadMs += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return state;
    }

    public async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var version = await inner.GetVersionAsync(key, cancellationToken);
        LoadMs += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return version;
    }

    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var version = await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        SaveMs += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LastBytes = data.Length;
        return version;
    }
}

internal sealed class Discard<T> : IRecordSink<T>
{
    public void Write(ReadOnlySpan<T> records)
    {
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

internal sealed class DiscardDeadLetters : IDeadLetterSink
{
    public void Write(in DeadLetter letter)
    {
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
