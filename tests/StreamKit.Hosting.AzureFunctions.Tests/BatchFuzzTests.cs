using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AzureFunctions.Tests;

/// <summary>
/// Event Hubs batch JSON fed as random bytes and as damaged valid batches: it is either rejected whole with the
/// documented <see cref="FormatException"/>, or every event in it is in the batch, each bad body carrying its text and a
/// reason for the runner to dead-letter.
/// </summary>
public class BatchFuzzTests
{
    [Fact]
    public async Task Read_RandomAndDamagedBatches_RejectedWholeOrEveryEventAccountedFor()
    {
        var read = 0;
        await Seeds.ForEachAsync(1500, (_, random) =>
        {
            var (valid, bodies) = Batch(random);
            var json = random.Next(6) switch
            {
                0 => Fuzz.RandomBytes(random, 200),
                1 or 2 => Fuzz.Mutate(valid, random),
                3 => valid,
                _ => Fuzz.MutateJson(valid, random, rate: random.Next(2) == 0 ? 0.02 : 0.1),
            };
            using var batch = new InvocationBatch(4);
            try
            {
                EventHubsBatchJson.Read(json, batch);
            }
            catch (FormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                return Task.CompletedTask;
            }

            Interlocked.Increment(ref read);
            var events = EventsIn(json);
            Assert.Equal(events.Count, batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                var record = batch[i];
                if (record.Error is { } error)
                {
                    Assert.False(string.IsNullOrWhiteSpace(error));
                }
                else if (events[i] is { } body)
                {
                    // A body the document carries as a string decodes to what base64 says it is.
                    Assert.Equal(Convert.FromBase64String(body), record.Value.ToArray());
                }

                if (json.AsSpan().SequenceEqual(valid))
                {
                    Assert.Equal(bodies[i], record.Value.ToArray());
                }
            }

            return Task.CompletedTask;
        });

        Assert.True(read > 300, $"only {read} batches were read: the damage rejects nearly everything, so events are hardly checked");
    }

    // Found by the fuzz test: an element of "events" that is not an object ended the read there, silently dropping it and
    // every event after it; a lone surrogate escape in one body rejected the whole batch.
    [Theory]
    [InlineData("""{"partitionId":"0","events":[{"body":"YQ==","sequenceNumber":1},2,{"body":"YQ==","sequenceNumber":3}]}""")]
    [InlineData("""{"partitionId":"0","events":[{"body":"YQ==","sequenceNumber":1},[[]]],"x":{}}""")]
    public void Read_EventThatIsNotAnObject_ThrowsInsteadOfDroppingTheRest(string json)
    {
        using var batch = new InvocationBatch();

        var error = Assert.Throws<FormatException>(() => EventHubsBatchJson.Read(Encoding.UTF8.GetBytes(json), batch));

        Assert.Contains("not an object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LoneSurrogateEscapeInABody_ThatEventCarriesAnError()
    {
        using var batch = new InvocationBatch();

        EventHubsBatchJson.Read("""{"partitionId":"0","events":[{"body":"YQ==","sequenceNumber":1},{"body":"Y\ud800Q==","sequenceNumber":2},{"body":"Yg==","sequenceNumber":3}]}"""u8, batch);

        Assert.Equal(3, batch.Count);
        Assert.Equal("a", Encoding.UTF8.GetString(batch[0].Value));
        Assert.Equal("Y\\ud800Q==", Encoding.UTF8.GetString(batch[1].Value));
        Assert.Contains("escape", batch[1].Error, StringComparison.Ordinal);
        Assert.Equal("b", Encoding.UTF8.GetString(batch[2].Value));
    }

    /// <summary>The events of a document, counted independently of the reader: per element of every <c>events</c> array, its last <c>body</c> string if it has one that is text.</summary>
    private static List<string?> EventsIn(byte[] json)
    {
        var reader = new Utf8JsonReader(json.AsSpan().StartsWith("\uFEFF"u8) ? json.AsSpan(3) : json);
        using var document = JsonDocument.ParseValue(ref reader);
        var events = new List<string?>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("events"))
            {
                foreach (var element in property.Value.EnumerateArray())
                {
                    var body = element.EnumerateObject().LastOrDefault(static p => p.NameEquals("body"));
                    events.Add(body.Value.ValueKind == JsonValueKind.String ? Text(body.Value) : null);
                }
            }
        }

        return events;
    }

    /// <summary>The string, or <see langword="null"/> when it is not text (invalid UTF-8, a lone surrogate escape).</summary>
    private static string? Text(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static (byte[] Json, List<byte[]> Bodies) Batch(Random random)
    {
        var bodies = new List<byte[]>();
        var json = new StringBuilder("{\"partitionId\":\"" + random.Next(4) + "\",\"events\":[");
        for (var i = random.Next(1, 8); i > 0; i--)
        {
            var body = Encoding.UTF8.GetBytes($"{{\"n\":{random.Next()}}}");
            bodies.Add(body);
            var base64 = Convert.ToBase64String(body).Replace("/", "\\/", StringComparison.Ordinal);
            json.Append(CultureInfo.InvariantCulture, $$"""
                {{(bodies.Count > 1 ? "," : "")}}{"body":"{{base64}}","properties":{"k":[1,"v"]},"sequenceNumber":{{100 + bodies.Count}},"offset":"{{4096 * bodies.Count}}","enqueuedTimeUtc":"2024-01-01T00:00:0{{bodies.Count}}Z"}
                """);
        }

        return (Encoding.UTF8.GetBytes(json.Append("]}").ToString()), bodies);
    }
}
