using StreamKit.Codecs;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Records;

namespace StreamKit.Kafka.Tests;

/// <summary>Event Hubs client settings from connection strings: no broker needed.</summary>
public sealed class EventHubsKafkaTests
{
    private const string Namespace = "Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0S2V5PQ==";
    private const string HubScoped = Namespace + ";EntityPath=clicks";

    [Fact]
    public void Parse_HubScopedString_DerivesEveryClientSetting()
    {
        var settings = EventHubsKafkaSettings.Parse(HubScoped);

        Assert.Equal("my-ns.servicebus.windows.net", settings.FullyQualifiedNamespace);
        Assert.Equal("my-ns.servicebus.windows.net:9093", settings.BootstrapServers);
        Assert.Equal("clicks", settings.EventHub);
        var common = new Dictionary<string, string>
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "PLAIN",
            ["sasl.username"] = "$ConnectionString",
            ["sasl.password"] = HubScoped,
            ["socket.keepalive.enable"] = "true",
            ["connections.max.idle.ms"] = "180000",
            ["metadata.max.age.ms"] = "180000",
        };
        Assert.Equal(common.OrderBy(p => p.Key), settings.CommonConfig.OrderBy(p => p.Key));
        Assert.Equal(
            common.Append(new("session.timeout.ms", "30000")).Append(new("heartbeat.interval.ms", "3000")).OrderBy(p => p.Key),
            settings.ConsumerConfig.OrderBy(p => p.Key));
        Assert.Equal(
            common.Append(new("request.timeout.ms", "60000")).Append(new("message.max.bytes", "1000000")).OrderBy(p => p.Key),
            settings.ProducerConfig.OrderBy(p => p.Key));
    }

    [Fact]
    public void CreateSourceOptions_UsesTheHubAsTopicAndTheConsumerSettings()
    {
        var source = EventHubsKafkaSettings.Parse(HubScoped).CreateSourceOptions("analytics");

        Assert.Equal("my-ns.servicebus.windows.net:9093", source.BootstrapServers);
        Assert.Equal(["clicks"], source.Topics);
        Assert.Equal("analytics", source.GroupId);
        Assert.Equal("30000", source.Config!["session.timeout.ms"]);
        Assert.Equal("$Default", EventHubsKafkaSettings.Parse(HubScoped).CreateSourceOptions().GroupId);
    }

    [Fact]
    public void CreateSinkOptions_UsesTheHubOrTheGivenOneAndTheProducerSettings()
    {
        var settings = EventHubsKafkaSettings.Parse(HubScoped);

        var sink = settings.CreateSinkOptions<Reading>();
        var other = settings.CreateSinkOptions<Reading>("results");

        Assert.Equal("clicks", sink.Topic);
        Assert.Equal("results", other.Topic);
        Assert.Equal("my-ns.servicebus.windows.net:9093", sink.BootstrapServers);
        Assert.Equal("60000", sink.Config!["request.timeout.ms"]);
    }

    [Fact]
    public void ApplyTo_KeepsTheOptionsOwnConfigOverTheRecommendations()
    {
        var options = new KafkaProducerOptions { Config = new Dictionary<string, string> { ["request.timeout.ms"] = "45000", ["linger.ms"] = "20" } };

        EventHubsKafkaSettings.Parse(HubScoped).ApplyTo(options);

        Assert.Equal("my-ns.servicebus.windows.net:9093", options.BootstrapServers);
        Assert.Equal("45000", options.Config["request.timeout.ms"]);
        Assert.Equal("20", options.Config["linger.ms"]);
        Assert.Equal("SASL_SSL", options.Config["security.protocol"]);
    }

    [Fact]
    public void Parse_NamespaceString_TakesTheGivenHub()
    {
        Assert.Equal("clicks", EventHubsKafkaSettings.Parse(Namespace, "clicks").EventHub);
        Assert.Equal("clicks", EventHubsKafkaSettings.Parse(HubScoped, "clicks").EventHub);
        Assert.Null(EventHubsKafkaSettings.Parse(Namespace).EventHub);
    }

    [Fact]
    public void Parse_NamespaceStringWithoutHub_FailsOnlyWhenAHubIsNeeded()
    {
        var settings = EventHubsKafkaSettings.Parse(Namespace);

        Assert.Contains("EntityPath", Assert.Throws<InvalidOperationException>(() => settings.CreateSourceOptions()).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => settings.CreateSinkOptions<Reading>());
        Assert.Equal("results", settings.CreateSinkOptions<Reading>("results").Topic);
    }

    [Fact]
    public void Parse_HubThatContradictsEntityPath_Throws() =>
        Assert.Contains("scoped to event hub 'clicks'", Assert.Throws<ArgumentException>(() => EventHubsKafkaSettings.Parse(HubScoped, "orders")).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_SharedAccessSignatureInsteadOfKey_IsAccepted()
    {
        const string sas = "Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=my-ns&sig=abc&se=1&skn=send;EntityPath=clicks";

        Assert.Equal(sas, EventHubsKafkaSettings.Parse(sas).CommonConfig["sasl.password"]);
    }

    [Theory]
    [InlineData("SharedAccessKeyName=k;SharedAccessKey=v", "no Endpoint")]
    [InlineData("Endpoint=https://my-ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v", "is not sb://")]
    [InlineData("Endpoint=my-ns.servicebus.windows.net;SharedAccessKeyName=k;SharedAccessKey=v", "is not sb://")]
    [InlineData("Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=k", "no SharedAccessKey")]
    [InlineData("Endpoint=sb://my-ns.servicebus.windows.net/", "no SharedAccessKey")]
    [InlineData("Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKey=v", "no SharedAccessKeyName")]
    [InlineData("Endpoint=sb://my-ns.servicebus.windows.net/;garbage", "is not Name=Value")]
    public void Parse_InvalidConnectionString_SaysWhatIsWrong(string connectionString, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => EventHubsKafkaSettings.Parse(connectionString));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal("connectionString", error.ParamName);
    }

    [Fact]
    public void Parse_Empty_Throws() => Assert.Throws<ArgumentException>(() => EventHubsKafkaSettings.Parse(" "));

    [Fact]
    public async Task Settings_AreAcceptedByLibrdkafka()
    {
        // Creating a consumer and a producer checks every property name and value without connecting anywhere useful.
        var settings = EventHubsKafkaSettings.Parse(HubScoped);
        await using var source = new KafkaSource(settings.CreateSourceOptions());
        using var producer = new KafkaProducer(settings.ApplyTo(new KafkaProducerOptions()));

        Assert.Equal("kafka:clicks", source.Name);
    }

    [Fact]
    public void WithPlaintextTransport_ReplacesOnlyTheTransport()
    {
        var settings = EventHubsKafkaSettings.Parse(HubScoped);

        var local = settings.WithPlaintextTransport("127.0.0.1:9092");

        Assert.Equal("127.0.0.1:9092", local.BootstrapServers);
        Assert.Equal("clicks", local.EventHub);
        Assert.Equal("PLAINTEXT", local.ConsumerConfig["security.protocol"]);
        Assert.DoesNotContain(local.ConsumerConfig.Keys, k => k.StartsWith("sasl.", StringComparison.Ordinal));
        Assert.Equal(
            settings.ConsumerConfig.Where(p => !p.Key.StartsWith("sasl.", StringComparison.Ordinal) && p.Key != "security.protocol").OrderBy(p => p.Key),
            local.ConsumerConfig.Where(p => p.Key != "security.protocol").OrderBy(p => p.Key));
        Assert.Equal(settings.ProducerConfig.Count - 3, local.ProducerConfig.Count); // sasl.mechanism, sasl.username, sasl.password
    }
}

