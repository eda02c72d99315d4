using System.Globalization;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Messaging;

/// <summary>
/// A station's shift report on the <see cref="EscalationTopic"/>, to the chief: <c>kind</c> = <c>report</c>, MessageId
/// <c>{station}:report:{day}</c>, so a resend after a crash is dropped by duplicate detection.
/// </summary>
public sealed class ServiceBusShiftReportPublisher(
    ServiceBusSender sender, IOptions<DispatchSettings> settings, DependencyMonitor monitor, ResponsePolicy policy) : IShiftReportPublisher
{
    public async Task PublishAsync(ShiftReport report, CancellationToken cancellationToken)
    {
        using var waiting = monitor.Begin(Dependencies.ServiceBus);
        try
        {
            var language = policy.LanguageOf(report.Station);
            await sender.SendMessageAsync(ToMessage(ShiftReportText.Body(report, settings.Value.PublicUrl, Words.For(language)), language), cancellationToken);
            monitor.Succeeded(Dependencies.ServiceBus);
        }
        catch (Exception e) when (e is ServiceBusException or UnauthorizedAccessException or TimeoutException or System.Net.Sockets.SocketException)
        {
            monitor.Failed(Dependencies.ServiceBus, DispatchTable.Describe(e));
            throw;
        }
    }

    public static ServiceBusMessage ToMessage(ShiftReportMessage report, Language language)
    {
        var message = new ServiceBusMessage(report.ToUtf8())
        {
            MessageId = $"{report.Station}:{EscalationTopic.ReportKind}:{report.Day}",
            ContentType = "application/json",
            Subject = EscalationTopic.ReportKind,
        };
        message.ApplicationProperties[MessageProperties.Station] = report.Station;
        message.ApplicationProperties[MessageProperties.Audience] = Audience.Chief.Name();
        message.ApplicationProperties[MessageProperties.Kind] = EscalationTopic.ReportKind;
        message.ApplicationProperties[MessageProperties.Level] = 0;
        message.ApplicationProperties[MessageProperties.Day] = report.Day;
        message.ApplicationProperties[MessageProperties.Language] = language.Tag();
        return message;
    }
}

/// <summary>The shift report as the chief reads it: the domain's facts, its summary in the station's words, durations in ISO 8601, and a link to the full report.</summary>
public static class ShiftReportText
{
    public static ShiftReportMessage Body(ShiftReport report, string publicUrl, Words words)
    {
        var station = report.Station.Value;
        var date = report.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var clocks = report.Clocks.Select(c => new ClockLine(
            c.Clock.Name(), c.Total.Met, c.Total.Breached, c.Total.Compliance, Iso(c.Total.Median), Iso(c.Total.P90),
            c.ComplianceByPriority.ToDictionary(p => p.Key.Name(), p => p.Value), c.Total.Raw.Compliance)).ToList();
        var breaches = report.Breaches.Select(b => new BreachItem(
            b.Incident.Value, b.Clock.Name(), b.Priority.Name(), b.Category, b.Deadline.ToDateTimeOffset(), Iso(b.OverdueBy)!, b.Holder.Person.Name, b.Holder.Unit,
            b.StillRunning, b.Level, b.AcknowledgedBy?.Name)).ToList();
        var pauses = report.PauseList.Select(p => new PauseItem(
            p.Incident.Value, p.Clock.Name(), p.Pause.Reason, p.Pause.At.ToDateTimeOffset(), Iso(p.Length)!, p.Pause.By.Name, p.Pause.Unit)).ToList();
        var units = report.BottomUnits.Select(g => new UnitLine(g.Key, g.N, g.Compliance, Iso(g.Median), g.SmallSample)).ToList();
        var compliance = report[ClockKind.Arrival].Total.Compliance is { } c
            ? words["report.compliance", ("percent", Words.Percent(c))]
            : words["report.no-arrivals"];
        var summary = words["report.summary", ("station", station), ("date", words.Date(new DateOnly(report.Day.Year, report.Day.Month, report.Day.Day))),
            ("reported", report.Reported), ("breaches", report.Breaches.Count), ("compliance", compliance)];
        if (report.PauseList.Count > 0)
        {
            summary = words["report.summary-pauses", ("summary", summary), ("pauses", report.PauseList.Count), ("time", words.Prose(report.Pauses.Time.ToTimeSpan()))];
        }

        return new ShiftReportMessage(
            EscalationTopic.ReportKind, station, date, report.Range.Zone.Id, report.Range.Start.ToDateTimeOffset(), report.Range.End.ToDateTimeOffset(),
            report.Reported, report.Closed, report.Cancelled, report.StillOpen, clocks, breaches, units, report.Findings,
            summary,
            $"{ApiRoute.On(publicUrl)}/reports/response-times?station={station}&from={date}&to={date}&clock={ClockKind.Arrival.Name()}&by={GroupBy.Unit.Name()}",
            pauses);
    }

    private static string? Iso(Duration? duration) => duration is { } d ? IsoDuration.Format(d) : null;
}
