using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Station-day digests (README, "Reports"): a <c>digest|{day}</c> row in the station's partition, one column per
/// clock and grouping (<c>Arrival_Total</c>, <c>Arrival_Unit</c>, …) so a report reads only the two it needs.
/// Every change of an incident merges <c>Changed = true</c> into its day's row in its own transaction
/// (<see cref="ChangedMarker"/>); a row so marked, or cut under another time zone or day start, is not used.
/// </summary>
public sealed class TableDayDigests(DispatchTable table, ResponsePolicy policy) : IDayDigests
{
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
        var columns = new List<string> { "RowKey", Changed, Cut, Incidents, Findings, Column(clock, null) };
        if (DayDigest.Grouped.Contains(by))
        {
            columns.Add(Column(clock, by));
        }

        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey ge {TableKeys.DigestRow(first)} and RowKey le {TableKeys.DigestRow(last)}"), columns, cancellationToken);
        var cut = CutOf(policy);
        var digests = new Dictionary<LocalDate, StoredDigest>();
        foreach (var row in rows)
        {
            var day = TableKeys.DigestDay(row.RowKey);
            var usable = row.GetBoolean(Changed) != true && row.GetString(Cut) == cut && row.GetString(Column(clock, null)) is not null;
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
            await table.RunAsync(
                () => etag is null ? table.Client.AddEntityAsync(row, cancellationToken) : table.Client.UpdateEntityAsync(row, new ETag(etag), TableUpdateMode.Replace, cancellationToken),
                cancellationToken);
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

    /// <summary>What every transaction that changes an incident merges into the row of the incident's day.</summary>
    public static TableEntity ChangedMarker(StationId station, LocalDate day) => new(station.Value, TableKeys.DigestRow(day)) { [Changed] = true };

    /// <summary>
    /// How the row's day was cut, and the tally's form: a digest of another zone or day start, or of a form that lacks
    /// what reports now read (form 2 added issue 28's raw clock and pauses), is read from the incidents and rewritten.
    /// </summary>
    private static string CutOf(ResponsePolicy policy) =>
        $"{policy.TimeZone.Id} {policy.ReportRules.DayStartsAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} form 2";

    private static string Column(ClockKind clock, GroupBy? by) => $"{clock}_{(by is { } grouping ? grouping.ToString() : "Total")}";

    private static DigestSlice SliceOf(StationId station, LocalDate day, TableEntity row, ClockKind clock, GroupBy by)
    {
        var incidents = row.GetInt32(Incidents) ?? 0;
        var total = JsonSerializer.Deserialize<TallyDocument>(row.GetString(Column(clock, null)), Json.Options)!.ToTally();
        var kept = DayDigest.Grouped.Contains(by)
            ? JsonSerializer.Deserialize<GroupDocument[]>(row.GetString(Column(clock, by)), Json.Options)!.Select(g => new DigestGroup(g.K, g.L, g.T.ToTally())).ToList()
            : null;
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
    private sealed record TallyDocument(long[] D, long[] A, int M, int B, long[] R, Dictionary<int, int> L, int V, long[]? RD, int RM, int RB, long[]? RR, PauseDocument[] P)
    {
        public static TallyDocument From(ClockTally tally) => new(
            Deltas(tally.Durations.Select(d => d.ToInt64Nanoseconds())), Deltas(tally.Acknowledged.Select(d => d.ToInt64Nanoseconds())), tally.Met, tally.EndedBreached,
            Deltas(tally.RunningDeadlines.Select(Nanoseconds)), tally.SamplesAtLevel.ToDictionary(), tally.Derived,
            tally.RawDurations.SequenceEqual(tally.Durations) ? null : Deltas(tally.RawDurations.Select(d => d.ToInt64Nanoseconds())), tally.RawMet, tally.RawEndedBreached,
            tally.RawRunningDeadlines.SequenceEqual(tally.RunningDeadlines) ? null : Deltas(tally.RawRunningDeadlines.Select(Nanoseconds)),
            [.. tally.Pauses.Select(PauseDocument.From)]);

        public ClockTally ToTally() => new(
            Sums(D).Select(Duration.FromNanoseconds), Sums(A).Select(Duration.FromNanoseconds), M, B,
            Sums(R).Select(Instant), L, V,
            RD is null ? null : Sums(RD).Select(Duration.FromNanoseconds), RM, RB, RR is null ? null : Sums(RR).Select(Instant),
            P.Select(p => p.ToSpan()));

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
