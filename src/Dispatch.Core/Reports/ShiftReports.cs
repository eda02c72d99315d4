using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>Which station-days have had their shift report sent, so each is sent once, whatever restarts in between.</summary>
public interface IShiftReportLedger
{
    Task<bool> IsDayDoneAsync(LocalDate day, CancellationToken cancellationToken);

    Task MarkDayDoneAsync(LocalDate day, CancellationToken cancellationToken);

    Task<bool> WasSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken);

    Task MarkSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken);
}

public interface IShiftReportPublisher
{
    /// <summary>Sends it with a MessageId of its station and day, so a resend is dropped as a duplicate.</summary>
    Task PublishAsync(ShiftReport report, CancellationToken cancellationToken);
}

/// <summary>One clock over a station's day: its figures, and its compliance per priority reported that day.</summary>
public sealed record ShiftClock(ClockKind Clock, GroupFigures Total, IReadOnlyDictionary<Priority, double?> ComplianceByPriority);

/// <summary>
/// A station's day as facts: what came in and how it ended, each clock's figures, the breaches with their
/// holders (deadline order), the units at the bottom of arrival compliance. The publisher puts them into the
/// chief's words and links; the domain keeps only the facts.
/// </summary>
public sealed record ShiftReport(
    StationId Station, ReportRange Range, int Reported, int Closed, int Cancelled, int StillOpen,
    IReadOnlyList<ShiftClock> Clocks, IReadOnlyList<BreachLine> Breaches, IReadOnlyList<GroupFigures> BottomUnits, int Findings)
{
    /// <summary>The pauses of the day's incidents, every clock, in the order they began (issue 28).</summary>
    public IReadOnlyList<PausedSpan> PauseList { get; init; } = [];

    /// <summary>The same pauses counted per reason, unit and person who paused.</summary>
    public PauseFigures Pauses => PauseFigures.Of(PauseList);

    public LocalDate Day => Range.From;

    public ShiftClock this[ClockKind clock] => Clocks.Single(c => c.Clock == clock);
}

/// <summary>
/// At each station's day boundary, the chief gets the day: counts, compliance per clock and priority, the
/// breaches with their holders, the bottom units. Sent for every completed day of the last
/// <see cref="CatchUpDays"/> not yet sent, oldest first, so a day that ended during downtime is still reported,
/// but never for a day before the station first had anything.
/// </summary>
/// <remarks>With <paramref name="digests"/>, each station-day it reports also gets its digest (README, "Reports"), from the incidents it has just read.</remarks>
public sealed class ShiftReporter(IIncidentQueries queries, IShiftReportLedger ledger, IShiftReportPublisher publisher, IClock clock, ResponsePolicy policy, IDayDigests? digests = null)
{
    public const int CatchUpDays = 3;

    private const int BottomUnits = 3;

    /// <returns>How many station reports were sent.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var today = ReportRange.DayOf(now, policy.TimeZone, policy.ReportRules.DayStartsAt);
        var sent = 0;
        for (var day = today.PlusDays(-CatchUpDays); day < today; day = day.PlusDays(1))
        {
            if (await ledger.IsDayDoneAsync(day, cancellationToken))
            {
                continue;
            }

            foreach (var (station, since) in await queries.StationsAsync(cancellationToken))
            {
                // A station set up today has no yesterday: nothing is sent for a day that ended before it had anything.
                if (since is { } first && day < ReportRange.DayOf(first, policy.TimeZone, policy.ReportRules.DayStartsAt))
                {
                    continue;
                }

                if (await ledger.WasSentAsync(station, day, cancellationToken))
                {
                    continue;
                }

                // Read before the day's incidents: a change landing in between makes the digest's write lose, never go stale.
                var digestETag = digests is null ? null : await digests.ETagAsync(station, day, cancellationToken);
                var incidents = await IncidentsAsync(station, day, now, cancellationToken);
                await publisher.PublishAsync(Build(station, day, incidents), cancellationToken);
                await ledger.MarkSentAsync(station, day, cancellationToken);
                sent++;
                if (digests is not null)
                {
                    await digests.SaveAsync(DayDigest.Of(station, day, incidents, DayRange(day)), digestETag, cancellationToken);
                }
            }

            await ledger.MarkDayDoneAsync(day, cancellationToken);
        }

        return sent;
    }

    public async Task<ShiftReport> BuildAsync(StationId station, LocalDate day, Instant now, CancellationToken cancellationToken) =>
        Build(station, day, await IncidentsAsync(station, day, now, cancellationToken));

    private ReportRange DayRange(LocalDate day) => new(day, day, policy.TimeZone, policy.ReportRules.DayStartsAt);

    private async Task<IReadOnlyList<ReportedIncident>> IncidentsAsync(StationId station, LocalDate day, Instant now, CancellationToken cancellationToken)
    {
        var range = DayRange(day);
        var incidents = new List<ReportedIncident>();
        await foreach (var incident in queries.ReportedBetweenAsync(station, range.Start, range.End, now, cancellationToken))
        {
            incidents.Add(incident);
        }

        return incidents;
    }

    private ShiftReport Build(StationId station, LocalDate day, IReadOnlyList<ReportedIncident> incidents)
    {
        var range = DayRange(day);

        var clocks = new[] { ClockKind.Dispatch, ClockKind.Arrival, ClockKind.Resolution }.Select(kind =>
        {
            var byPriority = incidents.GroupBy(i => i.Priority).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => Statistics.Figures(g.Key.Name(), g.Key.Name(), [.. g.Select(i => i[kind])]).Compliance);
            return new ShiftClock(kind, Statistics.Figures("total", "all", [.. incidents.Select(i => i[kind])]), byPriority);
        }).ToList();
        var breaches = incidents.SelectMany(i => i.Breaches).OrderBy(b => b.Deadline).ToList();
        var units = incidents.Select(i => i[ClockKind.Arrival]).Where(s => s.Accountable.Unit is not null)
            .GroupBy(s => s.Accountable.Unit!).Select(g => Statistics.Figures(g.Key, g.Key, [.. g]))
            .Where(g => g.Compliance is not null).OrderBy(g => g.Compliance).ThenByDescending(g => g.Median).Take(BottomUnits).ToList();
        return new ShiftReport(
            station, range, incidents.Count, incidents.Count(i => i.Status == IncidentStatus.Closed), incidents.Count(i => i.Status == IncidentStatus.Cancelled),
            incidents.Count(i => i.IsOpen), clocks, breaches, units, incidents.Sum(i => i.Findings.Count))
        {
            PauseList = [.. incidents.SelectMany(i => i.Clocks).SelectMany(s => s.Pauses).OrderBy(p => p.Pause.At)],
        };
    }
}
