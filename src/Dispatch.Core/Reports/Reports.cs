using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Reports;

public enum GroupBy { Priority, Zone, Category, Unit, Officer, Dispatcher, Hour, Day, Weekday, Station }

/// <summary>What the reports cover: one station, or every station (command center and auditors).</summary>
public sealed record ReportScope(StationId? Station)
{
    public static ReportScope All { get; } = new((StationId?)null);

    public override string ToString() => Station?.Value ?? "all";
}

public sealed record ResponseTimeReport(
    ReportScope Scope, ClockKind Clock, GroupBy By, ReportRange Range, int Incidents,
    GroupFigures Total, IReadOnlyList<GroupFigures> Groups, IReadOnlyList<Bucket> Buckets, IReadOnlyList<Finding> Findings, Instant AsOf)
{
    /// <summary>The pauses of this clock over the incidents counted, per reason, unit and person (issue 28).</summary>
    public PauseFigures Pauses { get; init; } = PauseFigures.Of([]);
}

/// <param name="Ranked">Groups with at least ten completed phases, lowest compliance first.</param>
/// <param name="Unranked">Groups too small to rank, listed apart.</param>
public sealed record RankingReport(
    ReportScope Scope, ClockKind Clock, GroupBy By, ReportRange Range, IReadOnlyList<GroupFigures> Ranked, IReadOnlyList<GroupFigures> Unranked, Instant AsOf);

/// <summary>One clock whose deadline passed unmet, with who held it at that moment.</summary>
public sealed record BreachLine(
    IncidentId Incident, StationId Station, string Category, Priority Priority, ClockKind Clock, Instant Deadline,
    Holder Holder, Duration OverdueBy, bool StillRunning, int Level, Person? AcknowledgedBy, Instant? AcknowledgedAt);

public sealed record BreachReport(ReportScope Scope, ReportRange Range, IReadOnlyList<BreachLine> Breaches, Instant AsOf);

/// <summary>
/// The accountability reports (README, "Reports"): computed from the incidents <em>reported</em> in the range,
/// read by key range (what they cost follows the incidents in the range, not the station's history).
/// </summary>
/// <remarks>
/// With <paramref name="digests"/>, response times and rankings over days that have ended read each station-day's
/// digest (written at the day's end, rewritten after a late change) and merge them; a day with no digest is computed
/// from its incidents and its digest written. Without, every figure is computed from the incidents themselves.
/// </remarks>
public sealed class ReportService(IIncidentQueries queries, IClock clock, Policy.ResponsePolicy policy, IDayDigests? digests = null)
{
    /// <summary>Stations whose digests are read at once for a report over every station.</summary>
    private const int StationsAtOnce = 16;

    public static readonly IReadOnlyList<GroupBy> RankableBy = [GroupBy.Unit, GroupBy.Officer, GroupBy.Station];

    public ReportRange Range(LocalDate from, LocalDate to) => new(from, to, policy.TimeZone, policy.ReportRules.DayStartsAt);

    public async Task<ResponseTimeReport> ResponseTimesAsync(ApiCall call, ReportScope scope, ReportRange range, ClockKind kind, GroupBy by, CancellationToken cancellationToken)
    {
        Authorize(call, scope, $"report response-times {kind.Name()} by {by.Name()} {range}");
        var now = clock.GetCurrentInstant();
        if (digests is not null)
        {
            return FromDigests(scope, kind, by, range, await SlicesAsync(digests, scope, range, kind, by, now, cancellationToken), now);
        }

        var incidents = await LoadAsync(scope, range, now, cancellationToken);
        var groups = incidents.GroupBy(i => KeyOf(i, i[kind], by, range))
            .Select(g => Statistics.Figures(g.Key.Key, g.Key.Label, [.. g.Select(i => i[kind])]))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var samples = incidents.Select(i => i[kind]).ToList();
        var durations = samples.Where(s => s.Elapsed is not null).Select(s => s.Elapsed!.Value);
        return new ResponseTimeReport(scope, kind, by, range, incidents.Count, Statistics.Figures("total", "all", samples), groups,
            Statistics.Buckets(durations, policy.ReportRules.BucketEdges[kind]), [.. incidents.SelectMany(i => i.Findings)], now)
        {
            Pauses = PauseFigures.Of(samples.SelectMany(s => s.Pauses)),
        };
    }

