using System.Diagnostics;
using System.Text.Json;

namespace StreamKit.Avro.Tests.Interop;

/// <summary>Runs Debian's /usr/bin/python3 with Apache Avro's Python implementation, and avro-bin's C tools.</summary>
internal static class PythonAvro
{
    public const string Python = "/usr/bin/python3";

    private const string InstallHint = "Apache Avro interop peers are missing: run eng/install-interop.sh (installs python3-avro and avro-bin) and retry.";

    /// <summary>Reads and writes container files; timestamp-millis fields travel as epoch milliseconds in the JSON.</summary>
    private const string Script = """
        import sys, json, datetime
        import avro.schema, avro.datafile, avro.io

        EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

        def ts_fields(schema):
            return {f.name for f in schema.fields if getattr(f.type, "logical_type", None) == "timestamp-millis"
                    or getattr(f.type, "get_prop", lambda k: None)("logicalType") == "timestamp-millis"}

        def to_json(v):
            if isinstance(v, datetime.datetime):
                return (v - EPOCH) // datetime.timedelta(milliseconds=1)
            if isinstance(v, bytes):
                return v.decode("utf-8")
            return v

        mode = sys.argv[1]
        if mode == "write":
            schema = avro.schema.parse(open(sys.argv[2]).read())
            codec, records, out = sys.argv[3], json.load(open(sys.argv[4])), sys.argv[5]
            ts = ts_fields(schema)
            with avro.datafile.DataFileWriter(open(out, "wb"), avro.io.DatumWriter(), schema, codec=codec) as w:
                for r in records:
                    for name in ts:
                        r[name] = EPOCH + datetime.timedelta(milliseconds=r[name])
                    w.append(r)
        elif mode == "read":
            with avro.datafile.DataFileReader(open(sys.argv[2], "rb"), avro.io.DatumReader()) as r:
                print(json.dumps({"codec": r.get_meta("avro.codec").decode(),
                                  "records": [{k: to_json(v) for k, v in rec.items()} for rec in r]}))
        elif mode == "canonical":
            print(avro.schema.parse(open(sys.argv[2]).read()).canonical_form)
        """;

    public static void EnsureInstalled()
    {
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} not found. {InstallHint}");
        }

        var (code, _, stderr) = Run(Python, "-c", "import avro.schema, avro.datafile, avro.io");
        if (code != 0)
        {
            Assert.Fail($"`{Python} -c 'import avro'` failed: {stderr.Trim()}. {InstallHint}");
        }
    }

    public static string RunScript(params string[] args)
    {
        EnsureInstalled();
        var script = TestPaths.TempFile(".py");
        File.WriteAllText(script, Script);
        var (code, stdout, stderr) = Run(Python, [script, .. args]);
        Assert.True(code == 0, $"python avro {args[0]} failed ({code}): {stderr}");
        return stdout;
    }

    public static void WriteContainer(string schemaJson, string codec, IEnumerable<Dictionary<string, object?>> records, string path)
    {
        var schemaPath = TestPaths.TempFile(".avsc");
        var recordsPath = TestPaths.TempFile(".json");
        File.WriteAllText(schemaPath, schemaJson);
        File.WriteAllText(recordsPath, JsonSerializer.Serialize(records.ToList(), InteropJson.Default.ListDictionaryStringObject));
        RunScript("write", schemaPath, codec, recordsPath, path);
    }

    public static (string Codec, List<JsonElement> Records) ReadContainer(string path)
    {
        using var doc = JsonDocument.Parse(RunScript("read", path));
        var records = doc.RootElement.GetProperty("records").EnumerateArray().Select(e => e.Clone()).ToList();
        return (doc.RootElement.GetProperty("codec").GetString()!, records);
    }

    public static (int Code, string Stdout, string Stderr) Run(string fileName, params string[] args)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} timed out.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<Dictionary<string, object?>>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<object?>))]
internal sealed partial class InteropJson : System.Text.Json.Serialization.JsonSerializerContext;
