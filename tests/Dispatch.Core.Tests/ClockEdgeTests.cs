using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>Clocks on their edges: the very second of a deadline, a handoff at that second, two ladders at once.</summary>
public sealed class ClockEdgeTests
{
    private static readonly Duration DispatchTarget = Duration.FromMinutes(1);
    private static readonly Duration ArrivalTarget = Duration.FromMinutes(5);

    private readonly World world = new();

    [Fact]
    public async Task Dispatched_on_the_second_of_the_deadline_is_met_and_a_second_later_is_breached_by_one_second()
    {
        var onTime = await world.ReportAsync();
        var late = await world.ReportAsync();
        world.Clock.Advance(DispatchTarget);
        await world.DispatchAsync(onTime);
        world.Clock.Advance(Duration.FromSeconds(1));
        await world.DispatchAsync(late, World.OtherOfficer, "patrol-5");

        var met = world.Get(onTime).OutcomeOf(ClockKind.Dispatch)!;
        var breached = world.Get(late).OutcomeOf(ClockKind.Dispatch)!;

        Assert.Equal((ClockResult.Met, Duration.Zero, DispatchTarget), (met.Result, met.OverdueBy, met.Elapsed));
        Assert.Equal((ClockResult.Breached, Duration.FromSeconds(1)), (breached.Result, breached.OverdueBy));
        Assert.Equal(ClockState.Met, world.Get(onTime).Clocks.Dispatch.StateAt(world.Clock.GetCurrentInstant()));
        Assert.Equal(ClockState.Breached, world.Get(late).Clocks.Dispatch.StateAt(world.Clock.GetCurrentInstant()));
    }

    [Fact]
    public async Task Cancelled_on_the_second_of_the_deadline_is_breached_and_a_second_before_is_stopped()
    {
        var early = await world.ReportAsync();
        var atDeadline = await world.ReportAsync();
        world.Clock.Advance(DispatchTarget - Duration.FromSeconds(1));
        await world.Incidents.CancelAsync(world.Call(World.Dispatcher), early, "duplicate", null, default);
        world.Clock.Advance(Duration.FromSeconds(1));
        await world.Incidents.CancelAsync(world.Call(World.Dispatcher), atDeadline, "duplicate", null, default);

        var stopped = world.Get(early).OutcomeOf(ClockKind.Dispatch)!;
        var breached = world.Get(atDeadline).OutcomeOf(ClockKind.Dispatch)!;

        Assert.Equal((ClockResult.Stopped, Duration.Zero), (stopped.Result, stopped.OverdueBy));
        Assert.Equal((ClockResult.Breached, Duration.Zero), (breached.Result, breached.OverdueBy));
        Assert.Equal(ClockState.Stopped, world.Get(early).Clocks.Dispatch.StateAt(world.Clock.GetCurrentInstant()));
        Assert.Equal(ClockState.Breached, world.Get(atDeadline).Clocks.Dispatch.StateAt(world.Clock.GetCurrentInstant()));
    }

    [Fact]
    public async Task Cancelling_keeps_a_clock_already_met_as_it_was()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await world.DispatchAsync(id);
        world.Clock.Advance(Duration.FromMinutes(1));

        await world.Incidents.CancelAsync(world.Call(World.Dispatcher), id, "false alarm", null, default);

