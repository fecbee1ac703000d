using System.Globalization;
using Clickstream;

// The clickstream sample. With no arguments it runs every query on the embedded data set and prints a summary;
// with --input/--query/--output it is a small tool whose output format other checks rely on:
//   dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl
const string Usage = "usage: Clickstream [--input FILE|DIR --query filter|tumbling|hopping|sessions --output FILE]\n"
    + "  input: .jsonl, .msgpack or .avro (optionally .gz); output: .jsonl, .msgpack or .avro";

var arguments = ParseArguments(args);
if (arguments is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (arguments.Count == 0)
{
    return await Summary.RunAsync();
}

if (!arguments.TryGetValue("input", out var input) || !arguments.TryGetValue("query", out var query) || !arguments.TryGetValue("output", out var output))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (query is not ("filter" or "tumbling" or "hopping" or "sessions"))
{
    Console.Error.WriteLine($"error: unknown query '{query}'");
    Console.Error.WriteLine(Usage);
    return 2;
}

if (!File.Exists(input) && !Directory.Exists(input))
{
    Console.Error.WriteLine($"error: input '{input}' not found");
    return 1;
}

try
{
    var deadLetters = output + ".deadletters.jsonl";
    var counters = await Jobs.RunQueryAsync(query, input, output, deadLetters);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{query}: {counters.Read:N0} records read, {counters.Processed:N0} processed, {counters.DeadLettered:N0} dead-lettered{(counters.DeadLettered > 0 ? $" ({deadLetters})" : "")} -> {output}"));
    return 0;
}
catch (Exception e) when (e is NotSupportedException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static Dictionary<string, string>? ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
        {
            return null;
        }

        var name = args[i][2..];
        if (name is not ("input" or "query" or "output"))
        {
            return null;
        }

        result[name] = args[i + 1];
    }

    return result;
}
