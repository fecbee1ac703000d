using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace StreamKit.Hosting;

/// <summary>Adds pipeline jobs: each becomes a hosted <c>BackgroundService</c> with validated, named <see cref="StreamKitJobOptions"/>.</summary>
public sealed class StreamKitBuilder
{
    internal StreamKitBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection jobs are added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a job that runs a pipeline from a polling source for the host's lifetime.</summary>
    /// <param name="name">The job's name: its options' name, its log scope and its health-check entry; unique in the host.</param>
    /// <param name="factory">
    /// Builds one run of the job (pipeline, source, decoder, dead letters, state store) from the host's services and
    /// the job's options; called at start and again on each restart after a failure.
    /// </param>
    /// <returns>The job's options builder, to bind configuration (<c>.Bind(section)</c>) or configure in code; validated at start-up.</returns>
    /// <exception cref="ArgumentException">A job with this name was already added.</exception>
    public OptionsBuilder<StreamKitJobOptions> AddJob<T>(string name, Func<IServiceProvider, StreamKitJobOptions, StreamKitJob<T>> factory)
        where T : struct
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        foreach (var descriptor in Services)
        {
            if (descriptor.ServiceType == typeof(JobName) && descriptor.ImplementationInstance is JobName { Value: var existing } && existing == name)
            {
                throw new ArgumentException($"A StreamKit job named '{name}' was already added.", nameof(name));
            }
        }

        Services.AddSingleton(new JobName(name));
        Services.AddSingleton<IHostedService>(sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<StreamKitJobOptions>>().Get(name);
            var time = sp.GetRequiredService<TimeProvider>();
            var status = new JobStatus(name, options, time);
            sp.GetRequiredService<StreamKitJobMonitor>().Add(status);
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger("StreamKit.Hosting.Job." + name) ?? NullLogger.Instance;
            return new PipelineJobService<T>(status, factory, sp, sp.GetRequiredService<IHostApplicationLifetime>(), time, logger);
        });
        return Services.AddOptions<StreamKitJobOptions>(name).ValidateOnStart();
    }

    /// <summary>Marks a job name as taken.</summary>
    private sealed record JobName(string Value);
}
