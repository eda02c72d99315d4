using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>
/// The per-clock figures of a group of incidents kept so that groups can be merged exactly: every completed
/// phase's duration and every time to acknowledge (sorted, so merged lists give exact nearest-rank percentiles),
/// counts, and the deadlines of clocks still running, whose "breached" and "overdue now" depend on when the
/// report is read. A station-day's digest holds one per clock and group; the figures of a report are the merge
/// of the digests of its days. Beside the adjusted figures it keeps the raw clock's (issue 28: durations with the
/// paused time in, judged by the deadline before any pause) and the pauses themselves, counted when read.
/// </summary>
public sealed class ClockTally
{
    private readonly List<Duration> durations;
    private readonly List<Duration> acknowledged;
    private readonly List<Instant> runningDeadlines;
    private readonly SortedDictionary<int, int> samplesAtLevel;
    private readonly List<Duration> rawDurations;
    private readonly List<Instant> rawRunningDeadlines;
    private readonly List<PausedSpan> pauses;
    private bool sorted;

    public ClockTally()
        : this([], [], 0, 0, [], new SortedDictionary<int, int>(), 0)
    {
    }

    /// <param name="Durations">Completed phases, sorted.</param>
    /// <param name="Acknowledged">Times from breach to acknowledgement, sorted.</param>
    /// <param name="EndedBreached">Clocks that ended past their deadline (met late, or cancelled after it).</param>
    /// <param name="RunningDeadlines">Deadlines of clocks still running, sorted.</param>
    /// <param name="SamplesAtLevel">How many clocks reached each escalation level (level → clocks).</param>
    /// <param name="RawDurations">Completed phases on the raw clock, sorted; null: the same as the durations (nothing paused).</param>
    /// <param name="RawRunningDeadlines">Deadlines before any pause of clocks still running, sorted; null: the same as the running deadlines.</param>
    /// <param name="Pauses">The clocks' pauses, each with its end (null while it lasts).</param>
    public ClockTally(
        IEnumerable<Duration> durations, IEnumerable<Duration> acknowledged, int met, int endedBreached,
        IEnumerable<Instant> runningDeadlines, IEnumerable<KeyValuePair<int, int>> samplesAtLevel, int derived,
        IEnumerable<Duration>? rawDurations = null, int? rawMet = null, int? rawEndedBreached = null, IEnumerable<Instant>? rawRunningDeadlines = null,
        IEnumerable<PausedSpan>? pauses = null)
    {
        this.rawDurations = [.. rawDurations ?? durations];
        this.rawRunningDeadlines = [.. rawRunningDeadlines ?? runningDeadlines];
        this.pauses = [.. pauses ?? []];
        RawMet = rawMet ?? met;
        RawEndedBreached = rawEndedBreached ?? endedBreached;
        this.durations = [.. durations];
        this.acknowledged = [.. acknowledged];
        this.runningDeadlines = [.. runningDeadlines];
        this.samplesAtLevel = new SortedDictionary<int, int>(samplesAtLevel.ToDictionary(p => p.Key, p => p.Value));
        Met = met;
        EndedBreached = endedBreached;
        Derived = derived;
    }

    public IReadOnlyList<Duration> Durations => Sorted().durations;

    public IReadOnlyList<Duration> Acknowledged => Sorted().acknowledged;

    public IReadOnlyList<Instant> RunningDeadlines => Sorted().runningDeadlines;

    public IReadOnlyDictionary<int, int> SamplesAtLevel => samplesAtLevel;

    public int Met { get; private set; }

    public int EndedBreached { get; private set; }

    public int Derived { get; private set; }

    public IReadOnlyList<Duration> RawDurations => Sorted().rawDurations;

    public IReadOnlyList<Instant> RawRunningDeadlines => Sorted().rawRunningDeadlines;

    public int RawMet { get; private set; }

    public int RawEndedBreached { get; private set; }

    /// <summary>The pauses, as they were when the tally was made; <see cref="PausesAsOf"/> counts them at a later instant.</summary>
    public IReadOnlyList<PausedSpan> Pauses => pauses;

    /// <summary>The pauses with their lengths at <paramref name="now"/> (one still on has grown since).</summary>
    public IEnumerable<PausedSpan> PausesAsOf(Instant now) => pauses.Select(p => p.AsOf(now));

