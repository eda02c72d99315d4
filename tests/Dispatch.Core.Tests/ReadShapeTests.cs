using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// What a clock keeps, and the read shapes the list and the reports are built from. A P1 urban theft under the
/// built-in policy (README, "Response policy"): dispatch 1 min, arrival 5 min, resolution 2 h; warnings at half and
/// three quarters; the ladder's first rung (duty officer) at the deadline, the chief's 2 min after it.
/// </summary>
public sealed class ReadShapeTests
{
    private static readonly Instant T0 = World.T0;

    private static Duration Minutes(double m) => Duration.FromSeconds(m * 60);

    private static Incident Opened() =>
        Incident.Open(IncidentId.New(World.Beilin, T0), World.Report(), ResponsePolicy.Default, T0, World.Dispatcher).Incident;

    [Fact]
    public void A_clock_keeps_when_it_started_and_counts_its_running_time_from_then()
    {
        var clock = ResponseClock.Start(ClockKind.Arrival, T0 + Minutes(1), Minutes(5));

        Assert.Equal((T0 + Minutes(1), Minutes(5), T0 + Minutes(6)), (clock.StartedAt, clock.Target, clock.Deadline));
        Assert.Equal(Minutes(2), clock.RunningTimeAt(T0 + Minutes(3)));
        Assert.Equal(T0 + Minutes(3.5), clock.WarningAt(0.5));
        // Each of an incident's clocks starts at the report and ends its running time at the milestone that meets it.
        var dispatched = Opened().Dispatch("patrol-7", World.Officer, T0 + Minutes(1.5), World.Dispatcher).Incident;
        Assert.All(dispatched.Clocks, c => Assert.Equal(T0, c.StartedAt));
        Assert.Equal(Minutes(1.5), dispatched.Clocks.Dispatch.Outcome!.Elapsed);
    }

    [Fact]
    public void The_view_of_an_incident_shows_each_clock_as_of_its_instant()
    {
        // Reported at T0, dispatched 90 s later (30 s late), the arrival ladder at the chief's rung 7 minutes in.
        var dispatched = Opened().Dispatch("patrol-7", World.Officer, T0 + Minutes(1.5), World.Dispatcher).Incident;
        var incident = dispatched.Sweep(T0 + Minutes(7)).Incident;

        var view = IncidentView.Of(incident, T0 + Minutes(8));

        Assert.Equal((incident.Id, World.Beilin, IncidentStatus.Dispatched, "patrol-7", World.Officer, true, 2, T0 + Minutes(8)),
            (view.Id, view.Station, view.Status, view.Unit, view.Officer, view.Overdue, view.ReachedLevel, view.AsOf));
        Assert.Equal((T0 + Minutes(1.5), (Instant?)null, World.Dispatcher, 4), (view.DispatchedAt, view.OnSceneAt, view.ReportedBy, view.Version));
        var dispatch = view[ClockKind.Dispatch];
        Assert.Equal((ClockState.Breached, Minutes(0.5), ClockResult.Breached), (dispatch.State, dispatch.OverdueBy, dispatch.Outcome!.Result));
        var arrival = view[ClockKind.Arrival];
        // Still running 3 minutes past its 5-minute deadline; breached at the deadline, climbed to the chief at 7.
        Assert.Equal((ClockState.Breached, Minutes(3), 2, (ClockOutcome?)null), (arrival.State, arrival.OverdueBy, arrival.Level, arrival.Outcome));
        Assert.Equal((T0 + Minutes(5), "patrol-7"), (arrival.Breach!.At, arrival.Breach.Holder.Unit));
        var resolution = view[ClockKind.Resolution];
        Assert.Equal((ClockState.Running, (Duration?)null, T0 + Minutes(120)), (resolution.State, resolution.OverdueBy, resolution.Deadline));
        Assert.Equal([IncidentAction.Reassign, IncidentAction.Arrive, IncidentAction.Cancel, IncidentAction.Acknowledge], view.Access.Allowed.Order());
        Assert.Equal([2], view.Access.EscalatedLevels);
        Assert.Equal((World.Beilin, World.Officer, "patrol-7"), (view.Access.Station, view.Access.Officer, view.Access.Unit));
    }

