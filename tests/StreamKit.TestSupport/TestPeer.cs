using System.Diagnostics;

namespace StreamKit.TestSupport;

/// <summary>
/// A service the integration tests talk to (a broker, an emulator): the address in <c>STREAMKIT_&lt;PEER&gt;_ADDRESS</c>
/// when set, else the one <c>eng/test-peers.sh start &lt;peer&gt;</c> starts (last stdout line), stopped again on
/// dispose if this process started it. Never skips: a peer that cannot start fails the tests with the script's output.
/// </summary>
/// <remarks>Each test project that needs a peer wraps it in a fixture per peer.</remarks>
public sealed class TestPeer : IDisposable
{
    private readonly string _name;
    private readonly bool _startedHere;

    /// <param name="name">The peer's name in <c>eng/test-peers.sh</c>.</param>
    /// <param name="environmentVariable">Overrides the started peer with an address (e.g. a developer's own broker).</param>
    /// <param name="arguments">Extra arguments for <c>start</c> (ignored when the peer already runs).</param>
    public TestPeer(string name, string environmentVariable, params string[] arguments)
    {
        _name = name;
        RepositoryRoot = FindRepositoryRoot();
        var fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            Address = fromEnvironment.Trim();
            return;
        }

        _startedHere = Run(Script, ["status", name], TimeSpan.FromSeconds(30), out _, out _) != 0;

        // A cold eng/.cache installs or builds the peer first (minutes on 2 cores). Two more attempts after a failure:
        // a start can fail when another test process stops the same peer at that moment.
        for (var attempt = 1; ; attempt++)
        {
            var exit = Run(Script, ["start", name, .. arguments], TimeSpan.FromMinutes(15), out var stdout, out var stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (exit == 0 && lines.Length > 0)
            {
                Address = lines[^1];
                break;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"eng/test-peers.sh start {name} failed {attempt} times (last exit {exit}); these tests need it.\nstdout:\n{stdout}\nstderr:\n{Tail(stderr)}");
            }

            Console.Error.WriteLine($"eng/test-peers.sh start {name} failed (exit {exit}), retrying:\n{Tail(stderr)}");
            Thread.Sleep(1000);
        }
    }

    /// <summary>The peer's address: the last line <c>start</c> printed.</summary>
    public string Address { get; }

    /// <summary>The repository's root (the directory holding <c>eng/test-peers.sh</c>).</summary>
    public string RepositoryRoot { get; }

    private string Script => Path.Combine(RepositoryRoot, "eng", "test-peers.sh");

    public void Dispose()
    {
        if (_startedHere)
        {
            Run(Script, ["stop", _name], TimeSpan.FromSeconds(30), out _, out _);
        }
    }

    /// <summary>Runs a program to completion, feeding <paramref name="stdin"/> if given.</summary>
    /// <returns>Its exit code.</returns>
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
