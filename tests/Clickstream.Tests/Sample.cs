using System.Diagnostics;

namespace Clickstream.Tests;

/// <summary>Runs the built sample as a user does: <c>dotnet Clickstream.dll ARGS</c>.</summary>
internal static class Sample
{
    public static (int Exit, string Error) Execute(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Clickstream.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "the sample did not finish within 2 minutes\n" + error);
        }

        _ = output.Result;
        return (process.ExitCode, error);
    }
}
