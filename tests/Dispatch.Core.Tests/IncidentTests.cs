using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Core.Tests;

public sealed class IncidentTests
{
    private static readonly Instant Noon = Instant.FromUtc(2026, 11, 26, 12, 0);
    private static readonly Person Desk = new("li.ming", "Li Ming");
    private static readonly Person Wang = new("wang.lei", "Wang Lei");
    private static readonly Person Zhao = new("zhao.min", "Zhao Min");
    private readonly FakeClock clock = new(Noon);

    private static IncidentReport Report(Priority priority = Priority.P1, Zone zone = Zone.Urban) =>
        new(StationId.Parse("beilin-01"), "theft", priority, zone, new Location("1 Bell Tower Square", null, null), "", Channel.Phone, null);

    private Incident Open(Priority priority = Priority.P1, Zone zone = Zone.Urban)
    {
        var report = Report(priority, zone);
        return Incident.Open(IncidentId.New(report.Station, clock.GetCurrentInstant()), report, ResponsePolicy.Default, clock.GetCurrentInstant(), Desk).Incident;
    }

    [Fact]
    public void Opening_stamps_the_clock_and_sets_deadlines_from_the_targets()
    {
        var incident = Open(Priority.P2, Zone.Rural);

        Assert.Equal(Noon, incident.ReportedAt);
        Assert.Equal(Noon + Duration.FromMinutes(3), incident.Clocks.Dispatch.Deadline);
        Assert.Equal(Noon + Duration.FromMinutes(30), incident.Clocks.Arrival.Deadline);
        Assert.Equal(Noon + Duration.FromHours(8), incident.Clocks.Resolution.Deadline);
        Assert.All(incident.Clocks, c => Assert.Equal(ClockState.Running, c.StateAt(Noon)));
    }

    [Fact]
    public void A_clock_met_on_its_deadline_is_met_and_one_second_later_is_breached()
    {
        var onTime = Open().Dispatch("u", Wang, Noon + Duration.FromMinutes(1), Desk).Incident;
        var late = Open().Dispatch("u", Wang, Noon + Duration.FromSeconds(61), Desk).Incident;

        Assert.Equal(ClockState.Met, onTime.Clocks.Dispatch.StateAt(Noon + Duration.FromDays(1)));
        Assert.Equal(ClockState.Breached, late.Clocks.Dispatch.StateAt(Noon + Duration.FromDays(1)));
    }

    [Fact]
    public void An_unmet_clock_breaches_at_its_deadline()
    {
        var incident = Open();

        Assert.Equal(ClockState.Running, incident.Clocks.Dispatch.StateAt(Noon + Duration.FromSeconds(59)));
        Assert.Equal(ClockState.Breached, incident.Clocks.Dispatch.StateAt(Noon + Duration.FromSeconds(60)));
        Assert.True(incident.IsOverdueAt(Noon + Duration.FromSeconds(60)));
        Assert.False(incident.IsOverdueAt(Noon + Duration.FromSeconds(59)));
    }

    [Fact]
    public void Milestones_go_in_order_and_each_meets_its_clock()
    {
        var t = Noon;
        var incident = Open();
        incident = incident.Dispatch("patrol-7", Wang, t += Duration.FromSeconds(30), Desk).Incident;
        incident = incident.Arrive(t += Duration.FromMinutes(3), Wang).Incident;
        var resolved = incident.Resolve("settled", t += Duration.FromMinutes(20), Wang);
        incident = resolved.Incident.Close(t += Duration.FromMinutes(1), Desk).Incident;

        Assert.Equal(IncidentStatus.Closed, incident.Status);
        Assert.Equal(5, incident.Version);
        Assert.Equal(4, Assert.Single(resolved.Events).Sequence);
        Assert.Equal(EventKind.Resolved, resolved.Events[0].Kind);
        Assert.All(incident.Clocks, c => Assert.Equal(ClockState.Met, c.StateAt(t)));
        Assert.Null(incident.NextDeadline);
        Assert.False(incident.IsOpen);
    }

