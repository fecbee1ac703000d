using System.CommandLine;
using System.Globalization;
using Clickstream;
using StreamKit.Runtime;
using StreamKit.State;

// The clickstream sample. With no arguments it runs every query on the embedded data set and prints a summary;
// with --input/--query/--output it is a small tool whose output format other checks rely on:
//   dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl
const string Usage = "usage: Clickstream [--input FILE|DIR|kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G] --query filter|tumbling|hopping|sessions\n"
    + "                   --output FILE|DIR/|kafka://HOST:PORT/TOPIC [--bounded] [--state-dir DIR] [--checkpoint-ms N]]\n"
    + "  files: .jsonl, .msgpack or .avro (input optionally .gz); DIR/: JSON lines part files, published at checkpoints;\n"
    + "  --bounded: read a topic to its end offsets at start, then finish (group streamkit-clickstream-QUERY unless ?group=);\n"
    + "  --state-dir: checkpoint state and positions there, and resume from them after a crash";

if (args.Length == 0)
{
    return await Summary.RunAsync();
}

var inputOption = CommandLine.Required("--input", "a .jsonl, .msgpack or .avro file (optionally .gz), a directory of them, or kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G]");
var queryOption = CommandLine.Query();
var outputOption = CommandLine.Required("--output", "a .jsonl, .msgpack or .avro file, a directory (DIR/) for part files published at checkpoints, or kafka://HOST:PORT/TOPIC");
var boundedOption = new Option<bool>("--bounded") { Description = "read a topic to the end offsets seen at start, then finish" };
var stateOption = new Option<string>("--state-dir") { Description = "keep checkpoints (state and input positions) in this directory; a run after a crash resumes from the last one" };
var checkpointOption = new Option<int>("--checkpoint-ms") { Description = "checkpoint every N milliseconds (default 1000)", DefaultValueFactory = static _ => 1000 };
checkpointOption.Validators.Add(static result =>
{
    if (result.GetValueOrDefault<int>() <= 0)
    {
        result.AddError("--checkpoint-ms must be positive");
    }
});
var command = new RootCommand("The clickstream queries over files or Kafka topics.") { inputOption, queryOption, outputOption, boundedOption, stateOption, checkpointOption };
command.SetAction((parsed, _) => RunAsync(
    parsed.GetRequiredValue(inputOption),
    parsed.GetRequiredValue(queryOption),
    parsed.GetRequiredValue(outputOption),
    parsed.GetValue(boundedOption),
    parsed.GetValue(stateOption),
    TimeSpan.FromMilliseconds(parsed.GetValue(checkpointOption))));
return await CommandLine.InvokeAsync(command, args, Usage);

static async Task<int> RunAsync(string input, string query, string output, bool bounded, string? stateDirectory, TimeSpan checkpointInterval)
{
    if (!KafkaJobs.IsKafka(input) && !File.Exists(input) && !Directory.Exists(input))
    {
        Console.Error.WriteLine($"error: input '{input}' not found");
        return 1;
    }

    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true; // stop polling, take a final checkpoint, then exit
        stop.Cancel();
    };

    try
    {
        var deadLetters = KafkaJobs.DeadLetterPath(output);
        var options = new PipelineRunnerOptions
        {
            CheckpointInterval = checkpointInterval,
            StateStore = stateDirectory is null ? null : new FileStateStore(stateDirectory),
            StateKey = "clickstream-" + query, // one directory can hold every query's checkpoint
        };
        var resumed = await Jobs.HasCheckpointAsync(options);
        var counters = await Jobs.RunQueryAsync(query, input, output, deadLetters, bounded, options, stop.Token);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{query}: {counters.Read:N0} records read, {counters.Processed:N0} processed, {counters.DeadLettered:N0} dead-lettered{(counters.DeadLettered > 0 ? $" ({deadLetters})" : "")} -> {output}"));
        if (counters.Read == counters.Skipped && !stop.IsCancellationRequested && (resumed || KafkaJobs.IsKafka(input)))
        {
            Console.Error.WriteLine(NothingNew(input, query, stateDirectory, resumed));
        }

        return 0;
    }
    catch (Exception e) when (e is NotSupportedException or InvalidDataException or IOException or FormatException or Confluent.Kafka.KafkaException or StateConflictException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
}

// Said on stderr when a run found no record it had not already applied: an empty result is then not a bug.
static string NothingNew(string input, string query, string? stateDirectory, bool resumed)
{
    if (resumed)
    {
        return KafkaJobs.IsKafka(input)
            ? $"{query}: nothing new: the checkpoint in '{stateDirectory}' already covers '{input}' to its end; to start over, delete that directory and add ?group=NAME with a new name (the group's committed offsets stay)"
            : $"{query}: nothing new: the checkpoint in '{stateDirectory}' already covers all of '{input}'; delete that directory (or name another --state-dir) to start over";
    }

    var group = KafkaJobs.ParseAddress(input).Group;
    return group is null
        ? $"{query}: nothing new: consumer group '{KafkaJobs.DefaultGroupOf(query)}' has already read '{input}' to its end; add ?group=NAME with a new name to read it from the start"
        : $"{query}: nothing new: consumer group '{group}' has already read '{input}' to its end; name a new ?group= to read it from the start";
}
