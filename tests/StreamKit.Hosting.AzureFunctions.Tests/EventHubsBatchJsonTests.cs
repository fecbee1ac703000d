using System.Text;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AzureFunctions.Tests;

public class EventHubsBatchJsonTests
{
    [Fact]
    public void Read_FieldsInAnyOrderEscapedBase64AndByteOrderMark_FillsTheBatch()
    {
        var json = "\uFEFF" + """
            {"events":[
              {"offset":"4294967296","enqueuedTimeUtc":"2024-01-01T00:00:01.250Z","body":"eyJhIjoxfQ==","sequenceNumber":12},
              {"body":"Pz8\/","sequenceNumber":13,"enqueuedTimeUtc":"2024-01-01T00:00:02Z","properties":{"x":[1,2]}}
            ],"partitionId":"7"}
            """;
        using var batch = new InvocationBatch();

        var partition = EventHubsBatchJson.Read(Encoding.UTF8.GetBytes(json), batch);

        Assert.Equal("7", partition);
        Assert.Equal(2, batch.Count);
        Assert.Equal("7", batch.PartitionNames[batch[0].Partition]);
        Assert.Equal("12", Encoding.ASCII.GetString(batch[0].Sequence));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(batch[0].Value));
        Assert.Equal(1_704_067_201_250, batch[0].Timestamp);
        Assert.Null(batch[0].Error);
        Assert.Equal("???", Encoding.UTF8.GetString(batch[1].Value));
        Assert.Equal(1_704_067_202_000, batch[1].Timestamp);
    }

    [Fact]
    public void Read_BodyNotBase64_AddedWithItsTextAndAnErrorSoTheRunnerDeadLettersIt()
    {
        using var batch = new InvocationBatch();

        EventHubsBatchJson.Read("""{"partitionId":"0","events":[{"body":"not base64!","sequenceNumber":1,"enqueuedTimeUtc":"2024-01-01T00:00:00Z"}]}"""u8, batch);

        Assert.Equal("not base64!", Encoding.UTF8.GetString(batch[0].Value));
        Assert.Equal("the event body is not valid base64", batch[0].Error);
    }

    [Fact]
    public void Read_ReusedBatch_HoldsOnlyTheLatestEvents()
    {
        using var batch = new InvocationBatch();
        EventHubsBatchJson.Read("""{"partitionId":"0","events":[{"body":"","sequenceNumber":1},{"body":"","sequenceNumber":2}]}"""u8, batch);

        EventHubsBatchJson.Read("""{"partitionId":"0","events":[{"body":"","sequenceNumber":3}]}"""u8, batch);

        Assert.Equal(1, batch.Count);
        Assert.Equal("3", Encoding.ASCII.GetString(batch[0].Sequence));
    }

    [Theory]
    [InlineData("""{"events":[]}""")]
    [InlineData("""{"partitionId":"0","events":[{"body":""}]}""")]
    [InlineData("""{"partitionId":"0","events":[{"body":"","sequenceNumber":"1"}]}""")]
    [InlineData("""{"partitionId":"0","events":{}}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"partitionId":"0","events":[{"body":"",""")]
    public void Read_NotTheBatchShape_ThrowsFormatException(string json)
    {
        using var batch = new InvocationBatch();
        Assert.Throws<FormatException>(() => EventHubsBatchJson.Read(Encoding.UTF8.GetBytes(json), batch));
    }
}
