using CsCheck;
using StreamKit.Files;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Testing;

// Shared by the file tests of StreamKit.Core.Tests, StreamKit.MessagePack.Tests and StreamKit.Avro.Tests (and the
// decoder fuzz tests of the hosts), so every format is damaged, crashed and measured the same way.
namespace StreamKit.TestSupport;

/// <summary>Passes batches through and dies (no final checkpoint) after a given number of them.</summary>
public sealed class CrashingSource(IRecordSource inner, int crashAfterBatches) : IRecordSource
{
    private int _delivered;

    public string Name => inner.Name;

    public IReadOnlyList<string> Partitions => inner.Partitions;

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.SeekAsync(positions, cancellationToken);

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        if (_delivered >= crashAfterBatches)
        {
            throw new SimulatedCrashException($"died after {_delivered} batches");
        }

        var more = await inner.ReadAsync(batch, cancellationToken);
        if (batch.Count > 0)
        {
            _delivered++;
        }

        return more;
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.CommitAsync(positions, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Passes batches through and cancels the runner after a given number of them: a graceful stop mid-stream.</summary>
public sealed class CancelAfterSource(IRecordSource inner, int batches, CancellationTokenSource cancel) : IRecordSource
{
    private int _delivered;

    public string Name => inner.Name;

    public IReadOnlyList<string> Partitions => inner.Partitions;

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.SeekAsync(positions, cancellationToken);

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        var more = await inner.ReadAsync(batch, cancellationToken);
        if (batch.Count > 0 && ++_delivered == batches)
        {
            await cancel.CancelAsync();
        }

        return more;
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.CommitAsync(positions, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Wraps a format to count the bytes its readers take from the file, to tell a seek from a re-read.</summary>
public sealed class CountingFormat(IFileFormat inner) : IFileFormat
{
    private long _bytesRead;
    private long _lastSeek = -1;

    /// <summary>Bytes read from every file opened.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>The last position a reader moved a file to, or -1 when none did.</summary>
    public long LastSeek => Interlocked.Read(ref _lastSeek);

    public string Name => inner.Name;

    public IReadOnlyList<string> Extensions => inner.Extensions;

    public IFileRecordReader Open(Stream stream, int maxRecordBytes) => inner.Open(new CountingStream(stream, this), maxRecordBytes);

    private sealed class CountingStream(Stream inner, CountingFormat owner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set
            {
                inner.Position = value;
                Interlocked.Exchange(ref owner._lastSeek, value);
            }
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin)
        {
            var position = inner.Seek(offset, origin);
            Interlocked.Exchange(ref owner._lastSeek, position);
            return position;
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        private int Counted(int read)
        {
            Interlocked.Add(ref owner._bytesRead, read);
            return read;
        }
    }
}

/// <summary>Random damage to a valid file, remembered in the original's offsets so a test can tell which records it touched.</summary>
public sealed class Mutation
{
    private static readonly byte[] s_interesting = [.. "\n\r{}[]\":, "u8, 0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xff];
    private readonly List<(int Offset, char Kind)> _edits = [];

    private Mutation(byte[] bytes) => Bytes = bytes;

    /// <summary>The damaged file.</summary>
    public byte[] Bytes { get; private set; }

    /// <summary>The lowest original offset any edit touched (the original's length when none did).</summary>
    public int FirstTouched { get; private set; } = int.MaxValue;

    public string Describe() => string.Join(", ", _edits.Select(static e => $"{e.Kind}@{e.Offset}"));

    /// <summary>Applies <paramref name="count"/> edits (byte flips, insertions of 1–8 bytes, at most one truncation) at random offsets.</summary>
    /// <remarks>Edits go in from the highest offset down, so each one's offset is also its offset in the original.</remarks>
    /// <param name="original">The valid file.</param>
    /// <param name="random">The seeded generator.</param>
    /// <param name="count">How many edits.</param>
    /// <param name="from">The lowest offset an edit may touch (to spare a header).</param>
    public static Mutation Apply(byte[] original, Random random, int count, int from = 0)
    {
        var mutation = new Mutation(original);
        var offsets = new List<(int Offset, char Kind)>();
        var truncated = false;
        for (var i = 0; i < count; i++)
        {
            var kind = random.Next(10) switch
            {
                < 5 => 'f',
                < 8 => 'i',
                _ => truncated ? 'f' : 't',
            };
            truncated |= kind == 't';
            var end = kind == 'i' ? original.Length + 1 : original.Length;
            offsets.Add((Math.Min(random.Next(from, Math.Max(from + 1, end)), original.Length), kind));
        }

        var bytes = new List<byte>(original);
        foreach (var (offset, kind) in offsets.OrderByDescending(static e => e.Offset))
        {
            if (offset >= bytes.Count && kind != 'i')
            {
                continue;
            }

            switch (kind)
            {
                case 'f':
                    bytes[offset] ^= (byte)(random.Next(2) == 0 ? 1 << random.Next(8) : random.Next(1, 256));
                    break;
                case 'i':
                    var inserted = new byte[random.Next(1, 9)];
                    for (var j = 0; j < inserted.Length; j++)
                    {
                        inserted[j] = random.Next(3) == 0 ? s_interesting[random.Next(s_interesting.Length)] : (byte)random.Next(256);
                    }

                    bytes.InsertRange(offset, inserted);
                    break;
                default:
                    bytes.RemoveRange(offset, bytes.Count - offset);
                    break;
            }

            mutation._edits.Add((offset, kind));
            mutation.FirstTouched = Math.Min(mutation.FirstTouched, offset);
        }

        mutation.FirstTouched = Math.Min(mutation.FirstTouched, original.Length);
        mutation.Bytes = [.. bytes];
        return mutation;
    }

    /// <summary>Indexes of read records to resume after: dead letters first, the last record, and a few others, at most <paramref name="max"/>.</summary>
    public static List<int> ResumePoints(int count, Func<int, bool> isDeadLetter, Random random, int max = 24)
    {
        var errors = Enumerable.Range(0, count).Where(isDeadLetter).OrderBy(_ => random.Next()).Take(max / 2);
        var others = Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(max / 2);
        return [.. errors.Concat(others).Append(count - 1).Where(static i => i >= 0).Distinct().Order()];
    }

    /// <summary>Whether an edit touched the record at original bytes [<paramref name="start"/>, <paramref name="end"/>), delimiter included.</summary>
    /// <remarks>A flip of the delimiter before the record also touches it (the two merge); an insertion at its start does too.</remarks>
    public bool Touches(int start, int end, byte[] original, byte delimiter = (byte)'\n')
    {
        foreach (var (offset, kind) in _edits)
        {
            var hit = kind switch
            {
                't' => offset < end,
                'i' => offset >= start && offset < end,
                _ => (offset >= start && offset < end) || (offset == start - 1 && original[offset] == delimiter),
            };
            if (hit)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Runs a seeded case many times through CsCheck: CsCheck draws the seed, the case builds its file from a <see cref="Random"/> on it.</summary>
/// <remarks>
/// A case is a long chain of choices that depend on the bytes already encoded (where to cut, flip, insert), so it draws
/// them from a <see cref="Random"/> rather than from generators. CsCheck prints the failing case with its own seed (replay
/// with the environment variable <c>CsCheck_Seed</c>) and keeps looking for a failing case with a smaller seed.
/// </remarks>
public static class Seeds
{
    public static Task ForEachAsync(int cases, Func<int, Random, Task> property) =>
        Gen.Int[0, int.MaxValue].SampleAsync(seed => property(seed, new Random(seed)), iter: cases);
}

/// <summary>Reads a whole source into copies of its raw records, for comparing runs record by record.</summary>
public static class FileReading
{
    public static async Task<List<RawCopy>> ReadAllAsync(FileSource source, int capacity)
    {
        var records = new List<RawCopy>();
        using var batch = new RawRecordBatch(capacity);
        try
        {
            while (await source.ReadAsync(batch))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    records.Add(new RawCopy(batch.Partition, batch[i].Position, batch[i].Value.ToArray(), batch[i].Error));
                }

                batch.Clear();
            }
        }
        finally
        {
            await source.DisposeAsync();
        }

        return records;
    }
}

/// <summary>A copy of one raw record: where it came from, its bytes and any framing error.</summary>
public sealed record RawCopy(string Partition, long Position, byte[] Payload, string? Error);
