using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.Testing;

namespace StreamKit.TestSupport;

/// <summary>Damage for fuzzing decoders: random bytes, byte-level mutations of valid input and structural JSON mutations.</summary>
/// <remarks>
/// Used by the test project of every decoder (JSON lines, MessagePack, Avro, the Lambda and Event Hubs payloads), so
/// they are all fuzzed with the same mutations. Everything is drawn from the <see cref="Random"/> a CsCheck seed builds
/// (see <c>Seeds.ForEachAsync</c> in FileTestKit), so a failing case replays from its seed.
/// </remarks>
public static class Fuzz
{
    /// <summary>Bytes that mean something to one of the formats: JSON punctuation, MessagePack and Avro markers, varint continuations.</summary>
    private static readonly byte[] s_interesting =
        [.. "{}[]\":,\\ \n"u8, 0x00, 0x01, 0x02, 0x7f, 0x80, 0xc0, 0xc1, 0xc3, 0xc4, 0xc6, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xfe, 0xff];

    /// <summary>Up to <paramref name="maxLength"/> random bytes; one case in three is made mostly of <see cref="s_interesting"/> bytes.</summary>
    public static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        random.NextBytes(bytes);
        if (random.Next(3) == 0)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = random.Next(4) == 0 ? bytes[i] : s_interesting[random.Next(s_interesting.Length)];
            }
        }

        return bytes;
    }

    /// <summary>
    /// <paramref name="valid"/> with 1 to <paramref name="maxEdits"/> edits: bit flips, random or interesting bytes,
    /// insertions, deletions, a duplicated range, a truncation, and runs of 0xFF or big-endian/varint maxima where a
    /// length or count is likely to be (huge lengths and counts).
    /// </summary>
    public static byte[] Mutate(ReadOnlySpan<byte> valid, Random random, int maxEdits = 4)
    {
        var bytes = new List<byte>(valid.ToArray());
        for (var edits = random.Next(1, maxEdits + 1); edits > 0; edits--)
        {
            var at = random.Next(bytes.Count + 1);
            var inside = at < bytes.Count;
            switch (random.Next(10))
            {
                case 0 when inside:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when inside:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2 when inside:
                    bytes[at] = s_interesting[random.Next(s_interesting.Length)];
                    break;
                case 3:
                    bytes.InsertRange(at, RandomBytes(random, 8));
                    break;
                case 4 when inside:
                    bytes.RemoveRange(at, random.Next(1, Math.Min(16, bytes.Count - at) + 1));
                    break;
                case 5 when inside:
                    var length = random.Next(1, Math.Min(32, bytes.Count - at) + 1);
                    bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                    break;
                case 6:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 7:
                    // An Avro varint (zig-zag long) as large as it gets, or an overlong one.
                    bytes.InsertRange(at, [.. Enumerable.Repeat((byte)0xff, random.Next(1, 11)), (byte)random.Next(2)]);
                    break;
                case 8:
                    // A MessagePack str32/bin32/array32/map32 header with a huge length.
                    var header = new byte[5];
                    header[0] = (byte)(random.Next(4) switch { 0 => 0xdb, 1 => 0xc6, 2 => 0xdd, _ => 0xdf });
                    BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), random.Next(2) == 0 ? uint.MaxValue : (uint)random.Next());
                    bytes.InsertRange(at, header);
                    break;
                default:
                    bytes.InsertRange(at, RandomBytes(random, 3));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>
    /// <paramref name="valid"/> (one JSON value) rewritten with a few structural changes: properties dropped or
    /// duplicated, values replaced by another type, a huge number, a bad escape or deep nesting, arrays cut or padded.
    /// </summary>
    /// <param name="valid">Valid JSON.</param>
    /// <param name="random">The seeded generator.</param>
    /// <param name="rate">The chance each value is changed.</param>
    public static byte[] MutateJson(ReadOnlySpan<byte> valid, Random random, double rate = 0.05)
    {
        var node = JsonNode.Parse(valid);
        var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, MaxDepth = 4096 }))
        {
            Write(writer, node, random, rate);
        }

        return output.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node, Random random, double rate)
    {
        if (random.NextDouble() < rate)
        {
            WrongValue(writer, random);
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj)
                {
                    var roll = random.NextDouble();
                    if (roll < rate)
                    {
                        continue; // dropped
                    }

                    var copies = roll < 2 * rate ? 2 : 1; // duplicated: the later one wins or confuses
                    for (var i = 0; i < copies; i++)
                    {
                        writer.WritePropertyName(name);
                        Write(writer, value, random, rate);
                    }
                }

                if (random.NextDouble() < rate)
                {
                    writer.WritePropertyName("extra");
                    WrongValue(writer, random);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    var roll = random.NextDouble();
                    if (roll >= rate)
                    {
                        Write(writer, item, random, rate);
                    }
                    else if (roll < rate / 2)
                    {
                        WrongValue(writer, random); // an element of another type among the others
                    }
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    /// <summary>A value no schema expects there.</summary>
    private static void WrongValue(Utf8JsonWriter writer, Random random)
    {
        var depth = random.Next(60, 200);
        switch (random.Next(12))
        {
            case 0: writer.WriteNullValue(); break;
            case 1: writer.WriteBooleanValue(random.Next(2) == 0); break;
            case 2: writer.WriteNumberValue(random.Next() - (long)int.MaxValue); break;
            case 3: writer.WriteRawValue("123456789012345678901234567890123456789e300", skipInputValidation: true); break;
            case 4: writer.WriteRawValue("-1e-400", skipInputValidation: true); break;
            case 5: writer.WriteStringValue(""); break;
            case 6: writer.WriteRawValue("\"\\ud800 lone surrogate\"", skipInputValidation: true); break;
            case 7: writer.WriteRawValue("\"\\u00e9sc\\n\\\"aped\"", skipInputValidation: true); break;
            case 8: writer.WriteRawValue(new string('[', depth) + new string(']', depth), skipInputValidation: true); break;
            case 9: writer.WriteRawValue(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth), skipInputValidation: true); break;
            case 10: writer.WriteStartObject(); writer.WriteEndObject(); break;
            default: writer.WriteStringValue(Convert.ToBase64String(Encoding.UTF8.GetBytes("x" + random.Next()))); break;
        }
    }
}

