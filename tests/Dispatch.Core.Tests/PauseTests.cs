using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// Pausing a clock for what no officer controls (issue 28), through the use case on a FakeClock. The default policy's
/// P1 urban targets: dispatch 1 min, arrival 5 min, resolution 2 h; warnings at 50 % and 75 %; the ladder's level 1 at the
/// deadline, level 2 two minutes later, level 3 ten minutes later (README, "Response policy"). Every expected instant
/// below is that arithmetic done by hand, written beside it.
/// </summary>
public sealed class PauseTests
{
    private static readonly PauseReason Unreachable = PauseRules.Default.Find("reporter-unreachable")!;
    private static readonly PauseReason RoadClosed = PauseRules.Default.Find("road-closed")!;

    private readonly World world = new();

    private static Instant At(int minutes, int seconds = 0) => World.T0 + Duration.FromMinutes(minutes) + Duration.FromSeconds(seconds);

    private Task<StoredIncident> Pause(IncidentId id, ClockKind clock = ClockKind.Dispatch, PauseReason? reason = null, Person? by = null) =>
        world.Incidents.PauseAsync(world.Call(by ?? World.DutyOfficer), id, clock, reason ?? Unreachable);

    private Task<StoredIncident> Resume(IncidentId id, ClockKind clock = ClockKind.Dispatch, Person? by = null) =>
        world.Incidents.ResumeAsync(world.Call(by ?? World.DutyOfficer), id, clock);

    private List<Notice> SweepAt(IncidentId id, Instant at, out Incident swept)
    {
        var transition = world.Get(id).Sweep(at);
        swept = transition.Incident;
        return [.. transition.Notices];
    }

    [Fact]
    public void The_standard_reasons_are_the_four_of_the_issue_each_with_thirty_minutes()
    {
        Assert.Equal(
            [("reporter-unreachable", 30), ("road-closed", 30), ("scene-unsafe", 30), ("awaiting-specialist", 30)],
            PauseRules.Default.Reasons.Select(r => (r.Name, (int)r.MaxPause.TotalMinutes)));
    }

    [Fact]
    public async Task A_pause_moves_the_deadline_by_exactly_the_paused_time_and_the_warnings_and_ladder_with_it()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await Pause(id);
        world.Clock.Advance(Duration.FromMinutes(7) + Duration.FromSeconds(13));
        var resumed = (await Resume(id)).Incident.Clocks.Dispatch;

