using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Station-day digests (README, "Reports"): a <c>digest|{day}</c> row in the station's partition, one column per
/// clock and grouping (<c>Arrival_Total</c>, <c>Arrival_Unit</c>, …) so a report reads only the one it needs.
/// Every change of an incident merges <c>Changed = true</c> into its day's row in its own transaction
/// (<see cref="ChangedMarker"/>); a row so marked, or cut under another time zone or day start, is not used.
/// Each digest written is also copied into its day's partition (<see cref="TableKeys.DigestCopies"/>, a row per station), so a
/// report over every station reads a day of all stations in one request; a change cannot mark that copy in its own
/// transaction, so it marks it just before (<see cref="Mark"/>), and a copy marked within <see cref="Settle"/> of its
/// writing is not used.
/// </summary>
public sealed class TableDayDigests(DispatchTable table, ResponsePolicy policy, IClock clock) : IDayDigests
{
    /// <summary>
    /// The bound the copies rely on, wide of what it stands for: a change commits within half of it after it read the clock
    /// for its mark (or decided its day had not ended, <see cref="MayBeCopied"/>), and a mark lands within half of it after
    /// that reading. The table client gives up on a request after 3 attempts of at most 5 s (README, "Settings").
    /// </summary>
    public static readonly Duration Settle = Duration.FromMinutes(5);

    private const string Since = "Since";
    private const string MarkedAt = "MarkedAt";

    /// <summary>A string column holds 64 KiB, 32,768 UTF-16 characters; a day whose column would not fit keeps no digest and is read from its incidents.</summary>
    private const int MaxColumnChars = 32_000;

    /// <summary>An entity holds 1 MiB.</summary>
    private const int MaxRowChars = 480_000;

    private const string Changed = "Changed";
    private const string Cut = "Cut";
    private const string Incidents = "Incidents";
    private const string Findings = "Findings";

    public async Task<IReadOnlyDictionary<LocalDate, StoredDigest>> ReadAsync(StationId station, LocalDate first, LocalDate last, ClockKind clock, GroupBy by, CancellationToken cancellationToken)
    {
        string[] columns = ["RowKey", Changed, Cut, Incidents, Findings, TallyColumn(clock, by)];

        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey ge {TableKeys.DigestRow(first)} and RowKey le {TableKeys.DigestRow(last)}"), columns, cancellationToken);
        var cut = CutOf(policy);
        var digests = new Dictionary<LocalDate, StoredDigest>();
        foreach (var row in rows)
        {
            var day = TableKeys.DigestDay(row.RowKey);
            var usable = row.GetBoolean(Changed) != true && row.GetString(Cut) == cut && row.GetString(TallyColumn(clock, by)) is not null;
            digests[day] = new StoredDigest(row.ETag.ToString(), usable ? SliceOf(station, day, row, clock, by) : null);
        }

        return digests;
    }

