using Clickstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StreamKit;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Hosting;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;

namespace Hosted.Clickstream;

/// <summary>The worker: one clickstream query as a StreamKit job in a generic host, with OpenTelemetry console export.</summary>
public static class ClickstreamWorker
{
    /// <summary>The job's name (its options section is <c>StreamKit:Job</c>).</summary>
    public const string JobName = "clickstream";

    /// <summary>Creates the host builder: configuration (appsettings.json next to the app, environment variables, command line), the job and telemetry.</summary>
    /// <param name="args">Command-line arguments (<c>--StreamKit:Query=hopping</c>).</param>
    /// <param name="overrides">Settings applied last (tests); <see langword="null"/> for none.</param>
    public static HostApplicationBuilder CreateBuilder(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var section = builder.Configuration.GetSection("StreamKit");
        builder.Services.AddOptions<ClickstreamSettings>()
            .Bind(section)
            .Validate(static s => !string.IsNullOrWhiteSpace(s.Input) && !string.IsNullOrWhiteSpace(s.Output), "Set StreamKit:Input and StreamKit:Output (appsettings.json, or StreamKit__Input / StreamKit__Output).")
            .Validate(static s => s.Query is "filter" or "tumbling" or "hopping" or "sessions", "StreamKit:Query must be filter, tumbling, hopping or sessions.")
            .ValidateOnStart();
        builder.Services.AddStreamKit()
            .AddJob<ClickEvent>(JobName, static (services, _) => CreateJob(services.GetRequiredService<IOptions<ClickstreamSettings>>().Value, services.GetRequiredService<IHostEnvironment>()))
            .Bind(section.GetSection("Job"));
        builder.Services.AddHealthChecks().AddCheck<StreamKitHealthCheck>("streamkit");

        var telemetry = builder.Configuration.GetSection("Telemetry").Get<TelemetrySettings>() ?? new TelemetrySettings();
        if (telemetry.ConsoleMetrics || telemetry.ConsoleTraces)
        {
            var otel = builder.Services.AddOpenTelemetry().ConfigureResource(static r => r.AddService("hosted-clickstream"));
            if (telemetry.ConsoleMetrics)
            {
                otel.WithMetrics(metrics => metrics
                    .AddMeter(StreamKitMetrics.MeterName)
                    .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = telemetry.MetricExportIntervalSeconds * 1000));
            }

            if (telemetry.ConsoleTraces)
            {
                otel.WithTracing(static tracing => tracing.AddSource(StreamKitActivities.SourceName).AddConsoleExporter());
            }
        }

        return builder;
    }

    /// <summary>One run of the job: the source and decoder for the input, the query's pipeline and sink, dead letters next to the output.</summary>
    private static StreamKitJob<ClickEvent> CreateJob(ClickstreamSettings settings, IHostEnvironment environment)
    {
        var input = Resolve(settings.Input, environment.ContentRootPath);
        if (!KafkaJobs.IsKafka(settings.Output) && Path.GetDirectoryName(Path.GetFullPath(settings.Output)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var (source, decoder) = KafkaJobs.IsKafka(input)
            ? ((IRecordSource)KafkaJobs.CreateSource(KafkaJobs.ParseAddress(input), settings.Bounded), (IRecordDecoder<ClickEvent>)new JsonLinesDecoder<ClickEvent>(ClickEvents.Map))
            : Formats.OpenInput(input);
        var (pipeline, sink) = settings.Query switch
        {
            "filter" => Build(settings.Output, Formats.Engagement, "EngagementTotal", static sink => Queries.Filter(sink)),
            "tumbling" => Build(settings.Output, Formats.PageWindow, "PageWindowCount", static sink => Queries.Tumbling(sink)),
            "hopping" => Build(settings.Output, Formats.PageWindow, "PageWindowCount", static sink => Queries.Hopping(sink)),
            "sessions" => Build(settings.Output, Formats.UserSession, "UserSession", static sink => Queries.Sessions(sink)),
            _ => throw new InvalidOperationException($"Unknown StreamKit:Query '{settings.Query}' (filter, tumbling, hopping or sessions)."),
        };
        return new StreamKitJob<ClickEvent>
        {
            Pipeline = pipeline,
            Source = source,
            Decoder = decoder,
            DeadLetters = new JsonLinesDeadLetterSink(KafkaJobs.DeadLetterPath(settings.Output)),
            StateStore = string.IsNullOrWhiteSpace(settings.StateDirectory) ? null : new FileStateStore(settings.StateDirectory),
            Resources = [sink],
        };
    }

    private static (Pipeline<ClickEvent> Pipeline, IAsyncDisposable Sink) Build<T>(string output, RecordMap<T> map, string avroRecordName, Func<IRecordSink<T>, Pipeline<ClickEvent>> query)
        where T : struct
    {
        IRecordSink<T> sink = KafkaJobs.IsKafka(output) ? KafkaJobs.CreateSink(KafkaJobs.ParseAddress(output), map) : Formats.OpenOutput(output, map, avroRecordName);
        return (query(sink), (IAsyncDisposable)sink);
    }

    private static string Resolve(string input, string contentRoot)
    {
        if (KafkaJobs.IsKafka(input) || Path.IsPathRooted(input) || File.Exists(input) || Directory.Exists(input))
        {
            return input;
        }

        var besideApp = Path.Combine(contentRoot, input);
        return File.Exists(besideApp) || Directory.Exists(besideApp) ? besideApp : input;
    }
}