    [Fact]
    public void A_view_before_any_deadline_is_not_overdue_and_a_closed_one_never_is()
    {
        var opened = Opened();
        var closed = opened.Dispatch("patrol-7", World.Officer, T0 + Minutes(0.5), World.Dispatcher).Incident
            .Arrive(T0 + Minutes(4), World.Officer).Incident
            .Resolve("arrested", T0 + Minutes(30), World.Officer).Incident
            .Close(T0 + Minutes(31), World.DutyOfficer).Incident;

        var early = IncidentView.Of(opened, T0 + Minutes(0.5));
        var late = IncidentView.Of(closed, T0 + Minutes(600));

        Assert.Equal((false, 0, (Duration?)null), (early.Overdue, early.ReachedLevel, early[ClockKind.Dispatch].OverdueBy));
        Assert.Equal([IncidentAction.Dispatch, IncidentAction.Cancel], early.Access.Allowed.Order());
        Assert.Equal((false, IncidentStatus.Closed, "arrested", T0 + Minutes(31)), (late.Overdue, late.Status, late.Outcome, late.ClosedAt));
        Assert.All(late.Clocks, c => Assert.Equal(ClockState.Met, c.State));
        Assert.Empty(late.Access.Allowed);
    }

    [Fact]
    public void The_reports_read_an_incident_as_its_clocks_stood_at_the_reports_instant()
    {
        // Dispatched 30 s late, then cancelled at 6 minutes: arrival's 5-minute deadline had passed (breached), resolution stopped in time.
        var cancelled = Opened().Dispatch("patrol-7", World.Officer, T0 + Minutes(1.5), World.Dispatcher).Incident
            .Cancel("duplicate", T0 + Minutes(6), World.Dispatcher).Incident;
        var running = Opened();

        var read = ReportedIncident.Of(cancelled, T0 + Minutes(60));
        var early = ReportedIncident.Of(running, T0 + Minutes(0.5));
        var late = ReportedIncident.Of(running, T0 + Minutes(3));

        Assert.Equal((IncidentStatus.Cancelled, false, "theft", Priority.P1, Zone.Urban, World.Dispatcher, 0),
            (read.Status, read.IsOpen, read.Category, read.Priority, read.Zone, read.Dispatcher, read.Findings.Count));
        Assert.Equal(
            [(ClockKind.Dispatch, T0 + Minutes(1), Minutes(0.5), false, "desk"), (ClockKind.Arrival, T0 + Minutes(5), Minutes(1), false, "patrol-7")],
            read.Breaches.Select(b => (b.Clock, b.Deadline, b.OverdueBy, b.StillRunning, b.Holder.Unit ?? "desk")));
        Assert.Equal((false, false, (Duration?)null), (read[ClockKind.Resolution].Met, read[ClockKind.Resolution].Breached, read[ClockKind.Resolution].Elapsed));
        // Running: nothing overdue half a minute in; two minutes past its deadline at 3 minutes, held by the desk.
        Assert.Equal((true, false, Duration.Zero), (early[ClockKind.Dispatch].Running, early[ClockKind.Dispatch].Breached, early[ClockKind.Dispatch].OverdueBy));
        Assert.Empty(early.Breaches);
        var overdue = Assert.Single(late.Breaches);
        Assert.Equal((ClockKind.Dispatch, Minutes(2), true, HolderKind.Dispatcher), (overdue.Clock, overdue.OverdueBy, overdue.StillRunning, overdue.Holder.Kind));
        Assert.True(late.IsOpen);
    }

    [Fact]
    public void An_acknowledged_breach_reads_who_acknowledged_it_and_when()
    {
        var escalated = Opened().Sweep(T0 + Minutes(1)).Incident;
        var acknowledged = escalated.Acknowledge(1, _ => true, T0 + Minutes(1.25), World.DutyOfficer).Incident;

        var line = Assert.Single(ReportedIncident.Of(acknowledged, T0 + Minutes(2)).Breaches);

        Assert.Equal((1, World.DutyOfficer, T0 + Minutes(1.25)), (line.Level, line.AcknowledgedBy, line.AcknowledgedAt));
    }
}
