using System.Diagnostics;

namespace StreamKit.TestSupport;

/// <summary>Runs a built sample as a user does, <c>dotnet X.dll ARGS</c>, one process per call (for the sample test projects).</summary>
public static class SampleProcess
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

    /// <summary>Starts <paramref name="dll"/> without waiting, collecting its standard error, for tests that kill it mid-run (SIGKILL: no graceful stop).</summary>
    public static RunningSample Start(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var error = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var changed = new Pulse();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                error.Enqueue(line);
                changed.Notify();
            }
        };
        process.OutputDataReceived += static (_, _) => { };
        process.Exited += (_, _) => changed.Notify();
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new RunningSample(process, error, changed);
    }
}

/// <summary>A sample process started by <see cref="SampleProcess.Start"/>; disposing kills it if it still runs.</summary>
public sealed class RunningSample(Process process, System.Collections.Concurrent.ConcurrentQueue<string> error, Pulse changed) : IDisposable
{
    public Process Process { get; } = process;

    /// <summary>Notified on each line of standard error and when the process exits (a test may notify it on its own events too).</summary>
    public Pulse Changed { get; } = changed;

    /// <summary>Standard error so far.</summary>
    public string Error => string.Join('\n', error);

    /// <summary>Kills the process at once (SIGKILL) and waits for it to be gone.</summary>
    /// <returns>Whether it was still running: <see langword="false"/> when it had finished first.</returns>
    public bool KillNow()
    {
        if (Process.HasExited)
        {
            return false;
        }

        Process.Kill(entireProcessTree: true);
        Process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        KillNow();
        Process.Dispose();
    }
}
