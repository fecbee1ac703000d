using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace StreamKit.Benchmarks;

/// <summary>The two ways the suite runs.</summary>
public static class BenchConfig
{
    /// <summary>The quick (CI) or the full configuration, exporting full JSON (the budget check reads it) next to the default GitHub markdown, CSV and HTML.</summary>
    /// <remarks>
    /// Quick: in process (no generated project to build per run), 2 warm-up and 5 measured iterations of at least
    /// 250 ms. Every operation still processes all 1M events; only the number of repetitions is smaller, so the
    /// figures are noisier, not different. Full: BenchmarkDotNet's default job (separate process, adaptive counts).
    /// </remarks>
    public static IConfig Create(bool quick)
    {
        var job = quick
            ? Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .WithId("Quick")
            : Job.Default.WithId("Full");

        return ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Full);
    }
}
