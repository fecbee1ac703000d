using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace StreamKit.MessagePack.Tests;

/// <summary>
/// StreamKit against python3-msgpack, an independent implementation, both ways. Needs Debian's
/// <c>/usr/bin/python3</c> with the msgpack module (<c>eng/install-interop.sh</c>); without it these tests fail
/// rather than skip, so CI cannot pass without having run them.
/// </summary>
[Trait("Category", "Interop")]
public class InteropTests
{
    // Debian's interpreter, where apt installs python3-msgpack: another python3 (pyenv, venv) may be first on PATH.
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "run eng/install-interop.sh (installs Debian's python3-msgpack for /usr/bin/python3)";
    private static readonly string s_script = Path.Combine(AppContext.BaseDirectory, "Interop", "msgpack_interop.py");

    private static readonly int[] s_int32 = [0, 1, 127, 128, 255, 256, 65535, 65536, int.MaxValue, -1, -32, -33, -128, -129, -32768, -32769, int.MinValue];
    private static readonly long[] s_int64 = [.. s_int32.Select(static i => (long)i), 1L << 31, (1L << 32) - 1, 1L << 32, (1L << 53) + 1, long.MaxValue, (long)int.MinValue - 1, long.MinValue];
    private static readonly long[] s_timestamps = [0, 1, -1, -1_001, 1_700_000_000_000, 1_700_000_000_123, 4_294_967_295_000, 4_294_967_296_000, 17_179_869_184_000, -62_135_596_800_000, 253_402_300_799_999];
    private static readonly string[] s_countries = ["", "NZ", "Aotearoa", "日本", "Ελλάδα", new('x', 40), new('y', 300), new('z', 70_000)];

    [Fact]
    public void PythonWrittenStream_FramedAndDecoded_MatchesPythonRecords()
    {
        RequireMsgpack();
        var path = Path.GetTempFileName();
        try
        {
            var expected = Lines(RunPython(s_script, "write", path, "500"));
            var codec = new ClickCodec();

            var decoded = MessagePackFramingTests.FrameAndDecode(codec, File.ReadAllBytes(path), chunkSize: 4096);

            Assert.Equal(500, expected.Count);
            Assert.Equal(expected.Count, decoded.Count);
            for (var i = 0; i < decoded.Count; i++)
            {
                var actual = codec.ToJson(decoded[i]);
                Assert.True(JsonNode.DeepEquals(expected[i], actual), $"record {i}\nexpected {expected[i].ToJsonString()}\nactual   {actual.ToJsonString()}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(MessagePackTimestampEncoding.Int64Millis, "int")]
    [InlineData(MessagePackTimestampEncoding.Extension, "Timestamp")]
    public void StreamKitWrittenStream_ReadByPython_MatchesRecordsAndBytes(MessagePackTimestampEncoding encoding, string pythonTsType)
    {
        RequireMsgpack();
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = encoding });
        var random = new Random(7);
        var clicks = new List<Click>();
        var encoded = new List<byte[]>();
        var file = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 300; i++)
        {
            var click = RandomClick(random, codec);
            clicks.Add(click);
            encoded.Add(codec.Encode(click));
            codec.Encoder.Encode(in click, file);
        }

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, file.WrittenSpan.ToArray());

            var lines = Lines(RunPython(s_script, "read", path));

            Assert.Equal(clicks.Count, lines.Count);
            for (var i = 0; i < clicks.Count; i++)
            {
                var expected = codec.ToJson(clicks[i]);
                var record = lines[i]["record"]!;
                Assert.True(JsonNode.DeepEquals(expected, record), $"record {i}\nexpected {expected.ToJsonString()}\npython   {record.ToJsonString()}");
                Assert.Equal(pythonTsType, lines[i]["tsType"]!.GetValue<string>());

                // python re-encodes what it read in its own smallest encoding: the bytes must be StreamKit's.
                Assert.Equal(lines[i]["repacked"]!.GetValue<string>(), Bytes.ToHex(encoded[i]));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Click RandomClick(Random random, ClickCodec codec) => new()
    {
        Ts = Pick(random, s_timestamps),
        UserId = Pick(random, s_int32),
        PageId = Pick(random, s_int32),
        EventType = (EventKind)random.Next(3),
        DurationMs = Pick(random, s_int32),
        Revenue = random.Next(4) switch
        {
            0 => 0.0,
            1 => 1e300,
            2 => -2.5e-300,
            _ => random.Next(-1_000_000, 1_000_000) / 8.0,
        },
        Mobile = random.Next(2) == 0,
        CountryId = codec.Countries.GetOrAdd(Encoding.UTF8.GetBytes(Pick(random, s_countries))),
        SessionId = Pick(random, s_int64),
    };

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static List<JsonNode> Lines(string output)
    {
        var lines = new List<JsonNode>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            lines.Add(JsonNode.Parse(line)!);
        }

        return lines;
    }

    private static void RequireMsgpack()
    {
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} does not exist: {InstallHint}.");
        }

        var (exitCode, _, stderr) = Run("-c", "import msgpack");
        if (exitCode != 0)
        {
            var reason = stderr.Trim().Split('\n')[^1];
            Assert.Fail($"python3-msgpack is missing for {Python}: {InstallHint}. ({reason})");
        }
    }

    private static string RunPython(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = Run(arguments);
        Assert.True(exitCode == 0, $"{Python} {string.Join(' ', arguments)} exited with {exitCode}:\n{stderr}");
        return stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The scripts print UTF-8 whatever the machine's locale; no user site-packages may shadow Debian's module.
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment["PYTHONNOUSERSITE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Python} {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
