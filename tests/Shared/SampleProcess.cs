using System.Diagnostics;

namespace StreamKit.Tests.Shared;

/// <summary>Runs a built sample as a user does, <c>dotnet X.dll ARGS</c>, one process per call (linked into the sample test projects).</summary>
internal static class SampleProcess
{
    /// <summary>Runs <paramref name="dll"/> (next to the test assembly) to completion, or kills it after two minutes.</summary>
    /// <returns>The exit code (-1 when killed), standard output and standard error.</returns>
    public static (int Exit, string Output, string Error) Run(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
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
            return (-1, "", dll + " did not finish within 2 minutes\n" + error);
        }

        return (process.ExitCode, output.Result, error);
    }
}
