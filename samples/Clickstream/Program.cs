using System.Globalization;
using Clickstream;

// The clickstream sample. With no arguments it runs every query on the embedded data set and prints a summary;
// with --input/--query/--output it is a small tool whose output format other checks rely on:
//   dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl
const string Usage = "usage: Clickstream [--input FILE|DIR|kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group=G] --query filter|tumbling|hopping|sessions\n"
    + "                   --output FILE|kafka://HOST:PORT/TOPIC [--bounded]]\n"
    + "  files: .jsonl, .msgpack or .avro (input optionally .gz); --bounded: read a topic to its end offsets at start, then finish";

var arguments = CommandLine.Parse(args, ["bounded"], ["input", "query", "output"]);
if (arguments is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (arguments.Count == 0)
{
    return await Summary.RunAsync();
}

if (!CommandLine.Validate(arguments, ["input", "query", "output"], Usage))
{
    return 2;
}

var (input, query, output) = (arguments["input"], arguments["query"], arguments["output"]);

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
    var counters = await Jobs.RunQueryAsync(query, input, output, deadLetters, arguments.ContainsKey("bounded"), cancellationToken: stop.Token);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{query}: {counters.Read:N0} records read, {counters.Processed:N0} processed, {counters.DeadLettered:N0} dead-lettered{(counters.DeadLettered > 0 ? $" ({deadLetters})" : "")} -> {output}"));
    return 0;
}
catch (Exception e) when (e is NotSupportedException or InvalidDataException or IOException or FormatException or Confluent.Kafka.KafkaException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
