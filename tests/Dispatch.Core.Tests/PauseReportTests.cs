using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// Raw and adjusted figures side by side, and the pauses counted (issue 28), against figures worked out by hand.
/// Default policy: P2 dispatch target 3 min = 180 s, P2 urban arrival 10 min; days from 08:00 Asia/Shanghai (00:00 UTC).
/// <code>
/// incident  paused (dispatch clock)                 dispatched after   raw  adjusted  raw judged  adjusted judged
/// 1         60 s, reporter-unreachable, duty officer   200 s           200   140       breached    met
/// 2         120 s, road-closed, chief                  250 s           250   130       breached    met
/// 3         —                                          100 s           100   100       met         met
/// 4         —                                          240 s           240   240       breached    breached
/// </code>
/// Adjusted: met 3, breached 1, compliance 0.75; sorted 100 130 140 240: median ⌈0.5·4⌉ = 2nd = 130 s, p90 ⌈3.6⌉ = 4th = 240 s.
/// Raw: met 1, breached 3, compliance 0.25; sorted 100 200 240 250: median 2nd = 200 s, p90 4th = 250 s.
/// Dispatch pauses: 2, 180 s; road-closed 1 (120 s) before reporter-unreachable 1 (60 s) (by count, then time);
/// both before any unit was dispatched, so under the desk. Incident 2's arrival clock is also paused, 300 s for
/// scene-unsafe by the duty officer while patrol-7 held it: the day's pauses are 3, 480 s.
/// </summary>
public sealed class PauseReportTests
{
    private static readonly LocalDate Day = new(2026, 11, 26);
    private static readonly PauseRules Rules = PauseRules.Default;

    [Fact]
    public async Task Response_times_show_raw_and_adjusted_figures_side_by_side_with_the_pauses_per_reason_unit_and_person()
    {
        var world = new World();
        await SeedAsync(world);
        var reports = new ReportService(world.Store, world.Clock, world.Policy);

        var report = await reports.ResponseTimesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), reports.Range(Day, Day), ClockKind.Dispatch, GroupBy.Priority, default);

        var total = report.Total;
        Assert.Equal((4, 3, 1, 0.75, Seconds(130), Seconds(240)), (total.N, total.Met, total.Breached, total.Compliance, total.Median, total.P90));
        Assert.Equal(new RawFigures(4, Seconds(200), Seconds(250), Seconds(250), 1, 3, 0.25), total.Raw);
        Assert.Equal((2, Duration.FromSeconds(180)), (total.Pauses, total.PausedTime));
        Assert.Equal((2, Duration.FromSeconds(180)), (report.Pauses.Count, report.Pauses.Time));
        Assert.Equal([("road-closed", 1, 120), ("reporter-unreachable", 1, 60)], report.Pauses.ByReason.Select(t => (t.Key, t.Count, (int)t.Time.TotalSeconds)));
        Assert.Equal([("(desk)", 2, 180)], report.Pauses.ByUnit.Select(t => (t.Key, t.Count, (int)t.Time.TotalSeconds)));
        Assert.Equal([(World.Chief.Subject, 1, 120), (World.DutyOfficer.Subject, 1, 60)], report.Pauses.ByPerson.Select(t => (t.Key, t.Count, (int)t.Time.TotalSeconds)));
    }

    [Fact]
    public async Task The_shift_report_carries_the_days_pauses_of_every_clock()
    {
        var world = new World();
        await SeedAsync(world);
        var reporter = new ShiftReporter(world.Store, new NoLedger(), new NoPublisher(), world.Clock, world.Policy);

        var day = await reporter.BuildAsync(World.Beilin, Day, World.T0 + Duration.FromHours(3), default);

        Assert.Equal(
            [(ClockKind.Dispatch, "reporter-unreachable", 60), (ClockKind.Dispatch, "road-closed", 120), (ClockKind.Arrival, "scene-unsafe", 300)],
            day.PauseList.Select(p => (p.Clock, p.Pause.Reason, (int)p.Length.TotalSeconds)));
        Assert.Equal((3, Duration.FromSeconds(480)), (day.Pauses.Count, day.Pauses.Time));
        Assert.Equal([("(desk)", 2, 180), ("patrol-7", 1, 300)], day.Pauses.ByUnit.Select(t => (t.Key, t.Count, (int)t.Time.TotalSeconds)));
        Assert.Equal([(World.DutyOfficer.Subject, 2, 360), (World.Chief.Subject, 1, 120)], day.Pauses.ByPerson.Select(t => (t.Key, t.Count, (int)t.Time.TotalSeconds)));
        // The day's dispatch compliance, adjusted and raw, as in the table.
        Assert.Equal((0.75, 0.25), (day[ClockKind.Dispatch].Total.Compliance, day[ClockKind.Dispatch].Total.Raw.Compliance));
    }

    private static Duration? Seconds(int seconds) => Duration.FromSeconds(seconds);

    private static async Task SeedAsync(World world)
    {
        await SeedAsync(world, 0, dispatchAfter: 200, ("reporter-unreachable", World.DutyOfficer, 60));
        var second = await SeedAsync(world, 1, dispatchAfter: 250, ("road-closed", World.Chief, 120), arrivalPause: 300);
        await SeedAsync(world, 2, dispatchAfter: 100, null);
        await SeedAsync(world, 3, dispatchAfter: 240, null);
        world.Clock.Reset(World.T0 + Duration.FromHours(3));
        Assert.Equal(2, world.Get(second).Clocks.Sum(c => c.Pauses.Items.Count));
    }

    /// <summary>An incident reported <paramref name="index"/> × 10 min after T0, paused 10 s after it was reported for the time given.</summary>
    private static async Task<IncidentId> SeedAsync(
        World world, int index, int dispatchAfter, (string Reason, Identity.Person By, int Seconds)? dispatchPause, int? arrivalPause = null)
    {
        var reported = World.T0 + Duration.FromMinutes(10 * index);
        Instant After(int seconds) => reported + Duration.FromSeconds(seconds);
        var incident = Incident.Open(IncidentId.New(World.Beilin, reported), World.Report(priority: Priority.P2), world.Policy, reported, World.Dispatcher).Incident;
        if (dispatchPause is { } pause)
        {
            incident = incident.Pause(ClockKind.Dispatch, Rules.Find(pause.Reason)!, null, After(10), pause.By).Incident
                .Resume(ClockKind.Dispatch, After(10 + pause.Seconds), pause.By).Incident;
        }

        incident = incident.Dispatch("patrol-7", World.Officer, After(dispatchAfter), World.Dispatcher).Incident;
        if (arrivalPause is { } seconds)
        {
            incident = incident.Pause(ClockKind.Arrival, Rules.Find("scene-unsafe")!, "smoke", After(dispatchAfter + 10), World.DutyOfficer).Incident
                .Resume(ClockKind.Arrival, After(dispatchAfter + 10 + seconds), World.DutyOfficer).Incident;
        }

        await world.Store.CreateAsync(new Transition(incident, [], []), null, world.AsCommandCenter().Record(AuditOutcome.Created), default);
        return incident.Id;
    }

    private sealed class NoLedger : IShiftReportLedger
    {
        public Task<bool> IsDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task MarkDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool> WasSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task MarkSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class NoPublisher : IShiftReportPublisher
    {
        public Task PublishAsync(ShiftReport report, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
