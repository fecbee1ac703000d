using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Clickstream;
using StreamKit.Kafka.Tests.Support;

namespace StreamKit.Kafka.Tests;

/// <summary>Kill -9 the consuming process mid-run, restart it: nothing lost, nothing counted twice.</summary>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests(KafkaBroker broker) : IDisposable
{
    private static readonly string s_worker = Path.Combine(AppContext.BaseDirectory, "StreamKit.Kafka.Tests.Worker.dll");
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-kafka-crash-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Worker_KilledMidRunAndRestarted_OutputHasEveryWindowOnceCounted()
    {
        var input = KafkaBroker.UniqueTopic("crash-in");
        var output = KafkaBroker.UniqueTopic("crash-out");
        var group = "crash-" + Guid.NewGuid().ToString("N");
        var lines = KafkaPipelineTests.ReadEventLines();
        KafkaTestClient.ProduceLines(broker.BootstrapServers, input, lines);
        var expected = await KafkaPipelineTests.FileRunAsync(Queries.Tumbling);
        string[] arguments = ["--bootstrap", broker.BootstrapServers, "--input", input, "--output", output, "--group", group, "--state", _directory, "--batch", "200", "--checkpoint-every", "5"];

        // First run, slowed down: killed (SIGKILL, no graceful stop) at its first checkpoint from the 20th on (about a
        // sixth of the way in when batches are full) whose output includes a window. Batches can be small (the source
        // hands over what the consume thread has), so the checkpoint count alone does not say a window has fired.
        var printed = new Pulse();
        using (var first = StartWorker([.. arguments, "--delay-ms", "4"], out var firstLines, printed))
        {
            await printed.WaitUntilAsync(() => firstLines.Any(KillPoint) || first.HasExited, "a checkpoint from the 20th on with a window written");
            Assert.True(firstLines.Any(KillPoint), "the worker ended before it was killed:\n" + string.Join('\n', firstLines));
            first.Kill(entireProcessTree: true);
            Assert.True(first.WaitForExit(10_000));
            Assert.DoesNotContain(firstLines, l => l.StartsWith("done", StringComparison.Ordinal));
        }

        var producedBeforeRestart = KafkaTestClient.ReadAll(broker.BootstrapServers, output).Count;
        Assert.True(producedBeforeRestart > 0, "the killed run had produced no window yet");

        // Second run, to the end of the input.
        using (var second = StartWorker(arguments, out var secondLines))
        {
            Assert.True(second.WaitForExit(120_000), "the restarted worker did not finish within 120 s");
            second.WaitForExit();
            Assert.True(second.ExitCode == 0, string.Join('\n', secondLines));
            var done = Assert.Single(secondLines, l => l.StartsWith("done", StringComparison.Ordinal));
            var read = long.Parse(done.Split(' ')[1]["read=".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(read, 1, lines.Count - 5_000); // resumed from the checkpoint (about 100 batches in), not from the start
        }

        // At-least-once output: windows fired after the last checkpoint of the killed run are produced again, with the
        // same count. Never a different count for the same window (that would be double counting), never one missing.
        var results = KafkaTestClient.ReadAll(broker.BootstrapServers, output).Select(m => KafkaTestClient.Text(m.Message.Value)).ToList();
        foreach (var window in results.GroupBy(WindowAndPage))
        {
            Assert.Single(window.Distinct(StringComparer.Ordinal));
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), results.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
    }

    /// <summary>A "checkpoint N windows=W" line with N of at least 20 and W above 0.</summary>
    private static bool KillPoint(string line)
    {
        var parts = line.Split(' ');
        return parts is ["checkpoint", var n, var w]
            && int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) >= 20
            && long.Parse(w["windows=".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static (long, int) WindowAndPage(string json)
    {
        using var document = JsonDocument.Parse(json);
        return (document.RootElement.GetProperty("windowStart").GetInt64(), document.RootElement.GetProperty("pageId").GetInt32());
    }

    /// <summary>Starts the worker, collecting its output lines; <paramref name="printed"/>, if given, is notified on each line and on exit.</summary>
    private static Process StartWorker(string[] arguments, out ConcurrentBag<string> lines, Pulse? printed = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(s_worker);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var collected = new ConcurrentBag<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                collected.Add(line);
                printed?.Notify();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                collected.Add("stderr: " + line);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => printed?.Notify();
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lines = collected;
        return process;
    }
}
