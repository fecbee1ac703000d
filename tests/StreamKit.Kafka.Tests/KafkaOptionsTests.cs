using Clickstream;

namespace StreamKit.Kafka.Tests;

/// <summary>Settings, names and addresses: no broker needed.</summary>
public sealed class KafkaOptionsTests
{
    [Theory]
    [InlineData("kafka://localhost:9092/clicks", "localhost:9092", "clicks", null)]
    [InlineData("kafka://a:1,b:2/clicks?group=job-1", "a:1,b:2", "clicks", "job-1")]
    [InlineData("KAFKA://127.0.0.1:41345,127.0.0.1:42169/my.topic-2", "127.0.0.1:41345,127.0.0.1:42169", "my.topic-2", null)]
    public void ParseAddress_ValidAddress_GivesServersTopicAndGroup(string address, string servers, string topic, string? group) =>
        Assert.Equal(new KafkaAddress(servers, topic, group), KafkaJobs.ParseAddress(address));

    [Theory]
    [InlineData("kafka://localhost/clicks")]
    [InlineData("kafka://localhost:9092")]
    [InlineData("kafka://localhost:9092/")]
    [InlineData("kafka://localhost:9092/a/b")]
    [InlineData("kafka://localhost:99999/clicks")]
    [InlineData("kafka://localhost:9092/clicks?grp=x")]
    [InlineData("file.jsonl")]
    public void ParseAddress_InvalidAddress_ThrowsFormatException(string address) =>
        Assert.Throws<FormatException>(() => KafkaJobs.ParseAddress(address));

    [Fact]
    public void DeadLetterPath_KafkaOutput_IsAFileNamedAfterTheTopic()
    {
        Assert.Equal("results.deadletters.jsonl", KafkaJobs.DeadLetterPath("kafka://h:1/results"));
        Assert.Equal("out.jsonl.deadletters.jsonl", KafkaJobs.DeadLetterPath("out.jsonl"));
    }

    [Theory]
    [InlineData("clicks-0", "clicks", 0)]
    [InlineData("page-views-12", "page-views", 12)]
    public void PartitionName_RoundTrips(string name, string topic, int partition)
    {
        Assert.Equal(name, KafkaPartitionName.Format(topic, partition));
        Assert.True(KafkaPartitionName.TryParse(name, out var t, out var p));
        Assert.Equal((topic, partition), (t, p));
    }

    [Fact]
    public void PartitionName_NotAKafkaName_IsRejected() => Assert.False(KafkaPartitionName.TryParse("/data/file.jsonl", out _, out _));

    [Fact]
    public void EventHubs_ConnectionString_GivesEndpointAndSaslPlain()
    {
        const string connection = "Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc=";
        Assert.Equal("my-ns.servicebus.windows.net:9093", EventHubsKafka.BootstrapServers(connection));
        var config = EventHubsKafka.Config(connection);
        Assert.Equal("SASL_SSL", config["security.protocol"]);
        Assert.Equal("PLAIN", config["sasl.mechanism"]);
        Assert.Equal("$ConnectionString", config["sasl.username"]);
        Assert.Equal(connection, config["sasl.password"]);
        Assert.Throws<ArgumentException>(() => EventHubsKafka.BootstrapServers("SharedAccessKey=abc"));
    }

    [Fact]
    public async Task Source_SecurityConfig_PassesThroughToLibrdkafka()
    {
        // Creating the consumer validates every setting with librdkafka without connecting.
        await using var source = new KafkaSource(new KafkaSourceOptions
        {
            BootstrapServers = "my-ns.servicebus.windows.net:9093",
            Topics = ["clicks"],
            GroupId = "$Default",
            Config = EventHubsKafka.Config("Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v"),
        });
        Assert.Equal("kafka:clicks", source.Name);
    }

    [Fact]
    public void Source_ConfigThatBreaksCheckpointing_IsRejected()
    {
        var options = new KafkaSourceOptions
        {
            BootstrapServers = "localhost:9092",
            Topics = ["clicks"],
            GroupId = "g",
            Config = new Dictionary<string, string> { ["enable.auto.commit"] = "true" },
        };
        var error = Assert.Throws<ArgumentException>(() => new KafkaSource(options));
        Assert.Contains("enable.auto.commit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Source_MissingSettings_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new KafkaSource(new KafkaSourceOptions { BootstrapServers = "h:1", GroupId = "g" }));
        Assert.Throws<ArgumentException>(() => new KafkaSource(new KafkaSourceOptions { BootstrapServers = "h:1", Topics = ["t"] }));
        Assert.Throws<ArgumentException>(() => new KafkaSource(new KafkaSourceOptions { Topics = ["t"], GroupId = "g" }));
    }
}
