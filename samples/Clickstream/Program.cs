using System.CommandLine;
using System.Globalization;
using Clickstream;

// The clickstream sample. With no arguments it runs every query on the embedded data set and prints a summary;
// with --input/--query/--output it is a small tool whose output format other checks rely on:
//   dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl
const string Usage = "usage: Clickstream [--input FILE|DIR|kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G] --query filter|tumbling|hopping|sessions\n"
    + "                   --output FILE|kafka://HOST:PORT/TOPIC [--bounded]]\n"
    + "  files: .jsonl, .msgpack or .avro (input optionally .gz); --bounded: read a topic to its end offsets at start, then finish";

if (args.Length == 0)
{
    return await Summary.RunAsync();
}

var inputOption = CommandLine.Required("--input", "a .jsonl, .msgpack or .avro file (optionally .gz), a directory of them, or kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G]");
var queryOption = CommandLine.Query();
var outputOption = CommandLine.Required("--output", "a .jsonl, .msgpack or .avro file, or kafka://HOST:PORT/TOPIC");
var boundedOption = new Option<bool>("--bounded") { Description = "read a topic to the end offsets seen at start, then finish" };
var command = new RootCommand("The clickstream queries over files or Kafka topics.") { inputOption, queryOption, outputOption, boundedOption };
command.SetAction((parsed, _) => RunAsync(parsed.GetRequiredValue(inputOption), parsed.GetRequiredValue(queryOption), parsed.GetRequiredValue(outputOption), parsed.GetValue(boundedOption)));
return await CommandLine.InvokeAsync(command, args, Usage);

static async Task<int> RunAsync(string input, string query, string output, bool bounded)
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
        var counters = await Jobs.RunQueryAsync(query, input, output, deadLetters, bounded, cancellationToken: stop.Token);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{query}: {counters.Read:N0} records read, {counters.Processed:N0} processed, {counters.DeadLettered:N0} dead-lettered{(counters.DeadLettered > 0 ? $" ({deadLetters})" : "")} -> {output}"));
        return 0;
    }
    catch (Exception e) when (e is NotSupportedException or InvalidDataException or IOException or FormatException or Confluent.Kafka.KafkaException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
}