    [Theory]
    [InlineData("arrive")]
    [InlineData("resolve")]
    [InlineData("close")]
    public void Skipping_a_milestone_is_refused(string action)
    {
        var incident = Open();

        var refusal = Assert.Throws<InvalidTransitionException>(() => _ = action switch
        {
            "arrive" => incident.Arrive(Noon, Desk),
            "resolve" => incident.Resolve("done", Noon, Desk),
            _ => incident.Close(Noon, Desk),
        });
        Assert.Contains("reported", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispatching_twice_is_refused()
    {
        var dispatched = Open().Dispatch("u", Wang, Noon, Desk).Incident;
        Assert.Throws<InvalidTransitionException>(() => dispatched.Dispatch("u2", Zhao, Noon, Desk));
    }

    [Fact]
    public void Cancelling_stops_running_clocks_but_keeps_a_breach_that_already_happened()
    {
        var cancelled = Open().Cancel("hoax", Noon + Duration.FromMinutes(2), Desk).Incident;

        Assert.Equal(ClockState.Breached, cancelled.Clocks.Dispatch.StateAt(Noon + Duration.FromDays(9)));
        Assert.Equal(ClockState.Stopped, cancelled.Clocks.Arrival.StateAt(Noon + Duration.FromDays(9)));
        Assert.Equal(ClockState.Stopped, cancelled.Clocks.Resolution.StateAt(Noon + Duration.FromDays(9)));
        Assert.Throws<InvalidTransitionException>(() => cancelled.Cancel("again", Noon, Desk));
    }

    [Fact]
    public void Next_deadline_is_the_earliest_running_clock()
    {
        var incident = Open();
        Assert.Equal(Noon + Duration.FromMinutes(1), incident.NextDeadline);

        var dispatched = incident.Dispatch("u", Wang, Noon, Desk).Incident;
        Assert.Equal(Noon + Duration.FromMinutes(5), dispatched.NextDeadline);
    }

    [Fact]
    public void Meeting_a_clock_freezes_who_held_it_for_how_long_and_who_answers_for_it()
    {
        var incident = Open();
        incident = incident.Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(40), Desk).Incident;
        incident = incident.Arrive(Noon + Duration.FromMinutes(4), Wang).Incident;

        var dispatch = incident.Clocks.Dispatch.Outcome!;
        Assert.Equal((ClockResult.Met, Duration.FromSeconds(40), Duration.Zero, false), (dispatch.Result, dispatch.Elapsed, dispatch.OverdueBy, dispatch.Derived));
        var desk = Assert.Single(dispatch.Periods);
        Assert.Equal((HolderKind.Dispatcher, Desk, Noon, Noon + Duration.FromSeconds(40)), (desk.Holder.Kind, desk.Holder.Person, desk.From, desk.To));
        Assert.Equal(Desk, dispatch.Accountable.Person);

        var arrival = incident.Clocks.Arrival.Outcome!;
        Assert.Equal(ClockResult.Met, arrival.Result);
        Assert.Equal(Duration.FromMinutes(4), arrival.Elapsed);
        Assert.Equal([Duration.FromSeconds(40), Duration.FromSeconds(200)], arrival.Periods.Select(p => p.Duration));
        Assert.Equal([HolderKind.Dispatcher, HolderKind.Unit], arrival.Periods.Select(p => p.Holder.Kind));
        Assert.Equal(("patrol-7", Wang), (arrival.Accountable.Unit, arrival.Accountable.Person));
        Assert.Null(incident.Clocks.Resolution.Outcome);
    }

    [Fact]
    public void A_handoff_splits_the_phase_and_the_periods_add_up_to_it()
    {
        var incident = Open();
        incident = incident.Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(30), Desk).Incident;
        var handoff = incident.Reassign("patrol-5", Zhao, "closer", Noon + Duration.FromMinutes(3), Desk);
        incident = handoff.Incident.Arrive(Noon + Duration.FromMinutes(7), Zhao).Incident;

        var arrival = incident.Clocks.Arrival.Outcome!;
        Assert.Equal(ClockResult.Breached, arrival.Result);
        Assert.Equal(Duration.FromMinutes(2), arrival.OverdueBy);
        Assert.Equal(["li.ming", "wang.lei", "zhao.min"], arrival.Periods.Select(p => p.Holder.Person.Subject));
        Assert.Equal(arrival.Elapsed, arrival.Periods.Aggregate(Duration.Zero, (sum, p) => sum + p.Duration));
        Assert.Equal(Noon + Duration.FromMinutes(3), arrival.Periods[2].From);
        // The deadline (5 minutes) passed while patrol-5 held it: patrol-5 answers for the breach.
        Assert.Equal("patrol-5", arrival.Accountable.Unit);
        Assert.Equal(EventKind.Reassigned, Assert.Single(handoff.Events).Kind);
        var reassigned = Assert.IsType<EventDetails.Reassigned>(handoff.Events[0].Details);
        Assert.Equal(("patrol-5", "zhao.min", "patrol-7", "closer"), (reassigned.Unit, reassigned.Officer.Subject, reassigned.FromUnit, reassigned.Reason));
        Assert.Equal(("patrol-5", Zhao), (incident.Unit, incident.Officer));
    }

