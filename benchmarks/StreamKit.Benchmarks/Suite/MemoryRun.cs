using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// Peak memory with a slow sink: a generated input of any size goes through a <see cref="PipelineRunner{T}"/> into a
/// sink that, like Kinesis, holds its encoded output until flushed and then takes its time sending it. Prints the
/// process's peak resident set (VmHWM): it follows <see cref="PipelineRunnerOptions.MaxUnflushedOutput"/>, not the input size.
/// </summary>
/// <remarks>
/// One configuration per process (the peak is the process's). Arguments: <c>--records N</c> (default 2,000,000),
/// <c>--bound B</c> (<see cref="PipelineRunnerOptions.MaxUnflushedOutput"/>; 0 = off, default 100,000),
/// <c>--record-bytes N</c> (encoded size of one output record, default 200), <c>--flush-ms N</c> (time each flush
/// takes, default 20).
/// </remarks>
public static class MemoryRun
{
    /// <summary>Runs one configuration and prints one line of figures.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        var records = Option(args, "--records", 2_000_000);
        var bound = (int)Option(args, "--bound", 100_000);
        var recordBytes = (int)Option(args, "--record-bytes", 200);
        var flushMs = (int)Option(args, "--flush-ms", 20);

        var sink = new SlowSink(recordBytes, flushMs);
        var pipeline = StreamPipeline.Create<Event>(static e => e.Ts, new PipelineOptions { Name = "memory" })
            .Where(static e => e.Value % 5 != 0)
            .To(sink);
        var runner = new PipelineRunner<Event>(pipeline, new GeneratedSource(records), new EventDecoder(), new NoDeadLetters(), new PipelineRunnerOptions
        {
            StateStore = new InMemoryStateStore(),
            MaxUnflushedOutput = bound,
        });
        var started = Stopwatch.GetTimestamp();
        runner.RunAsync().GetAwaiter().GetResult();
        var elapsed = Stopwatch.GetElapsedTime(started);

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"records={records} bound={bound} record-bytes={recordBytes} flush-ms={flushMs} written={sink.Written} peak-pending={sink.PeakPending} checkpoints={runner.Counters.Checkpoints} seconds={elapsed.TotalSeconds:F1} VmHWM={Status("VmHWM")} VmRSS={Status("VmRSS")}"));
        return 0;
    }

    private static long Option(string[] args, string name, long fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return line[(field.Length + 1)..].Trim().Replace(" ", string.Empty, StringComparison.Ordinal);
            }
        }

        return "n/a";
    }

    private readonly record struct Event(long Ts, int Key, int Value);

    /// <summary>Records generated as they are read: the input costs no memory, so the peak is the pipeline's.</summary>
    private sealed class GeneratedSource(long count) : IRecordSource
    {
        private readonly byte[] _payload = new byte[16];
        private long _next;

        public string Name => "generated";

        public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
        {
            if (_next == count)
            {
                return ValueTask.FromResult(false);
            }

            batch.Partition = "p0";
            while (!batch.IsFull && _next < count)
            {
                BinaryPrimitives.WriteInt64LittleEndian(_payload, 1_700_000_000_000 + _next);
                BinaryPrimitives.WriteInt32LittleEndian(_payload.AsSpan(8), (int)(_next % 1000));
                BinaryPrimitives.WriteInt32LittleEndian(_payload.AsSpan(12), (int)(_next % 97));
                batch.Add(_payload, default, _next, 0);
                _next++;
            }

            return ValueTask.FromResult(true);
        }

        public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class EventDecoder : IRecordDecoder<Event>
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref Event record, out string? error)
        {
            record = new Event(BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt32LittleEndian(payload[8..]), BinaryPrimitives.ReadInt32LittleEndian(payload[12..]));
            error = null;
            return true;
        }
    }

    /// <summary>Encodes each record into one growing buffer (as the Kinesis sink does) and sends it slowly at a flush.</summary>
    private sealed class SlowSink(int recordBytes, int flushMs) : IRecordSink<Event>
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private long _pending;

        public long Written { get; private set; }

        public long PeakPending { get; private set; }

        public void Write(ReadOnlySpan<Event> records)
        {
            foreach (ref readonly var record in records)
            {
                var span = _buffer.GetSpan(recordBytes)[..recordBytes];
                span.Fill((byte)record.Key);
                _buffer.Advance(recordBytes);
            }

            _pending += records.Length;
            Written += records.Length;
            PeakPending = Math.Max(PeakPending, _pending);
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            await Task.Delay(flushMs, cancellationToken).ConfigureAwait(false);
            _buffer.ResetWrittenCount();
            _pending = 0;
        }
    }

    private sealed class NoDeadLetters : IDeadLetterSink
    {
        public void Write(in DeadLetter letter)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
