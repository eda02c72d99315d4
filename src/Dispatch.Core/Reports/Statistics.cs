using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>The figures of one group of clock samples (or of all of them).</summary>
/// <param name="N">Completed phases: the durations the percentiles are taken from.</param>
/// <param name="Compliance">Met ÷ (met + breached); null when neither.</param>
/// <param name="SmallSample">Fewer than <see cref="Statistics.SmallSample"/> durations: read the percentiles with care; never ranked.</param>
public sealed record GroupFigures(
    string Key, string Label, int N, Duration? Median, Duration? P90, Duration? P95, Duration? Min, Duration? Max,
    int Met, int Breached, double? Compliance, int StillRunning, int OverdueNow,
    IReadOnlyDictionary<int, int> EscalationsByLevel, Duration? MedianTimeToAcknowledge, int Derived, bool SmallSample)
{
    /// <summary>
    /// The same group judged on the raw clock, paused time counted in (issue 28): beside the adjusted figures above,
    /// so a station that pauses to look good shows the gap. Equal to them where nothing was paused.
    /// </summary>
    public RawFigures Raw { get; init; } = RawFigures.None;

    /// <summary>How many pauses the group's clocks had, and how long they held them.</summary>
    public int Pauses { get; init; }

    public Duration PausedTime { get; init; }
}

/// <summary>Figures on the raw clock: durations start to completion and compliance by the deadline before any pause.</summary>
public sealed record RawFigures(int N, Duration? Median, Duration? P90, Duration? P95, int Met, int Breached, double? Compliance)
{
    public static RawFigures None { get; } = new(0, null, null, null, 0, 0, null);
}

/// <summary>Pauses counted under one key (a reason, a unit, a person who paused).</summary>
public sealed record PauseTally(string Key, string Label, int Count, Duration Time);

/// <summary>
/// The pauses of a report's clocks: how many, how long, and the same per reason, per unit holding the incident
/// when it was paused, and per person who paused, each by count then time, largest first.
/// </summary>
public sealed record PauseFigures(int Count, Duration Time, IReadOnlyList<PauseTally> ByReason, IReadOnlyList<PauseTally> ByUnit, IReadOnlyList<PauseTally> ByPerson)
{
    public static PauseFigures Of(IEnumerable<PausedSpan> spans)
    {
        var all = spans.ToList();
        return new PauseFigures(all.Count, Sum(all),
            Tally(all, s => (s.Pause.Reason, s.Pause.Reason)),
            Tally(all, s => s.Pause.Unit is { } unit ? (unit, unit) : ("(desk)", "no unit yet")),
            Tally(all, s => (s.Pause.By.Subject, s.Pause.By.Name)));
    }

    private static Duration Sum(IEnumerable<PausedSpan> spans) => spans.Aggregate(Duration.Zero, (sum, s) => sum + s.Length);

    private static List<PauseTally> Tally(List<PausedSpan> spans, Func<PausedSpan, (string Key, string Label)> key) =>
        [.. spans.GroupBy(key).Select(g => new PauseTally(g.Key.Key, g.Key.Label, g.Count(), Sum(g)))
            .OrderByDescending(t => t.Count).ThenByDescending(t => t.Time).ThenBy(t => t.Key, StringComparer.Ordinal)];
}

/// <summary>Durations from <see cref="From"/> (included) up to <see cref="To"/> (excluded; null for no upper edge).</summary>
public sealed record Bucket(Duration From, Duration? To, int Count);

/// <summary>How the figures are computed (README, "Reports"): nearest-rank percentiles, always from the durations themselves.</summary>
public static class Statistics
{
    public const int SmallSample = 10;

    /// <summary>The value at rank ⌈p·n⌉ of the sorted durations (nearest rank); null for none.</summary>
    public static Duration? NearestRank(IReadOnlyList<Duration> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling((decimal)p * sorted.Count); // decimal: 0.9 × 10 must be 9, not 9.000000000000002
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static GroupFigures Figures(string key, string label, IReadOnlyCollection<ClockSample> samples)
    {
        var durations = samples.Where(s => s.Elapsed is not null).Select(s => s.Elapsed!.Value).Order().ToList();
        var met = samples.Count(s => s.Met);
        var breached = samples.Count(s => s.Breached);
        var acknowledged = samples.Where(s => s.TimeToAcknowledge is not null).Select(s => s.TimeToAcknowledge!.Value).Order().ToList();
        var levels = samples.Where(s => s.Level > 0).SelectMany(s => Enumerable.Range(1, s.Level))
            .GroupBy(level => level).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        var raw = samples.Where(s => s.RawElapsed is not null).Select(s => s.RawElapsed!.Value).Order().ToList();
        var rawMet = samples.Count(s => s.RawMet);
        var rawBreached = samples.Count(s => s.RawBreached);
        var pauses = samples.SelectMany(s => s.Pauses).ToList();
        return new GroupFigures(
            key, label, durations.Count,
            NearestRank(durations, 0.5), NearestRank(durations, 0.9), NearestRank(durations, 0.95),
            durations.Count == 0 ? null : durations[0], durations.Count == 0 ? null : durations[^1],
            met, breached, Compliance(met, breached),
            samples.Count(s => s.Running), samples.Count(s => s.OverdueNow),
            levels, NearestRank(acknowledged, 0.5), samples.Count(s => s.Derived), durations.Count < SmallSample)
        {
            Raw = new RawFigures(raw.Count, NearestRank(raw, 0.5), NearestRank(raw, 0.9), NearestRank(raw, 0.95), rawMet, rawBreached, Compliance(rawMet, rawBreached)),
            Pauses = pauses.Count,
            PausedTime = pauses.Aggregate(Duration.Zero, (sum, p) => sum + p.Length),
        };
    }

    internal static double? Compliance(int met, int breached) => met + breached == 0 ? null : Math.Round((double)met / (met + breached), 4);

    /// <summary>Counts of durations between the edges: [0, e1), [e1, e2), …, [ek, ∞).</summary>
    public static IReadOnlyList<Bucket> Buckets(IEnumerable<Duration> durations, IReadOnlyList<Duration> edges)
    {
        var counts = new int[edges.Count + 1];
        foreach (var duration in durations)
        {
            var index = 0;
            while (index < edges.Count && duration >= edges[index])
            {
                index++;
            }

            counts[index]++;
        }

        return [.. counts.Select((count, i) => new Bucket(i == 0 ? Duration.Zero : edges[i - 1], i < edges.Count ? edges[i] : null, count))];
    }
}