/// <summary>The Event Hubs settings end to end against the mock broker, with the transport swapped for plaintext.</summary>
/// <remarks>Shows that the recommended settings, the hub-as-topic and the group work with a Kafka broker; not TLS, SASL or anything Event Hubs-specific (see docs/event-hubs.md).</remarks>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class EventHubsKafkaBrokerTests(KafkaBroker broker)
{
    [Fact]
    public async Task SinkAndSource_FromTheSettings_MoveEveryMessageThroughTheHub()
    {
        var hub = KafkaBroker.UniqueTopic("eventhub");
        var settings = EventHubsKafkaSettings.Parse($"Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v;EntityPath={hub}")
            .WithPlaintextTransport(broker.BootstrapServers);
        var sinkOptions = settings.CreateSinkOptions<Reading>();
        sinkOptions.Encoder = new JsonLinesEncoder<Reading>(Reading.Map);
        sinkOptions.Key = Reading.WriteKey;
        var readings = Enumerable.Range(0, 300).Select(i => new Reading { Ts = 1_700_000_000_000 + i, Sensor = i % 5, Value = i }).ToArray();

        await using (var sink = new KafkaSink<Reading>(sinkOptions))
        {
            sink.Write(readings);
            await sink.FlushAsync().AsTask().WaitAsync(KafkaTestClient.Timeout);
        }

        var sourceOptions = settings.CreateSourceOptions();
        sourceOptions.Bounded = true;
        sourceOptions.Assignment = KafkaAssignment.AllPartitions;
        await using var source = new KafkaSource(sourceOptions);
        using var batch = new RawRecordBatch();
        var values = new List<string>();
        await KafkaSourceTests.ReadToEndAsync(source, batch, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                values.Add(KafkaTestClient.Text(b[i].Value.ToArray()));
            }
        });

        Assert.Equal(readings.Select(r => Reading.Json(r.Ts, r.Sensor, r.Value)).Order(StringComparer.Ordinal), values.Order(StringComparer.Ordinal));
    }
}