    [Fact]
    public void Reassigning_needs_a_dispatched_incident_and_another_unit_or_officer()
    {
        Assert.Throws<InvalidTransitionException>(() => Open().Reassign("u", Wang, null, Noon, Desk));
        var dispatched = Open().Dispatch("patrol-7", Wang, Noon, Desk).Incident;
        Assert.Throws<InvalidTransitionException>(() => dispatched.Reassign("PATROL-7", Wang, null, Noon, Desk));
        Assert.Equal("patrol-7", dispatched.Reassign("patrol-7", Zhao, null, Noon, Desk).Incident.Unit);
    }

    [Fact]
    public void Cancelling_records_stopped_outcomes_and_a_breached_one_for_a_clock_already_late()
    {
        var cancelled = Open().Cancel("hoax", Noon + Duration.FromMinutes(2), Desk).Incident;

        Assert.Equal((ClockResult.Breached, Duration.FromMinutes(1)), (cancelled.Clocks.Dispatch.Outcome!.Result, cancelled.Clocks.Dispatch.Outcome.OverdueBy));
        Assert.Equal((ClockResult.Stopped, Duration.Zero), (cancelled.Clocks.Arrival.Outcome!.Result, cancelled.Clocks.Arrival.Outcome.OverdueBy));
        Assert.Equal(Duration.FromMinutes(2), cancelled.Clocks.Resolution.Outcome!.Elapsed);
    }

    [Fact]
    public void An_incident_stored_before_outcomes_were_kept_gets_them_from_its_milestones_marked_derived()
    {
        var met = Open().Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(90), Desk).Incident;
        var legacy = met with { Ladder = met.Ladder with { Clocks = met.Clocks.Select(c => c with { Outcome = null }) } };

        var derived = legacy.OutcomeOf(ClockKind.Dispatch)!;

