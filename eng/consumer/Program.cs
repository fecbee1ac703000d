using System.Buffers;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Avro;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StreamKit;
using StreamKit.Avro;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Hosting;
using StreamKit.Hosting.AwsLambda;
using StreamKit.Hosting.AwsLambda.State;
using StreamKit.Hosting.AzureFunctions;
using StreamKit.Hosting.AzureFunctions.State;
using StreamKit.Kafka;
using StreamKit.Kinesis;
using StreamKit.MessagePack;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

// A user's program written against every packed StreamKit package, published Native AOT by eng/pack-check.sh (which
// fails on any trim or AOT warning) and run: views per page per minute from the same JSON lines through each way in
// (the records re-encoded as MessagePack and Avro, a Lambda Kinesis event twice, an Event Hubs EventData batch, a
// hosted job over a file), each giving the same windows. The Kafka, Kinesis, S3 and Blob clients are built but
// never connected.
string[] lines =
[
    """{"ts":0,"page":1}""", """{"ts":1000,"page":2}""", """{"ts":30000,"page":1}""",
    """{"ts":61000,"page":1}""", """{"ts":62000,"page":2}""", """{"ts":125000,"page":3}""",
];
string[] expected = ["0 page 1: 2", "0 page 2: 1", "120000 page 3: 1", "60000 page 1: 1", "60000 page 2: 1"];
var map = new RecordMap<View>()
    .Int64("ts", static (ref View v, long ts) => v.Ts = ts, static (in View v) => v.Ts)
    .Int32("page", static (ref View v, int page) => v.Page = page, static (in View v) => v.Page);
var work = Directory.CreateTempSubdirectory("streamkit-consumer-");
var failures = 0;
try
{
    Check("formats (JSON lines -> MessagePack -> Avro)", Formats(lines, map));
    Check("AWS Lambda (Kinesis event, then delivered again)", await LambdaAsync(lines, map, work.FullName));
    Check("Azure Functions (EventData batch)", await AzureFunctionsAsync(lines, map, work.FullName));
    Check("hosted job (file source)", await HostedAsync(lines, map, work.FullName));
    await BuildClientsAsync();
}
finally
{
    work.Delete(recursive: true);
}

if (failures > 0)
{
    return 1;
}

Console.WriteLine("consumer: every StreamKit package works (formats, AWS Lambda, Azure Functions, hosting; Kafka, Kinesis, S3 and Blob clients built)");
return 0;

void Check(string path, IEnumerable<string> actual)
{
    var sorted = actual.Order(StringComparer.Ordinal).ToArray();
    if (!sorted.SequenceEqual(expected))
    {
        failures++;
        Console.Error.WriteLine($"consumer: {path}: unexpected results:\n  " + string.Join("\n  ", sorted));
    }
}

static Pipeline<View> Views(IRecordSink<WindowResult<int, long>> sink) =>
    StreamPipeline.Create<View>(static v => v.Ts, new PipelineOptions { MaxOutOfOrderness = TimeSpan.Zero })
        .KeyBy(static v => v.Page)
        .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
        .Aggregate(static a => a.Count())
        .To(sink);

static IEnumerable<string> Results(CollectingSink<WindowResult<int, long>> sink) =>
    sink.Records.Select(static r => $"{r.Start} page {r.Key}: {r.Value}");

// Each line decoded from JSON, encoded and decoded as MessagePack, then as Avro, and the records run through the pipeline.
static IEnumerable<string> Formats(string[] lines, RecordMap<View> map)
{
    var json = new JsonLinesDecoder<View>(map);
    var messagePack = (Encoder: new MessagePackEncoder<View>(map), Decoder: new MessagePackDecoder<View>(map));
    var avroEncoder = new AvroEncoder<View>(map, "View", "StreamKit.Consumer");

    // A reader schema as a user writes it, with custom properties and a field default, parsed and printed by
    // Apache.Avro: the code the trim and AOT warnings in eng/consumer/aot-warnings.txt are in (PropertyMap.Parse,
    // Field.writeJson), run here in the native executable.
    var reader = (RecordSchema)Schema.Parse("""{"type":"record","name":"View","namespace":"StreamKit.Consumer","owner":{"team":"web"},"fields":[{"name":"ts","type":"long"},{"name":"page","type":"int"},{"name":"weight","type":"int","default":1,"unit":"clicks"}]}""");
    var printed = reader.ToString();
    if (reader.GetProperty("owner") != """{"team":"web"}""" || !printed.Contains("\"default\":1", StringComparison.Ordinal) || !printed.Contains("\"unit\":\"clicks\"", StringComparison.Ordinal))
    {
        throw new InvalidDataException($"Apache.Avro printed the reader schema as {printed} (owner {reader.GetProperty("owner")})");
    }

    var avroDecoder = new AvroDecoder<View>(avroEncoder.Schema, map, reader);
    var buffer = new ArrayBufferWriter<byte>();
    var sink = new CollectingSink<WindowResult<int, long>>();
    var pipeline = Views(sink);
    foreach (var line in lines)
    {
        var record = default(View);
        Decode(json, Encoding.UTF8.GetBytes(line), ref record);
        buffer.ResetWrittenCount();
        messagePack.Encoder.Encode(record, buffer);
        var fromMessagePack = default(View);
        Decode(messagePack.Decoder, buffer.WrittenSpan, ref fromMessagePack);
        buffer.ResetWrittenCount();
        avroEncoder.Encode(fromMessagePack, buffer);
        var fromAvro = default(View);
        Decode(avroDecoder, buffer.WrittenSpan, ref fromAvro);
        if (fromAvro != record)
        {
            throw new InvalidDataException($"{record} came back as {fromAvro}");
        }

        pipeline.Process([fromAvro]);
    }

    pipeline.Complete();
    return Results(sink);
}

