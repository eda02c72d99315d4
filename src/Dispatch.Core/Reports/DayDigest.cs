using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>One group of a digest: its key and label as the reports show them, and its clocks' tally.</summary>
public sealed record DigestGroup(string Key, string Label, ClockTally Tally);

/// <summary>One clock of a station-day: all of it, and per grouping the report offers (but day, weekday and station, which are the whole day).</summary>
public sealed record ClockDigest(ClockTally Total, IReadOnlyDictionary<GroupBy, IReadOnlyList<DigestGroup>> Groups);

/// <summary>
/// What a report needs of one station-day, one clock and one grouping: read from the day's digest, or computed
/// from its incidents for a day that has none (the current day, a day changed since its digest was written).
/// </summary>
public sealed record DigestSlice(StationId Station, LocalDate Day, int Incidents, IReadOnlyList<Finding> Findings, ClockTally Total, IReadOnlyList<DigestGroup> Groups);

/// <summary>
/// A station-day in figures (README, "Reports", digests): per clock the tally of the whole day and of each group
/// the reports offer, the number of incidents and their findings. Written when the day has ended, rewritten when
/// a late change touches it, so a month's report merges thirty of these instead of reading every incident.
/// </summary>
public sealed record DayDigest(StationId Station, LocalDate Day, int Incidents, IReadOnlyList<Finding> Findings, IReadOnlyDictionary<ClockKind, ClockDigest> Clocks)
{
    /// <summary>Groupings kept per group; day, weekday and station are the same for every incident of the day.</summary>
    public static readonly IReadOnlyList<GroupBy> Grouped = [GroupBy.Priority, GroupBy.Zone, GroupBy.Category, GroupBy.Unit, GroupBy.Officer, GroupBy.Dispatcher, GroupBy.Hour];

    public static readonly IReadOnlyList<ClockKind> ClockKinds = [ClockKind.Dispatch, ClockKind.Arrival, ClockKind.Resolution];

    /// <param name="incidents">The day's incidents, in the order the store reads them (newest first), as of any instant after their last change.</param>
    public static DayDigest Of(StationId station, LocalDate day, IReadOnlyList<ReportedIncident> incidents, ReportRange days) => new(
        station, day, incidents.Count, [.. incidents.SelectMany(i => i.Findings)],
        ClockKinds.ToDictionary(kind => kind, kind => new ClockDigest(
            Tally(incidents.Select(i => i[kind])),
            Grouped.ToDictionary(by => by, by => (IReadOnlyList<DigestGroup>)[.. incidents
                .GroupBy(i => ReportService.KeyOf(i, i[kind], by, days))
                .OrderBy(g => g.Key.Key, StringComparer.Ordinal).ThenBy(g => g.Key.Label, StringComparer.Ordinal)
                .Select(g => new DigestGroup(g.Key.Key, g.Key.Label, Tally(g.Select(i => i[kind]))))]))));

    public DigestSlice Slice(ClockKind clock, GroupBy by)
    {
        var digest = Clocks[clock];
        return new DigestSlice(Station, Day, Incidents, Findings, digest.Total, GroupsOf(Station, Day, by, Incidents, digest.Total, digest.Groups.GetValueOrDefault(by)));
    }

    /// <summary>The groups of a day: as kept, or for day, weekday and station the whole day as one group.</summary>
    public static IReadOnlyList<DigestGroup> GroupsOf(StationId station, LocalDate day, GroupBy by, int incidents, ClockTally total, IReadOnlyList<DigestGroup>? kept)
    {
        if (Grouped.Contains(by))
        {
            return kept ?? throw new ArgumentException($"The digest of {station} {day} has no groups by {by}.", nameof(kept));
        }

        var (key, label) = ReportService.DayKeyOf(station, day, by);
        return incidents == 0 ? [] : [new DigestGroup(key, label, total)];
    }

    private static ClockTally Tally(IEnumerable<ClockSample> samples)
    {
        var tally = new ClockTally();
        foreach (var sample in samples)
        {
            tally.Add(sample);
        }

        return tally;
    }
}

/// <summary>A station-day's stored digest: its ETag, and its slice, or null when a change has touched the day since it was written.</summary>
public sealed record StoredDigest(string ETag, DigestSlice? Slice);

/// <summary>
/// Where the digests of station-days are kept. Every change of an incident marks its day's digest changed in the
/// change's own transaction, so a digest is never read stale; it is rewritten (conditional on the ETag read before
/// the day's incidents were) by the shift-report run or the next report that reads the day.
/// </summary>
public interface IDayDigests
{
    /// <summary>The station's stored digests of days <paramref name="first"/> to <paramref name="last"/> (a day with none is not in the answer), cut to one clock and grouping.</summary>
    Task<IReadOnlyDictionary<LocalDate, StoredDigest>> ReadAsync(StationId station, LocalDate first, LocalDate last, ClockKind clock, GroupBy by, CancellationToken cancellationToken);

    /// <summary>The ETag of the day's digest row, null when it has none: read before the day's incidents, so that <see cref="SaveAsync"/> loses to any change in between.</summary>
    Task<string?> ETagAsync(StationId station, LocalDate day, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the digest if its row is still as read (<paramref name="etag"/>; null: if there is none); false when a change came first.
    /// A digest written also leaves its copy among the day's copies (<see cref="ReadDayAsync"/>).
    /// </summary>
    Task<bool> SaveAsync(DayDigest digest, string? etag, CancellationToken cancellationToken);

    /// <summary>
    /// Every station's digest of one ended day, from the day's copies (one request for all stations, not one per station),
    /// cut to one clock and grouping: only the copies that no change can have outdated. A station not in the answer is
    /// read from its own digests (and then <see cref="CopyAsync"/>).
    /// </summary>
    Task<IReadOnlyDictionary<StationId, DigestSlice>> ReadDayAsync(LocalDate day, ClockKind clock, GroupBy by, CancellationToken cancellationToken);

    /// <summary>Copies the station-day's digest among the day's copies, if it is usable (no change since it was written); otherwise nothing.</summary>
    Task CopyAsync(StationId station, LocalDate day, CancellationToken cancellationToken);
}
