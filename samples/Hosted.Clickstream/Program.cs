using Hosted.Clickstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamKit.Hosting;

// The clickstream sample as a long-running worker (the shape of a container or IoT Edge module): one query from a
// file or a Kafka topic, configured from appsettings.json with environment-variable overrides, metrics (and traces)
// exported through OpenTelemetry to the console. See docs/observability.md.
//   StreamKit__Input=kafka://127.0.0.1:9092/clicks StreamKit__Bounded=false dotnet run -c Release --project samples/Hosted.Clickstream
using var host = ClickstreamWorker.CreateBuilder(args).Build();
try
{
    await host.StartAsync();
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"error: {e.Message}"); // settings are checked before anything runs
    return 2;
}

await host.WaitForShutdownAsync();

// The host stops when the job completes (bounded input), on Ctrl+C / SIGTERM (after a final checkpoint), or when the
// job fails: report the last of these through the exit code, as a supervisor expects.
var health = await host.Services.GetRequiredService<StreamKitHealthCheck>().CheckHealthAsync(new HealthCheckContext());
return health.Status == HealthStatus.Unhealthy ? 1 : 0;