    public async Task<string?> ETagAsync(StationId station, LocalDate day, CancellationToken cancellationToken)
    {
        var row = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(station.Value, TableKeys.DigestRow(day), ["RowKey"], cancellationToken), cancellationToken);
        return row.HasValue ? row.Value!.ETag.ToString() : null;
    }

    public async Task<bool> SaveAsync(DayDigest digest, string? etag, CancellationToken cancellationToken)
    {
        var row = new TableEntity(digest.Station.Value, TableKeys.DigestRow(digest.Day))
        {
            [Changed] = false,
            [Cut] = CutOf(policy),
            [Incidents] = digest.Incidents,
            [Findings] = JsonSerializer.Serialize(digest.Findings.Select(f => new[] { f.Incident.Value, f.Problem }), Json.Options),
        };
        foreach (var (clock, figures) in digest.Clocks)
        {
            row[Column(clock, null)] = JsonSerializer.Serialize(TallyDocument.From(figures.Total), Json.Options);
            foreach (var (by, groups) in figures.Groups)
            {
                row[Column(clock, by)] = JsonSerializer.Serialize(groups.Select(g => new GroupDocument(g.Key, g.Label, TallyDocument.From(g.Tally))), Json.Options);
            }
        }

        var sizes = row.Select(p => p.Value).OfType<string>().Select(v => v.Length).ToList();
        if (sizes.Max() > MaxColumnChars || sizes.Sum() > MaxRowChars)
        {
            return false;
        }

        try
        {
            var copy = await CopyStateAsync(digest.Station, digest.Day, cancellationToken);
            // The digest holds every change committed before its write lands (conditional on the ETag read before the
            // incidents): so every change before this instant, which follows the copy row's read.
            var since = clock.GetCurrentInstant();
            await table.RunAsync(
                () => etag is null ? table.Client.AddEntityAsync(row, cancellationToken) : table.Client.UpdateEntityAsync(row, new ETag(etag), TableUpdateMode.Replace, cancellationToken),
                cancellationToken);
            await WriteCopyAsync(row, digest.Station, digest.Day, copy, since, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            // A change of one of the day's incidents came after its ETag was read: the digest would miss it.
            return false;
        }
        catch (StorageUnavailableException)
        {
            // The digest is a saving, not a record: its day is read from its incidents until a later write succeeds.
            return false;
        }
    }

    public async Task<IReadOnlyDictionary<StationId, DigestSlice>> ReadDayAsync(LocalDate day, ClockKind clock, GroupBy by, CancellationToken cancellationToken)
    {
        string[] columns = ["RowKey", Since, MarkedAt, Cut, Incidents, Findings, TallyColumn(clock, by)];

        var rows = await table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.DigestCopies(day)}"), columns, cancellationToken);
        var cut = CutOf(policy);
        var copies = new Dictionary<StationId, DigestSlice>();
        foreach (var row in rows)
        {
            if (Settled(row) && row.GetString(Cut) == cut && row.GetString(TallyColumn(clock, by)) is not null && StationId.TryParse(row.RowKey, out var station))
            {
                copies[station] = SliceOf(station, day, row, clock, by);
            }
        }

        return copies;
    }

    public async Task CopyAsync(StationId station, LocalDate day, CancellationToken cancellationToken)
    {
        try
        {
            var before = await CopyStateAsync(station, day, cancellationToken);
            // A digest not marked changed holds every change committed before it is read: so every one before this instant.
            var since = clock.GetCurrentInstant();
            var row = await table.RunAsync(
                () => table.Client.GetEntityIfExistsAsync<TableEntity>(station.Value, TableKeys.DigestRow(day), cancellationToken: cancellationToken), cancellationToken);
            if (row.HasValue && row.Value!.GetBoolean(Changed) != true && row.Value.GetString(Cut) == CutOf(policy))
            {
                await WriteCopyAsync(row.Value, station, day, before, since, cancellationToken);
            }
        }
        catch (StorageUnavailableException)
        {
            // The copy is a saving: the station-day is read from the station's digests until a later copy succeeds.
        }
    }

    /// <summary>
    /// What a change merges into the copy row of each day it touches that may have ended by the time it commits, before its
    /// transaction (a change that never commits only costs that day's copy a read of the station's own digest).
    /// </summary>
    public static TableEntity Mark(StationId station, LocalDate day, Instant at) => new(TableKeys.DigestCopies(day), station.Value) { [MarkedAt] = Stamp(at) };

    /// <summary>
    /// Whether a change read at <paramref name="now"/> can commit after the day's copy is written, and so must mark it first:
    /// copies are written only once the day has ended, and a change commits within half of <see cref="Settle"/>.
    /// </summary>
    public static bool MayBeCopied(LocalDate day, Instant now, ResponsePolicy policy) =>
        now + Settle > EndOf(day, policy);

    /// <summary>The instant the report day ends, in the policy's zone and day start.</summary>
    private static Instant EndOf(LocalDate day, ResponsePolicy policy) => new ReportRange(day, day, policy.TimeZone, policy.ReportRules.DayStartsAt).End;

    /// <summary>
    /// A copy no change can have outdated: every change committed before <c>Since</c> is in it, and one committing later
    /// marked the row less than half of <see cref="Settle"/> before its commit, so after <c>Since - Settle / 2</c>, and its
    /// mark landed less than half of <see cref="Settle"/> after that (a later mark may land first and be overwritten by it).
    /// </summary>
    private static bool Settled(TableEntity copy) =>
        StampOf(copy, Since) is { } since && (StampOf(copy, MarkedAt) is not { } marked || marked <= since - Settle);

    /// <summary>An instant in a text column: Azurite leaves out the type of a date column a query selects, so it would come back as text anyway.</summary>
    private static string Stamp(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private static Instant? StampOf(TableEntity row, string column) =>
        row.GetString(column) is { } text ? InstantPattern.ExtendedIso.Parse(text).GetValueOrThrow() : null;

    /// <summary>The copy row's ETag and mark, read before the instant its copy is said to be true at.</summary>
    private async Task<(string? ETag, Instant? MarkedAt)> CopyStateAsync(StationId station, LocalDate day, CancellationToken cancellationToken)
    {
        var row = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(TableKeys.DigestCopies(day), station.Value, [MarkedAt], cancellationToken), cancellationToken);
        return row.HasValue ? (row.Value!.ETag.ToString(), StampOf(row.Value, MarkedAt)) : (null, null);
    }

    /// <summary>
    /// The station row's digest into the day's copies, true as of <paramref name="since"/> (an instant after the copy row was
    /// read as <paramref name="before"/> and while the digest was known to hold every change): conditional on that read, so a
    /// mark landing since makes it lose; a mark too recent to be settled by <paramref name="since"/> is kept.
    /// </summary>
    private async Task WriteCopyAsync(TableEntity digest, StationId station, LocalDate day, (string? ETag, Instant? MarkedAt) before, Instant since, CancellationToken cancellationToken)
    {
        if (since < EndOf(day, policy))
        {
            // Not ended yet: a change that did not mark the day (MayBeCopied) may still commit after this.
            return;
        }

        var copy = new TableEntity(TableKeys.DigestCopies(day), station.Value) { [Since] = Stamp(since) };
        foreach (var (name, value) in digest)
        {
            if (name is Cut or Incidents or Findings || name.Contains('_', StringComparison.Ordinal))
            {
                copy[name] = value;
            }
        }

        if (before.MarkedAt is { } marked && marked > since - Settle)
        {
            copy[MarkedAt] = Stamp(marked);
        }

        try
        {
            await table.RunAsync(
                () => before.ETag is null ? table.Client.AddEntityAsync(copy, cancellationToken) : table.Client.UpdateEntityAsync(copy, new ETag(before.ETag), TableUpdateMode.Replace, cancellationToken),
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            // Marked (or copied) since it was read: the next report reads the station's own digest and copies again.
        }
        catch (StorageUnavailableException)
        {
            // The copy is a saving: the station-day is read from the station's digests until a later copy succeeds.
        }
    }

    /// <summary>What every transaction that changes an incident merges into the row of the incident's day.</summary>
    public static TableEntity ChangedMarker(StationId station, LocalDate day) => new(station.Value, TableKeys.DigestRow(day)) { [Changed] = true };

    /// <summary>
    /// How the row's day was cut, and the tally's form: a digest of another zone or day start, or of a form that lacks
    /// what reports now read (form 2 added issue 28's raw clock and pauses, form 3 issue 27's verified arrivals), is read
    /// from the incidents and rewritten.
    /// </summary>
    private static string CutOf(ResponsePolicy policy) =>
        $"{policy.TimeZone.Id} {policy.ReportRules.DayStartsAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} form 3";

    private static string Column(ClockKind clock, GroupBy? by) => $"{clock}_{(by is { } grouping ? grouping.ToString() : "Total")}";

    /// <summary>
    /// The one tally column a report reads: the grouping's when the digest keeps it, whose groups together are the whole day
    /// (each incident in exactly one group); otherwise the whole day's.
    /// </summary>
    private static string TallyColumn(ClockKind clock, GroupBy by) => Column(clock, DayDigest.Grouped.Contains(by) ? by : null);

    private static DigestSlice SliceOf(StationId station, LocalDate day, TableEntity row, ClockKind clock, GroupBy by)
    {
        var incidents = row.GetInt32(Incidents) ?? 0;
        List<DigestGroup>? kept = null;
        ClockTally total;
        if (DayDigest.Grouped.Contains(by))
        {
            kept = [.. JsonSerializer.Deserialize<GroupDocument[]>(row.GetString(Column(clock, by)), Json.Options)!.Select(g => new DigestGroup(g.K, g.L, g.T.ToTally()))];
            total = new ClockTally();
            foreach (var group in kept)
            {
                total.Merge(group.Tally);
            }
        }
        else
        {
            total = JsonSerializer.Deserialize<TallyDocument>(row.GetString(Column(clock, null)), Json.Options)!.ToTally();
        }

        var findings = JsonSerializer.Deserialize<string[][]>(row.GetString(Findings), Json.Options)!.Select(f => new Finding(IncidentId.Parse(f[0]), f[1])).ToList();
        return new DigestSlice(station, day, incidents, findings, total, DayDigest.GroupsOf(station, day, by, incidents, total, kept));
    }

    private sealed record GroupDocument(string K, string L, TallyDocument T);

    private static long Nanoseconds(Instant instant) => (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();

    private static Instant Instant(long nanoseconds) => NodaConstants.UnixEpoch + Duration.FromNanoseconds(nanoseconds);

    /// <summary>One pause: incident, clock, reason, unit, who paused (subject, name), start, maximum, end (null while it lasts).</summary>
    private sealed record PauseDocument(string I, string C, string R, string? U, string S, string N, long A, long B, long? E)
    {
        public static PauseDocument From(PausedSpan span) => new(
            span.Incident.Value, span.Clock.Name(), span.Pause.Reason, span.Pause.Unit, span.Pause.By.Subject, span.Pause.By.Name,
            Nanoseconds(span.Pause.At), Nanoseconds(span.Pause.ResumesBy), span.End is { } end ? Nanoseconds(end) : null);

        public PausedSpan ToSpan()
        {
            var pause = new ClockPause(R, Instant(A), new Dispatch.Core.Identity.Person(S, N), U, Instant(B));
            var end = E is { } e ? Instant(e) : (Instant?)null;
            if (!WireNames.TryParse(C, out ClockKind clock))
            {
                throw new InvalidDataException($"A stored digest has a pause of {I} on clock '{C}', which is not a clock.");
            }

            // Its length as of its end; one still on is counted when a report reads it (PausedSpan.AsOf).
            return new PausedSpan(IncidentId.Parse(I), clock, pause, end is { } ended ? NodaTime.Instant.Min(ended, pause.ResumesBy) - pause.At : Duration.Zero) { End = end };
        }
    }

    /// <summary>
    /// A tally in few characters: sorted lists as differences from the previous value, in nanoseconds (exact whatever the
    /// clock's resolution); the raw clock's lists only where a pause made them differ, and each pause in full (they are few).
    /// </summary>
    /// <param name="W">Arrivals, verified ones, verified ones on time (<see cref="VerifiedArrivals"/>).</param>
    private sealed record TallyDocument(long[] D, long[] A, int M, int B, long[] R, Dictionary<int, int> L, int V, long[]? RD, int RM, int RB, long[]? RR, PauseDocument[] P, int[] W)
    {
        public static TallyDocument From(ClockTally tally) => new(
            Deltas(tally.Durations.Select(d => d.ToInt64Nanoseconds())), Deltas(tally.Acknowledged.Select(d => d.ToInt64Nanoseconds())), tally.Met, tally.EndedBreached,
            Deltas(tally.RunningDeadlines.Select(Nanoseconds)), tally.SamplesAtLevel.ToDictionary(), tally.Derived,
            tally.RawDurations.SequenceEqual(tally.Durations) ? null : Deltas(tally.RawDurations.Select(d => d.ToInt64Nanoseconds())), tally.RawMet, tally.RawEndedBreached,
            tally.RawRunningDeadlines.SequenceEqual(tally.RunningDeadlines) ? null : Deltas(tally.RawRunningDeadlines.Select(Nanoseconds)),
            [.. tally.Pauses.Select(PauseDocument.From)], [tally.Arrivals.Arrived, tally.Arrivals.Verified, tally.Arrivals.VerifiedMet]);

        public ClockTally ToTally() => new(
            Sums(D).Select(Duration.FromNanoseconds), Sums(A).Select(Duration.FromNanoseconds), M, B,
            Sums(R).Select(Instant), L, V,
            RD is null ? null : Sums(RD).Select(Duration.FromNanoseconds), RM, RB, RR is null ? null : Sums(RR).Select(Instant),
            P.Select(p => p.ToSpan()), new VerifiedArrivals(W[0], W[1], W[2]));

        private static long[] Deltas(IEnumerable<long> sorted)
        {
            var previous = 0L;
            return [.. sorted.Select(value => (value - previous, previous = value).Item1)];
        }

        private static IEnumerable<long> Sums(long[] deltas)
        {
            var value = 0L;
            foreach (var delta in deltas)
            {
                yield return value += delta;
            }
        }
    }
}