    public async Task<RankingReport> RankingAsync(ApiCall call, ReportScope scope, ReportRange range, ClockKind kind, GroupBy by, int bottom, CancellationToken cancellationToken)
    {
        var report = await ResponseTimesAsync(call, scope, range, kind, by, cancellationToken);
        call.Change = $"report ranking {kind.Name()} by {by.Name()} {range}";
        var ranked = report.Groups.Where(g => !g.SmallSample && g.Compliance is not null)
            .OrderBy(g => g.Compliance).ThenByDescending(g => g.Median).ThenBy(g => g.Key, StringComparer.Ordinal).Take(bottom).ToList();
        var unranked = report.Groups.Where(g => g.SmallSample || g.Compliance is null).ToList();
        return new RankingReport(scope, kind, by, range, ranked, unranked, report.AsOf);
    }

    public async Task<BreachReport> BreachesAsync(ApiCall call, ReportScope scope, ReportRange range, CancellationToken cancellationToken)
    {
        Authorize(call, scope, $"report breaches {range}");
        var now = clock.GetCurrentInstant();
        var incidents = await LoadAsync(scope, range, now, cancellationToken);
        return new BreachReport(scope, range, [.. incidents.SelectMany(i => i.Breaches).OrderBy(b => b.Deadline)], now);
    }

    /// <summary>A station's incidents reported in the range as of now; for every station, each station's in turn.</summary>
    public Task<IReadOnlyList<ReportedIncident>> LoadAsync(ReportScope scope, ReportRange range, CancellationToken cancellationToken) =>
        LoadAsync(scope, range, clock.GetCurrentInstant(), cancellationToken);

    private async Task<IReadOnlyList<ReportedIncident>> LoadAsync(ReportScope scope, ReportRange range, Instant asOf, CancellationToken cancellationToken)
    {
        var stations = scope.Station is { } one ? [one] : (await queries.StationsAsync(cancellationToken)).Select(s => s.Id).ToList();
        var incidents = new List<ReportedIncident>();
        foreach (var station in stations)
        {
            await foreach (var incident in queries.ReportedBetweenAsync(station, range.Start, range.End, asOf, cancellationToken))
            {
                incidents.Add(incident);
            }
        }

        return incidents;
    }

    /// <summary>The report's figures from the days' slices: groups merged by key and label, percentiles from the merged durations.</summary>
    private ResponseTimeReport FromDigests(ReportScope scope, ClockKind kind, GroupBy by, ReportRange range, IReadOnlyList<DigestSlice> slices, Instant now)
    {
        var (total, groups) = Merge(slices);
        return new ResponseTimeReport(scope, kind, by, range, slices.Sum(s => s.Incidents), total.Figures("total", "all", now),
            [.. groups.OrderBy(g => g.Key.Key, StringComparer.Ordinal).ThenBy(g => g.Key.Label, StringComparer.Ordinal).Select(g => g.Value.Figures(g.Key.Key, g.Key.Label, now))],
            Statistics.Buckets(total.Durations, policy.ReportRules.BucketEdges[kind]), [.. slices.SelectMany(s => s.Findings)], now)
        {
            Pauses = PauseFigures.Of(total.PausesAsOf(now)),
        };
    }