    /// <summary>Counts one clock; a running clock by its deadline, so the tally stays true whenever it is read.</summary>
    public ClockTally Add(ClockSample sample)
    {
        sorted = false;
        if (sample.Elapsed is { } elapsed)
        {
            durations.Add(elapsed);
        }

        if (sample.TimeToAcknowledge is { } toAcknowledge)
        {
            acknowledged.Add(toAcknowledge);
        }

        if (sample.RawElapsed is { } raw)
        {
            rawDurations.Add(raw);
        }

        if (sample.Running)
        {
            runningDeadlines.Add(sample.LatestDeadline);
            rawRunningDeadlines.Add(sample.RawDeadline);
        }
        else
        {
            EndedBreached += sample.Breached ? 1 : 0;
            RawEndedBreached += sample.RawBreached ? 1 : 0;
        }

        RawMet += sample.RawMet ? 1 : 0;
        pauses.AddRange(sample.Pauses);

        if (sample.Met)
        {
            Met++;
        }

        if (sample.Level > 0)
        {
            samplesAtLevel[sample.Level] = samplesAtLevel.GetValueOrDefault(sample.Level) + 1;
        }

        if (sample.Derived)
        {
            Derived++;
        }

        return this;
    }

    /// <summary>Adds another group's clocks to this one (lists joined and sorted once when read, counts summed).</summary>
    public ClockTally Merge(ClockTally other)
    {
        sorted = false;
        durations.AddRange(other.durations);
        acknowledged.AddRange(other.acknowledged);
        runningDeadlines.AddRange(other.runningDeadlines);
        foreach (var (level, count) in other.samplesAtLevel)
        {
            samplesAtLevel[level] = samplesAtLevel.GetValueOrDefault(level) + count;
        }

        Met += other.Met;
        EndedBreached += other.EndedBreached;
        Derived += other.Derived;
        rawDurations.AddRange(other.rawDurations);
        rawRunningDeadlines.AddRange(other.rawRunningDeadlines);
        RawMet += other.RawMet;
        RawEndedBreached += other.RawEndedBreached;
        pauses.AddRange(other.pauses);
        return this;
    }

    /// <summary>The group's figures as of <paramref name="now"/>: a running clock whose deadline has passed is breached and overdue.</summary>
    public GroupFigures Figures(string key, string label, Instant now)
    {
        Sorted();
        var overdueNow = CountAtOrBefore(runningDeadlines, now);
        var breached = EndedBreached + overdueNow;
        var rawBreached = RawEndedBreached + CountAtOrBefore(rawRunningDeadlines, now);
        var escalations = new SortedDictionary<int, int>();
        foreach (var (level, clocks) in samplesAtLevel)
        {
            // A clock at level L was escalated at levels 1 to L.
            for (var reached = 1; reached <= level; reached++)
            {
                escalations[reached] = escalations.GetValueOrDefault(reached) + clocks;
            }
        }

        return new GroupFigures(
            key, label, durations.Count,
            Statistics.NearestRank(durations, 0.5), Statistics.NearestRank(durations, 0.9), Statistics.NearestRank(durations, 0.95),
            durations.Count == 0 ? null : durations[0], durations.Count == 0 ? null : durations[^1],
            Met, breached, Statistics.Compliance(Met, breached),
            runningDeadlines.Count, overdueNow, escalations.ToDictionary(), Statistics.NearestRank(acknowledged, 0.5), Derived,
            durations.Count < Statistics.SmallSample)
        {
            Raw = new RawFigures(
                rawDurations.Count, Statistics.NearestRank(rawDurations, 0.5), Statistics.NearestRank(rawDurations, 0.9), Statistics.NearestRank(rawDurations, 0.95),
                RawMet, rawBreached, Statistics.Compliance(RawMet, rawBreached)),
            Pauses = pauses.Count,
            PausedTime = PausesAsOf(now).Aggregate(Duration.Zero, (sum, p) => sum + p.Length),
        };
    }

    private static int CountAtOrBefore(List<Instant> sorted, Instant now)
    {
        var (low, high) = (0, sorted.Count);
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (sorted[middle] <= now)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private ClockTally Sorted()
    {
        if (!sorted)
        {
            durations.Sort();
            acknowledged.Sort();
            runningDeadlines.Sort();
            rawDurations.Sort();
            rawRunningDeadlines.Sort();
            sorted = true;
        }

        return this;
    }
}