static void Decode(IRecordDecoder<View> decoder, ReadOnlySpan<byte> payload, ref View record)
{
    if (!decoder.TryDecode(payload, ref record, out var error))
    {
        throw new InvalidDataException($"{decoder.GetType().Name}: {error}");
    }
}

static InvocationRunner<View> Runner(RecordMap<View> map, CollectingSink<WindowResult<int, long>> sink, string stateDirectory) =>
    new(() => new PipelineInstance<View>(Views(sink), new JsonLinesDecoder<View>(map)), new InMemoryDeadLetterSink(), new InvocationRunnerOptions { StateStore = new FileStateStore(stateDirectory) });

// A Kinesis event as Lambda sends it, handled by the function, then delivered again: the second delivery is skipped.
static async Task<IEnumerable<string>> LambdaAsync(string[] lines, RecordMap<View> map, string work)
{
    var kinesis = new StringBuilder("""{"Records":[""");
    for (var i = 0; i < lines.Length; i++)
    {
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(lines[i]));
        kinesis.Append(i == 0 ? "" : ",").Append($$"""{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"k","sequenceNumber":"{{100 + i}}","data":"{{data}}","approximateArrivalTimestamp":1700000000.5},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"shardId-000000000000:{{100 + i}}","eventName":"aws:kinesis:record","awsRegion":"us-east-1","eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/views"}""");
    }

    var sink = new CollectingSink<WindowResult<int, long>>();
    var runner = Runner(map, sink, Path.Combine(work, "lambda"));
    var function = new StreamKitFunction<View>(LambdaEventSource.Kinesis, runner);
    var invocation = new LambdaInvocation("request-1", DateTimeOffset.UtcNow.AddMinutes(5), FunctionArn: null, TraceId: null, Encoding.UTF8.GetBytes(kinesis.Append("]}").ToString()));
    for (var delivery = 0; delivery < 2; delivery++)
    {
        var response = new ArrayBufferWriter<byte>();
        await function.HandleAsync(invocation, response);
        var expected = (Processed: delivery == 0 ? lines.Length : 0, Skipped: delivery == 0 ? 0 : lines.Length);
        if (!response.WrittenSpan.SequenceEqual("""{"batchItemFailures":[]}"""u8) || (function.LastResult.Processed, function.LastResult.Skipped) != expected)
        {
            throw new InvalidDataException($"Lambda delivery {delivery + 1}: {Encoding.UTF8.GetString(response.WrittenSpan)}, {function.LastResult}");
        }
    }

    await runner.CompleteAsync("shardId-000000000000");
    return Results(sink);
}

// The isolated worker's EventData binding, with events as Event Hubs delivers them.
static async Task<IEnumerable<string>> AzureFunctionsAsync(string[] lines, RecordMap<View> map, string work)
{
    var events = new EventData[lines.Length];
    for (var i = 0; i < lines.Length; i++)
    {
        events[i] = EventHubsModelFactory.EventData(new BinaryData(Encoding.UTF8.GetBytes(lines[i])), partitionKey: "k", sequenceNumber: i, offsetString: (64 * i).ToString(System.Globalization.CultureInfo.InvariantCulture), enqueuedTime: DateTimeOffset.UnixEpoch);
    }

    var sink = new CollectingSink<WindowResult<int, long>>();
    var invocations = Runner(map, sink, Path.Combine(work, "azure"));
    using var runner = new AzureFunctionsRunner<View>(invocations, new InMemoryDeadLetterSink());
    var result = await runner.RunEventHubsAsync("0", events);
    if (result != new FunctionBatchResult(lines.Length, 0, 0, 0))
    {
        throw new InvalidDataException($"Azure Functions: {result}");
    }

    await invocations.CompleteAsync("0");
    return Results(sink);
}

// A hosted job (Microsoft.Extensions.Hosting) reading the lines from a file; the host stops when the job completes.
static async Task<IEnumerable<string>> HostedAsync(string[] lines, RecordMap<View> map, string work)
{
    var input = Path.Combine(work, "views.jsonl");
    await File.WriteAllLinesAsync(input, lines);
    var sink = new CollectingSink<WindowResult<int, long>>();
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddStreamKit()
        .AddJob<View>("views", (_, _) => new StreamKitJob<View>
        {
            Pipeline = Views(sink),
            Source = new FileSource(input),
            Decoder = new JsonLinesDecoder<View>(map),
            DeadLetters = new InMemoryDeadLetterSink(),
        })
        .Configure(static o => o.StopHostWhenCompleted = true);
    using var host = builder.Build();
    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
    await host.RunAsync(timeout.Token);
    return Results(sink);
}

// Clients as an application builds them at start; none is connected (no broker, stream, bucket or account here). The
// Kafka source loads librdkafka (whose connection attempts to the closed port are not logged).
static async Task BuildClientsAsync()
{
    using var s3 = new S3StateStore(new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.USEast1 }, "state", "views/");
    _ = new BlobStateStore("UseDevelopmentStorage=true", "state");
    await using var kinesis = new KinesisSource(new KinesisSourceOptions { StreamName = "views", Region = "us-east-1", Credentials = new BasicAWSCredentials("id", "secret") });
    await using var kafka = new KafkaSource(new KafkaSourceOptions { BootstrapServers = "127.0.0.1:9", Topics = ["views"], GroupId = "consumer", Config = new Dictionary<string, string> { ["log_level"] = "0" } });
}

internal record struct View(long Ts, int Page);
