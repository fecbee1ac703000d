using System.Globalization;
using StreamKit.Aggregates;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Windows;

/// <summary>One result the model emits: the window, the key and the events it holds at that moment.</summary>
internal sealed record Emission(long Start, long End, int Key, Ev[] Events, bool IsUpdate);

internal sealed class ModelResult
{
    public List<Emission> Emissions { get; } = [];

    public List<Ev> SideOutput { get; } = [];

    public long Late { get; set; }

    public long Dropped { get; set; }

    public List<Row> Rows(Agg agg) => [.. Emissions.Select(e => new Row(e.Start, e.End, e.Key, ReferenceModel.Format(agg, e.Events), e.IsUpdate))];
}

/// <summary>
/// The window semantics written down naively (lists, LINQ, rescans) so that it is obviously right; the pipeline's
/// output must equal this model's on every input.
/// </summary>
internal static class ReferenceModel
{
    public static ModelResult Run(Scenario scenario, Func<Ev, bool>? where = null, Func<Ev, Ev>? select = null)
    {
        var result = new ModelResult();
        IWindowModel windows = scenario.Kind switch
        {
            WindowKind.Session => new SessionModel(scenario, result),
            WindowKind.Global => new GlobalModel(result),
            _ => new SlicedModel(scenario, result),
        };

        var watermark = new WatermarkModel(scenario);
        long now = 0;
        foreach (var batch in scenario.Batches)
        {
            now += batch.ClockAdvanceMs;
            if (batch.Events.Length > 0)
            {
                // Event time is taken from the record before any filter, so filtered records still move it.
                watermark.Observe(batch.Partition, batch.Events.Max(static e => e.Ts), now);
                foreach (var e in batch.Events)
                {
                    if (where is null || where(e))
                    {
                        windows.Add(select is null ? e : select(e), e.Ts);
                    }
                }
            }

            if (watermark.Advance(now))
            {
                windows.OnWatermark(watermark.Watermark);
            }
        }

        windows.Complete();
        return result;
    }

