using System.Buffers;
using StreamKit;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;

namespace Clickstream;

/// <summary>
/// One clickstream query run as a function (AWS Lambda, Azure Functions): one batch per invocation, state per
/// partition in a directory, closed windows appended to a JSON lines file in the same format as the file run's output,
/// exactly once (see <see cref="AppendedOutput{T}"/>).
/// </summary>
/// <remarks>
/// The function samples build one per process and call <see cref="RunAsync"/> once per invocation; batches delivered
/// again are recognised by their sequence numbers, so a sequence of invocations gives the file run's answers.
/// </remarks>
public sealed class FunctionJob : IAsyncDisposable
{
    private readonly IAsyncDisposable _output;
    private readonly JsonLinesDeadLetterSink _deadLetters;
    private readonly Func<long> _written;
    private readonly Func<ValueTask> _writeEmptyResult;

    private FunctionJob(InvocationRunner<ClickEvent> runner, IAsyncDisposable output, JsonLinesDeadLetterSink deadLetters, Func<long> written, Func<ValueTask> writeEmptyResult)
    {
        Runner = runner;
        _output = output;
        _deadLetters = deadLetters;
        _written = written;
        _writeEmptyResult = writeEmptyResult;
    }

    /// <summary>The runner: give it each invocation's batch.</summary>
    public InvocationRunner<ClickEvent> Runner { get; }

    /// <summary>Builds the job for <paramref name="query"/> (<c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="outputPath">JSON lines file the closed windows are appended to.</param>
    /// <param name="stateDirectory">Where each partition's state lives between invocations.</param>
    /// <param name="deadLetterPath">JSON lines file malformed records are appended to.</param>
    /// <param name="options">Deadline margin and clock; the state store is set here.</param>
    public static FunctionJob Create(string query, string outputPath, string stateDirectory, string deadLetterPath, InvocationRunnerOptions? options = null) =>
        Create(query, outputPath, new FileStateStore(stateDirectory), deadLetterPath, options);

    /// <summary>Builds the job for <paramref name="query"/> with its state in <paramref name="store"/> (S3, Blob Storage).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="outputPath">JSON lines file the closed windows are appended to.</param>
    /// <param name="store">Where each partition's state lives between invocations.</param>
    /// <param name="deadLetterPath">JSON lines file malformed records are appended to.</param>
    /// <param name="options">Deadline margin and clock; the state store is set here.</param>
    public static FunctionJob Create(string query, string outputPath, IStateStore store, string deadLetterPath, InvocationRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(store);
        options ??= new InvocationRunnerOptions();
        options.StateStore = store;
        options.StateKeyPrefix ??= query + "/";
        var deadLetters = new JsonLinesDeadLetterSink(deadLetterPath);
        return query switch
        {
            "filter" => Build(outputPath, Formats.Engagement, sink => Queries.Filter(sink), deadLetters, options, atLeastOne: true),
            "tumbling" => Build(outputPath, Formats.PageWindow, sink => Queries.Tumbling(sink), deadLetters, options),
            "hopping" => Build(outputPath, Formats.PageWindow, sink => Queries.Hopping(sink), deadLetters, options),
            "sessions" => Build(outputPath, Formats.UserSession, sink => Queries.Sessions(sink), deadLetters, options),
            _ => throw new ArgumentException($"unknown query '{query}'", nameof(query)),
        };
    }

    /// <summary>Processes one invocation's batch and checkpoints.</summary>
    public ValueTask<InvocationResult> RunAsync(InvocationBatch batch, DateTimeOffset deadline, CancellationToken cancellationToken = default) =>
        Runner.RunAsync(batch, deadline, cancellationToken);

