using Clickstream;
using Hosted.Clickstream;
using Microsoft.Extensions.Hosting;

namespace StreamKit.Hosting.Tests;

/// <summary>The hosted sample against the plain one: the same query over the same data file gives the same output.</summary>
public sealed class HostedClickstreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamkit-hosted-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tumbling")]
    [InlineData("sessions")]
    public async Task Worker_EmbeddedDataFile_OutputEqualsPlainSampleRun(string query)
    {
        var input = Path.Combine(AppContext.BaseDirectory, "Data", "events.jsonl.gz");
        var plain = Path.Combine(_dir, "plain.jsonl");
        await Jobs.RunQueryAsync(query, input, plain, Path.Combine(_dir, "plain.deadletters.jsonl"));

        var hosted = Path.Combine(_dir, "out", "hosted.jsonl");
        var state = Path.Combine(_dir, "state");
        using var host = ClickstreamWorker.CreateBuilder([], new Dictionary<string, string?>
        {
            ["StreamKit:Input"] = "Data/events.jsonl.gz", // relative: found beside the app
            ["StreamKit:Query"] = query,
            ["StreamKit:Output"] = hosted,
            ["StreamKit:StateDirectory"] = state,
            ["StreamKit:Job:CheckpointEveryBatches"] = "20",
            ["StreamKit:Job:StopHostWhenCompleted"] = "true",
            ["Telemetry:ConsoleMetrics"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        }).Build();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await host.StartAsync(bound.Token);
        await host.WaitForShutdownAsync(bound.Token);

        Assert.False(bound.IsCancellationRequested, "the worker stopped when its input ended");
        Assert.True(new FileInfo(plain).Length > 0);
        Assert.Equal(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(hosted));
        Assert.NotEmpty(Directory.GetFiles(state));
        Assert.Equal(3, File.ReadAllLines(hosted + ".deadletters.jsonl").Length);
    }

    [Fact]
    public async Task Worker_QueryAndOutputFromEnvironmentVariables_OverrideAppSettings()
    {
        var input = Path.Combine(AppContext.BaseDirectory, "Data", "events.jsonl.gz");
        var plain = Path.Combine(_dir, "plain.jsonl");
        await Jobs.RunQueryAsync("hopping", input, plain, Path.Combine(_dir, "plain.deadletters.jsonl"));

        // appsettings.json says tumbling into out/tumbling.jsonl; the environment (as a container sets it) wins.
        var hosted = Path.Combine(_dir, "env.jsonl");
        Environment.SetEnvironmentVariable("StreamKit__Query", "hopping");
        Environment.SetEnvironmentVariable("StreamKit__Output", hosted);
        try
        {
            using var host = ClickstreamWorker.CreateBuilder([], new Dictionary<string, string?>
            {
                ["Telemetry:ConsoleMetrics"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build();
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await host.StartAsync(bound.Token);
            await host.WaitForShutdownAsync(bound.Token);
        }
        finally
        {
            Environment.SetEnvironmentVariable("StreamKit__Query", null);
            Environment.SetEnvironmentVariable("StreamKit__Output", null);
        }

        Assert.Equal(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(hosted));
    }
}
