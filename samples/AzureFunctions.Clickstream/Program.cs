using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AzureFunctions.Clickstream;
using Clickstream;
using StreamKit.Hosting.AzureFunctions;
using StreamKit.Runtime;

// The local invoker: runs ClickstreamFunction on one Event Hubs trigger batch, one invocation per process, as the
// Functions host would (state survives in --state-dir, not in this process):
//   dotnet run -c Release --project samples/AzureFunctions.Clickstream -- --invoke BATCH.json --query tumbling \
//       --state-dir state --output out.jsonl [--flush] [--timeout SECONDS]
// BATCH.json: {"partitionId":"0","events":[{"body":"<base64>","sequenceNumber":N,"offset":"N","enqueuedTimeUtc":"<ISO 8601>"},...]}
// Prints one JSON line: {"partitionId","events","processed","skipped","deadLettered","pastDeadline","flushed"}.
const string Usage = "usage: AzureFunctions.Clickstream --invoke BATCH.json --query filter|tumbling|hopping|sessions --state-dir DIR --output OUT.jsonl\n"
    + "                                 [--flush] [--timeout SECONDS]\n"
    + "  --flush: after the batch, close every open window of its partition; --timeout: the function timeout (default 300)";

var invokeOption = CommandLine.Required("--invoke", "an Event Hubs trigger batch (JSON)");
var queryOption = CommandLine.Query();
var stateOption = CommandLine.Required("--state-dir", "the directory holding state per partition");
var outputOption = CommandLine.Required("--output", "the JSON lines file closed windows are appended to");
var flushOption = new Option<bool>("--flush") { Description = "after the batch, close every open window of its partition" };
var timeoutOption = new Option<double>("--timeout")
{
    Description = "the function timeout in seconds",
    DefaultValueFactory = static _ => 300,
    CustomParser = static result =>
    {
        var text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            return seconds;
        }

        result.AddError($"--timeout '{text}' is not a positive number of seconds");
        return 0;
    },
};
var command = new RootCommand("One local invocation of the clickstream function on an Event Hubs trigger batch.")
{
    invokeOption, queryOption, stateOption, outputOption, flushOption, timeoutOption,
};
command.SetAction((parsed, _) => InvokeAsync(
    parsed.GetRequiredValue(invokeOption), parsed.GetRequiredValue(queryOption), parsed.GetRequiredValue(stateOption), parsed.GetRequiredValue(outputOption),
    parsed.GetValue(flushOption), TimeSpan.FromSeconds(parsed.GetValue(timeoutOption))));
return await CommandLine.InvokeAsync(command, args, Usage);

static async Task<int> InvokeAsync(string batchPath, string query, string stateDirectory, string output, bool flush, TimeSpan timeout)
{
    if (!File.Exists(batchPath))
    {
        Console.Error.WriteLine($"error: batch '{batchPath}' not found");
        return 1;
    }

    using var batch = new InvocationBatch();
    string partitionId;
    try
    {
        partitionId = EventHubsBatchJson.Read(await File.ReadAllBytesAsync(batchPath), batch);
    }
    catch (FormatException e)
    {
        Console.Error.WriteLine($"error: {batchPath}: {e.Message}");
        return 1;
    }

    await using var function = new ClickstreamFunction(query, output, stateDirectory, timeout);
    try
    {
        var result = await function.RunAsync(batch);
        if (flush)
        {
            await function.CompleteAsync(partitionId);
        }

        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout))
        {
            json.WriteStartObject();
            json.WriteString("partitionId"u8, partitionId);
            json.WriteNumber("events"u8, batch.Count);
            json.WriteNumber("processed"u8, result.Processed);
            json.WriteNumber("skipped"u8, result.Skipped);
            json.WriteNumber("deadLettered"u8, result.DeadLettered);
            json.WriteNumber("pastDeadline"u8, result.PastDeadline);
            json.WriteBoolean("flushed"u8, flush);
            json.WriteEndObject();
        }

        stdout.Write("\n"u8);
        return 0;
    }
    catch (Exception e) when (e is IOException or StreamKit.State.StateConflictException or InvalidDataException or AggregateException)
    {
        Console.Error.WriteLine($"error: the invocation failed ({e.Message}); its records are in {ClickstreamFunction.UnprocessedPath(output)}");
        return 1;
    }
}
