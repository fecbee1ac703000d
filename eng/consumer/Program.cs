using StreamKit.Pipeline;
using StreamKit.Windows;

// A user's first pipeline, written against the packed StreamKit.Core: views per page per minute, with lambdas.
var results = new ResultSink();
var pipeline = StreamPipeline.Create<View>(static v => v.Ts, new PipelineOptions { MaxOutOfOrderness = TimeSpan.Zero })
    .KeyBy(static v => v.Page)
    .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
    .Aggregate(static a => a.Count())
    .To(results);

View[] batch = [new(0, 1), new(1_000, 2), new(30_000, 1), new(61_000, 1), new(62_000, 2), new(125_000, 3)];
pipeline.Process(batch);
pipeline.Complete();

string[] expected = ["0 page 1: 2", "0 page 2: 1", "60000 page 1: 1", "60000 page 2: 1", "120000 page 3: 1"];
var actual = results.Lines.Order(StringComparer.Ordinal).ToArray();
Array.Sort(expected, StringComparer.Ordinal);
if (!actual.SequenceEqual(expected))
{
    Console.Error.WriteLine("consumer: unexpected results:\n  " + string.Join("\n  ", actual));
    return 1;
}

Console.WriteLine($"consumer: StreamKit.Core package works ({actual.Length} window results)");
return 0;

internal readonly record struct View(long Ts, int Page);

internal sealed class ResultSink : IRecordSink<WindowResult<int, long>>
{
    public List<string> Lines { get; } = [];

    public void Write(ReadOnlySpan<WindowResult<int, long>> records)
    {
        foreach (var r in records)
        {
            Lines.Add($"{r.Start} page {r.Key}: {r.Value}");
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