    /// <summary>Renders an aggregate over <paramref name="events"/> exactly as the tests render the pipeline's result.</summary>
    public static string Format(Agg agg, Ev[] events)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (agg)
        {
            case Agg.Count:
                return events.LongLength.ToString(inv);
            case Agg.Sum:
                return events.Sum(static e => (long)e.Value).ToString(inv);
            case Agg.Min:
                return events.Min(static e => e.Value).ToString(inv);
            case Agg.Max:
                return events.Max(static e => e.Value).ToString(inv);
            case Agg.Average:
                // Integer values summed as doubles are exact, so the order of summation cannot matter.
                double sum = 0;
                foreach (var e in events)
                {
                    sum += e.Value;
                }

                return (sum / events.Length).ToString("R", inv);
            case Agg.Combine:
                return FormatPair(events.LongLength, events.Sum(static e => (long)e.Value));
            case Agg.ApproxDistinct:
                var sketch = default(HyperLogLogSketch);
                foreach (var e in events)
                {
                    sketch.Add(e.Item);
                }

                return sketch.Estimate().ToString(inv);
            case Agg.TopK:
                return string.Join(",", events.GroupBy(static e => e.Item)
                    .Select(static g => (Item: g.Key, Count: (long)g.Count()))
                    .OrderByDescending(static x => x.Count)
                    .ThenBy(static x => x.Item)
                    .Select(static x => string.Create(CultureInfo.InvariantCulture, $"{x.Item}:{x.Count}:0")));
            default:
                throw new ArgumentOutOfRangeException(nameof(agg));
        }
    }

    public static string FormatPair(long count, long sum) => string.Create(CultureInfo.InvariantCulture, $"{count}|{sum}");

    public static string FormatTopK(TopKSketch sketch) =>
        string.Join(",", Enumerable.Range(0, sketch.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{sketch.GetItem(i)}:{sketch.GetCount(i)}:{sketch.GetError(i)}")));

    private interface IWindowModel
    {
        void Add(Ev e, long time);

        void OnWatermark(long watermark);

        void Complete();
    }

    /// <summary>Per partition: max event time − out-of-orderness; overall: the minimum over active partitions; never decreases.</summary>
    private sealed class WatermarkModel(Scenario scenario)
    {
        private readonly Dictionary<int, (long Max, long LastActive)> _partitions = [];

        public long Watermark { get; private set; } = long.MinValue;

        public void Observe(int partition, long max, long now)
        {
            var previous = _partitions.TryGetValue(partition, out var p) ? p.Max : long.MinValue;
            _partitions[partition] = (Math.Max(previous, max), now);
        }

        public bool Advance(long now)
        {
            var active = _partitions.Values
                .Where(p => scenario.IdleTimeoutMs < 0 || now - p.LastActive < scenario.IdleTimeoutMs)
                .ToList();
            if (active.Count == 0)
            {
                return false;
            }

            var candidate = active.Min(p => p.Max - scenario.OutOfOrderMs);
            if (candidate <= Watermark)
            {
                return false;
            }

            Watermark = candidate;
            return true;
        }
    }

    /// <summary>Tumbling and hopping: epoch-aligned windows [s, s + size), s a multiple of the hop.</summary>
    private sealed class SlicedModel(Scenario scenario, ModelResult result) : IWindowModel
    {
        private readonly Dictionary<(long Start, int Key), List<Ev>> _windows = [];
        private long _watermark = long.MinValue;

        public void Add(Ev e, long time)
        {
            var starts = new List<long>();
            var lastStart = time - Mod(time, scenario.Hop);
            for (var s = lastStart - scenario.Size + scenario.Hop; s <= lastStart; s += scenario.Hop)
            {
                starts.Add(s);
            }

            var open = starts.Where(s => s + scenario.Size > _watermark).ToList();
            var retained = starts.Where(s => s + scenario.Size <= _watermark && scenario.Policy == LateEventPolicy.Update && s + scenario.Size + scenario.LatenessMs > _watermark).ToList();
            if (open.Count == 0)
            {
                result.Late++;
                if (retained.Count == 0)
                {
                    if (scenario.Policy == LateEventPolicy.SideOutput)
                    {
                        result.SideOutput.Add(e);
                    }
                    else
                    {
                        result.Dropped++;
                    }

                    return;
                }
            }

            foreach (var s in open)
            {
                Window(s, e.Key).Add(e);
            }

            foreach (var s in retained)
            {
                var events = Window(s, e.Key);
                events.Add(e);
                result.Emissions.Add(new Emission(s, s + scenario.Size, e.Key, [.. events], IsUpdate: true));
            }
        }

        public void OnWatermark(long watermark)
        {
            foreach (var ((start, key), events) in _windows)
            {
                var end = start + scenario.Size;
                if (end > _watermark && end <= watermark)
                {
                    result.Emissions.Add(new Emission(start, end, key, [.. events], IsUpdate: false));
                }
            }

            _watermark = watermark;
            foreach (var window in _windows.Keys.Where(w => w.Start + scenario.Size + scenario.RetentionMs <= watermark).ToList())
            {
                _windows.Remove(window);
            }
        }

        public void Complete()
        {
            foreach (var ((start, key), events) in _windows)
            {
                if (start + scenario.Size > _watermark)
                {
                    result.Emissions.Add(new Emission(start, start + scenario.Size, key, [.. events], IsUpdate: false));
                }
            }
        }

        private List<Ev> Window(long start, int key)
        {
            if (!_windows.TryGetValue((start, key), out var events))
            {
                _windows[(start, key)] = events = [];
            }

            return events;
        }

        private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;
    }

    /// <summary>Sessions per key, [first, last + gap); events within the gap of several sessions merge them.</summary>
    private sealed class SessionModel(Scenario scenario, ModelResult result) : IWindowModel
    {
        private readonly List<Session> _sessions = [];
        private long _watermark = long.MinValue;

        public void Add(Ev e, long time)
        {
            var gap = scenario.Gap;
            var touched = _sessions.Where(s => s.Key == e.Key && time > s.Start - gap && time < s.Last + gap).ToList();
            if (touched.Count == 0)
            {
                if (time + gap <= _watermark)
                {
                    result.Late++;
                    if (scenario.Policy == LateEventPolicy.SideOutput)
                    {
                        result.SideOutput.Add(e);
                    }
                    else
                    {
                        result.Dropped++;
                    }

                    return;
                }

                _sessions.Add(new Session { Key = e.Key, Start = time, Last = time, Events = [e] });
                return;
            }

            // Only the update policy keeps fired sessions, so only it can see an event whose sessions all fired.
            var allFired = touched.All(static s => s.Fired);
            var merged = new Session
            {
                Key = e.Key,
                Start = Math.Min(time, touched.Min(static s => s.Start)),
                Last = Math.Max(time, touched.Max(static s => s.Last)),
                Events = [.. touched.SelectMany(static s => s.Events), e],
                Emitted = touched.Any(static s => s.Emitted),
            };
            _sessions.RemoveAll(touched.Contains);
            _sessions.Add(merged);
            if (allFired)
            {
                result.Late++;
                if (merged.Last + gap <= _watermark)
                {
                    Emit(merged);
                    merged.Fired = true;
                }
            }
        }

        public void OnWatermark(long watermark)
        {
            _watermark = watermark;
            foreach (var session in _sessions.Where(s => !s.Fired && s.Last + scenario.Gap <= watermark).ToList())
            {
                Emit(session);
                session.Fired = true;
            }

            _sessions.RemoveAll(s => s.Fired && s.Last + scenario.Gap + scenario.RetentionMs <= watermark);
        }

        public void Complete()
        {
            foreach (var session in _sessions.Where(static s => !s.Fired))
            {
                Emit(session);
            }
        }

        private void Emit(Session session)
        {
            result.Emissions.Add(new Emission(session.Start, session.Last + scenario.Gap, session.Key, [.. session.Events], session.Emitted));
            session.Emitted = true;
        }

        private sealed class Session
        {
            public int Key { get; init; }

            public long Start { get; init; }

            public long Last { get; init; }

            public required List<Ev> Events { get; init; }

            public bool Fired { get; set; }

            public bool Emitted { get; set; }
        }
    }

    /// <summary>One result per key when the input ends; nothing is ever late.</summary>
    private sealed class GlobalModel(ModelResult result) : IWindowModel
    {
        private readonly Dictionary<int, List<Ev>> _keys = [];

        public void Add(Ev e, long time)
        {
            if (!_keys.TryGetValue(e.Key, out var events))
            {
                _keys[e.Key] = events = [];
            }

            events.Add(e);
        }

        public void OnWatermark(long watermark)
        {
        }

        public void Complete()
        {
            foreach (var (key, events) in _keys)
            {
                result.Emissions.Add(new Emission(long.MinValue, long.MaxValue, key, [.. events], IsUpdate: false));
            }
        }
    }
}
