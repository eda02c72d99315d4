using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Functions.Messaging;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>The shift report's facts put into the chief's words and links, and onto the topic (README, "The daily shift report").</summary>
public sealed class ShiftReportTextTests
{
    private static readonly StationId Beilin = StationId.Parse("beilin-01");
    private static readonly LocalDate Day = new(2026, 11, 26);
    private static readonly ReportRange Range = new(Day, Day, DateTimeZoneProviders.Tzdb["Asia/Shanghai"], new LocalTime(8, 0));

    [Fact]
    public void The_report_says_the_day_in_one_line_and_links_the_full_report_of_arrivals_by_unit()
    {
        // 15 reported, 31 breaches, 1 of 14 arrivals in time: 7.14 % rounds to 7 %.
        var report = Report(arrivalCompliance: 0.0714, breaches: 31);

        var body = ShiftReportText.Body(report, "http://dispatch.test/", Words.For(Language.En));

        Assert.Equal("beilin-01 2026-11-26: 15 incidents, 31 breaches, 7% of arrivals in time", body.Summary);
        Assert.Equal("http://dispatch.test/api/reports/response-times?station=beilin-01&from=2026-11-26&to=2026-11-26&clock=arrival&by=unit", body.Url);
        Assert.Equal(("report", "beilin-01", "2026-11-26", "Asia/Shanghai"), (body.Kind, body.Station, body.Day, body.TimeZone));
        // The station's day runs from 08:00 Beijing time (00:00 UTC) to 08:00 the next morning.
        Assert.Equal((new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero)), (body.From, body.To));
        Assert.Equal((15, 1, 1, 13, 2), (body.Reported, body.Closed, body.Cancelled, body.StillOpen, body.Findings));
        Assert.Equal([("patrol-7", 1, 0.0769, "PT8M", false)], body.BottomUnits.Select(u => (u.Unit, u.N, u.Compliance, u.Median, u.SmallSample)));
        var arrival = body.Clocks.Single(c => c.Clock == "arrival");
        Assert.Equal((1, 13, 0.0714, "PT8M", "PT9M"), (arrival.Met, arrival.Breached, arrival.Compliance, arrival.Median, arrival.P90));
        Assert.Equal([("P1", 0.0), ("P2", 0.0769)], arrival.ComplianceByPriority.Select(p => (p.Key, p.Value ?? -1)));
        var breach = body.Breaches[0];
        Assert.Equal(("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A00", "dispatch", "P2", "theft", "PT1M30S", "Wang Lei", "patrol-7", true, 2, "Zhang Wei"),
            (breach.IncidentId, breach.Clock, breach.Priority, breach.Category, breach.OverdueBy, breach.Holder, breach.Unit, breach.StillRunning, breach.Level, breach.AcknowledgedBy));
    }

    [Fact]
    public void A_day_with_no_arrival_due_says_so()
    {
        var body = ShiftReportText.Body(Report(arrivalCompliance: null, breaches: 0), "http://dispatch.test", Words.For(Language.En));

        Assert.Equal("beilin-01 2026-11-26: 15 incidents, 0 breaches, no arrivals due", body.Summary);
    }

    [Fact]
    public void A_chinese_station_reads_its_day_in_chinese_and_the_figures_stay_as_they_are()
    {
        // language.md: dates in prose 2026年11月26日, counts without a space before the unit word (起), 到场按时率 for arrival compliance.
        var chinese = ShiftReportText.Body(Report(arrivalCompliance: 0.0714, breaches: 31), "http://dispatch.test/", Words.For(Language.ZhCn));
        var english = ShiftReportText.Body(Report(arrivalCompliance: 0.0714, breaches: 31), "http://dispatch.test/", Words.For(Language.En));
        var none = ShiftReportText.Body(Report(arrivalCompliance: null, breaches: 0), "http://dispatch.test/", Words.For(Language.ZhCn));

        Assert.Equal("beilin-01 2026年11月26日：接警 15 起，超时 31 起，到场按时率 7%", chinese.Summary);
        Assert.Equal("beilin-01 2026年11月26日：接警 15 起，超时 0 起，无应到场警情", none.Summary);
        Assert.Equal(english with { Summary = chinese.Summary, Clocks = chinese.Clocks, Breaches = chinese.Breaches, BottomUnits = chinese.BottomUnits, Pauses = chinese.Pauses }, chinese);
        Assert.Equal(english.Breaches, chinese.Breaches);
        Assert.Equal(english.Pauses, chinese.Pauses);
    }

    [Fact]
    public void On_the_topic_it_goes_to_the_chief_once_per_station_day()
    {
        var message = ServiceBusShiftReportPublisher.ToMessage(ShiftReportText.Body(Report(0.5, 1), "http://dispatch.test", Words.For(Language.En)), Language.En);

        Assert.Equal(("beilin-01:report:2026-11-26", "report", "application/json"), (message.MessageId, message.Subject, message.ContentType));
        Assert.Equal(
            [("station", "beilin-01"), ("audience", "chief"), ("kind", "report"), ("level", 0), ("day", "2026-11-26"), ("language", "en")],
            message.ApplicationProperties.Select(p => (p.Key, p.Value)));
        Assert.Equal("beilin-01 2026-11-26: 15 incidents, 1 breaches, 50% of arrivals in time", ShiftReportMessage.Parse(message.Body.ToMemory().Span).Summary);
    }

    private static ShiftReport Report(double? arrivalCompliance, int breaches)
    {
        var wang = new Person("wang.lei", "Wang Lei");
        var breach = new BreachLine(
            IncidentId.Parse("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A00"), Beilin, "theft", Priority.P2, ClockKind.Dispatch, Instant.FromUtc(2026, 11, 26, 1, 0),
            new Holder(HolderKind.Unit, wang, "patrol-7"), Duration.FromSeconds(90), true, 2, new Person("zhang.wei", "Zhang Wei"), Instant.FromUtc(2026, 11, 26, 1, 3));
        ShiftClock Clock(ClockKind kind, double? compliance) =>
            new(kind, Figures("total", 1, 13, compliance), new Dictionary<Priority, double?> { [Priority.P1] = 0.0, [Priority.P2] = 0.0769 });
        return new ShiftReport(
            Beilin, Range, 15, 1, 1, 13,
            [Clock(ClockKind.Dispatch, 0.6154), Clock(ClockKind.Arrival, arrivalCompliance), Clock(ClockKind.Resolution, 0.0)],
            [.. Enumerable.Repeat(breach, breaches)], [Figures("patrol-7", 1, 12, 0.0769)], Findings: 2);
    }

    private static GroupFigures Figures(string key, int met, int breached, double? compliance) => new(
        key, key, met, Duration.FromMinutes(8), Duration.FromMinutes(9), Duration.FromMinutes(9), Duration.FromMinutes(8), Duration.FromMinutes(9),
        met, breached, compliance, 0, 0, new Dictionary<int, int>(), null, 0, SmallSample: false);
}
