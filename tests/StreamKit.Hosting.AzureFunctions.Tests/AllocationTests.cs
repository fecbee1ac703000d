using System.Text;
using StreamKit.Hosting.AzureFunctions.Tests.Support;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.AzureFunctions.Tests;

/// <summary>Turning a trigger batch into an <see cref="InvocationBatch"/> allocates nothing once warm.</summary>
public sealed class AllocationTests : IDisposable
{
    private const int Events = 500;
    private readonly TempDirectory _dir = new();
    private readonly FunctionProcess _process;

    public AllocationTests() =>
        _process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), new InMemoryDeadLetterSink());

    public void Dispose()
    {
        _process.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void EventHubsBatchJson_Read_AllocatesNothingWarm()
    {
        var lines = VisitData.Lines(Events, seed: 1);
        var json = new StringBuilder("""{"partitionId":"0","events":[""");
        for (var i = 0; i < Events; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("""{"body":""").Append('"').Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(lines[i])))
                .Append("\",\"sequenceNumber\":").Append(i).Append(""","offset":"1","enqueuedTimeUtc":"2024-01-01T00:00:00Z"}""");
        }

        var utf8 = Encoding.UTF8.GetBytes(json.Append("]}").ToString());
        using var batch = new InvocationBatch();

        AssertAllocatesNothing(() => EventHubsBatchJson.Read(utf8, batch));
        Assert.Equal(Events, batch.Count);
    }

    [Fact]
    public void FillEventHubs_BytesAndStrings_AllocateNothingWarm()
    {
        var lines = VisitData.Lines(Events, seed: 2);
        var bytes = new byte[Events][];
        var strings = lines.ToArray();
        var sequences = new long[Events];
        var times = new DateTime[Events];
        for (var i = 0; i < Events; i++)
        {
            bytes[i] = Encoding.UTF8.GetBytes(lines[i]);
            sequences[i] = i;
            times[i] = DateTime.UnixEpoch.AddSeconds(i);
        }

        AssertAllocatesNothing(() => _process.Runner.FillEventHubs("0", bytes, sequences, times));
        AssertAllocatesNothing(() => _process.Runner.FillEventHubs("0", strings, sequences, times));
        Assert.Equal(strings[^1], Encoding.UTF8.GetString(_process.Runner.Batch[Events - 1].Value));
    }

    [Fact]
    public void FillEventHubs_EventData_AllocatesOnlyWhatEventBodyDoes()
    {
        // EventData.EventBody builds a BinaryData on every read (40 B; there is no other public way to the body, and
        // enumerating the AMQP body's segments allocates more). The adapter itself must add nothing to that.
        var lines = VisitData.Lines(Events, seed: 4);
        var events = EventDataTests.Events(lines, 0, Events);
        var bodies = MinimumAllocated(() =>
        {
            foreach (var data in events)
            {
                _ = data.EventBody;
            }
        });

        Assert.Equal(bodies, MinimumAllocated(() => _process.Runner.FillEventHubs("0", events)));
        Assert.InRange(bodies, 1, 40 * Events);
        Assert.Equal(lines[^1], Encoding.UTF8.GetString(_process.Runner.Batch[Events - 1].Value));
        Assert.Equal("user-" + (Events - 1), Encoding.UTF8.GetString(_process.Runner.Batch[Events - 1].Key));
    }

    [Fact]
    public void FillKafka_TypedAndJson_AllocateNothingWarm()
    {
        var lines = VisitData.Lines(Events, seed: 3);
        var typed = new KafkaTriggerEvent[Events];
        var json = new string[Events];
        for (var i = 0; i < Events; i++)
        {
            typed[i] = new KafkaTriggerEvent("clicks", i % 4, i, DateTime.UnixEpoch.AddSeconds(i), default, Encoding.UTF8.GetBytes(lines[i]));
            json[i] = $$"""{"Offset":{{i}},"Partition":{{i % 4}},"Topic":"clicks","Timestamp":"2024-01-01T00:00:00Z","Value":{{System.Text.Json.JsonSerializer.Serialize(lines[i])}},"Key":"k","Headers":[]}""";
        }

        AssertAllocatesNothing(() => _process.Runner.FillKafka(typed));
        var unreadable = -1;
        AssertAllocatesNothing(() => unreadable = _process.Runner.FillKafka(json));
        Assert.Equal(0, unreadable);
        Assert.Equal(lines[^1], Encoding.UTF8.GetString(_process.Runner.Batch[Events - 1].Value));
    }

    /// <summary>Bytes one call of <paramref name="action"/> allocates once warm: the least of several measured rounds (tiered compilation can add to one).</summary>
    private static long MinimumAllocated(Action action)
    {
        for (var i = 0; i < 50; i++)
        {
            action();
        }

        var least = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }

    /// <summary>Warms up, then measures rounds; a round that allocated (tiered compilation replacing a method) is measured again.</summary>
    private static void AssertAllocatesNothing(Action fill)
    {
        for (var i = 0; i < 50; i++)
        {
            fill();
        }

        long allocated = 0;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20; i++)
            {
                fill();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                return;
            }
        }

        Assert.Equal(0, allocated);
    }
}
