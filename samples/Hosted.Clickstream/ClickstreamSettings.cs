namespace Hosted.Clickstream;

/// <summary>The worker's settings: section <c>StreamKit</c> of appsettings.json, overridden by environment variables (<c>StreamKit__Input</c>) and the command line (<c>--StreamKit:Input=...</c>).</summary>
public sealed class ClickstreamSettings
{
    /// <summary>Files (JSON lines, MessagePack, Avro, optionally .gz) or <c>kafka://HOST:PORT/TOPIC[?group=G]</c>; a relative path not found from the working directory is tried from the app's folder.</summary>
    public string Input { get; set; } = "";

    /// <summary>The query: <c>filter</c>, <c>tumbling</c>, <c>hopping</c> or <c>sessions</c>.</summary>
    public string Query { get; set; } = "tumbling";

    /// <summary>A file (<c>.jsonl</c>, <c>.msgpack</c>, <c>.avro</c>) or <c>kafka://HOST:PORT/TOPIC</c>.</summary>
    public string Output { get; set; } = "";

    /// <summary>For Kafka input: stop at the end offsets seen at start (files always end).</summary>
    public bool Bounded { get; set; }

    /// <summary>Where checkpoints go (a folder); empty runs without, so a restart starts over.</summary>
    public string? StateDirectory { get; set; }
}

/// <summary>Which OpenTelemetry console exporters run: section <c>Telemetry</c>.</summary>
public sealed class TelemetrySettings
{
    /// <summary>Export the <c>StreamKit</c> meter's instruments to the console.</summary>
    public bool ConsoleMetrics { get; set; } = true;

    /// <summary>Export the <c>StreamKit</c> activities (one per batch and checkpoint) to the console.</summary>
    public bool ConsoleTraces { get; set; }

    /// <summary>How often metrics are exported.</summary>
    public int MetricExportIntervalSeconds { get; set; } = 5;
}
