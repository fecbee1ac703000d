
namespace AwsLambda.Clickstream.Tests;

/// <summary>
/// An invocation that crashed after its checkpoint was saved, before or while its closed windows were appended, and is
/// retried: the windows are in the output once. Killed invocations, retried: the file run's answers, each once.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const string FunctionDll = "AwsLambda.Clickstream.dll";
    private readonly string _directory = Directory.CreateTempSubdirectory("awslambda-clickstream-crash-").FullName;
    private readonly List<string> _lines = KinesisEvents.ReadEvents(12_000);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0.0)] // the crash came before the append
    [InlineData(0.5)] // the crash cut the append off halfway
    [InlineData(1.0)] // the crash came after the append: the platform retries a batch that succeeded
    public void Invoke_RetriedAfterACrashAroundTheAppend_WindowsWrittenOnce(double appended)
    {
        var first = Event(0, 6_000);
        var second = Event(6_000, 12_000);
        var output = Path.Combine(_directory, "out.jsonl");
        Invoke(first, output);
        var before = new FileInfo(output).Length;
        Invoke(second, output);
        var complete = File.ReadAllBytes(output);
        Assert.True(complete.Length > before, "the second batch closed no window");

        // The state of the second invocation is saved; its lines are, in part or not at all, in the file.
        using (var file = new FileStream(output, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(before + (long)((complete.Length - before) * appended));
        }

        Invoke(second, output);

        Assert.Equal(complete, File.ReadAllBytes(output));
    }

    [Fact]
    public void Invoke_KilledAtRandomAndRetried_GivesTheFileRunsOutputOnce()
    {
        var input = Path.Combine(_directory, "events.jsonl");
        File.WriteAllLines(input, _lines);
        var expected = Path.Combine(_directory, "file.jsonl");
        Assert.Equal(0, SampleProcess.Run("Clickstream.dll", "--input", input, "--query", "tumbling", "--output", expected).Exit);
        var output = Path.Combine(_directory, "out.jsonl");
        var random = new Random(42);
        var killed = 0;
        for (var from = 0; from < _lines.Count; from += 2_000)
        {
            var batch = Event(from, from + 2_000);
            string[] args = ["--invoke", batch, "--query", "tumbling", "--state-dir", Path.Combine(_directory, "state"), "--output", output, .. (from + 2_000 >= _lines.Count ? ["--flush"] : Array.Empty<string>())];

            // Killed at a random moment of the invocation, then retried with the same event, as the platform does.
            using (var attempt = SampleProcess.Start(FunctionDll, args))
            {
                Thread.Sleep(random.Next(100, 900));
                killed += attempt.KillNow() ? 1 : 0;
            }

            var (exit, _, error) = SampleProcess.Run(FunctionDll, args);
            Assert.True(exit == 0, error);
        }

        Assert.True(killed > 0, "every invocation finished before its kill");
        Assert.Equal(File.ReadAllLines(expected), File.ReadAllLines(output));
    }

    private string Event(int from, int to)
    {
        var path = Path.Combine(_directory, $"event-{from}-{to}.json");
        File.WriteAllBytes(path, KinesisEvents.Create(_lines, from, to));
        return path;
    }

    private void Invoke(string eventPath, string output)
    {
        var (exit, response, error) = SampleProcess.Run(FunctionDll, "--invoke", eventPath, "--query", "tumbling", "--state-dir", Path.Combine(_directory, "state"), "--output", output);
        Assert.True(exit == 0, error);
        Assert.Equal("{\"batchItemFailures\":[]}\n", response);
    }
}
