using System.Diagnostics;
using Confluent.Kafka;

namespace StreamKit.Kafka.Tests.Support;

/// <summary>
/// The Kafka-protocol broker for the integration tests: <c>STREAMKIT_KAFKA_BOOTSTRAP</c> when set, else the one
/// <c>eng/test-peers.sh start kafka</c> starts (and this fixture stops again if it started it). Never skips: a broker
/// that cannot start fails every test with the script's output.
/// </summary>
public sealed class KafkaBroker : IDisposable
{
    public const string Collection = "kafka";
    private readonly bool _startedHere;

    public KafkaBroker()
    {
        // Debian's librdkafka1 (2.0.2, pulled in by kcat) must never be the one loaded.
        if (Library.VersionString != "2.15.1")
        {
            throw new InvalidOperationException($"librdkafka {Library.VersionString} is loaded; Confluent.Kafka 2.15.1 needs 2.15.1 (librdkafka.redist).");
        }

        RepositoryRoot = FindRepositoryRoot();
        var fromEnvironment = Environment.GetEnvironmentVariable("STREAMKIT_KAFKA_BOOTSTRAP");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            BootstrapServers = fromEnvironment.Trim();
            return;
        }

        var script = Path.Combine(RepositoryRoot, "eng", "test-peers.sh");
        _startedHere = Run(script, ["status", "kafka"], TimeSpan.FromSeconds(30), out _, out _) != 0;

        // -d 0: no initial rebalance delay, so consumer-group tests do not wait 3 s per join. Ignored when already running.
        // A cold eng/.cache builds librdkafka first (minutes on 2 cores).
        // Two more attempts after a failure: a start can fail when another process stops the broker at the same moment.
        for (var attempt = 1; ; attempt++)
        {
            var exit = Run(script, ["start", "kafka", "-d", "0"], TimeSpan.FromMinutes(15), out var stdout, out var stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (exit == 0 && lines.Length > 0)
            {
                BootstrapServers = lines[^1];
                break;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"eng/test-peers.sh start kafka failed {attempt} times (last exit {exit}); the Kafka tests need its broker.\nstdout:\n{stdout}\nstderr:\n{Tail(stderr)}");
            }

            Console.Error.WriteLine($"eng/test-peers.sh start kafka failed (exit {exit}), retrying:\n{Tail(stderr)}");
            Thread.Sleep(1000);
        }
    }

    /// <summary>Comma-separated bootstrap servers.</summary>
    public string BootstrapServers { get; }

    public string RepositoryRoot { get; }

    public void Dispose()
    {
        if (_startedHere)
        {
            Run(Path.Combine(RepositoryRoot, "eng", "test-peers.sh"), ["stop", "kafka"], TimeSpan.FromSeconds(30), out _, out _);
        }
    }

    /// <summary>A topic name no other test (or run) uses.</summary>
    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static int Run(string file, IEnumerable<string> arguments, TimeSpan timeout, out string stdout, out string stderr, string? stdin = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        process.WaitForExit();
        stdout = output.GetAwaiter().GetResult();
        stderr = error.GetAwaiter().GetResult();
        return process.ExitCode;
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "eng", "test-peers.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No eng/test-peers.sh above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(KafkaBroker.Collection)]
public sealed class KafkaCollection : ICollectionFixture<KafkaBroker>
{
}
