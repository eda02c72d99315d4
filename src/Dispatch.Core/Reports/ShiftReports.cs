using System.Globalization;
using Dispatch.Core.Incidents;
using Dispatch.Core.Messages;
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
    Task PublishAsync(ShiftReportMessage report, CancellationToken cancellationToken);
}

/// <summary>
/// At each station's day boundary, the chief gets the day: counts, compliance per clock and priority, the
/// breaches with their holders, the bottom units. Sent for every completed day of the last
/// <see cref="CatchUpDays"/> not yet sent, oldest first, so a day that ended during downtime is still reported,
/// but never for a day before the station first had anything.
/// </summary>
public sealed class ShiftReporter(IIncidentQueries queries, IShiftReportLedger ledger, IShiftReportPublisher publisher, IClock clock, ResponsePolicy policy, string publicUrl)
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

                await publisher.PublishAsync(await BuildAsync(station, day, now, cancellationToken), cancellationToken);
                await ledger.MarkSentAsync(station, day, cancellationToken);
                sent++;
            }

            await ledger.MarkDayDoneAsync(day, cancellationToken);
        }

        return sent;
    }

    public async Task<ShiftReportMessage> BuildAsync(StationId station, LocalDate day, Instant now, CancellationToken cancellationToken)
    {
        var range = new ReportRange(day, day, policy.TimeZone, policy.ReportRules.DayStartsAt);
        var incidents = new List<Incident>();
        await foreach (var incident in queries.ReportedBetweenAsync(station, range.Start, range.End, cancellationToken))
        {
            incidents.Add(incident);
        }

        var clocks = new[] { ClockKind.Dispatch, ClockKind.Arrival, ClockKind.Resolution }.Select(kind =>
        {
            var samples = incidents.Select(i => ClockSample.Of(i, kind, now)).ToList();
            var total = Statistics.Figures("total", "all", samples);
            var byPriority = samples.GroupBy(s => s.Incident.Report.Priority).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key.Name(), g => Statistics.Figures(g.Key.Name(), g.Key.Name(), [.. g]).Compliance);
            return new ClockLine(kind.Name(), total.Met, total.Breached, total.Compliance, Iso(total.Median), Iso(total.P90), byPriority);
        }).ToList();
        var breaches = incidents.SelectMany(i => ReportService.BreachesOf(i, now)).OrderBy(b => b.Deadline).Select(b => new BreachItem(
            b.Incident.Value, b.Clock.Name(), b.Priority.Name(), b.Category, b.Deadline.ToDateTimeOffset(), Iso(b.OverdueBy)!, b.Holder.Person.Name, b.Holder.Unit,
            b.StillRunning, b.Level, b.AcknowledgedBy?.Name)).ToList();
        var units = incidents.Select(i => ClockSample.Of(i, ClockKind.Arrival, now)).Where(s => s.Accountable.Unit is not null)
            .GroupBy(s => s.Accountable.Unit!).Select(g => Statistics.Figures(g.Key, g.Key, [.. g]))
            .Where(g => g.Compliance is not null).OrderBy(g => g.Compliance).ThenByDescending(g => g.Median).Take(BottomUnits)
            .Select(g => new UnitLine(g.Key, g.N, g.Compliance, Iso(g.Median), g.SmallSample)).ToList();
        var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // Invariant: the chief reads the same line whatever culture the host runs in.
        var compliance = clocks[1].Compliance is { } c ? string.Create(CultureInfo.InvariantCulture, $"{c * 100:0}% of arrivals in time") : "no arrivals due";
        return new ShiftReportMessage(
            ShiftReportMessage.KindName, station.Value, date, policy.TimeZone.Id, range.Start.ToDateTimeOffset(), range.End.ToDateTimeOffset(),
            incidents.Count, incidents.Count(i => i.Status == IncidentStatus.Closed), incidents.Count(i => i.Status == IncidentStatus.Cancelled),
            incidents.Count(i => i.IsOpen), clocks, breaches, units, incidents.Sum(i => Finding.In(i).Count()),
            $"{station} {date}: {incidents.Count} incidents, {breaches.Count} breaches, {compliance}",
            $"{publicUrl.TrimEnd('/')}/api/reports/response-times?station={station.Value}&from={date}&to={date}&clock=arrival&by=unit");
    }

    private static string? Iso(Duration? duration) => duration is { } d ? IsoDuration.Format(d) : null;
}
