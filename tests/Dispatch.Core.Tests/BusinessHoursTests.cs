using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// Business hours for P4 (issue 28): a calendar outside which a clock does not run. Every expected instant is worked
/// out by hand beside it, in the station's local time and in UTC (Asia/Shanghai is UTC+8 all year; Europe/London is
/// UTC+0 in winter and UTC+1 in summer, changing on the last Sundays of March and October: 29 March and 25 October 2026).
/// </summary>
public sealed class BusinessHoursTests
{
    private static readonly DateTimeZone Shanghai = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];
    private static readonly DateTimeZone London = DateTimeZoneProviders.Tzdb["Europe/London"];

    /// <summary>Monday to Friday, 08:30 to 17:30: the policy's defaults.</summary>
    private static BusinessCalendar Weekdays(DateTimeZone zone, params LocalDate[] holidays) =>
        new(zone, BusinessCalendar.DefaultDays, BusinessCalendar.DefaultOpens, BusinessCalendar.DefaultCloses, holidays.ToHashSet());

    private static Instant Utc(int month, int day, int hour, int minute = 0) => Instant.FromUtc(2026, month, day, hour, minute);

    [Fact]
    public void Friday_17_00_with_two_hours_to_go_is_due_Monday_10_00()
    {
        var calendar = Weekdays(Shanghai);
        var friday1700 = Utc(11, 27, 9); // Friday 27 Nov 2026 17:00 +08:00

        // 30 min on Friday (17:00-17:30), nothing on the weekend, 1 h 30 min on Monday from 08:30: Monday 10:00 +08:00 = 02:00Z.
        Assert.Equal(Utc(11, 30, 2), calendar.After(friday1700, Duration.FromHours(2)));
        Assert.Equal(Duration.FromHours(2), calendar.Between(friday1700, Utc(11, 30, 2)));
        // Saturday noon to Monday 08:30 (00:30Z) holds no business time at all.
        Assert.Equal(Duration.Zero, calendar.Between(Utc(11, 28, 4), Utc(11, 30, 0, 30)));
    }

    [Fact]
    public void A_report_out_of_hours_starts_counting_at_the_next_opening_and_a_holiday_is_not_worked()
    {
        // Saturday 28 Nov 11:00 +08:00 (03:00Z): 1 h from Monday's 08:30 opening is Monday 09:30 +08:00 = 01:30Z.
        Assert.Equal(Utc(11, 30, 1, 30), Weekdays(Shanghai).After(Utc(11, 28, 3), Duration.FromHours(1)));
        // Monday 07:00 +08:00 (Sunday 23:00Z), before opening: the same Monday 09:30.
        Assert.Equal(Utc(11, 30, 1, 30), Weekdays(Shanghai).After(Utc(11, 29, 23), Duration.FromHours(1)));
        // With Monday 30 Nov a holiday, Friday 17:00's two hours end on Tuesday 1 Dec at 10:00 +08:00 = 02:00Z.
        Assert.Equal(Utc(12, 1, 2), Weekdays(Shanghai, new LocalDate(2026, 11, 30)).After(Utc(11, 27, 9), Duration.FromHours(2)));
        // Zero business time after an instant is that instant, in hours or not.
        Assert.Equal(Utc(11, 28, 3), Weekdays(Shanghai).After(Utc(11, 28, 3), Duration.Zero));
    }

    [Fact]
    public void Across_a_daylight_saving_change_london_hours_are_read_on_londons_walls()
    {
        // Friday 23 Oct 2026 16:30 BST (15:30Z): 1 h to 17:30 BST (16:30Z); the clocks go back on Sunday; 1 h from Monday's
        // 08:30 GMT (08:30Z) ends at 09:30Z. Wall time between: 2 days 18 h (an offset kept at +1 would have said 08:30Z).
        var due = Weekdays(London).After(Utc(10, 23, 15, 30), Duration.FromHours(2));
        Assert.Equal(Utc(10, 26, 9, 30), due);
        Assert.Equal(Duration.FromHours(66), due - Utc(10, 23, 15, 30));
        // A P4 clock with those hours and a 2 h target, reported then, is due then; its 50 % warning (1 h) at Friday's closing.
        var clock = ResponseClock.Start(ClockKind.Dispatch, Utc(10, 23, 15, 30), Duration.FromHours(2)) with { Calendar = Weekdays(London) };
        Assert.Equal((Utc(10, 26, 9, 30), Utc(10, 23, 16, 30)), (clock.Deadline, clock.WarningAt(0.5)));

        // A Sunday open 00:00-04:00 on the walls: on 25 Oct (clocks back at 02:00 BST) that is 24 Oct 23:00Z to 04:00Z, five
        // hours; on 29 Mar (clocks forward at 01:00 GMT) 00:00Z to 03:00Z, three hours.
        var sundayNights = new BusinessCalendar(London, new HashSet<IsoDayOfWeek> { IsoDayOfWeek.Sunday }, LocalTime.Midnight, new LocalTime(4, 0), new HashSet<LocalDate>());
        Assert.Equal(Duration.FromHours(5), sundayNights.Between(Utc(10, 24, 12), Utc(10, 25, 12)));
        Assert.Equal(Duration.FromHours(3), sundayNights.Between(Utc(3, 28, 12), Utc(3, 29, 12)));
        // 4 h 30 min from the October opening (23:00Z) is 03:30Z, which London's walls read as 03:30 GMT.
        Assert.Equal(Utc(10, 25, 3, 30), sundayNights.After(Utc(10, 24, 23), Duration.FromMinutes(270)));
    }

    [Fact]
    public void In_shanghai_which_has_no_daylight_saving_a_calendar_week_has_five_equal_days()
    {
        // Monday 30 Nov 08:30 +08:00 (00:30Z) to the next Monday's 08:30: five days of 9 h.
        Assert.Equal(Duration.FromHours(45), Weekdays(Shanghai).Between(Utc(11, 30, 0, 30), Utc(12, 7, 0, 30)));
    }

    [Fact]
    public void A_policy_gives_P4_business_hours_with_defaults_for_what_it_leaves_out()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(PolicyDocuments.Documented)!.AsObject();
        json["priorities"]!["P4"]!["businessHours"] = new System.Text.Json.Nodes.JsonObject { ["holidays"] = new System.Text.Json.Nodes.JsonArray("2026-10-01") };

        var policy = PolicyParser.Parse(json.ToJsonString());

        // The README's defaults: Monday to Friday, 08:30 to 17:30, in the policy's zone; P1-P3 have none.
        Assert.Equal(Weekdays(Shanghai, new LocalDate(2026, 10, 1)), policy.TargetsFor(Priority.P4, Zone.Rural).Calendar);
        Assert.All([Priority.P1, Priority.P2, Priority.P3], p => Assert.Null(policy.TargetsFor(p, Zone.Urban).Calendar));
    }

    /// <summary>The default policy with P4 run in Shanghai's business hours and its dispatch target set to <paramref name="dispatch"/>.</summary>
    private static World WorldWithP4Hours(Duration dispatch, Instant now)
    {
        var policy = ResponsePolicy.Default;
        var p4 = policy.Priorities[Priority.P4] with { Dispatch = dispatch };
        var world = new World(policy with
        {
            Priorities = new Dictionary<Priority, PriorityTargets>(policy.Priorities) { [Priority.P4] = p4 with { BusinessHours = Weekdays(Shanghai) } },
        });
        world.Clock.Reset(now);
        return world;
    }

    /// <summary>
    /// Reported Friday 27 Nov 17:00 +08:00 with a 2 h dispatch target: due Monday 10:00 (see above). The warnings at 50 % and
    /// 75 % (1 h and 1 h 30 min of business time) come Monday at 09:00 and 09:30 +08:00. The index holds one entry, for the
    /// first warning (01:00Z; the arrival clock's 24 h and the resolution's 7 days warn later), so the sweeps of the
    /// weekend read nothing and send nothing.
    /// </summary>
    [Fact]
    public async Task A_P4_reported_friday_at_17_00_is_due_monday_at_10_00_and_the_weekend_costs_the_sweep_nothing()
    {
        var world = WorldWithP4Hours(Duration.FromHours(2), Utc(11, 27, 9));
        var id = await world.ReportAsync(Priority.P4);
        var clock = world.Get(id).Clocks.Dispatch;

        Assert.Equal((Utc(11, 30, 2), Utc(11, 27, 11)), (clock.Deadline, clock.RawDeadline));
        Assert.Equal([Utc(11, 30, 1)], world.Index.Of(id).Select(e => e.At));
        foreach (var weekend in new[] { Utc(11, 27, 9, 30), Utc(11, 28, 4), Utc(11, 29, 12), Utc(11, 30, 0, 59) })
        {
            world.Clock.Reset(weekend);
            var finds = world.Store.Finds;
            var swept = await world.Sweeper.SweepAsync(default);
            Assert.Equal((0, 0), (swept.Entries, world.Store.Finds - finds));
        }

        Assert.Empty(world.Publisher.Sent);
        world.Clock.Reset(Utc(11, 30, 1));
        await world.Sweeper.SweepAsync(default);
        world.Clock.Reset(Utc(11, 30, 1, 30));
        await world.Sweeper.SweepAsync(default);
        world.Clock.Reset(Utc(11, 30, 2));
        await world.Sweeper.SweepAsync(default);
        Assert.Equal(
            [(NoticeKind.Warning, 1, Utc(11, 30, 1)), (NoticeKind.Warning, 2, Utc(11, 30, 1, 30)), (NoticeKind.Escalation, 1, Utc(11, 30, 2))],
            world.Publisher.Sent.Select(n => (n.Kind, n.Level, n.DueAt)));
    }

    /// <summary>
    /// The ladder climbs in business time too: reported Friday 15:00 +08:00 (07:00Z) with 2 h 29 min, due Friday 17:29
    /// (09:29Z). Level 1 at the deadline; level 2 two business minutes later: 1 min on Friday and 1 on Monday, 08:31
    /// (00:31Z); level 3 ten business minutes after the deadline: Monday 08:39 (00:39Z). Nothing climbs over the weekend.
    /// </summary>
    [Fact]
    public async Task The_ladder_does_not_climb_out_of_hours()
    {
        var world = WorldWithP4Hours(Duration.FromMinutes(149), Utc(11, 27, 7));
        var id = await world.ReportAsync(Priority.P4);

        world.Clock.Reset(Utc(11, 27, 9, 29));
        await world.Sweeper.SweepAsync(default);
        var afterBreach = world.Index.Of(id).Select(e => e.At).ToList();
        world.Clock.Reset(Utc(11, 29, 12));
        var weekend = await world.Sweeper.SweepAsync(default);
        foreach (var at in new[] { Utc(11, 30, 0, 31), Utc(11, 30, 0, 39) })
        {
            world.Clock.Reset(at);
            await world.Sweeper.SweepAsync(default);
        }

        Assert.Equal([Utc(11, 30, 0, 31)], afterBreach);
        Assert.Equal(0, weekend.Entries);
        Assert.Equal([(1, Utc(11, 27, 9, 29)), (2, Utc(11, 30, 0, 31)), (3, Utc(11, 30, 0, 39))],
            world.Publisher.Sent.Where(n => n.Kind == NoticeKind.Escalation && n.Clock == ClockKind.Dispatch).Select(n => (n.Level, n.DueAt)));
    }

    /// <summary>
    /// A pause across closing time: reported Monday 30 Nov 16:00 +08:00 (08:00Z), 2 h to dispatch: 1 h 30 min on Monday and
    /// 30 min on Tuesday, due Tuesday 09:00 (01:00Z). Paused 17:20 to 17:50 (30 min on the wall) of which 10 min are in
    /// hours: the deadline moves 10 business minutes, to Tuesday 09:10 (01:10Z). Dispatched Tuesday 09:05 (01:05Z): met.
    /// The report's adjusted figure counts business time only, minus the pause: 1 h 30 min + 35 min − 10 min = 1 h 55 min;
    /// the raw figure is the wall time, 17 h 05 min, judged by the raw deadline (16:00 + 2 h = Monday 18:00): breached.
    /// </summary>
    [Fact]
    public async Task A_pause_inside_a_calendar_moves_the_deadline_by_its_business_time_and_the_report_shows_raw_and_adjusted()
    {
        var world = WorldWithP4Hours(Duration.FromHours(2), Utc(11, 30, 8));
        var id = await world.ReportAsync(Priority.P4);
        Assert.Equal(Utc(12, 1, 1), world.Get(id).Clocks.Dispatch.Deadline);

        world.Clock.Reset(Utc(11, 30, 9, 20));
        await world.Incidents.PauseAsync(world.Call(World.DutyOfficer), id, ClockKind.Dispatch, PauseRules.Default.Find("road-closed")!);
        // While paused, at 17:25 its deadline stands 5 business minutes on (Tuesday 09:05), and at 17:30 ten.
        var paused = world.Get(id).Clocks.Dispatch;
        Assert.Equal((Utc(12, 1, 1, 5), Utc(12, 1, 1, 10)), (paused.DeadlineAt(Utc(11, 30, 9, 25)), paused.DeadlineAt(Utc(11, 30, 9, 30))));
        world.Clock.Reset(Utc(11, 30, 9, 50));
        var resumed = (await world.Incidents.ResumeAsync(world.Call(World.DutyOfficer), id, ClockKind.Dispatch)).Incident.Clocks.Dispatch;
        Assert.Equal(Utc(12, 1, 1, 10), resumed.Deadline);
        Assert.Equal(Duration.FromMinutes(30), resumed.PausedTimeAt(Utc(12, 1, 1)));

        world.Clock.Reset(Utc(12, 1, 1, 5));
        await world.DispatchAsync(id);
        var sample = ClockSample.Of(world.Get(id), ClockKind.Dispatch, Utc(12, 1, 2));

        Assert.Equal((true, false, Duration.FromMinutes(115)), (sample.Met, sample.Breached, sample.Elapsed));
        Assert.Equal((false, true, Duration.FromMinutes(17 * 60 + 5)), (sample.RawMet, sample.RawBreached, sample.RawElapsed));
    }

    [Fact]
    public void Without_business_hours_a_clock_runs_round_the_clock_as_before()
    {
        var clock = ResponseClock.Start(ClockKind.Dispatch, Utc(11, 27, 9), Duration.FromHours(2));

        // Friday 17:00 +08:00 plus 2 h of wall time: Friday 19:00 +08:00 = 11:00Z.
        Assert.Null(ResponsePolicy.Default.TargetsFor(Priority.P4, Zone.Urban).Calendar);
        Assert.Equal(Utc(11, 27, 11), clock.Deadline);
    }
}
