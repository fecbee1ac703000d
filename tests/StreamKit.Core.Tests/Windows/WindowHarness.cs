using System.Globalization;
using System.Text;
using StreamKit.Core.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Testing;
using StreamKit.Windows;
using Xunit.Sdk;

namespace StreamKit.Core.Tests.Windows;

/// <summary>How the pipeline's functors are written: lambdas (delegates) or struct functors (specialised).</summary>
public enum FunctorForm
{
    Lambda,
    Struct,

    /// <summary>Struct functors passed without type arguments (<c>KeyBy(new EvKey())</c>), inferred from <c>ISelector&lt;TSelf, T, TResult&gt;</c>.</summary>
    InferredStruct,
}

/// <summary>The stages <see cref="WindowHarness"/> puts before the window.</summary>
public enum Stages
{
    None,

    /// <summary>A <c>Where</c> right before the window, which runs it in its own loop.</summary>
    Where,

    /// <summary>A <c>Where</c> that compacts the batch, then a <c>Select</c>.</summary>
    WhereSelect,
}

/// <summary>A pipeline built for a <see cref="Scenario"/>, its sinks, and the wall clock it reads.</summary>
internal sealed class WindowHarness
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    private WindowHarness(Pipeline<Ev> pipeline, Func<List<Row>> rows, CollectingSink<Ev> late, ManualClock clock)
    {
        Pipeline = pipeline;
        Rows = rows;
        Late = late;
        Clock = clock;
    }

    public Pipeline<Ev> Pipeline { get; }

    /// <summary>Everything the pipeline emitted so far, in order.</summary>
    public Func<List<Row>> Rows { get; }

    public CollectingSink<Ev> Late { get; }

    public ManualClock Clock { get; }

    /// <summary>
    /// Builds <c>KeyBy(Key).Window(spec)</c> with the scenario's late policy and <paramref name="agg"/>, after
    /// <paramref name="stages"/>: a <c>Where</c> (value not a multiple of 3), then for <see cref="Stages.WhereSelect"/> a
    /// <c>Select</c> (value + key).
    /// </summary>
    public static WindowHarness Build(Scenario scenario, Agg agg, FunctorForm form = FunctorForm.Lambda, Stages stages = Stages.None)
    {
        var clock = new ManualClock();
        var late = new CollectingSink<Ev>();
        var options = scenario.CreateOptions(clock);
        if (form == FunctorForm.Lambda)
        {
            var start = StreamPipeline.Create<Ev>(static e => e.Ts, options);
            if (stages != Stages.None)
            {
                start = start.Where(static e => e.Value % 3 != 0);
            }

            if (stages == Stages.WhereSelect)
            {
                start = start.Select(static e => e with { Value = e.Value + e.Key });
            }

            var windowed = ApplyPolicy(start.KeyBy(static e => e.Key).Window(scenario.Spec), scenario, late);
            return agg switch
            {
                Agg.Count => Finish(windowed.Aggregate(static a => a.Count()), static v => v.ToString(s_inv), late, clock),
                Agg.Sum => Finish(windowed.Aggregate(static a => a.Sum(static e => (long)e.Value)), static v => v.ToString(s_inv), late, clock),
                Agg.Min => Finish(windowed.Aggregate(static a => a.Min(static e => e.Value)), static v => v.ToString(s_inv), late, clock),
                Agg.Max => Finish(windowed.Aggregate(static a => a.Max(static e => e.Value)), static v => v.ToString(s_inv), late, clock),
                Agg.Average => Finish(windowed.Aggregate(static a => a.Average(static e => e.Value)), static v => v.ToString("R", s_inv), late, clock),
                Agg.Combine => Finish(windowed.Aggregate(static a => a.Combine(a.Count(), a.Sum(static e => (long)e.Value))), static v => ReferenceModel.FormatPair(v.Item1, v.Item2), late, clock),
                Agg.ApproxDistinct => Finish(windowed.Aggregate(static a => a.ApproxDistinct(static e => e.Item)), static v => v.ToString(s_inv), late, clock),
                Agg.TopK => Finish(windowed.Aggregate(static a => a.TopK(static e => e.Item)), ReferenceModel.FormatTopK, late, clock),
                _ => throw new ArgumentOutOfRangeException(nameof(agg)),
            };
        }
        else if (form == FunctorForm.InferredStruct)
        {
            var start = StreamPipeline.Create(new EvTime(), options);
            if (stages != Stages.None)
            {
                start = start.Where(new NotMultipleOfThree());
            }

            if (stages == Stages.WhereSelect)
            {
                start = start.Select(new AddKeyToValue());
            }

            var windowed = ApplyPolicy(start.KeyBy(new EvKey()).Window(scenario.Spec), scenario, late);
            return agg switch
            {
                Agg.Count => Finish(windowed.Aggregate(static a => a.Count()), static v => v.ToString(s_inv), late, clock),
                Agg.Sum => Finish(windowed.Aggregate(static a => a.Sum(new EvValueLong())), static v => v.ToString(s_inv), late, clock),
                Agg.Min => Finish(windowed.Aggregate(static a => a.Min(new EvValue())), static v => v.ToString(s_inv), late, clock),
                Agg.Max => Finish(windowed.Aggregate(static a => a.Max(new EvValue())), static v => v.ToString(s_inv), late, clock),
                Agg.Average => Finish(windowed.Aggregate(static a => a.Average(new EvValue())), static v => v.ToString("R", s_inv), late, clock),
                Agg.Combine => Finish(windowed.Aggregate(static a => a.Combine(a.Count(), a.Sum(new EvValueLong()))), static v => ReferenceModel.FormatPair(v.Item1, v.Item2), late, clock),
                Agg.ApproxDistinct => Finish(windowed.Aggregate(static a => a.ApproxDistinct(new EvItem())), static v => v.ToString(s_inv), late, clock),
                Agg.TopK => Finish(windowed.Aggregate(static a => a.TopK(new EvItem())), ReferenceModel.FormatTopK, late, clock),
                _ => throw new ArgumentOutOfRangeException(nameof(agg)),
            };
        }
        else
        {
            var start = StreamPipeline.Create<Ev, EvTime>(default, options);
            if (stages != Stages.None)
            {
                start = start.Where(new NotMultipleOfThree());
            }

            if (stages == Stages.WhereSelect)
            {
                start = start.Select<Ev, AddKeyToValue>(default);
            }

            var windowed = ApplyPolicy(start.KeyBy<int, EvKey>(default).Window(scenario.Spec), scenario, late);
            return agg switch
            {
                Agg.Count => Finish(windowed.Aggregate(static a => a.Count()), static v => v.ToString(s_inv), late, clock),
                Agg.Sum => Finish(windowed.Aggregate(static a => a.Sum<long, EvValueLong>(default)), static v => v.ToString(s_inv), late, clock),
                Agg.Min => Finish(windowed.Aggregate(static a => a.Min<int, EvValue>(default)), static v => v.ToString(s_inv), late, clock),
                Agg.Max => Finish(windowed.Aggregate(static a => a.Max<int, EvValue>(default)), static v => v.ToString(s_inv), late, clock),
                Agg.Average => Finish(windowed.Aggregate(static a => a.Average<int, EvValue>(default)), static v => v.ToString("R", s_inv), late, clock),
                Agg.Combine => Finish(windowed.Aggregate(static a => a.Combine(a.Count(), a.Sum<long, EvValueLong>(default))), static v => ReferenceModel.FormatPair(v.Item1, v.Item2), late, clock),
                Agg.ApproxDistinct => Finish(windowed.Aggregate(static a => a.ApproxDistinct<EvItem>(default)), static v => v.ToString(s_inv), late, clock),
                Agg.TopK => Finish(windowed.Aggregate(static a => a.TopK<EvItem>(default)), ReferenceModel.FormatTopK, late, clock),
                _ => throw new ArgumentOutOfRangeException(nameof(agg)),
            };
        }
    }

    /// <summary>Feeds batches [<paramref name="from"/>, <paramref name="to"/>) of the scenario, moving the wall clock as recorded.</summary>
    public void Feed(Scenario scenario, int from = 0, int to = -1)
    {
        to = to < 0 ? scenario.Batches.Count : to;
        for (var i = from; i < to; i++)
        {
            var batch = scenario.Batches[i];
            Clock.Advance(batch.ClockAdvanceMs);
            var copy = (Ev[])batch.Events.Clone(); // the pipeline may overwrite what it is given
            Pipeline.Process(copy, batch.Partition);
        }
    }

    /// <summary>Asserts the pipeline's output, late counts and side output equal the model's.</summary>
    public void AssertMatches(ModelResult model, Agg agg, Scenario scenario)
    {
        var actual = Rows();
        AssertSameRows(model.Rows(agg), actual, scenario);
        var counters = Pipeline.Counters;
        if (counters.Late != model.Late || counters.Dropped != model.Dropped || counters.Fired != actual.Count)
        {
            throw new XunitException(string.Create(s_inv, $"Counters differ: late {counters.Late} (model {model.Late}), dropped {counters.Dropped} (model {model.Dropped}), fired {counters.Fired} (rows {actual.Count}).{Environment.NewLine}{Describe(scenario)}"));
        }

        AssertSameMultiset(model.SideOutput, Late.Records, "side output", scenario);
    }

    public static void AssertSameRows(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual, Scenario scenario) =>
        AssertSameMultiset(expected, actual, "window results", scenario);

    public static void AssertSameMultiset<TItem>(IEnumerable<TItem> expected, IEnumerable<TItem> actual, string what, Scenario scenario)
        where TItem : notnull
    {
        var missing = Difference(expected, actual);
        var extra = Difference(actual, expected);
        if (missing.Count == 0 && extra.Count == 0)
        {
            return;
        }

        var message = new StringBuilder();
        message.Append(s_inv, $"The {what} differ from the model's: {missing.Count} missing, {extra.Count} unexpected.").AppendLine();
        foreach (var item in missing.Take(12))
        {
            message.Append("  missing:    ").Append(item).AppendLine();
        }

        foreach (var item in extra.Take(12))
        {
            message.Append("  unexpected: ").Append(item).AppendLine();
        }

        message.Append(Describe(scenario));
        throw new XunitException(message.ToString());
    }

    public static string Describe(Scenario scenario)
    {
        var text = new StringBuilder(scenario.ToString()).AppendLine();
        foreach (var batch in scenario.Batches)
        {
            if (text.Length > 6000)
            {
                text.Append("  …");
                break;
            }

            text.Append(s_inv, $"  p{batch.Partition} +{batch.ClockAdvanceMs}ms: ");
            text.AppendJoin(' ', batch.Events.Select(static e => string.Create(s_inv, $"{e.Ts}/k{e.Key}/v{e.Value}/i{e.Item}")));
            text.AppendLine();
        }

        return text.ToString();
    }

    private static List<TItem> Difference<TItem>(IEnumerable<TItem> left, IEnumerable<TItem> right)
        where TItem : notnull
    {
        var counts = new Dictionary<TItem, int>();
        foreach (var item in right)
        {
            counts[item] = counts.GetValueOrDefault(item) + 1;
        }

        var result = new List<TItem>();
        foreach (var item in left)
        {
            if (counts.TryGetValue(item, out var n) && n > 0)
            {
                counts[item] = n - 1;
            }
            else
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static WindowedPipelineBuilder<Ev, Ev, int, TKeySelector> ApplyPolicy<TKeySelector>(WindowedPipelineBuilder<Ev, Ev, int, TKeySelector> windowed, Scenario scenario, CollectingSink<Ev> late)
        where TKeySelector : struct, ISelector<Ev, int> => scenario.Policy switch
        {
            LateEventPolicy.SideOutput => windowed.LateTo(late),
            LateEventPolicy.Update => windowed.AllowedLateness(TimeSpan.FromMilliseconds(scenario.LatenessMs)),
            _ => windowed.DropLate(),
        };

    private static WindowHarness Finish<TResult>(PipelineBuilder<Ev, WindowResult<int, TResult>> builder, Func<TResult, string> format, CollectingSink<Ev> late, ManualClock clock)
    {
        var sink = new CollectingSink<WindowResult<int, TResult>>();
        var pipeline = builder.To(sink);
        return new WindowHarness(pipeline, () => [.. sink.Records.Select(r => new Row(r.Start, r.End, r.Key, format(r.Value), r.IsUpdate))], late, clock);
    }
}
