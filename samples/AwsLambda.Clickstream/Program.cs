using System.Buffers;
using System.CommandLine;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Clickstream;
using StreamKit.Hosting.AwsLambda;
using StreamKit.Hosting.AwsLambda.Runtime;
using StreamKit.Hosting.AwsLambda.State;
using StreamKit.State;

// The clickstream queries as an AWS Lambda function on a Kinesis trigger (custom runtime, provided.al2023).
// With no arguments it is the function: the Runtime API loop, configured from environment variables.
// With --invoke it handles one event file locally and exits (one invocation per process, as a cold instance would):
//   dotnet run -c Release --project samples/AwsLambda.Clickstream -- --invoke event.json --query tumbling --state-dir state --output out.jsonl
const string Usage = "usage: AwsLambda.Clickstream --invoke EVENT.json --query filter|tumbling|hopping|sessions --state-dir DIR --output OUT.jsonl [--flush]\n"
    + "   or: AwsLambda.Clickstream   (inside Lambda: CLICKSTREAM_QUERY, CLICKSTREAM_STATE_BUCKET [+ CLICKSTREAM_STATE_PREFIX] or CLICKSTREAM_STATE_DIR, optional CLICKSTREAM_OUTPUT; AWS_LAMBDA_RUNTIME_API is set by the platform)\n"
    + "  --invoke: EVENT.json is a Kinesis event as Lambda sends it; the response goes to stdout, closed windows are appended to OUT.jsonl,\n"
    + "  state lives in DIR per shard; --flush closes every open window of the event's shards afterwards (end of stream)";

if (args.Length == 0)
{
    return await RunFunctionAsync();
}

return await InvokeFromCommandLineAsync(args);

// Its own method, as S3Store below: the function (no arguments) never loads System.CommandLine.
[MethodImpl(MethodImplOptions.NoInlining)]
static Task<int> InvokeFromCommandLineAsync(string[] args)
{
    var invokeOption = CommandLine.Required("--invoke", "a Kinesis event as Lambda sends it (JSON)");
    var queryOption = CommandLine.Query();
    var stateOption = CommandLine.Required("--state-dir", "the directory holding state per shard");
    var outputOption = CommandLine.Required("--output", "the JSON lines file closed windows are appended to");
    var flushOption = new Option<bool>("--flush") { Description = "close every open window of the event's shards afterwards (end of stream)" };
    var command = new RootCommand("One local invocation of the clickstream function on a Kinesis event.") { invokeOption, queryOption, stateOption, outputOption, flushOption };
    command.SetAction(async (parsed, _) =>
    {
        var eventPath = parsed.GetRequiredValue(invokeOption);
        if (!File.Exists(eventPath))
        {
            Console.Error.WriteLine($"error: event '{eventPath}' not found");
            return 1;
        }

        try
        {
            await InvokeOnceAsync(await File.ReadAllBytesAsync(eventPath), parsed.GetRequiredValue(queryOption), parsed.GetRequiredValue(stateOption), parsed.GetRequiredValue(outputOption), parsed.GetValue(flushOption));
            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException or StreamKit.State.StateConflictException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    });
    return CommandLine.InvokeAsync(command, args, Usage);
}

static async Task InvokeOnceAsync(byte[] kinesisEvent, string query, string stateDirectory, string output, bool flush)
{
    await using var job = FunctionJob.Create(query, output, stateDirectory, DeadLetterPath(output));
    var function = new StreamKitFunction<ClickEvent>(LambdaEventSource.Kinesis, job.Runner);
    var response = new ArrayBufferWriter<byte>();

    // A local invocation has no platform timeout: a deadline a day away lets the runner take every record.
    var invocation = new LambdaInvocation("local-invoke", DateTimeOffset.UtcNow.AddDays(1), FunctionArn: null, TraceId: null, kinesisEvent);
    await function.HandleAsync(invocation, response);
    using (var stdout = Console.OpenStandardOutput())
    {
        stdout.Write(response.WrittenSpan);
        stdout.Write("\n"u8);
    }

    if (flush)
    {
        foreach (var shard in function.LastPartitions)
        {
            await job.CompleteAsync(shard);
        }
    }
}

static async Task<int> RunFunctionAsync()
{
    if (Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API") is null)
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    // Built once per instance inside the loop's factory, so a configuration error reaches the platform as an init
    // error; the job (and its warm per-shard state) lives as long as the instance.
    FunctionJob? job = null;
    try
    {
        await LambdaRuntime.RunAsync(() =>
        {
            var query = Environment.GetEnvironmentVariable("CLICKSTREAM_QUERY") ?? throw new InvalidOperationException("CLICKSTREAM_QUERY is not set (filter, tumbling, hopping or sessions).");
            var bucket = Environment.GetEnvironmentVariable("CLICKSTREAM_STATE_BUCKET");
            var stateDirectory = Environment.GetEnvironmentVariable("CLICKSTREAM_STATE_DIR");
            IStateStore store = bucket is not null
                ? S3Store(bucket, Environment.GetEnvironmentVariable("CLICKSTREAM_STATE_PREFIX"))
                : new FileStateStore(stateDirectory ?? throw new InvalidOperationException("Set CLICKSTREAM_STATE_BUCKET (an S3 bucket) or CLICKSTREAM_STATE_DIR (a mounted EFS directory: /tmp does not outlive the instance)."));
            var output = Environment.GetEnvironmentVariable("CLICKSTREAM_OUTPUT") ?? Path.Combine(stateDirectory ?? Path.GetTempPath(), query + ".windows.jsonl");
            job = FunctionJob.Create(query, output, store, DeadLetterPath(output));
            return new StreamKitFunction<ClickEvent>(LambdaEventSource.Kinesis, job.Runner);
        });
        return 0;
    }
    finally
    {
        if (job is not null)
        {
            await job.DisposeAsync();
        }
    }
}

static string DeadLetterPath(string output) => output + ".deadletters.jsonl";

// Its own method, kept out of the caller: the JIT would load the AWS SDK's assemblies to compile the caller even when
// state lives in a directory, and that is cold-start time.
[MethodImpl(MethodImplOptions.NoInlining)]
static IStateStore S3Store(string bucket, string? prefix) => new S3StateStore(new AmazonS3Config(), bucket, prefix);