    /// <summary>The slices' tallies merged: the whole range's, and each group's by key and label (lists sorted when first read).</summary>
    public static (ClockTally Total, IReadOnlyDictionary<(string Key, string Label), ClockTally> Groups) Merge(IEnumerable<DigestSlice> slices)
    {
        var total = new ClockTally();
        var groups = new Dictionary<(string Key, string Label), ClockTally>();
        foreach (var slice in slices)
        {
            total.Merge(slice.Total);
            foreach (var group in slice.Groups)
            {
                if (!groups.TryGetValue((group.Key, group.Label), out var tally))
                {
                    groups[(group.Key, group.Label)] = tally = new ClockTally();
                }

                tally.Merge(group.Tally);
            }
        }

        return (total, groups);
    }

    /// <summary>
    /// Each station's days, newest first (the order its incidents are read in): a day that ended before <paramref name="now"/>
    /// from its digest, or when it has none (or a change since), from its incidents, writing its digest unless it
    /// changed meanwhile; the days not yet ended from their incidents. Over every station, the ended days are first read
    /// from the day's copies of every station's digest (one request per day, not one per station), and only the
    /// station-days without a usable copy from the station's own digests, their copies then refreshed.
    /// </summary>
    private async Task<IReadOnlyList<DigestSlice>> SlicesAsync(IDayDigests store, ReportScope scope, ReportRange range, ClockKind kind, GroupBy by, Instant now, CancellationToken cancellationToken)
    {
        var stations = scope.Station is { } one ? [one] : (await queries.StationsAsync(cancellationToken)).Select(s => s.Id).ToList();
        var lastEnded = range.DayOf(now).PlusDays(-1);
        var options = new ParallelOptions { MaxDegreeOfParallelism = StationsAtOnce, CancellationToken = cancellationToken };
        var endedDays = scope.Station is null ? Days(range).Where(day => day <= lastEnded).ToList() : [];
        var copies = new IReadOnlyDictionary<StationId, DigestSlice>[endedDays.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, endedDays.Count), options, async (i, ct) => copies[i] = await store.ReadDayAsync(endedDays[i], kind, by, ct));
        var perStation = new IReadOnlyList<DigestSlice>[stations.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, stations.Count), options, async (i, ct) =>
        {
            var station = stations[i];
            var slices = new Dictionary<LocalDate, DigestSlice>();
            for (var d = 0; d < endedDays.Count; d++)
            {
                if (copies[d].TryGetValue(station, out var copy))
                {
                    slices[endedDays[d]] = copy;
                }
            }

            var needed = Days(range).Where(day => !slices.ContainsKey(day)).ToList();
            if (needed.Count > 0)
            {
                await StationSlicesAsync(store, station, range, needed, slices, copyUsable: endedDays.Count > 0, kind, by, lastEnded, now, ct);
            }

            perStation[i] = [.. slices.OrderByDescending(s => s.Key).Select(s => s.Value)];
        });
        return [.. perStation.SelectMany(s => s)];
    }

    /// <summary>
    /// The <paramref name="needed"/> days of one station into <paramref name="slices"/>: ended days from the station's digests,
    /// the rest from its incidents (then digested); with <paramref name="copyUsable"/>, a day served by a usable digest of
    /// the station has its copy refreshed for the next report over every station.
    /// </summary>
    private async Task StationSlicesAsync(
        IDayDigests store, StationId station, ReportRange range, List<LocalDate> needed, Dictionary<LocalDate, DigestSlice> slices, bool copyUsable,
        ClockKind kind, GroupBy by, LocalDate lastEnded, Instant now, CancellationToken cancellationToken)
    {
        var stored = needed[0] <= lastEnded
            ? await store.ReadAsync(station, needed[0], LocalDate.Min(needed[^1], lastEnded), kind, by, cancellationToken)
            : new Dictionary<LocalDate, StoredDigest>();
        var copied = new List<LocalDate>();
        foreach (var day in needed)
        {
            if (stored.GetValueOrDefault(day)?.Slice is { } slice)
            {
                slices[day] = slice;
                copied.Add(day);
            }
        }

        if (copyUsable)
        {
            await Parallel.ForEachAsync(copied, new ParallelOptions { MaxDegreeOfParallelism = StationsAtOnce, CancellationToken = cancellationToken },
                async (day, ct) => await store.CopyAsync(station, day, ct));
        }

        var missing = needed.Where(day => !slices.ContainsKey(day)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var days = new ReportRange(missing[0], missing[^1], range.Zone, range.DayStartsAt);
        var incidents = new List<ReportedIncident>();
        await foreach (var incident in queries.ReportedBetweenAsync(station, days.Start, days.End, now, cancellationToken))
        {
            incidents.Add(incident);
        }

        var byDay = incidents.GroupBy(incident => range.DayOf(incident.ReportedAt)).ToDictionary(g => g.Key, g => (IReadOnlyList<ReportedIncident>)[.. g]);
        var ended = new List<DayDigest>();
        foreach (var day in missing)
        {
            var digest = DayDigest.Of(station, day, byDay.GetValueOrDefault(day) ?? [], range);
            slices[day] = digest.Slice(kind, by);
            if (day <= lastEnded)
            {
                ended.Add(digest);
            }
        }

        // Side by side: a month's first report writes thirty, within the request's budget.
        await Parallel.ForEachAsync(ended, new ParallelOptions { MaxDegreeOfParallelism = StationsAtOnce, CancellationToken = cancellationToken },
            async (digest, saving) => await store.SaveAsync(digest, stored.GetValueOrDefault(digest.Day)?.ETag, saving));
    }

    private static IEnumerable<LocalDate> Days(ReportRange range)
    {
        for (var day = range.From; day <= range.To; day = day.PlusDays(1))
        {
            yield return day;
        }
    }

    private static void Authorize(ApiCall call, ReportScope scope, string what)
    {
        call.Station = scope.Station;
        call.Change = what;
        if (!AccessPolicy.CanReadReports(call.Caller, scope.Station))
        {
            throw new ForbiddenException(scope.Station is { } station
                ? $"Only the chief and duty officers of {station}, the command center and auditors may read its reports."
                : "Only the command center and auditors may read every station's reports.")
            {
                Refusal = scope.Station is { } code ? new("may-not-read-reports", ("station", code.Value)) : new("may-not-read-all-reports"),
            };
        }
    }

    internal static (string Key, string Label) KeyOf(ReportedIncident incident, ClockSample sample, GroupBy by, ReportRange range)
    {
        var holder = sample.Accountable;
        return by switch
        {
            GroupBy.Priority => (incident.Priority.Name(), incident.Priority.Name()),
            GroupBy.Zone => (incident.Zone.Name(), incident.Zone.Name()),
            GroupBy.Category => (incident.Category.ToLowerInvariant(), incident.Category),
            GroupBy.Unit => holder.Unit is { } unit ? (unit, unit) : ("(desk)", "the desk, before any unit was dispatched"),
            GroupBy.Officer => holder.Kind == HolderKind.Unit ? (holder.Person.Subject, holder.Person.Name) : ("(desk)", "the desk, before any unit was dispatched"),
            GroupBy.Dispatcher => (incident.Dispatcher.Subject, incident.Dispatcher.Name),
            GroupBy.Hour => (incident.ReportedAt.InZone(range.Zone).Hour.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), $"{incident.ReportedAt.InZone(range.Zone).Hour:D2}:00"),
            _ => DayKeyOf(incident.Station, range.DayOf(incident.ReportedAt), by),
        };
    }

    /// <summary>The groupings that are the same for a whole station-day: day, weekday, station.</summary>
    internal static (string Key, string Label) DayKeyOf(StationId station, LocalDate reportedDay, GroupBy by) => by switch
    {
        GroupBy.Day => (reportedDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), reportedDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        GroupBy.Weekday => (((int)reportedDay.DayOfWeek).ToString(System.Globalization.CultureInfo.InvariantCulture), reportedDay.DayOfWeek.ToString()),
        GroupBy.Station => (station.Value, station.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(by)),
    };
}