        Assert.True(derived.Derived);
        Assert.Equal((ClockResult.Breached, Duration.FromSeconds(30)), (derived.Result, derived.OverdueBy));
        Assert.Null(legacy.OutcomeOf(ClockKind.Arrival));
        Assert.False(met.OutcomeOf(ClockKind.Dispatch)!.Derived);
    }

    [Fact]
    public void Actors_are_the_verified_people_who_acted()
    {
        var opened = Incident.Open(IncidentId.New(Report().Station, Noon), Report(), ResponsePolicy.Default, Noon, Desk);
        var dispatched = opened.Incident.Dispatch("patrol-7", Wang, Noon, Zhao);

        Assert.Equal(Desk, opened.Incident.ReportedBy);
        Assert.Equal(Desk, Assert.Single(opened.Events).Actor);
        Assert.Equal(Zhao, dispatched.Events[0].Actor);
        Assert.Equal(new Assignment(Noon, "patrol-7", Wang, Zhao), Assert.Single(dispatched.Incident.Assignments));
    }

    [Fact]
    public void Incident_ids_carry_the_station_and_round_trip()
    {
        var id = IncidentId.New(StationId.Parse("Beilin-01"), Noon);

        Assert.StartsWith("beilin-01.", id.Value, StringComparison.Ordinal);
        Assert.Equal(36, id.Value.Length);
        Assert.True(IncidentId.TryParse(id.Value.ToLowerInvariant(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(IncidentId.TryParse("beilin-01.short", out _));
        Assert.False(IncidentId.TryParse(".01JD8Z6Q3W4V5X6Y7Z8A9B0C1D", out _));
        Assert.False(IncidentId.TryParse("bad station.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D", out _));
        Assert.False(IncidentId.TryParse("beilin.01JD8Z6Q3W4V5X6Y7Z8A9B0C1U", out _));
    }

    [Fact]
    public void An_id_remembers_its_report_instant_to_the_millisecond()
    {
        var at = Noon + Duration.FromTicks(12_345_678);

        Assert.Equal(Instant.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()), IncidentId.New(StationId.Parse("s"), at).Timestamp);
    }

    [Fact]
    public void Ids_sort_by_report_time()
    {
        var earlier = IncidentId.New(StationId.Parse("s"), Noon);
        var later = IncidentId.New(StationId.Parse("s"), Noon + Duration.FromMilliseconds(1));
        Assert.True(string.CompareOrdinal(earlier.Value, later.Value) < 0);
    }

    [Fact]
    public void The_request_hash_changes_with_any_field_and_not_otherwise()
    {
        Assert.Equal(IncidentService.HashOf(Report()), IncidentService.HashOf(Report()));
        Assert.NotEqual(IncidentService.HashOf(Report()), IncidentService.HashOf(Report(Priority.P2)));
        Assert.NotEqual(IncidentService.HashOf(Report()), IncidentService.HashOf(Report() with { ReporterContact = "x" }));
    }

    [Fact]
    public void A_clock_keeps_when_it_started_and_counts_its_running_time_from_then()
    {
        var clock = ResponseClock.Start(ClockKind.Arrival, Noon + Duration.FromMinutes(1), Duration.FromMinutes(5));

        Assert.Equal((Noon + Duration.FromMinutes(1), Duration.FromMinutes(5), Noon + Duration.FromMinutes(6)), (clock.StartedAt, clock.Target, clock.Deadline));
        Assert.Equal(Duration.FromMinutes(2), clock.RunningTimeAt(Noon + Duration.FromMinutes(3)));
        Assert.Equal(Noon + Duration.FromSeconds(210), clock.WarningAt(0.5));
        // Each of an incident's clocks starts at the report; met at 90 s, the dispatch clock ran 90 s.
        var dispatched = Open().Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(90), Desk).Incident;
        Assert.All(dispatched.Clocks, c => Assert.Equal(Noon, c.StartedAt));
        Assert.Equal(Duration.FromSeconds(90), dispatched.Clocks.Dispatch.Outcome!.Elapsed);
    }

    [Fact]
    public void The_view_of_an_incident_shows_each_clock_as_of_its_instant()
    {
        // P1 urban: dispatched at 90 s (30 s late); at 7 minutes the arrival ladder has reached the chief (deadline 5 + 2).
        var dispatched = Open().Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(90), Desk).Incident;
        var incident = dispatched.Sweep(Noon + Duration.FromMinutes(7)).Incident;

        var view = IncidentView.Of(incident, Noon + Duration.FromMinutes(8));

        Assert.Equal((incident.Id, IncidentStatus.Dispatched, "patrol-7", Wang, true, 2, Noon + Duration.FromMinutes(8)),
            (view.Id, view.Status, view.Unit, view.Officer, view.Overdue, view.ReachedLevel, view.AsOf));
        Assert.Equal((Noon + Duration.FromSeconds(90), (Instant?)null, Desk, 4), (view.DispatchedAt, view.OnSceneAt, view.ReportedBy, view.Version));
        var dispatch = view[ClockKind.Dispatch];
        Assert.Equal((ClockState.Breached, Duration.FromSeconds(30), ClockResult.Breached), (dispatch.State, dispatch.OverdueBy, dispatch.Outcome!.Result));
        var arrival = view[ClockKind.Arrival];
        // Still running 3 minutes past its 5-minute deadline: breached at the deadline while patrol-7 held it.
        Assert.Equal((ClockState.Breached, Duration.FromMinutes(3), 2, (ClockOutcome?)null), (arrival.State, arrival.OverdueBy, arrival.Level, arrival.Outcome));
        Assert.Equal((Noon + Duration.FromMinutes(5), "patrol-7"), (arrival.Breach!.At, arrival.Breach.Holder.Unit));
        var resolution = view[ClockKind.Resolution];
        Assert.Equal((ClockState.Running, (Duration?)null, Noon + Duration.FromHours(2)), (resolution.State, resolution.OverdueBy, resolution.Deadline));
        // The resolution clock still runs before its deadline: it may be paused (issue 28).
        Assert.Equal([IncidentAction.Reassign, IncidentAction.Arrive, IncidentAction.Cancel, IncidentAction.Acknowledge, IncidentAction.Pause], view.Access.Allowed.Order());
        Assert.Equal((StationId.Parse("beilin-01"), Wang, "patrol-7", 2), (view.Access.Station, view.Access.Officer, view.Access.Unit, Assert.Single(view.Access.EscalatedLevels)));
    }

    [Fact]
    public void A_view_before_any_deadline_is_not_overdue_and_a_closed_one_never_is()
    {
        var opened = Open();
        var closed = opened.Dispatch("patrol-7", Wang, Noon + Duration.FromSeconds(30), Desk).Incident
            .Arrive(Noon + Duration.FromMinutes(4), Wang).Incident
            .Resolve("arrested", Noon + Duration.FromMinutes(30), Wang).Incident
            .Close(Noon + Duration.FromMinutes(31), Desk).Incident;

        var early = IncidentView.Of(opened, Noon + Duration.FromSeconds(30));
        var late = IncidentView.Of(closed, Noon + Duration.FromHours(10));

        Assert.Equal((false, 0, (Duration?)null), (early.Overdue, early.ReachedLevel, early[ClockKind.Dispatch].OverdueBy));
        Assert.Equal([IncidentAction.Dispatch, IncidentAction.Cancel, IncidentAction.Pause], early.Access.Allowed.Order());
        Assert.Equal((false, IncidentStatus.Closed, "arrested", Noon + Duration.FromMinutes(31)), (late.Overdue, late.Status, late.Outcome, late.ClosedAt));
        Assert.All(late.Clocks, c => Assert.Equal(ClockState.Met, c.State));
        Assert.Empty(late.Access.Allowed);
    }
}
