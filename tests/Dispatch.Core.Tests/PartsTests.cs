using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// The escalation ladder's notices and events, its acknowledgement, and the access facts it gives, on a P1 urban
/// theft under the built-in policy (README, "Response policy"): dispatch 1 min, arrival 5 min; warnings at half and
/// three quarters of a window; level 1 (duty officer) at the deadline, 2 (chief) 2 min after, 3 (command center) 10 min after.
/// </summary>
public sealed class PartsTests
{
    private static readonly Instant T0 = World.T0;

    private static Duration Minutes(double m) => Duration.FromSeconds(m * 60);

    private static Incident Opened() =>
        Incident.Open(IncidentId.New(World.Beilin, T0), World.Report(), ResponsePolicy.Default, T0, World.Dispatcher).Incident;

    private static Caller Global(GlobalRole role) => new(new Person("cc", "CC"), new HashSet<GlobalRole> { role }, []);

    [Fact]
    public void One_sweep_that_climbs_two_rungs_numbers_their_events_in_turn()
    {
        // Dispatched at 90 s; at 7 minutes the arrival ladder has passed its deadline (5) and the chief's rung (5 + 2).
        var dispatched = Opened().Dispatch("patrol-7", World.Officer, T0 + Minutes(1.5), World.Dispatcher).Incident;

        var swept = dispatched.Sweep(T0 + Minutes(7));

        Assert.Equal(
            [(3, ClockKind.Arrival, 1, Audience.DutyOfficer), (4, ClockKind.Arrival, 2, Audience.Chief)],
            swept.Events.Select(e => Assert.IsType<EventDetails.Escalated>(e.Details) is var d ? (e.Sequence, d.Clock, d.Level, d.Audience) : default));
        Assert.Equal(4, swept.Incident.Version);
    }

    [Fact]
    public void A_warning_names_no_breach_and_is_not_overdue_while_an_escalation_says_how_late_it_is()
    {
        var warning = Assert.Single(Opened().Sweep(T0 + Minutes(0.5)).Notices);
        var escalation = Assert.Single(Opened().Sweep(T0 + Minutes(1.5)).Notices);

        Assert.Equal((NoticeKind.Warning, (Instant?)null, Duration.Zero, T0 + Minutes(1), T0 + Minutes(0.5)),
            (warning.Kind, warning.BreachedAt, warning.OverdueBy, warning.Deadline, warning.DueAt));
        // Both warnings are moot by 90 s; the breach was due at the deadline, and is sent 30 s after it.
        Assert.Equal((NoticeKind.Escalation, T0 + Minutes(1), Minutes(0.5), T0 + Minutes(1)),
            (escalation.Kind, escalation.BreachedAt, escalation.OverdueBy, escalation.DueAt));
    }

    [Fact]
    public void Acknowledging_two_ladders_records_the_highest_level_stopped_and_a_refusal_names_the_lowest_standing()
    {
        // At 5 minutes the dispatch ladder stands at 2 (since 3 min) and the arrival ladder at 1 (its deadline).
        var escalated = Opened().Sweep(T0 + Minutes(5)).Incident;

        var both = escalated.Acknowledge(null, _ => true, T0 + Minutes(5.5), World.CommandCenter);
        var refused = Assert.Throws<ForbiddenException>(() => escalated.Acknowledge(null, _ => false, T0 + Minutes(5.5), World.Dispatcher));

        var recorded = Assert.IsType<EventDetails.Acknowledged>(Assert.Single(both.Events).Details);
        Assert.Equal((2, "Dispatch,Arrival"), (recorded.Level, string.Join(",", recorded.Clocks)));
        Assert.Equal("Only the audience of level 1 or above (duty-officer and up) may acknowledge escalation level 1 of this incident.", refused.Message);
        Assert.Equal([2, 1], escalated.Access.EscalatedLevels);
    }

    [Fact]
    public void Only_a_ladder_that_has_climbed_can_be_stopped_even_by_the_command_center()
    {
        var access = Opened().Access;

        Assert.False(AccessPolicy.MayStop(Global(GlobalRole.CommandCenter), access, 0));
        Assert.True(AccessPolicy.MayStop(Global(GlobalRole.CommandCenter), access, 1));
        Assert.False(Opened().Allows(IncidentAction.Acknowledge));
    }

    [Fact]
    public void A_stations_own_actions_are_reporting_for_its_desk_and_reading_reports_for_its_chief()
    {
        var world = new World();

        Assert.Equal(["report"], AccessPolicy.StationActions(world.Call(World.Dispatcher).Caller, World.Beilin));
        Assert.Equal(["report", "read-reports"], AccessPolicy.StationActions(world.Call(World.Chief).Caller, World.Beilin));
        Assert.Empty(AccessPolicy.StationActions(world.Call(World.Officer).Caller, World.Beilin));
        Assert.Equal(["read-reports"], AccessPolicy.StationActions(Global(GlobalRole.Auditor), World.Beilin));
    }
}