        // Paused 7 min 13 s = 433 s: the deadline T0 + 60 s moves to T0 + 493 s = T0 + 8:13.
        Assert.Equal(At(8, 13), resumed.Deadline);
        Assert.Equal(At(1), resumed.RawDeadline);
        Assert.Equal(Duration.FromSeconds(433), resumed.PausedTimeAt(At(9)));
        // The 50 % warning, due T0 + 30 s unpaused, comes at T0 + 30 s + 433 s = T0 + 7:43; not a second before.
        Assert.DoesNotContain(SweepAt(id, At(7, 42), out _), n => n.Clock == ClockKind.Dispatch);
        var warning = Assert.Single(SweepAt(id, At(7, 43), out _), n => n.Clock == ClockKind.Dispatch);
        Assert.Equal((NoticeKind.Warning, 1), (warning.Kind, warning.Level));
        // The breach at T0 + 8:13, not at 8:12; level 2 two minutes later, at T0 + 10:13.
        var before = SweepAt(id, At(8, 12), out var notYet);
        Assert.Equal(0, notYet.Clocks.Dispatch.Level);
        Assert.DoesNotContain(before, n => n.Clock == ClockKind.Dispatch && n.Kind == NoticeKind.Escalation);
        var breach = Assert.Single(SweepAt(id, At(8, 13), out _), n => n.Clock == ClockKind.Dispatch && n.Kind == NoticeKind.Escalation);
        Assert.Equal((1, At(8, 13)), (breach.Level, breach.BreachedAt));
        Assert.DoesNotContain(SweepAt(id, At(10, 12), out _), n => n.Clock == ClockKind.Dispatch && n.Level == 2);
        Assert.Contains(SweepAt(id, At(10, 13), out _), n => n.Clock == ClockKind.Dispatch && n.Kind == NoticeKind.Escalation && n.Level == 2);
    }

    [Fact]
    public async Task While_paused_no_warning_or_rung_comes_for_that_clock_and_the_others_go_on()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await Pause(id);

        // At T0 + 20 min the dispatch clock is 19 min 40 s into its pause (max 30): nothing for it; the arrival clock
        // (deadline T0 + 5 min, not paused) has warned twice and climbed to level 3 (T0 + 5 + 10 min).
        var notices = SweepAt(id, At(20), out var swept);

        Assert.DoesNotContain(notices, n => n.Clock == ClockKind.Dispatch);
        Assert.Equal((0, 0), (swept.Clocks.Dispatch.WarningsSent, swept.Clocks.Dispatch.Level));
        Assert.Equal(3, swept.Clocks.Arrival.Level);
        Assert.Equal(ClockState.Running, swept.Clocks.Dispatch.StateAt(At(20)));
        // The paused clock's next work is its resumption at the maximum: T0 + 20 s + 30 min.
        Assert.Equal(At(30, 20), swept.Clocks.Dispatch.NextDueAt(swept.Plan));
    }

    [Fact]
    public async Task The_sweep_resumes_a_pause_at_its_maximum_to_the_second_however_late_it_comes()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await Pause(id);

        // The sweep comes at T0 + 40 min, ten minutes after the maximum (T0 + 20 s + 30 min = T0 + 30:20).
        var transition = world.Get(id).Sweep(At(40));
        var dispatch = transition.Incident.Clocks.Dispatch;

        var pause = Assert.Single(dispatch.Pauses.Items);
        Assert.Equal((At(30, 20), Person.Sweep), (pause.ResumedAt, pause.ResumedBy));
        Assert.False(dispatch.IsPaused);
        // Paused exactly 30 min: deadline T0 + 1 min + 30 min = T0 + 31 min; level 2 at T0 + 33 min; level 3 (T0 + 41) not yet.
        Assert.Equal(At(31), dispatch.Deadline);
        Assert.Equal(2, dispatch.Level);
        Assert.Equal(At(31), dispatch.Breach!.At);
        var resumedEvent = Assert.IsType<EventDetails.Resumed>(transition.Events[0].Details);
        Assert.Equal(new EventDetails.Resumed(ClockKind.Dispatch, "reporter-unreachable", At(30, 20), Duration.FromMinutes(30), At(31), Automatic: true), resumedEvent);
        Assert.Equal((At(40), Person.Sweep), (transition.Events[0].At, transition.Events[0].Actor));
    }

    [Fact]
    public async Task A_pause_whose_maximum_comes_before_the_indexed_work_is_indexed_and_resumed_by_the_sweeper_at_that_second()
    {
        var policy = ResponsePolicy.Default with
        {
            Pauses = new PauseRules([.. PauseRules.Default.Reasons, new PauseReason("flooded-road", Duration.FromMinutes(2))], Duration.FromMinutes(20)),
        };
        var world = new World(policy);
        var id = await world.ReportAsync(Priority.P3); // dispatch 15 min: the index holds its 50 % warning, T0 + 7:30.
        world.Clock.Advance(Duration.FromMinutes(1));
        await world.Incidents.PauseAsync(world.Call(World.Chief), id, ClockKind.Dispatch, policy.PauseRules.Find("flooded-road")!);

        world.Clock.Advance(Duration.FromMinutes(2)); // T0 + 3 min: the pause's maximum, well before T0 + 7:30.
        await world.Sweeper.SweepAsync(default);

        var dispatch = world.Get(id).Clocks.Dispatch;
        Assert.False(dispatch.IsPaused);
        Assert.Equal(At(3), dispatch.Pauses.Items[0].ResumedAt);
        // Deadline T0 + 15 min + 2 min.
        Assert.Equal(At(17), dispatch.Deadline);
    }

    [Fact]
    public async Task Resuming_early_indexes_the_earlier_work_so_the_sweeper_warns_at_the_moved_warning_point()
    {
        var id = await world.ReportAsync(); // dispatch 1 min: the index holds its 50 % warning, T0 + 30 s
        world.Clock.Advance(Duration.FromSeconds(10));
        await Pause(id);
        world.Clock.Advance(Duration.FromSeconds(20));
        await world.Sweeper.SweepAsync(default); // T0 + 30 s: nothing due while paused; the entry moves to the maximum, T0 + 30:10
        world.Clock.Advance(Duration.FromSeconds(10));
        await Resume(id); // T0 + 40 s: paused 30 s

        // The 50 % warning moves from T0 + 30 s to T0 + 60 s, long before the entry at T0 + 30:10.
        world.Clock.Advance(Duration.FromSeconds(20));
        await world.Sweeper.SweepAsync(default);

        Assert.Equal(1, world.Get(id).Clocks.Dispatch.WarningsSent);
        var warning = Assert.Single(world.Publisher.Sent, n => n.Clock == ClockKind.Dispatch);
        Assert.Equal((NoticeKind.Warning, At(1)), (warning.Kind, warning.DueAt));
    }

    [Fact]
    public async Task A_pause_and_a_resume_are_in_the_timeline_with_who_and_why_and_in_the_audit_without_the_note()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(10));
        await world.Incidents.PauseAsync(world.Call(World.Chief), id, ClockKind.Dispatch, Unreachable, "line busy, calling back");
        world.Clock.Advance(Duration.FromSeconds(50));
        await world.Incidents.ResumeAsync(world.Call(World.Chief), id, ClockKind.Dispatch);

        var timeline = await world.Incidents.TimelineAsync(world.Call(World.Chief), id, default);

        Assert.Equal(
            [
                (EventKind.Paused, At(0, 10), "zhang.wei", (EventDetails)new EventDetails.Paused(ClockKind.Dispatch, "reporter-unreachable", At(30, 10), "line busy, calling back")),
                // Paused 50 s: the deadline T0 + 60 s moves to T0 + 110 s.
                (EventKind.Resumed, At(1), "zhang.wei", new EventDetails.Resumed(ClockKind.Dispatch, "reporter-unreachable", At(1), Duration.FromSeconds(50), At(1, 50), Automatic: false)),
            ],
            timeline.Skip(1).Select(e => (e.Kind, e.At, e.Actor.Subject, e.Details)));
        Assert.Equal(["pause dispatch reason=reporter-unreachable", "resume dispatch"], world.Store.CommittedAudit.Skip(1).Select(a => a.Change));
        Assert.Equal((World.Chief, (string?)null), (world.Get(id).Clocks.Dispatch.Pauses.Items[0].By, world.Get(id).Clocks.Dispatch.Pauses.Items[0].Unit));
    }

    [Fact]
    public async Task The_unit_holding_the_incident_is_recorded_with_the_pause()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);
        await Pause(id, ClockKind.Arrival, RoadClosed);

        var pause = world.Get(id).Clocks.Arrival.Pause!;
        Assert.Equal(("road-closed", "patrol-7", World.DutyOfficer), (pause.Reason, pause.Unit, pause.By));
    }

    [Fact]
    public async Task A_clock_cannot_be_paused_after_its_deadline_even_before_the_sweep_has_seen_it()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1)); // exactly the dispatch deadline

        var refused = await Assert.ThrowsAsync<InvalidTransitionException>(() => Pause(id));

        Assert.Contains("deadline passed", refused.Message);
        Assert.False(world.Get(id).Clocks.Dispatch.IsPaused);
    }

    [Fact]
    public async Task A_clock_cannot_be_paused_twice_at_once_nor_resumed_when_not_paused()
    {
        var id = await world.ReportAsync();
        await Pause(id);

        var twice = await Assert.ThrowsAsync<InvalidTransitionException>(() => Pause(id, reason: RoadClosed));
        var notPaused = await Assert.ThrowsAsync<InvalidTransitionException>(() => Resume(id, ClockKind.Arrival));

        Assert.Contains("already paused (reporter-unreachable)", twice.Message);
        Assert.Contains("is not paused", notPaused.Message);
        Assert.Single(world.Get(id).Clocks.Dispatch.Pauses.Items);
    }

    [Fact]
    public async Task A_clock_whose_phase_has_ended_cannot_be_paused_and_a_closed_incident_none()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);

        var ended = await Assert.ThrowsAsync<InvalidTransitionException>(() => Pause(id, ClockKind.Dispatch));
        await world.Incidents.CancelAsync(world.Call(World.Dispatcher), id, "duplicate", null, default);
        var cancelled = await Assert.ThrowsAsync<InvalidTransitionException>(() => Pause(id, ClockKind.Resolution));

        Assert.Contains("phase ended", ended.Message);
        Assert.Contains("cancelled", cancelled.Message);
    }

    [Theory]
    [InlineData("li.ming")] // the dispatcher whose dispatch clock it is
    [InlineData("wang.lei")] // the officer whose arrival clock it is
    public async Task Only_duty_officers_the_chief_and_the_command_center_may_pause(string subject)
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);
        var person = subject == "li.ming" ? World.Dispatcher : World.Officer;

        var refused = await Assert.ThrowsAsync<ForbiddenException>(() => Pause(id, ClockKind.Arrival, by: person));

        Assert.Equal("Only its duty officers and chief, or the command center may pause a clock of this incident.", refused.Message);
        await world.Incidents.PauseAsync(world.AsCommandCenter(), id, ClockKind.Arrival, RoadClosed);
        var resumeRefused = await Assert.ThrowsAsync<ForbiddenException>(() => Resume(id, ClockKind.Arrival, by: person));
        Assert.Contains("resume a clock of", resumeRefused.Message);
    }

    [Fact]
    public async Task The_chief_of_another_station_is_refused_and_one_who_cannot_read_it_is_told_it_does_not_exist()
    {
        var id = await world.ReportAsync();
        // Dispatcher here, chief at Yanta: he reads Beilin's incidents, but his chief's role is Yanta's.
        world.Roster.Add(new Membership(World.Yanta, World.Dispatcher, StationRole.Chief, null));

        await Assert.ThrowsAsync<ForbiddenException>(() => Pause(id, by: World.Dispatcher));
        await Assert.ThrowsAsync<IncidentNotFoundException>(() => Pause(id, by: World.YantaChief));
        Assert.Empty(world.Get(id).Clocks.Dispatch.Pauses.Items);
    }

    [Fact]
    public async Task Pausing_never_withdraws_an_escalation_or_a_warning_already_recorded()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));
        await world.Sweeper.SweepAsync(default); // dispatch breached (level 1); arrival warned once (T0 + 2:30 not yet)... at 1 min none
        world.Clock.Advance(Duration.FromMinutes(2)); // T0 + 3 min: arrival's 50 % warning (T0 + 2:30) is sent
        await world.Sweeper.SweepAsync(default);
        var before = world.Get(id);

        await Pause(id, ClockKind.Arrival, RoadClosed);
        var paused = world.Get(id);

        Assert.Equal(before.Clocks.Dispatch.Level, paused.Clocks.Dispatch.Level);
        Assert.True(paused.Clocks.Dispatch.Level >= 1);
        Assert.Equal(1, paused.Clocks.Arrival.WarningsSent);
        Assert.Equal(before.ReachedLevel, paused.ReachedLevel);
        Assert.Contains(IncidentAction.Acknowledge, AccessPolicy.ActionsOn(world.Call(World.Chief).Caller, paused.Access));
        // The escalated clock itself is past its deadline: it cannot be paused.
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Pause(id, ClockKind.Dispatch));
    }

    [Fact]
    public async Task A_phase_that_ends_while_paused_ends_its_pause_then_and_is_judged_on_the_moved_deadline()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(30));
        await Pause(id);
        world.Clock.Advance(Duration.FromMinutes(5)); // T0 + 5:30: raw time 5:30, five minutes of it paused
        await world.DispatchAsync(id);

        var dispatch = world.Get(id).Clocks.Dispatch;
        Assert.Equal((At(5, 30), (Person?)null), (dispatch.Pauses.Items[0].ResumedAt, dispatch.Pauses.Items[0].ResumedBy));
        // Deadline T0 + 1 min + 5 min = T0 + 6 min: met at 5:30, after 30 s that counted.
        Assert.Equal(ClockResult.Met, dispatch.Outcome!.Result);
        Assert.Equal(Duration.FromSeconds(30), dispatch.Outcome.Elapsed);
        Assert.Equal(Duration.FromMinutes(5) + Duration.FromSeconds(30), dispatch.RawTimeAt(dispatch.MetAt!.Value));
    }

    [Fact]
    public async Task Pause_and_resume_are_listed_to_those_who_may_and_when_the_state_allows()
    {
        var id = await world.ReportAsync();
        var chief = world.Call(World.Chief).Caller;
        var dispatcher = world.Call(World.Dispatcher).Caller;

        var open = world.Get(id).Access;
        Assert.Contains(IncidentAction.Pause, AccessPolicy.ActionsOn(chief, open));
        Assert.DoesNotContain(IncidentAction.Resume, AccessPolicy.ActionsOn(chief, open));
        Assert.DoesNotContain(IncidentAction.Pause, AccessPolicy.ActionsOn(dispatcher, open));

        await Pause(id);
        Assert.Contains(IncidentAction.Resume, AccessPolicy.ActionsOn(chief, world.Get(id).Access));
    }

    /// <summary>
    /// The station's own zone (Asia/Shanghai) has had no daylight saving since 1991, so a DST day needs a zone that has
    /// one: Europe/London springs forward on 29 March 2026 at 01:00 GMT, its wall clocks jumping from 01:00 to 02:00.
    /// A pause is measured in elapsed time, not in wall-clock readings: paused from 00:55 to 02:10 on the wall (1 h 15 min
    /// apart) is 15 minutes paused, and the deadline moves by 15 minutes.
    /// </summary>
    [Fact]
    public async Task On_a_spring_forward_day_a_pause_moves_the_deadline_by_the_time_that_passed_not_by_the_wall_clock()
    {
        var london = DateTimeZoneProviders.Tzdb["Europe/London"];
        var policy = ResponsePolicy.Default with { TimeZone = london };
        var world = new World(policy);
        LocalDateTime Wall(int hour, int minute) => new(2026, 3, 29, hour, minute);
        var reportedAt = Wall(0, 50).InZoneStrictly(london).ToInstant();
        world.Clock.Reset(reportedAt);
        var id = await world.ReportAsync(Priority.P3); // dispatch target 15 min: due at 01:05 GMT unpaused

        world.Clock.Reset(Wall(0, 55).InZoneStrictly(london).ToInstant());
        await world.Incidents.PauseAsync(world.Call(World.DutyOfficer), id, ClockKind.Dispatch, RoadClosed);
        world.Clock.Reset(Wall(2, 10).InZoneStrictly(london).ToInstant()); // 02:10 BST = 01:10 UTC
        var dispatch = (await world.Incidents.ResumeAsync(world.Call(World.DutyOfficer), id, ClockKind.Dispatch)).Incident.Clocks.Dispatch;

        Assert.Equal(Duration.FromMinutes(15), dispatch.PausedTimeAt(world.Clock.GetCurrentInstant()));
        // 00:50 GMT + 15 min target + 15 min paused = 01:20 UTC, which London's walls show as 02:20 BST.
        Assert.Equal(Instant.FromUtc(2026, 3, 29, 1, 20), dispatch.Deadline);
        Assert.Equal((Wall(2, 20), Offset.FromHours(1)), (dispatch.Deadline.InZone(london).LocalDateTime, london.GetUtcOffset(dispatch.Deadline)));
    }

    /// <summary>
    /// What a paused clock costs the sweep (issue 28): nothing but its own entry. Ten P1 incidents, five with all three
    /// clocks paused 10 s after the report. The first sweep (T0 + 30 s) reads all ten, because every entry was written
    /// at intake for T0 + 30 s; it moves each paused incident's entry to its resumption (T0 + 30:10). From then on a
    /// sweep reads only the five running ones: one read each, no more.
    /// </summary>
    [Fact]
    public async Task Paused_incidents_cost_a_sweep_nothing_until_their_own_entry_comes_due()
    {
        var ids = new List<IncidentId>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await world.ReportAsync());
        }

        world.Clock.Advance(Duration.FromSeconds(10));
        foreach (var id in ids.Take(5))
        {
            foreach (var clock in Enum.GetValues<ClockKind>())
            {
                await Pause(id, clock, RoadClosed);
            }
        }

        world.Clock.Advance(Duration.FromSeconds(20));
        await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(Duration.FromSeconds(15)); // T0 + 45 s: the running ones' 75 % warning
        var findsBefore = world.Store.Finds;
        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((5, 5), (report.Entries, world.Store.Finds - findsBefore));
        Assert.All(ids.Take(5), id => Assert.Equal([At(30, 10)], world.Index.Of(id).Select(e => e.At)));
    }

    /// <summary>
    /// The chief is told once when a pause passes the policy's limit (default 20 min), and the clock still resumes at its
    /// maximum (30 min). Paused at T0 + 10 s: told at T0 + 20:10, resumed at T0 + 30:10.
    /// </summary>
    [Fact]
    public async Task The_chief_is_told_once_when_a_pause_passes_the_policys_limit_and_the_clock_still_resumes_at_its_maximum()
    {
        var id = await world.ReportAsync(Priority.P3);
        world.Clock.Advance(Duration.FromSeconds(10));
        await world.Incidents.ChangeAsync(world.Call(World.DutyOfficer), id,
            new IncidentRequest.PauseClock(ClockKind.Dispatch, RoadClosed, null) { TellChiefAfter = PauseRules.Default.TellChiefAfter }, null, default);

        var early = world.Get(id).Sweep(At(20, 9));
        var told = world.Get(id).Sweep(At(20, 10));
        var later = told.Incident.Sweep(At(25));
        var resumed = told.Incident.Sweep(At(30, 10));

        // The arrival clock (30 min, not paused) warns meanwhile: only the dispatch clock's notices are looked at.
        Assert.DoesNotContain(early.Notices, n => n.Clock == ClockKind.Dispatch);
        var notice = Assert.Single(told.Notices, n => n.Clock == ClockKind.Dispatch);
        Assert.Equal((NoticeKind.LongPause, Audience.Chief, ClockKind.Dispatch, At(20, 10), 1), (notice.Kind, notice.Audience, notice.Clock, notice.DueAt, notice.Level));
        Assert.Equal($"{id}:dispatch:long-pause:1", notice.MessageId);
        Assert.Equal(new EventDetails.Notified(Audience.Chief, notice.MessageId) { Notice = NoticeKind.LongPause, Clock = ClockKind.Dispatch }, Assert.Single(told.Events, e => e.Details is EventDetails.Notified).Details);
        Assert.True(told.Incident.Clocks.Dispatch.IsPaused);
        Assert.DoesNotContain(later.Notices, n => n.Clock == ClockKind.Dispatch);
        Assert.Equal(At(30, 10), resumed.Incident.Clocks.Dispatch.Pauses.Items[0].ResumedAt);
        Assert.DoesNotContain(resumed.Notices, n => n.Clock == ClockKind.Dispatch);
    }

    [Fact]
    public void A_reason_whose_maximum_comes_before_the_limit_never_tells_the_chief()
    {
        var incident = Incident.Open(IncidentId.New(World.Beilin, World.T0), World.Report(), ResponsePolicy.Default, World.T0, World.Dispatcher).Incident
            .Pause(ClockKind.Resolution, new PauseReason("short-wait", Duration.FromMinutes(10)), null, World.T0, World.Chief, Duration.FromMinutes(20)).Incident;

        Assert.Null(incident.Clocks.Resolution.Pause!.TellChiefAt);
        Assert.DoesNotContain(incident.Sweep(At(15)).Notices, n => n.Kind == NoticeKind.LongPause);
    }
}
