using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// The reports against figures worked out by hand (the table in each test), never against the code's own
/// output. Default policy: Asia/Shanghai, days from 08:00 local (00:00 UTC), P2 dispatch target 3 minutes.
/// </summary>
public sealed class ReportTests
{
    private static readonly LocalDate Day = new(2026, 11, 26);

    /// <summary>
    /// Twelve P2 incidents dispatched after these many seconds; target 180 s.
    /// Sorted: 20 40 60 80 100 120 150 170 | 190 240 300 400 → met 8, breached 4.
    /// Nearest rank: median ⌈0.5·12⌉ = 6th = 120 s; p90 ⌈10.8⌉ = 11th = 300 s; p95 ⌈11.4⌉ = 12th = 400 s.
    /// Buckets [0,30) 1 · [30,60) 1 · [60,120) 3 (60, 80, 100) · [120,180) 3 (120, 150, 170) · [180,∞) 4.
    /// </summary>
    private static readonly int[] DispatchSeconds = [170, 20, 400, 60, 120, 240, 40, 80, 190, 100, 300, 150];

    [Fact]
    public async Task Response_times_match_the_hand_computed_percentiles_compliance_and_buckets()
    {
        var world = new World();
        await SeedShiftAsync(world);

        var report = await Reports(world).ResponseTimesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), Range(world), ClockKind.Dispatch, GroupBy.Priority, default);

        var p2 = Assert.Single(report.Groups, g => g.Key == "P2");
        Assert.Equal((12, 8, 4, 0.6667), (p2.N, p2.Met, p2.Breached, p2.Compliance));
        Assert.Equal([Seconds(120), Seconds(300), Seconds(400), Seconds(20), Seconds(400)], new[] { p2.Median, p2.P90, p2.P95, p2.Min, p2.Max });
        Assert.False(p2.SmallSample);

        // The P1 still waiting for dispatch 19 minutes after it was reported: running, overdue, a breach.
        var p1 = Assert.Single(report.Groups, g => g.Key == "P1");
        Assert.Equal((0, 0, 1, 1, 1, 0.0, true), (p1.N, p1.Met, p1.Breached, p1.StillRunning, p1.OverdueNow, p1.Compliance, p1.SmallSample));

        // Totals from all durations: 8 met of 13 decided = 0.6154.
        Assert.Equal((12, 8, 5, 0.6154, Seconds(120)), (report.Total.N, report.Total.Met, report.Total.Breached, report.Total.Compliance, report.Total.Median));
        Assert.Equal([1, 1, 3, 3, 4], report.Buckets.Select(b => b.Count));
        Assert.Equal([Seconds(0), Seconds(30), Seconds(60), Seconds(120), Seconds(180)], report.Buckets.Select(b => (Duration?)b.From));
        Assert.Null(report.Buckets[^1].To);
        Assert.Equal(13, report.Incidents); // the incident of the next day is not in it
    }

    [Fact]
    public async Task Groups_and_buckets_add_up_to_the_whole()
    {
        var world = new World();
        await SeedShiftAsync(world);

        foreach (var by in Enum.GetValues<GroupBy>())
        {
            var report = await Reports(world).ResponseTimesAsync(world.AsCommandCenter(), new ReportScope(World.Beilin), Range(world), ClockKind.Dispatch, by, default);

            Assert.Equal(report.Total.N, report.Groups.Sum(g => g.N));
            Assert.Equal(report.Total.Met, report.Groups.Sum(g => g.Met));
            Assert.Equal(report.Total.Breached, report.Groups.Sum(g => g.Breached));
            Assert.Equal(report.Total.StillRunning, report.Groups.Sum(g => g.StillRunning));
            Assert.Equal(report.Total.N, report.Buckets.Sum(b => b.Count));
        }
    }

    [Fact]
    public async Task A_day_starts_at_eight_local_time_so_07_59_the_next_morning_still_belongs_to_it()
    {
        var world = new World();
        var before = await SeedAsync(world, Instant.FromUtc(2026, 11, 25, 23, 59, 59), Priority.P3, dispatchAfter: Duration.FromMinutes(1)); // 07:59:59 on the 26th
        var after = await SeedAsync(world, Instant.FromUtc(2026, 11, 26, 0, 0, 0), Priority.P3, dispatchAfter: Duration.FromMinutes(1)); // 08:00:00 on the 26th
        world.Clock.Advance(Duration.FromDays(2));

        var range = Range(world);
        var incidents = await Reports(world).LoadAsync(new ReportScope(World.Beilin), range, default);

        Assert.Equal(Instant.FromUtc(2026, 11, 26, 0, 0), range.Start);
        Assert.Equal(Instant.FromUtc(2026, 11, 27, 0, 0), range.End);
        Assert.Equal([after], incidents.Select(i => i.Id));
        Assert.DoesNotContain(before, incidents.Select(i => i.Id));
    }

    [Theory]
    [InlineData(2026, 10, 24, 25)] // Europe/Berlin leaves summer time on 25 October 2026 at 03:00: that station-day has 25 hours
    [InlineData(2026, 3, 28, 23)]  // and enters it on 29 March 2026 at 02:00: 23 hours
    [InlineData(2026, 11, 26, 24)]
    public void A_station_day_across_a_daylight_saving_change_has_23_or_25_hours(int year, int month, int day, int hours)
    {
        var range = new ReportRange(new LocalDate(year, month, day), new LocalDate(year, month, day), DateTimeZoneProviders.Tzdb["Europe/Berlin"], new LocalTime(8, 0));

        Assert.Equal(Duration.FromHours(hours), range.End - range.Start);
        Assert.Equal(new LocalDate(year, month, day), range.DayOf(range.End - Duration.FromSeconds(1)));
        Assert.Equal(new LocalDate(year, month, day).PlusDays(1), range.DayOf(range.End));
    }

    [Fact]
    public async Task In_berlin_an_incident_at_07_30_after_the_clocks_went_back_counts_for_the_long_day_before()
    {
        var berlin = ResponsePolicy.Default with { TimeZone = DateTimeZoneProviders.Tzdb["Europe/Berlin"] };
        var world = new World(berlin);
        // 2026-10-25 06:30Z is 07:30 CET: before 08:00, so still the station-day of 24 October.
        var id = await SeedAsync(world, Instant.FromUtc(2026, 10, 25, 6, 30), Priority.P2, dispatchAfter: Duration.FromSeconds(90));
        world.Clock.Reset(Instant.FromUtc(2026, 10, 26, 12, 0));
        var service = new ReportService(world.Store, world.Clock, berlin);

        var report = await service.ResponseTimesAsync(world.AsCommandCenter(), new ReportScope(World.Beilin),
            service.Range(new LocalDate(2026, 10, 24), new LocalDate(2026, 10, 24)), ClockKind.Dispatch, GroupBy.Day, default);

        var group = Assert.Single(report.Groups);
        Assert.Equal("2026-10-24", group.Key);
        Assert.Equal(Seconds(90), group.Median);
        Assert.Equal(Instant.FromUtc(2026, 10, 24, 6, 0), report.Range.Start); // 08:00 CEST
        Assert.Equal(Instant.FromUtc(2026, 10, 25, 7, 0), report.Range.End);   // 08:00 CET
        Assert.Contains(id, (await service.LoadAsync(new ReportScope(World.Beilin), report.Range, default)).Select(i => i.Id));
    }

    [Fact]
    public async Task A_handoff_splits_arrival_into_periods_that_add_up_to_the_phase_and_the_unit_holding_it_at_the_deadline_answers()
    {
        var world = new World();
        var reported = World.T0;
        var opened = Incident.Open(IncidentId.New(World.Beilin, reported), World.Report(priority: Priority.P2), world.Policy, reported, World.Dispatcher);
        var incident = opened.Incident.Dispatch("patrol-7", World.Officer, reported + Duration.FromMinutes(2), World.Dispatcher).Incident
            .Reassign("patrol-5", World.OtherOfficer, "closer", reported + Duration.FromMinutes(6), World.Dispatcher).Incident
            .Arrive(reported + Duration.FromMinutes(13), World.OtherOfficer).Incident; // arrival target 10 min: 3 min late

        var outcome = incident.OutcomeOf(ClockKind.Arrival)!;
        var sample = ClockSample.Of(incident, ClockKind.Arrival, reported + Duration.FromHours(1));

        // desk 0-2 min, patrol-7 2-6 min, patrol-5 6-13 min: 2 + 4 + 7 = 13 minutes, the whole phase.
        Assert.Equal([Duration.FromMinutes(2), Duration.FromMinutes(4), Duration.FromMinutes(7)], outcome.Periods.Select(p => p.Duration));
        Assert.Equal(outcome.Elapsed, outcome.Periods.Aggregate(Duration.Zero, (sum, p) => sum + p.Duration));
        Assert.Equal("patrol-5", sample.Accountable.Unit);
        Assert.True(sample.Breached);
        Assert.Equal(Duration.FromMinutes(13), sample.Elapsed);
    }

    [Fact]
    public async Task Ranking_lists_the_lowest_compliance_first_and_small_groups_apart()
    {
        var world = new World();
        // patrol-7: 10 arrivals, 6 in time (10-minute target); patrol-5: 10 arrivals, 9 in time; patrol-9: 3 arrivals.
        await SeedArrivalsAsync(world, "patrol-7", World.Officer, met: 6, late: 4);
        await SeedArrivalsAsync(world, "patrol-5", World.OtherOfficer, met: 9, late: 1);
        await SeedArrivalsAsync(world, "patrol-9", World.Partner, met: 3, late: 0);

        var ranking = await Reports(world).RankingAsync(world.Call(World.DutyOfficer), new ReportScope(World.Beilin), Range(world), ClockKind.Arrival, GroupBy.Unit, 10, default);

        Assert.Equal(["patrol-7", "patrol-5"], ranking.Ranked.Select(g => g.Key));
        Assert.Equal([0.6, 0.9], ranking.Ranked.Select(g => g.Compliance));
        Assert.Equal("patrol-9", Assert.Single(ranking.Unranked).Key);
    }

    [Fact]
    public async Task Breaches_name_the_holder_at_the_deadline_how_late_the_level_and_who_acknowledged()
    {
        var world = new World();
        var id = await SeedAsync(world, World.T0, Priority.P2, dispatchAfter: null); // never dispatched: the dispatcher holds it
        world.Clock.Reset(World.T0 + Duration.FromMinutes(4)); // a minute past the 3-minute deadline: level 1, the duty officer
        await world.Sweeper.SweepAsync(default);
        await world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, null, null, default);
        world.Clock.Reset(World.T0 + Duration.FromMinutes(8));

        var report = await Reports(world).BreachesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), Range(world), default);

        var breach = Assert.Single(report.Breaches, b => b.Clock == ClockKind.Dispatch);
        Assert.Equal((World.Dispatcher, HolderKind.Dispatcher), (breach.Holder.Person, breach.Holder.Kind));
        Assert.Equal(Duration.FromMinutes(5), breach.OverdueBy); // deadline 08:03, now 08:08, still running
        Assert.True(breach.StillRunning);
        Assert.Equal(1, breach.Level);
        Assert.Equal(World.DutyOfficer, breach.AcknowledgedBy);
    }

    [Fact]
    public async Task Missing_milestones_are_findings_and_incidents_from_before_the_facts_were_kept_are_marked_derived()
    {
        var world = new World();
        var opened = Incident.Open(IncidentId.New(World.Beilin, World.T0), World.Report(priority: Priority.P3), world.Policy, World.T0, World.Dispatcher).Incident;
        var dispatched = opened.Dispatch("patrol-7", World.Officer, World.T0 + Duration.FromMinutes(1), World.Dispatcher).Incident;
        // As an incident stored before outcomes were kept reads: a milestone, no frozen facts; and resolved with no arrival.
        var legacy = dispatched with
        {
            Lifecycle = dispatched.Lifecycle with { Status = IncidentStatus.Resolved, ResolvedAt = World.T0 + Duration.FromMinutes(40) },
            Ladder = dispatched.Ladder with { Clocks = dispatched.Clocks.Select(c => c with { Outcome = null }) },
        };
        await world.Store.CreateAsync(new Transition(legacy, [], []), null, world.AsCommandCenter().Record(AuditOutcome.Created), default);
        world.Clock.Reset(World.T0 + Duration.FromHours(2));

        var report = await Reports(world).ResponseTimesAsync(world.AsCommandCenter(), new ReportScope(World.Beilin), Range(world), ClockKind.Dispatch, GroupBy.Priority, default);

        Assert.Equal("resolved with no arrival recorded", Assert.Single(report.Findings).Problem);
        Assert.Equal(1, report.Total.Derived);
        Assert.Equal(Duration.FromMinutes(1), report.Total.Median);
    }

    [Fact]
    public async Task The_shift_report_counts_the_findings_of_every_incident_of_the_day()
    {
        var world = new World();
        // Two incidents stored with a milestone missing: each resolved with no arrival recorded.
        foreach (var at in new[] { World.T0, World.T0 + Duration.FromMinutes(10) })
        {
            var dispatched = Incident.Open(IncidentId.New(World.Beilin, at), World.Report(priority: Priority.P3), world.Policy, at, World.Dispatcher).Incident
                .Dispatch("patrol-7", World.Officer, at + Duration.FromMinutes(1), World.Dispatcher).Incident;
            world.Store.Put(dispatched with { Lifecycle = dispatched.Lifecycle with { Status = IncidentStatus.Resolved, ResolvedAt = at + Duration.FromMinutes(40) } });
        }

        var day = await Reporter(world, new InMemoryLedger(), []).BuildAsync(World.Beilin, Day, World.T0 + Duration.FromHours(2), default);

        Assert.Equal((2, 2), (day.Reported, day.Findings));
    }

    [Theory]
    [InlineData("chief", true)]
    [InlineData("duty-officer", true)]
    [InlineData("dispatcher", false)]
    [InlineData("officer", false)]
    [InlineData("other-chief", false)]
    [InlineData("command-center", true)]
    [InlineData("auditor", true)]
    public async Task Who_may_read_a_stations_reports(string who, bool allowed)
    {
        var world = new World();
        var call = who switch
        {
            "chief" => world.Call(World.Chief),
            "duty-officer" => world.Call(World.DutyOfficer),
            "dispatcher" => world.Call(World.Dispatcher),
            "officer" => world.Call(World.Officer),
            "other-chief" => world.Call(World.YantaChief),
            "command-center" => world.AsCommandCenter(),
            _ => world.Call(World.Auditor, GlobalRole.Auditor),
        };

        var read = () => Reports(world).BreachesAsync(call, new ReportScope(World.Beilin), Range(world), default);

        if (allowed)
        {
            Assert.NotNull(await read());
        }
        else
        {
            await Assert.ThrowsAsync<ForbiddenException>(read);
        }
    }

    [Fact]
    public async Task Only_the_command_center_and_auditors_read_every_station_at_once()
    {
        var world = new World();

        await Assert.ThrowsAsync<ForbiddenException>(() => Reports(world).BreachesAsync(world.Call(World.Chief), ReportScope.All, Range(world), default));
        Assert.NotNull(await Reports(world).BreachesAsync(world.AsCommandCenter(), ReportScope.All, Range(world), default));
    }

    [Fact]
    public async Task The_shift_report_goes_once_per_station_day_even_when_the_reporter_restarts()
    {
        var world = new World();
        await SeedShiftAsync(world);
        var ledger = new InMemoryLedger();
        var sent = new List<ShiftReport>();
        world.Clock.Reset(Instant.FromUtc(2026, 11, 27, 0, 0, 30)); // 08:00:30 on the 27th: the 26th has just ended

        var first = await Reporter(world, ledger, sent).RunAsync(default);
        var afterRestart = await Reporter(world, ledger, sent).RunAsync(default);
        world.Clock.Advance(Duration.FromDays(1));
        var nextDay = await Reporter(world, ledger, sent).RunAsync(default);

        Assert.Equal(1, first); // the 26th only: its first incident was reported that day, so the 24th and 25th were before it had anything
        Assert.Equal(0, afterRestart);
        Assert.Equal(1, nextDay);
        Assert.Equal(sent.Count, sent.Select(r => (r.Station, r.Day)).Distinct().Count());
        var day = Assert.Single(sent, r => r.Day == Day);
        // None of the thirteen ever arrived or was resolved: by the next morning every arrival (10 min) and
        // resolution (8 h for P2, 2 h for P1) clock is breached too: 5 + 13 + 13.
        Assert.Equal((13, 31), (day.Reported, day.Breaches.Count));
        Assert.Equal(5, day.Breaches.Count(b => b.Clock == ClockKind.Dispatch));
        Assert.Equal(0.6154, day[ClockKind.Dispatch].Total.Compliance);
        Assert.Equal(Instant.FromUtc(2026, 11, 26, 0, 0), day.Range.Start);
    }

    [Fact]
    public async Task Each_report_names_itself_in_the_audit_line_and_refuses_in_words()
    {
        var world = new World();
        var range = Reports(world).Range(Day, Day.PlusDays(2));
        var times = world.Call(World.Chief);
        var ranking = world.Call(World.Chief);
        var breaches = world.AsCommandCenter();

        await Reports(world).ResponseTimesAsync(times, new ReportScope(World.Beilin), range, ClockKind.Dispatch, GroupBy.Priority, default);
        await Reports(world).RankingAsync(ranking, new ReportScope(World.Beilin), range, ClockKind.Arrival, GroupBy.Unit, 5, default);
        await Reports(world).BreachesAsync(breaches, ReportScope.All, range, default);
        var station = await Assert.ThrowsAsync<ForbiddenException>(() =>
            Reports(world).BreachesAsync(world.Call(World.Officer), new ReportScope(World.Beilin), range, default));
        var all = await Assert.ThrowsAsync<ForbiddenException>(() => Reports(world).BreachesAsync(world.Call(World.Chief), ReportScope.All, range, default));

        Assert.Equal(("report response-times dispatch by priority 2026-11-26..2026-11-28", World.Beilin), (times.Change, times.Station));
        Assert.Equal("report ranking arrival by unit 2026-11-26..2026-11-28", ranking.Change);
        Assert.Equal(("report breaches 2026-11-26..2026-11-28", (StationId?)null), (breaches.Change, breaches.Station));
        Assert.Equal("Only the chief and duty officers of beilin-01, the command center and auditors may read its reports.", station.Message);
        Assert.Equal("Only the command center and auditors may read every station's reports.", all.Message);
        Assert.Equal(("all", "beilin-01"), (ReportScope.All.ToString(), new ReportScope(World.Beilin).ToString()));
        Assert.Equal(3, range.Days);
    }

    [Fact]
    public async Task Groups_come_in_key_order_with_keys_and_labels_people_can_read()
    {
        var world = new World();
        await SeedShiftAsync(world);

        async Task<IEnumerable<(string, string)>> Groups(ClockKind clock, GroupBy by) =>
            (await Reports(world).ResponseTimesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), Range(world), clock, by, default))
            .Groups.Select(g => (g.Key, g.Label));

        Assert.Equal([("P1", "P1"), ("P2", "P2")], await Groups(ClockKind.Dispatch, GroupBy.Priority));
        Assert.Equal([("(desk)", "the desk, before any unit was dispatched"), ("patrol-7", "patrol-7")], await Groups(ClockKind.Arrival, GroupBy.Unit));
        Assert.Equal([("(desk)", "the desk, before any unit was dispatched"), ("wang.lei", "Wang Lei")], await Groups(ClockKind.Arrival, GroupBy.Officer));
        Assert.Equal([("li.ming", "Li Ming")], await Groups(ClockKind.Arrival, GroupBy.Dispatcher));
        Assert.Equal([("urban", "urban")], await Groups(ClockKind.Arrival, GroupBy.Zone));
        Assert.Equal([("theft", "theft")], await Groups(ClockKind.Arrival, GroupBy.Category));
        Assert.Equal([("16", "16:00"), ("17", "17:00"), ("19", "19:00")], await Groups(ClockKind.Arrival, GroupBy.Hour));
        Assert.Equal([("2026-11-26", "2026-11-26")], await Groups(ClockKind.Arrival, GroupBy.Day));
        Assert.Equal([("4", "Thursday")], await Groups(ClockKind.Arrival, GroupBy.Weekday));
        var total = (await Reports(world).ResponseTimesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), Range(world), ClockKind.Dispatch, GroupBy.Day, default)).Total;
        Assert.Equal(("total", "all"), (total.Key, total.Label));
    }

    [Fact]
    public async Task Breaches_come_in_deadline_order()
    {
        var world = new World();
        await SeedShiftAsync(world);
        world.Clock.Advance(Duration.FromDays(1));

        var report = await Reports(world).BreachesAsync(world.Call(World.Chief), new ReportScope(World.Beilin), Range(world), default);

        Assert.Equal(31, report.Breaches.Count);
        Assert.Equal(report.Breaches.Select(b => b.Deadline).Order(), report.Breaches.Select(b => b.Deadline));
    }

    [Fact]
    public async Task Equal_compliance_ranks_the_slower_median_first_then_by_name()
    {
        var world = new World();
        await SeedArrivalsAsync(world, "patrol-9", World.Partner, met: 8, late: 2);
        await SeedArrivalsAsync(world, "patrol-7", World.Officer, met: 8, late: 2);
        await SeedArrivalsAsync(world, "patrol-5", World.OtherOfficer, met: 8, late: 2, arrivalInTime: Duration.FromMinutes(9));

        var ranking = await Reports(world).RankingAsync(world.Call(World.DutyOfficer), new ReportScope(World.Beilin), Range(world), ClockKind.Arrival, GroupBy.Unit, 2, default);

        Assert.Equal(["patrol-5", "patrol-7"], ranking.Ranked.Select(g => g.Key));
    }

    [Fact]
    public void Figures_count_escalations_per_level_and_take_the_median_time_to_acknowledge()
    {
        var incident = Incident.Open(IncidentId.New(World.Beilin, World.T0), World.Report(), ResponsePolicy.Default, World.T0, World.Dispatcher).Incident;
        var desk = new Holder(HolderKind.Dispatcher, World.Dispatcher, null);
        ClockSample Sample(bool met, bool breached, int level, int? ackSeconds) =>
            new(ClockKind.Dispatch, Duration.FromSeconds(30), met, breached, false, false, level,
                ackSeconds is { } s ? Duration.FromSeconds(s) : null, desk, false);

        var figures = Statistics.Figures("k", "l", [Sample(true, false, 0, null), Sample(true, false, 0, null), Sample(true, false, 2, 40),
            Sample(false, true, 1, 10), Sample(false, false, 3, 30), Sample(false, false, 1, 20)]);
        var none = Statistics.Figures("k", "l", [Sample(false, false, 0, null)]);

        Assert.Equal([(1, 4), (2, 2), (3, 1)], figures.EscalationsByLevel.Select(p => (p.Key, p.Value)));
        Assert.Equal(Duration.FromSeconds(20), figures.MedianTimeToAcknowledge);
        Assert.Equal((3, 1, 0.75), (figures.Met, figures.Breached, figures.Compliance));
        Assert.Null(none.Compliance);
        Assert.Equal(0.5, Statistics.Figures("k", "l", [Sample(true, false, 0, null), Sample(false, true, 1, null)]).Compliance);
        Assert.Empty(none.EscalationsByLevel);
        Assert.Equal(new Bucket(Duration.Zero, Duration.FromSeconds(30), 0), Statistics.Buckets([], ReportRules.Default.BucketEdges[ClockKind.Dispatch])[0]);
    }

    [Fact]
    public async Task The_shift_report_counts_the_days_outcomes_and_finds_its_bottom_units()
    {
        var world = new World();
        await SeedShiftAsync(world);
        var cancelled = await world.ReportAsync();
        await world.Incidents.CancelAsync(world.Call(World.Dispatcher), cancelled, "duplicate", null, default);
        var closed = await world.ReportAsync();
        await world.DispatchAsync(closed);
        world.Clock.Advance(Duration.FromMinutes(1));
        await world.Incidents.ArriveAsync(world.Call(World.Officer), closed, null, default);
        await world.Incidents.ResolveAsync(world.Call(World.Officer), closed, "done", null, default);
        await world.Incidents.CloseAsync(world.Call(World.Chief), closed, null, default);
        var sent = new List<ShiftReport>();

        var day = await Reporter(world, new InMemoryLedger(), sent).BuildAsync(World.Beilin, Day, Instant.FromUtc(2026, 11, 27, 0, 0, 30), default);

        Assert.Equal((15, 1, 1, 13), (day.Reported, day.Closed, day.Cancelled, day.StillOpen));
        // Arrivals: the closed one arrived in time, the thirteen of the shift never did, the cancelled one stopped: 1 of 14.
        Assert.Equal((1, 13, 0.0714), (day[ClockKind.Arrival].Total.Met, day[ClockKind.Arrival].Total.Breached, day[ClockKind.Arrival].Total.Compliance));
        Assert.Equal(31, day.Breaches.Count);
        Assert.Equal([("patrol-7", 1, 0.0769)], day.BottomUnits.Select(u => (u.Key, u.N, u.Compliance)));
        Assert.Equal(day.Breaches.Select(b => b.Deadline).Order(), day.Breaches.Select(b => b.Deadline));
        Assert.Equal((World.Beilin, Day, "Asia/Shanghai"), (day.Station, day.Day, day.Range.Zone.Id));
        // Per priority, in priority order. P1: the closed one arrived, the one never dispatched did not, the cancelled
        // one stopped first: 1 of 2. P2: none of the twelve arrived.
        Assert.Equal([(Priority.P1, 0.5), (Priority.P2, 0.0)], day[ClockKind.Arrival].ComplianceByPriority.Select(p => (p.Key, p.Value ?? -1)));
        Assert.Equal(("total", "all"), (day[ClockKind.Arrival].Total.Key, day[ClockKind.Arrival].Total.Label));
        Assert.Throws<InvalidOperationException>(() => (day with { Clocks = [] })[ClockKind.Arrival]);
    }

    [Fact]
    public async Task The_shift_reports_bottom_units_are_the_three_lowest_in_arrival_compliance_the_slower_first_on_a_tie()
    {
        var world = new World();
        await SeedArrivalsAsync(world, "patrol-1", World.Officer, met: 10, late: 0);
        await SeedArrivalsAsync(world, "patrol-9", World.Partner, met: 5, late: 5);
        await SeedArrivalsAsync(world, "patrol-7", World.Officer, met: 8, late: 2);
        await SeedArrivalsAsync(world, "patrol-5", World.OtherOfficer, met: 8, late: 2, arrivalInTime: Duration.FromMinutes(9));

        var day = await Reporter(world, new InMemoryLedger(), []).BuildAsync(World.Beilin, Day, world.Clock.GetCurrentInstant(), default);

        // 0.5 first; then two at 0.8, patrol-5 (median 9 min) before patrol-7 (8 min); patrol-1, all in time, is not among them.
        Assert.Equal([("patrol-9", 0.5), ("patrol-5", 0.8), ("patrol-7", 0.8)], day.BottomUnits.Select(u => (u.Key, u.Compliance ?? -1)));
    }

    [Fact]
    public async Task A_shift_report_run_that_fails_part_way_resends_nothing_already_sent()
    {
        var world = new World();
        await SeedShiftAsync(world);
        await world.Incidents.ReportAsync(world.AsCommandCenter(), World.Report(World.Yanta), null, default);
        var ledger = new InMemoryLedger();
        var sent = new List<ShiftReport>();
        world.Clock.Reset(Instant.FromUtc(2026, 11, 27, 0, 0, 30));
        var failing = new ShiftReporter(world.Store, ledger, new ListPublisher(sent, failAfter: 1), world.Clock, world.Policy);

        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.RunAsync(default));
        var rest = await Reporter(world, ledger, sent).RunAsync(default);

        Assert.Equal(1, rest); // yanta-02's 26th; beilin-01's went out before the failure
        Assert.Equal(2, sent.Count);
        Assert.Equal(sent.Count, sent.Select(r => (r.Station, r.Day)).Distinct().Count());
    }

    [Fact]
    public async Task A_station_that_appears_after_its_day_was_reported_is_not_reported_for_that_day()
    {
        var world = new World();
        await SeedShiftAsync(world);
        var ledger = new InMemoryLedger();
        var sent = new List<ShiftReport>();
        world.Clock.Reset(Instant.FromUtc(2026, 11, 27, 0, 0, 30));
        await Reporter(world, ledger, sent).RunAsync(default);
        world.Store.Put(Incident.Open(IncidentId.New(World.Yanta, World.T0), World.Report(World.Yanta), world.Policy, World.T0, World.YantaChief).Incident);

        var again = await Reporter(world, ledger, sent).RunAsync(default);

        Assert.Equal(0, again);
    }

    private static ReportService Reports(World world) => new(world.Store, world.Clock, world.Policy);

    private static ReportRange Range(World world) => Reports(world).Range(Day, Day);

    private static ShiftReporter Reporter(World world, InMemoryLedger ledger, List<ShiftReport> sent) =>
        new(world.Store, ledger, new ListPublisher(sent), world.Clock, world.Policy);

    private static Duration? Seconds(int seconds) => Duration.FromSeconds(seconds);

    /// <summary>The twelve P2 dispatches of <see cref="DispatchSeconds"/>, a P1 never dispatched, and one incident of the next day.</summary>
    private static async Task SeedShiftAsync(World world)
    {
        for (var i = 0; i < DispatchSeconds.Length; i++)
        {
            await SeedAsync(world, World.T0 + Duration.FromMinutes(10 * i), Priority.P2, Duration.FromSeconds(DispatchSeconds[i]));
        }

        await SeedAsync(world, World.T0 + Duration.FromMinutes(200), Priority.P1, dispatchAfter: null);
        await SeedAsync(world, Instant.FromUtc(2026, 11, 27, 1, 0), Priority.P2, Duration.FromSeconds(10));
        world.Clock.Reset(World.T0 + Duration.FromMinutes(219));
    }

    private static async Task SeedArrivalsAsync(World world, string unit, Person officer, int met, int late, Duration? arrivalInTime = null)
    {
        for (var i = 0; i < met + late; i++)
        {
            var reported = World.T0 + Duration.FromMinutes(i);
            var opened = Incident.Open(IncidentId.New(World.Beilin, reported), World.Report(priority: Priority.P2), world.Policy, reported, World.Dispatcher).Incident;
            var arrived = opened.Dispatch(unit, officer, reported + Duration.FromMinutes(1), World.Dispatcher).Incident
                .Arrive(reported + (i < met ? arrivalInTime ?? Duration.FromMinutes(8) : Duration.FromMinutes(12)), officer).Incident;
            await world.Store.CreateAsync(new Transition(arrived, [], []), null, world.AsCommandCenter().Record(AuditOutcome.Created), default);
        }

        world.Clock.Reset(World.T0 + Duration.FromHours(3));
    }

    private static async Task<IncidentId> SeedAsync(World world, Instant reported, Priority priority, Duration? dispatchAfter)
    {
        var incident = Incident.Open(IncidentId.New(World.Beilin, reported), World.Report(priority: priority), world.Policy, reported, World.Dispatcher).Incident;
        if (dispatchAfter is { } after)
        {
            incident = incident.Dispatch("patrol-7", World.Officer, reported + after, World.Dispatcher).Incident;
        }

        if (incident.NextDueAt is { } due)
        {
            await world.Index.AddAsync([DueEntry.ForClock(incident.Id, due)], default);
        }

        await world.Store.CreateAsync(new Transition(incident, [], []), null, world.AsCommandCenter().Record(AuditOutcome.Created), default);
        return incident.Id;
    }

    private sealed class InMemoryLedger : IShiftReportLedger
    {
        private readonly HashSet<string> marks = [];

        public Task<bool> IsDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => Task.FromResult(marks.Contains($"{day}"));

        public Task MarkDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => Task.FromResult(marks.Add($"{day}"));

        public Task<bool> WasSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => Task.FromResult(marks.Contains($"{station}|{day}"));

        public Task MarkSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => Task.FromResult(marks.Add($"{station}|{day}"));
    }

    private sealed class ListPublisher(List<ShiftReport> sent, int failAfter = int.MaxValue) : IShiftReportPublisher
    {
        public Task PublishAsync(ShiftReport report, CancellationToken cancellationToken)
        {
            if (sent.Count >= failAfter)
            {
                throw new InvalidOperationException("Service Bus is down");
            }

            sent.Add(report);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public void The_reports_read_an_incident_as_its_clocks_stood_at_the_reports_instant()
    {
        // P1 urban: dispatched 30 s late, cancelled at 6 minutes: arrival's 5-minute deadline had passed, resolution stopped in time.
        var running = Incident.Open(IncidentId.New(World.Beilin, World.T0), World.Report(), ResponsePolicy.Default, World.T0, World.Dispatcher).Incident;
        var cancelled = running.Dispatch("patrol-7", World.Officer, World.T0 + Duration.FromSeconds(90), World.Dispatcher).Incident
            .Cancel("duplicate", World.T0 + Duration.FromMinutes(6), World.Dispatcher).Incident;

        var read = ReportedIncident.Of(cancelled, World.T0 + Duration.FromHours(1));
        var early = ReportedIncident.Of(running, World.T0 + Duration.FromSeconds(30));
        var late = ReportedIncident.Of(running, World.T0 + Duration.FromMinutes(3));

        Assert.Equal((IncidentStatus.Cancelled, false, "theft", Priority.P1, Zone.Urban, World.Dispatcher, 0),
            (read.Status, read.IsOpen, read.Category, read.Priority, read.Zone, read.Dispatcher, read.Findings.Count));
        Assert.Equal(
            [(ClockKind.Dispatch, World.T0 + Duration.FromMinutes(1), Duration.FromSeconds(30), false, "desk"), (ClockKind.Arrival, World.T0 + Duration.FromMinutes(5), Duration.FromMinutes(1), false, "patrol-7")],
            read.Breaches.Select(b => (b.Clock, b.Deadline, b.OverdueBy, b.StillRunning, b.Holder.Unit ?? "desk")));
        Assert.Equal((false, false, (Duration?)null), (read[ClockKind.Resolution].Met, read[ClockKind.Resolution].Breached, read[ClockKind.Resolution].Elapsed));
        // Still running: nothing overdue 30 s in; two minutes past its deadline at 3 minutes, held by the desk.
        Assert.Equal((true, false, Duration.Zero), (early[ClockKind.Dispatch].Running, early[ClockKind.Dispatch].Breached, early[ClockKind.Dispatch].OverdueBy));
        Assert.Empty(early.Breaches);
        var overdue = Assert.Single(late.Breaches);
        Assert.Equal((ClockKind.Dispatch, Duration.FromMinutes(2), true, HolderKind.Dispatcher), (overdue.Clock, overdue.OverdueBy, overdue.StillRunning, overdue.Holder.Kind));
        Assert.True(late.IsOpen);
    }

    [Fact]
    public void An_acknowledged_breach_reads_who_acknowledged_it_and_when()
    {
        var opened = Incident.Open(IncidentId.New(World.Beilin, World.T0), World.Report(), ResponsePolicy.Default, World.T0, World.Dispatcher).Incident;
        var acknowledged = opened.Sweep(World.T0 + Duration.FromMinutes(1)).Incident
            .Acknowledge(1, _ => true, World.T0 + Duration.FromSeconds(75), World.DutyOfficer).Incident;

        var line = Assert.Single(ReportedIncident.Of(acknowledged, World.T0 + Duration.FromMinutes(2)).Breaches);

        Assert.Equal((1, World.DutyOfficer, World.T0 + Duration.FromSeconds(75)), (line.Level, line.AcknowledgedBy, line.AcknowledgedAt));
    }
}