/// <summary>One fuzzed payload for <see cref="DecoderRun"/>: its bytes and, when it was left intact, the record it must decode to.</summary>
/// <typeparam name="T">The record struct.</typeparam>
public readonly record struct FuzzPayload<T>(byte[] Bytes, T? Expected)
    where T : struct;

/// <summary>Runs payloads through a <see cref="PipelineRunner{T}"/> with a decoder and checks the repo's rule for bad input.</summary>
public static class DecoderRun
{
    /// <summary>
    /// Decodes every payload in a pass-through pipeline and asserts: nothing throws; every payload is processed or
    /// dead-lettered, exactly once; each dead letter carries its payload's bytes, its position and a reason; every intact
    /// payload decodes to its expected record; and the runner agrees with the decoder called alone.
    /// </summary>
    /// <param name="decoder">A fresh decoder (the runner uses it; the check afterwards uses <paramref name="check"/>).</param>
    /// <param name="check">A second decoder of the same configuration, to decode each payload alone.</param>
    /// <param name="payloads">The payloads, in order; position i is payload i.</param>
    /// <param name="equal">Whether a decoded record equals the expected one.</param>
    /// <param name="batchSize">The runner's batch size.</param>
    /// <returns>The number of payloads dead-lettered.</returns>
    public static async Task<int> AssertAccountedAsync<T>(IRecordDecoder<T> decoder, IRecordDecoder<T> check, IReadOnlyList<FuzzPayload<T>> payloads, Func<T, T, bool> equal, int batchSize)
        where T : struct
    {
        var source = new InMemorySource("fuzz");
        for (var i = 0; i < payloads.Count; i++)
        {
            source.Add("p", payloads[i].Bytes, position: i);
        }

        var sink = new CollectingSink<T>();
        var deadLetters = new InMemoryDeadLetterSink();
        var pipeline = StreamPipeline.Create<T>(new PipelineOptions { Name = "fuzz" }).To(sink);
        var runner = new PipelineRunner<T>(pipeline, source, decoder, deadLetters, new PipelineRunnerOptions { BatchSize = batchSize, UseSourceTimestamps = true });
        await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(payloads.Count, runner.Counters.Read);
        Assert.Equal(runner.Counters.Read, runner.Counters.Processed + runner.Counters.DeadLettered);
        Assert.Equal(runner.Counters.Processed, sink.Flushed.Count);
        Assert.Equal(runner.Counters.DeadLettered, deadLetters.Flushed.Count);

        var dead = new HashSet<long>();
        foreach (var letter in deadLetters.Flushed)
        {
            Assert.InRange(letter.Position, 0, payloads.Count - 1);
            Assert.True(dead.Add(letter.Position), $"payload {letter.Position} was dead-lettered twice");
            Assert.Equal("p", letter.Partition);
            Assert.Equal(payloads[(int)letter.Position].Bytes, letter.Payload);
            Assert.False(string.IsNullOrWhiteSpace(letter.Reason), $"the dead letter at {letter.Position} has no reason");
        }

        // The sink holds the payloads that were not dead-lettered, in order (the pipeline passes records through).
        var next = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            var record = default(T);
            var alone = check.TryDecode(payloads[i].Bytes, ref record, out var error);
            Assert.True(alone == (error is null), $"payload {i}: the decoder's result and its reason disagree ({error})");
            Assert.True(alone != dead.Contains(i), $"payload {i}: the runner and the decoder alone disagree ({error})");
            if (payloads[i].Expected.HasValue)
            {
                Assert.True(alone, $"intact payload {i} was rejected: {error}");
            }

            if (alone)
            {
                Assert.True(equal(record, sink.Flushed[next]), $"payload {i} decoded differently in the run and alone");
                Assert.True(payloads[i].Expected is not { } wanted || equal(wanted, record), $"intact payload {i} decoded to {record}, not {payloads[i].Expected}");
                next++;
            }
        }

        return dead.Count;
    }
}
