using System.Text.Json;

namespace AzureFunctions.Clickstream.Tests;

/// <summary>Runs a built sample as a user does (<c>dotnet X.dll ARGS</c>), one process per call.</summary>
internal static class LocalInvoker
{
    public static Run Invoke(params string[] args) => Execute("AzureFunctions.Clickstream.dll", args);

    public static Run FileRun(params string[] args) => Execute("Clickstream.dll", args);

    private static Run Execute(string dll, string[] args)
    {
        var (exit, output, error) = SampleProcess.Run(dll, args);
        return new Run(exit, output, error);
    }
}

/// <summary>A finished process: exit code, standard output and error.</summary>
internal sealed record Run(int Exit, string Output, string Error)
{
    /// <summary>The invoker's one-line JSON summary.</summary>
    public Summary Summary()
    {
        Assert.True(Exit == 0, $"exit {Exit}: {Error}");
        var lines = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        using var json = JsonDocument.Parse(lines[0]);
        var root = json.RootElement;
        return new Summary(
            root.GetProperty("partitionId").GetString()!,
            root.GetProperty("events").GetInt32(),
            root.GetProperty("processed").GetInt32(),
            root.GetProperty("skipped").GetInt32(),
            root.GetProperty("deadLettered").GetInt32(),
            root.GetProperty("pastDeadline").GetInt32(),
            root.GetProperty("flushed").GetBoolean());
    }
}

internal readonly record struct Summary(string PartitionId, int Events, int Processed, int Skipped, int DeadLettered, int PastDeadline, bool Flushed);