        var dispatch = world.Get(id).Clocks.Dispatch;
        Assert.Equal((World.T0 + Duration.FromSeconds(20), (Instant?)null, ClockResult.Met), (dispatch.MetAt!.Value, dispatch.StoppedAt, dispatch.Outcome!.Result));
        Assert.Equal(World.T0 + Duration.FromSeconds(20), dispatch.EndedAt);
        var arrival = world.Get(id).Clocks.Arrival;
        Assert.Equal(World.T0 + Duration.FromSeconds(80), arrival.EndedAt);
    }

    [Fact]
    public async Task A_unit_that_hands_off_on_the_second_of_the_deadline_still_answers_for_it()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await world.DispatchAsync(id);
        world.Clock.Advance(ArrivalTarget - Duration.FromSeconds(20));
        await world.Incidents.ReassignAsync(world.Call(World.Dispatcher), id, "patrol-5", "zhao.min", null, null, default);
        world.Clock.Advance(Duration.FromMinutes(2));
        await world.Incidents.ArriveAsync(world.Call(World.OtherOfficer), id, null, default);

        var arrival = world.Get(id).OutcomeOf(ClockKind.Arrival)!;

        Assert.Equal(ClockResult.Breached, arrival.Result);
        Assert.Equal(new Holder(HolderKind.Unit, World.Officer, "patrol-7"), arrival.Accountable);
        Assert.Equal(
            [("li.ming", Duration.FromSeconds(20)), ("wang.lei", ArrivalTarget - Duration.FromSeconds(20)), ("zhao.min", Duration.FromMinutes(2))],
            arrival.Periods.Select(p => (p.Holder.Person.Subject, p.Duration)));
    }

    [Fact]
    public async Task A_unit_dispatched_in_the_second_of_the_report_holds_arrival_alone()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);
        world.Clock.Advance(Duration.FromMinutes(4));
        await world.Incidents.ArriveAsync(world.Call(World.Officer), id, null, default);

        var arrival = world.Get(id).OutcomeOf(ClockKind.Arrival)!;

        var period = Assert.Single(arrival.Periods);
        Assert.Equal((HolderKind.Unit, World.T0, World.T0 + Duration.FromMinutes(4)), (period.Holder.Kind, period.From, period.To));
    }

    [Fact]
    public async Task With_two_ladders_climbing_each_clock_is_judged_on_its_own()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(ArrivalTarget);
        await world.Sweeper.SweepAsync(default);
        Assert.Equal((2, 1), (world.Get(id).Clocks.Dispatch.Level, world.Get(id).Clocks.Arrival.Level));

        // The duty officer may stop the arrival ladder (level 1, his rung) but not the dispatch ladder (level 2, the chief's).
        await world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, null, null, default);
        var afterDuty = world.Get(id).Clocks;
        var dutyDetails = Assert.IsType<EventDetails.Acknowledged>(world.Store.Events(id)[^1].Details);
        await world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, 2, null, default);

        Assert.Equal((World.DutyOfficer, (Person?)null), (afterDuty.Arrival.AcknowledgedBy, afterDuty.Dispatch.AcknowledgedBy));
        Assert.Equal((1, ClockKind.Arrival), (dutyDetails.Level, Assert.Single(dutyDetails.Clocks)));
        var details = Assert.IsType<EventDetails.Acknowledged>(world.Store.Events(id)[^1].Details);
        Assert.Equal((2, ClockKind.Dispatch), (details.Level, Assert.Single(details.Clocks)));
        Assert.Equal(World.Chief, world.Get(id).Clocks.Dispatch.AcknowledgedBy);
    }

    [Fact]
    public async Task Naming_a_level_below_the_one_reached_is_stale_and_says_where_the_ladder_stands()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(ArrivalTarget);
        await world.Sweeper.SweepAsync(default);
        var before = world.Get(id);

        var stale = await Assert.ThrowsAsync<StaleLevelException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, 1, null, default));

        Assert.Equal(2, stale.CurrentLevel);
        Assert.Equal($"Incident {id}'s escalation has climbed to level 2 since you saw level 1: look again before acknowledging.", stale.Message);
        Assert.Equal(before, world.Get(id));
    }

    [Fact]
    public async Task A_running_clock_is_breached_and_overdue_from_the_second_of_its_deadline()
    {
        var id = await world.ReportAsync();
        var incident = world.Get(id);

        var before = ClockSample.Of(incident, ClockKind.Dispatch, World.T0 + DispatchTarget - Duration.FromSeconds(1));
        var at = ClockSample.Of(incident, ClockKind.Dispatch, World.T0 + DispatchTarget);

        Assert.Equal((true, false, false), (before.Running, before.Breached, before.OverdueNow));
        Assert.Equal((true, true, true), (at.Running, at.Breached, at.OverdueNow));
    }

    [Fact]
    public async Task A_clock_met_late_is_breached_but_not_overdue_now()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(2));
        await world.DispatchAsync(id);

        var sample = ClockSample.Of(world.Get(id), ClockKind.Dispatch, world.Clock.GetCurrentInstant() + Duration.FromHours(1));

        Assert.Equal((false, true, false, false), (sample.Running, sample.Breached, sample.OverdueNow, sample.Met));
        Assert.Equal(Duration.FromMinutes(2), sample.Elapsed);
    }

    [Fact]
    public async Task Each_missing_milestone_is_a_finding_in_words_and_a_complete_record_has_none()
    {
        var id = await world.ReportAsync();
        var reported = world.Get(id);
        var at = World.T0 + Duration.FromMinutes(10);
        Incident With(Lifecycle lifecycle) => reported with { Lifecycle = lifecycle };
        var milestones = reported.Lifecycle;

        Assert.Empty(Finding.In(reported));
        Assert.Empty(Finding.In(With(milestones with { DispatchedAt = at, OnSceneAt = at, ResolvedAt = at, ClosedAt = at })));
        Assert.Equal(["on scene with no dispatch recorded"], Finding.In(With(milestones with { OnSceneAt = at })).Select(f => f.Problem));
        Assert.Equal(["resolved with no arrival recorded"], Finding.In(With(milestones with { DispatchedAt = at, ResolvedAt = at })).Select(f => f.Problem));
        Assert.Equal(["closed with no resolution recorded"], Finding.In(With(milestones with { DispatchedAt = at, OnSceneAt = at, ClosedAt = at })).Select(f => f.Problem));
    }
}
