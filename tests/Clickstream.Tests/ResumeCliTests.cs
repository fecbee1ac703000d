using System.Globalization;
using System.Text;

namespace Clickstream.Tests;

/// <summary>
/// <c>--state-dir</c> and <c>--output DIR/</c>: a run killed with SIGKILL and started again gives the clean run's
/// answers, each once; part files appear only at checkpoints; a run with nothing new says so.
/// </summary>
public sealed class ResumeCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-resume-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("tumbling", "out/")]
    [InlineData("tumbling", "out.jsonl")]
    [InlineData("hopping", "out.msgpack")]
    public async Task Run_KilledAfterACheckpointAndRunAgain_ResumesAndWritesEveryResultOnce(string query, string output)
    {
        var input = Generate(200_000);
        var expected = CleanRun(input, query, output);
        var state = Path.Combine(_directory, "state");
        var target = Path.Combine(_directory, "chaos-" + output);
        string[] args = ["--input", input, "--query", query, "--output", target, "--state-dir", state, "--checkpoint-ms", "100"];

        // Killed once a checkpoint is saved.
        using (var first = SampleProcess.Start("Clickstream.dll", args))
        {
            await WaitForAsync(first, () => File.Exists(Path.Combine(state, $"clickstream-{query}.state")), "the first checkpoint");
            Assert.True(first.KillNow(), "the run finished before it could be killed:\n" + first.Error);
        }

        var (exit, error) = Sample.Execute(args);

        Assert.True(exit == 0, error);
        var read = long.Parse(error.Split('\n').Single(l => l.StartsWith(query + ":", StringComparison.Ordinal)).Split(' ')[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(read, 1, 200_000 - 1); // resumed from the checkpoint, not from the start
        Assert.Equal(expected, ReadResults(target));
    }

    [Fact]
    public async Task Run_OutputDirectory_PartFilesAppearOnlyAtCheckpoints()
    {
        var input = Generate(200_000);
        var expected = CleanRun(input, "tumbling", "out/");
        var target = Path.Combine(_directory, "parts");
        var state = Path.Combine(_directory, "state");

        // No checkpoint in the first run's life: windows close and are written, but only to an in-progress file.
        using (var first = SampleProcess.Start("Clickstream.dll", "--input", input, "--query", "tumbling", "--output", target + "/", "--state-dir", state, "--checkpoint-ms", "600000"))
        {
            await WaitForAsync(first, () => Directory.Exists(target) && Directory.GetFiles(target, "*.inprogress").Any(f => new FileInfo(f).Length > 0), "output in an in-progress file");
            Assert.True(first.KillNow(), "the run finished before it could be killed:\n" + first.Error);
        }

        Assert.Empty(Directory.GetFiles(target, "part-*.jsonl"));

        // Run again: no checkpoint to resume from, so from the start; the crashed run's in-progress file is swept.
        var (exit, error) = Sample.Execute("--input", input, "--query", "tumbling", "--output", target + "/", "--state-dir", state, "--checkpoint-ms", "100");

        Assert.True(exit == 0, error);
        Assert.Empty(Directory.GetFiles(target, "*.inprogress"));
        Assert.True(Directory.GetFiles(target, "part-*.jsonl").Length > 1, "one part file per checkpoint with output");
        Assert.Equal(expected, ReadResults(target + "/"));
    }

    [Fact]
    public void Run_ResumedWithNothingNew_SaysSoOnStandardErrorAndWritesNothingMore()
    {
        var input = Generate(2_000);
        var target = Path.Combine(_directory, "out.jsonl");
        string[] args = ["--input", input, "--query", "filter", "--output", target, "--state-dir", Path.Combine(_directory, "state")];
        Assert.Equal(0, Sample.Execute(args).Exit);
        var written = File.ReadAllText(target);

        var (exit, error) = Sample.Execute(args);

        Assert.Equal(0, exit);
        Assert.Contains("filter: nothing new: the checkpoint in", error, StringComparison.Ordinal);
        Assert.Contains("delete that directory", error, StringComparison.Ordinal);
        Assert.Equal(written, File.ReadAllText(target));
    }

    [Fact]
    public void Run_FileWithoutStateDir_SaysNothingAboutNothingNew()
    {
        var input = Generate(2_000);
        string[] args = ["--input", input, "--query", "tumbling", "--output", Path.Combine(_directory, "out.jsonl")];
        Assert.Equal(0, Sample.Execute(args).Exit);

        var (exit, error) = Sample.Execute(args);

        Assert.Equal(0, exit);
        Assert.DoesNotContain("nothing new", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_AvroFileWithStateDir_RefusedWithAHint()
    {
        var (exit, error) = Sample.Execute("--input", Generate(100), "--query", "tumbling", "--output", Path.Combine(_directory, "out.avro"), "--state-dir", Path.Combine(_directory, "state"));

        Assert.Equal(1, exit);
        Assert.Contains("--output DIR/", error, StringComparison.Ordinal);
    }

    /// <summary>Writes <paramref name="count"/> events, 20 ms apart and up to 3 s out of order.</summary>
    private string Generate(int count)
    {
        var path = Path.Combine(_directory, "events.jsonl");
        var random = new Random(count);
        var text = new StringBuilder(count * 110);
        for (var i = 0; i < count; i++)
        {
            var type = (i % 7) switch { < 4 => "view", < 6 => "click", _ => "purchase" };
            text.Append(CultureInfo.InvariantCulture,
                $$"""{"ts":{{1_767_225_600_000 + (i * 20L) - random.Next(3000)}},"userId":{{random.Next(1, 3000)}},"pageId":{{random.Next(1, 200)}},"eventType":"{{type}}","durationMs":{{random.Next(10, 5000)}},"country":"FR"}""").Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    private List<string> CleanRun(string input, string query, string output)
    {
        var path = Path.Combine(_directory, "clean-" + output);
        var (exit, error) = Sample.Execute("--input", input, "--query", query, "--output", path);
        Assert.True(exit == 0, error);
        return ReadResults(path);
    }

    /// <summary>Every result line, sorted: duplicates stay, so comparing with a clean run finds them.</summary>
    private static List<string> ReadResults(string output)
    {
        var files = output.EndsWith('/') ? Directory.GetFiles(output, "part-*.jsonl") : [output];
        var lines = new List<string>();
        foreach (var file in files)
        {
            if (file.EndsWith(".msgpack", StringComparison.Ordinal))
            {
                lines.Add(Convert.ToHexString(File.ReadAllBytes(file))); // one value: the exact bytes, duplicates included
            }
            else
            {
                lines.AddRange(File.ReadAllLines(file));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking it on each change under the test's directory (the sample's files) and on the sample's output and exit.</summary>
    private async Task WaitForAsync(RunningSample sample, Func<bool> condition, string what)
    {
        using var watcher = new FileSystemWatcher(_directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
        };
        FileSystemEventHandler changed = (_, _) => sample.Changed.Notify();
        watcher.Created += changed;
        watcher.Changed += changed;
        watcher.Renamed += (_, _) => sample.Changed.Notify();
        watcher.EnableRaisingEvents = true;

        await sample.Changed.WaitUntilAsync(() => condition() || sample.Process.HasExited, what);
        Assert.True(condition(), "the run ended before it could be killed:\n" + sample.Error);
    }
}
