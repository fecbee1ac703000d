using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace StreamKit.Hosting;

/// <summary>Registers StreamKit pipeline jobs with a generic host (<c>Microsoft.Extensions.Hosting</c>).</summary>
public static class StreamKitServiceCollectionExtensions
{
    /// <summary>Adds StreamKit's hosting services (job monitor, <see cref="StreamKitHealthCheck"/>, options validation); add jobs with the returned builder.</summary>
    /// <remarks>Safe to call more than once; every call returns a builder over the same services.</remarks>
    public static StreamKitBuilder AddStreamKit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StreamKitJobMonitor>();
        services.TryAddSingleton(static sp => new StreamKitHealthCheck(sp.GetRequiredService<StreamKitJobMonitor>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StreamKitJobOptions>, StreamKitJobOptionsValidator>());
        return new StreamKitBuilder(services);
    }

    /// <summary>Adds StreamKit's hosting services and lets <paramref name="configure"/> add jobs.</summary>
    public static IServiceCollection AddStreamKit(this IServiceCollection services, Action<StreamKitBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(services.AddStreamKit());
        return services;
    }
}
