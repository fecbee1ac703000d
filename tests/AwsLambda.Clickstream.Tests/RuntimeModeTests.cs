using System.Diagnostics;

namespace AwsLambda.Clickstream.Tests;

/// <summary>
/// The function as Lambda runs it: no arguments, configured from environment variables, serving the Runtime API (a
/// loopback server following the published API) with state in S3 (s3rver). Two instances in turn, the second starting
/// cold from the state the first saved, give the same windows as <c>--invoke</c> with a state directory.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RuntimeModeTests : IDisposable
{
    private readonly TestPeer _s3 = new("s3", "STREAMKIT_S3_ADDRESS");
    private readonly string _work = Directory.CreateTempSubdirectory("awslambda-runtime-").FullName;

    public void Dispose()
    {
        Directory.Delete(_work, recursive: true);
        _s3.Dispose();
    }

    [Fact]
    public async Task RuntimeLoop_StateInS3_SecondInstanceResumesFromIt()
    {
        var lines = KinesisEvents.ReadEvents(6_000);

        // Instance 1 takes two batches, the second overlapping the first (a partial redelivery); instance 2 starts cold,
        // gets the second batch again whole and then a new one.
        byte[][] first = [KinesisEvents.Create(lines, 0, 2_500), KinesisEvents.Create(lines, 1_500, 4_000)];
        byte[][] second = [KinesisEvents.Create(lines, 1_500, 4_000), KinesisEvents.Create(lines, 4_000, 6_000)];

        var expected = Path.Combine(_work, "invoke.jsonl");
        var state = Path.Combine(_work, "state");
        var deliveries = 0;
        foreach (var delivery in first.Concat(second))
        {
            var eventFile = Path.Combine(_work, $"event-{deliveries++}.json");
            await File.WriteAllBytesAsync(eventFile, delivery);
            var (exit, response, error) = SampleProcess.Run("AwsLambda.Clickstream.dll", "--invoke", eventFile, "--query", "tumbling", "--state-dir", state, "--output", expected);
            Assert.True(exit == 0, error);
            Assert.Equal("{\"batchItemFailures\":[]}\n", response);
        }

        var bucket = $"runtime-{Guid.NewGuid():N}";
        using var http = new HttpClient();
        (await http.PutAsync($"{_s3.Address}/{bucket}", content: null)).EnsureSuccessStatusCode();
        var output = Path.Combine(_work, "runtime.jsonl");
        await RunInstanceAsync(bucket, output, first);
        var objects = await http.GetStringAsync($"{_s3.Address}/{bucket}?list-type=2");
        Assert.Contains("<Key>clicks/tumbling/shardId-000000000000</Key>", objects, StringComparison.Ordinal);
        await RunInstanceAsync(bucket, output, second);

        var expectedLines = await File.ReadAllLinesAsync(expected);
        Assert.NotEmpty(expectedLines);
        Assert.Equal(expectedLines, await File.ReadAllLinesAsync(output));
    }

    /// <summary>Starts the function as a new instance, serves it <paramref name="events"/> one by one, checks every answer, then stops it.</summary>
    private async Task RunInstanceAsync(string bucket, string output, byte[][] events)
    {
        await using var runtimeApi = new RuntimeApiServer();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AwsLambda.Clickstream.dll"));
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeApi.Address;
        start.Environment["CLICKSTREAM_QUERY"] = "tumbling";
        start.Environment["CLICKSTREAM_STATE_BUCKET"] = bucket;
        start.Environment["CLICKSTREAM_STATE_PREFIX"] = "clicks/";
        start.Environment["CLICKSTREAM_OUTPUT"] = output;

        // What Lambda sets for the function's role, pointed at s3rver (its fixed key pair); the SDK reads the endpoint
        // from AWS_ENDPOINT_URL_S3 and, the host being an IP address, addresses the bucket by path.
        start.Environment["AWS_ENDPOINT_URL_S3"] = _s3.Address;
        start.Environment["AWS_REGION"] = "us-east-1";
        start.Environment["AWS_ACCESS_KEY_ID"] = "S3RVER";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        start.Environment.Remove("AWS_SESSION_TOKEN");
        start.Environment.Remove("AWS_PROFILE");

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            for (var i = 0; i < events.Length; i++)
            {
                runtimeApi.Enqueue($"request-{i}", events[i], DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds());
                RuntimeOutcome outcome;
                try
                {
                    outcome = await runtimeApi.NextOutcomeAsync(TimeSpan.FromMinutes(2));
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    Assert.Fail($"no answer to invocation {i}: {await error}");
                    throw;
                }

                Assert.True(outcome.Kind == OutcomeKind.Response, $"invocation {i}: {outcome.Kind} {outcome.Text}");
                Assert.Equal($"request-{i}", outcome.RequestId);
                Assert.Equal("{\"batchItemFailures\":[]}", outcome.Text);
            }
        }
        finally
        {
            // A Lambda instance is frozen and then dropped, never told to stop: kill it while it waits for the next event.
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
        }
    }
}
