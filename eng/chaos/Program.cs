using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using StreamKit.TestSupport;

// eng/chaos.sh's helper, independent of the code under test (plain Confluent.Kafka and System.Text.Json):
//   generate N SEED FILE                 N clickstream events in time order (at most 3 s out of order), as JSON lines
//   produce BOOTSTRAP TOPIC FILE         the file's lines to the topic's 4 partitions, round-robin
//   consume BOOTSTRAP TOPIC FILE         every message's value, one per line; fails on a key that is not the value's (window, key)
//   kinesis FILE DIR BATCH               Kinesis events (as Lambda sends them) of BATCH records each: DIR/event-000000.json, ...
//   compare QUERY REFERENCE OUTPUT...    results against a clean run's, by (window, key): prints lost, duplicated, wrong
return args switch
{
    ["generate", var count, var seed, var file] => Generate(int.Parse(count, CultureInfo.InvariantCulture), int.Parse(seed, CultureInfo.InvariantCulture), file),
    ["produce", var bootstrap, var topic, var file] => Produce(bootstrap, topic, file),
    ["consume", var bootstrap, var topic, var file] => Consume(bootstrap, topic, file),
    ["kinesis", var file, var directory, var batch] => Kinesis(file, directory, int.Parse(batch, CultureInfo.InvariantCulture)),
    ["compare", var query, var reference, .. var outputs] when outputs.Length > 0 => Compare(query, reference, outputs),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Chaos generate N SEED FILE | produce BOOTSTRAP TOPIC FILE | consume BOOTSTRAP TOPIC FILE | kinesis FILE DIR BATCH | compare QUERY REFERENCE OUTPUT...");
    return 2;
}

static int Generate(int count, int seed, string path)
{
    string[] types = ["view", "view", "view", "view", "click", "click", "purchase"];
    string[] countries = ["US", "FR", "DE", "JP", "BR", "IN", "GB"];
    var random = new Random(seed);
    using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
    writer.NewLine = "\n";
    const long start = 1_767_225_600_000; // 2026-01-01
    for (var i = 0; i < count; i++)
    {
        // 20 ms apart on average, each up to 3 s late: within the sample's 5 s of tolerated disorder, so the answers do
        // not depend on how a run interleaves partitions or where it was interrupted.
        var ts = start + (i * 20L) - random.Next(3000);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $$"""{"ts":{{ts}},"userId":{{random.Next(1, 3000)}},"pageId":{{random.Next(1, 200)}},"eventType":"{{types[random.Next(types.Length)]}}","durationMs":{{random.Next(10, 5000)}},"country":"{{countries[random.Next(countries.Length)]}}"}"""));
    }

    return 0;
}

static int Produce(string bootstrap, string topic, string path)
{
    const int Partitions = 4; // the mock broker's default for a topic created by producing to it
    using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5, EnableIdempotence = true }).Build();
    var failed = 0;
    var i = 0;
    foreach (var line in File.ReadLines(path))
    {
        var message = new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(line) };
        while (true)
        {
            try
            {
                producer.Produce(new TopicPartition(topic, i % Partitions), message, r =>
                {
                    if (r.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
                break;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }

        i++;
    }

    if (producer.Flush(TimeSpan.FromSeconds(60)) != 0 || failed != 0)
    {
        Console.Error.WriteLine($"producing to {topic} failed ({failed} failed deliveries)");
        return 1;
    }

    Console.Error.WriteLine($"produced {i:N0} messages to {topic}");
    return 0;
}

static int Consume(string bootstrap, string topic, string path)
{
    using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "chaos-reader-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        EnablePartitionEof = true,
        IsolationLevel = IsolationLevel.ReadCommitted,
    }).Build();
    var timeout = TimeSpan.FromSeconds(30);
    using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
    var partitions = admin.GetMetadata(topic, timeout).Topics.Single(t => t.Topic == topic).Partitions
        .Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
    consumer.Assign(partitions);
    var open = partitions.Count;
    var badKeys = 0;
    var count = 0;
    using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
    while (open > 0)
    {
        if (DateTime.UtcNow > deadline)
        {
            Console.Error.WriteLine($"reading {topic} did not reach the end of every partition within 2 minutes");
            return 1;
        }

        if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { } result)
        {
            continue;
        }

        if (result.IsPartitionEOF)
        {
            open--;
            continue;
        }

        var value = Encoding.UTF8.GetString(result.Message.Value ?? []);
        var key = result.Message.Key is null ? null : Encoding.UTF8.GetString(result.Message.Key);
        if (key != KafkaKeyOf(value))
        {
            badKeys++;
        }

        writer.WriteLine(value);
        count++;
    }

    Console.Error.WriteLine($"read {count:N0} messages from {topic}{(badKeys > 0 ? $", {badKeys:N0} of them keyed other than WINDOWSTART/KEY" : "")}");
    return badKeys == 0 ? 0 : 1;
}

// The key the sample gives a result: WINDOWSTART/KEY, or "total" for filter's single result.
static string KafkaKeyOf(string json)
{
    using var document = JsonDocument.Parse(json);
    var root = document.RootElement;
    return root.TryGetProperty("windowStart", out var start) ? $"{start.GetInt64()}/{root.GetProperty("pageId").GetInt32()}"
        : root.TryGetProperty("sessionStart", out var session) ? $"{session.GetInt64()}/{root.GetProperty("userId").GetInt32()}"
        : "total";
}

static int Kinesis(string path, string directory, int batch)
{
    Directory.CreateDirectory(directory);
    var lines = File.ReadAllLines(path);
    for (int from = 0, n = 0; from < lines.Length; from += batch, n++)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"event-{n:D6}.json");
        File.WriteAllBytes(Path.Combine(directory, name), KinesisEvents.Create(lines, from, Math.Min(from + batch, lines.Length)));
    }

    return 0;
}

// lost: a (window, key) of the reference missing from the output; duplicated: copies beyond the first of a row;
// wrong: an output row whose (window, key) the reference lacks or has with another value (Kafka: conflicting values).
static int Compare(string query, string referencePath, string[] outputs)
{
    var reference = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var line in File.ReadLines(referencePath))
    {
        reference[IdentityOf(query, line)] = line;
    }

    var seen = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
    long rows = 0, duplicated = 0, wrong = 0;
    foreach (var output in outputs)
    {
        var files = Directory.Exists(output) ? Directory.GetFiles(output, "part-*.jsonl").Order(StringComparer.Ordinal).ToArray() : [output];
        foreach (var file in files)
        {
            foreach (var line in File.ReadLines(file))
            {
                rows++;
                var identity = IdentityOf(query, line);
                if (!seen.TryGetValue(identity, out var values))
                {
                    seen[identity] = values = new HashSet<string>(StringComparer.Ordinal);
                }

                if (!values.Add(line))
                {
                    duplicated++;
                }
                else if (!reference.TryGetValue(identity, out var expected) || expected != line)
                {
                    wrong++;
                }
            }
        }
    }

    var lost = reference.Keys.Count(k => !seen.ContainsKey(k));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows={rows} expected={reference.Count} lost={lost} duplicated={duplicated} wrong={wrong}"));
    return 0;
}

static string IdentityOf(string query, string json) => query == "filter" ? "total" : KafkaKeyOf(json);