    /// <summary>The stream of <paramref name="partition"/> has ended: closes its open windows and checkpoints.</summary>
    /// <remarks><c>filter</c> promises one result: when nothing matched, a zero total is written, as the file run does.</remarks>
    public async ValueTask CompleteAsync(string partition, CancellationToken cancellationToken = default)
    {
        var before = _written();
        await Runner.CompleteAsync(partition, cancellationToken).ConfigureAwait(false);
        if (_written() == before)
        {
            await _writeEmptyResult().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync().ConfigureAwait(false);
        _deadLetters.Dispose();
    }

    private static FunctionJob Build<T>(string outputPath, RecordMap<T> map, Func<IRecordSink<T>, Pipeline<ClickEvent>> build, JsonLinesDeadLetterSink deadLetters, InvocationRunnerOptions options, bool atLeastOne = false)
        where T : struct
    {
        var output = new AppendedOutput<T>(outputPath, new JsonLinesEncoder<T>(map));
        var runner = new InvocationRunner<ClickEvent>(
            () => new PipelineInstance<ClickEvent>(build(output.CreateSink()), new JsonLinesDecoder<ClickEvent>(ClickEvents.Map)),
            deadLetters,
            options);
        return new FunctionJob(
            runner,
            output,
            deadLetters,
            () => output.Count,
            () =>
            {
                if (atLeastOne)
                {
                    output.WriteNow([default]);
                }

                return ValueTask.CompletedTask;
            });
    }
}

/// <summary>
/// The JSON lines file every partition's pipeline appends its closed windows to, exactly once across crashes and
/// retried invocations.
/// </summary>
/// <remarks>
/// <para>Each partition's pipeline writes through its own <see cref="CreateSink">sink</see>, which holds the lines of the
/// invocation in memory until the checkpoint. The checkpoint saves them in the partition's state together with the
/// file's length at that moment; only then are they appended (the commit). A restore appends them again unless the
/// file already holds them at that place: a crash after the state was saved and before or during the append loses
/// nothing, and a crash before it leaves nothing to be written twice (the retried batch writes the lines again).</para>
/// <para>The state grows by one invocation's output. Partitions sharing the file must run one at a time (one process
/// at a time, as the local invocations do): an append cut off by a crash is cut back to the saved length.</para>
/// </remarks>
internal sealed class AppendedOutput<T> : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly IRecordEncoder<T> _encoder;

    public AppendedOutput(string path, IRecordEncoder<T> encoder)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _encoder = encoder;
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1);
        _file.Position = _file.Length;
    }

    /// <summary>Records written (appended or waiting for their checkpoint) by this process.</summary>
    public long Count { get; private set; }

    /// <summary>A sink for one partition's pipeline.</summary>
    public IRecordSink<T> CreateSink() => new PartitionSink(this);

    /// <summary>Appends records at once, outside any checkpoint (the <c>filter</c> total when nothing matched).</summary>
    public void WriteNow(ReadOnlySpan<T> records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ref readonly var record in records)
        {
            _encoder.Encode(record, buffer);
        }

        Count += records.Length;
        Append(_file.Length, buffer.WrittenSpan);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    /// <summary>Makes the file hold <paramref name="lines"/> at <paramref name="at"/>: appends them, unless they are already there.</summary>
    private void Append(long at, ReadOnlySpan<byte> lines)
    {
        if (_file.Length < at)
        {
            throw new InvalidDataException($"'{_file.Name}' is shorter ({_file.Length:N0} bytes) than a checkpoint says it was ({at:N0}): it was changed since; delete the state directory to start over.");
        }

        if (_file.Length >= at + lines.Length)
        {
            // Appended before the crash: the bytes there must be these.
            var there = new byte[lines.Length];
            _file.Position = at;
            _file.ReadExactly(there);
            _file.Position = _file.Length;
            if (!lines.SequenceEqual(there))
            {
                throw new InvalidDataException($"'{_file.Name}' holds other lines at {at:N0} than its checkpoint; it was changed since: delete the state directory to start over.");
            }

            return;
        }

        _file.SetLength(at); // an append a crash cut off
        _file.Position = at;
        _file.Write(lines);
        _file.Flush(flushToDisk: true);
    }

    private sealed class PartitionSink(AppendedOutput<T> output) : IRecordSink<T>, ITransactionalSink, ICheckpointed
    {
        private const int StateVersion = 1;
        private readonly ArrayBufferWriter<byte> _pending = new(1 << 12);
        private long _at = -1;

        public void Write(ReadOnlySpan<T> records)
        {
            foreach (ref readonly var record in records)
            {
                output._encoder.Encode(record, _pending);
            }

            output.Count += records.Length;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        // Called between the flush and the commit of this partition's checkpoint: the file's length now is where the
        // lines will go (partitions checkpointed in the same invocation commit one after another).
        public void WriteState(StateWriter writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            _at = output._file.Length;
            writer.WriteInt32(StateVersion);
            writer.WriteInt64(_at);
            writer.WriteBytes(_pending.WrittenSpan);
        }

        public void ReadState(ref StateReader reader)
        {
            reader.Expect(StateVersion, "appended output state version");
            var at = reader.ReadInt64();
            output.Append(at, reader.ReadBytes()); // the checkpoint's lines, if the crash came before they were appended
        }

        public ValueTask CommitAsync(CancellationToken cancellationToken = default)
        {
            if (_pending.WrittenCount > 0)
            {
                output.Append(_at, _pending.WrittenSpan);
                _pending.ResetWrittenCount();
            }

            return ValueTask.CompletedTask;
        }
    }
}
