using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// What the record says, word for word: each event's details, each audit line's change, each refusal's
/// message. An auditor reads these; a wrong or empty one is a defect even when the state is right.
/// </summary>
public sealed class LifecycleRecordTests
{
    private readonly World world = new();

    /// <summary>An acknowledgement's level and the clocks it stopped, comparable by value.</summary>
    private static (int Level, string Clocks) Acknowledged(EventDetails details) =>
        Assert.IsType<EventDetails.Acknowledged>(details) is var a ? (a.Level, string.Join(",", a.Clocks)) : default;

    [Fact]
    public async Task A_whole_lifecycle_records_each_milestone_with_its_details_actor_and_audit_line()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(20));
        await world.DispatchAsync(id);
        world.Clock.Advance(Duration.FromSeconds(40));
        await world.Incidents.ReassignAsync(world.Call(World.Dispatcher), id, "patrol-5", "zhao.min", "closer", null, default);
        world.Clock.Advance(Duration.FromMinutes(3));
        await world.Incidents.ArriveAsync(world.Call(World.OtherOfficer), id, null, default);
        world.Clock.Advance(Duration.FromMinutes(30));
        await world.Incidents.ResolveAsync(world.Call(World.OtherOfficer), id, "arrested", null, default);
        world.Clock.Advance(Duration.FromMinutes(5));
        await world.Incidents.CloseAsync(world.Call(World.DutyOfficer), id, null, default);

        var timeline = await world.Incidents.TimelineAsync(world.Call(World.Chief), id, default);

        Assert.Equal(
            [
                (1, EventKind.Reported, World.T0, "li.ming", new EventDetails.Reported(Priority.P1, Zone.Urban, "theft", "builtin-2026-11")),
                (2, EventKind.Dispatched, World.T0 + Duration.FromSeconds(20), "li.ming", new EventDetails.Dispatched("patrol-7", new Person("wang.lei", "Wang Lei"))),
                (3, EventKind.Reassigned, World.T0 + Duration.FromSeconds(60), "li.ming",
                    new EventDetails.Reassigned("patrol-5", new Person("zhao.min", "Zhao Min"), "patrol-7", "wang.lei", "closer")),
                (4, EventKind.OnScene, World.T0 + Duration.FromMinutes(4), "zhao.min",
                    // Every arrival is checked against the map: without a device position it is unverified, radius 300 m (issue 27).
                    new EventDetails.OnScene { Arrival = new Dispatch.Core.Units.ArrivalCheck(false, null, 300, null, false) }),
                (5, EventKind.Resolved, World.T0 + Duration.FromMinutes(34), "zhao.min", new EventDetails.Resolved("arrested")),
                (6, EventKind.Closed, World.T0 + Duration.FromMinutes(39), "sun.hao", (EventDetails)new EventDetails.Closed()),
            ],
            timeline.Select(e => (e.Sequence, e.Kind, e.At, e.Actor.Subject, e.Details)));
        Assert.Equal(
            ["report P1 theft (urban)", "dispatch unit=patrol-7 officer=wang.lei", "reassign unit=patrol-5 officer=zhao.min", "arrive", "resolve", "close"],
            world.Store.CommittedAudit.Select(a => a.Change));
        Assert.Equal([AuditOutcome.Created, AuditOutcome.Changed, AuditOutcome.Changed, AuditOutcome.Changed, AuditOutcome.Changed, AuditOutcome.Changed], world.Store.CommittedAudit.Select(a => a.Outcome));
        var incident = world.Get(id);
        Assert.Equal((IncidentStatus.Closed, "patrol-5", World.OtherOfficer, "arrested"), (incident.Status, incident.Unit, incident.Officer, incident.Outcome));
    }

    [Fact]
    public async Task A_reassignment_without_a_reason_records_none_and_a_cancellation_records_its_reason()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);
        await world.Incidents.ReassignAsync(world.Call(World.Dispatcher), id, "patrol-5", "zhao.min", null, null, default);
        var call = world.Call(World.Dispatcher);
        await world.Incidents.CancelAsync(call, id, "duplicate call", null, default);

        var events = world.Store.Events(id);
        Assert.Null(Assert.IsType<EventDetails.Reassigned>(events[2].Details).Reason);
        Assert.Equal((EventKind.Cancelled, new EventDetails.Cancelled("duplicate call")), (events[3].Kind, events[3].Details));
        Assert.Equal(("cancel", true), (call.Change, call.AuditCommitted));
        Assert.Equal("duplicate call", world.Get(id).CancelReason);
    }

    [Fact]
    public async Task Each_refusal_says_who_may_do_it()
    {
        var id = await world.ReportAsync();

        async Task<string> Refused(Func<Task> act) => (await Assert.ThrowsAsync<ForbiddenException>(act)).Message;

        Assert.Equal("Only dispatchers, duty officers and the chief of beilin-01 (or the command center) may report its incidents.",
            await Refused(() => world.Incidents.ReportAsync(world.Call(World.Officer), World.Report(), null, default)));
        Assert.Equal("Only its dispatchers, duty officers and chief, or the command center may dispatch this incident.",
            await Refused(() => world.Incidents.DispatchAsync(world.Call(World.Officer), id, "patrol-7", "wang.lei", null, default)));
        Assert.Equal("Only its dispatchers, duty officers and chief, or the command center may cancel this incident.",
            await Refused(() => world.Incidents.CancelAsync(world.Call(World.Officer), id, "no", null, default)));
        await world.DispatchAsync(id);
        Assert.Equal("Only its dispatchers, duty officers and chief, or the command center may reassign this incident.",
            await Refused(() => world.Incidents.ReassignAsync(world.Call(World.Officer), id, "patrol-5", "zhao.min", null, null, default)));
        Assert.Equal("Only the officer or unit it was dispatched to, its duty officers and chief may mark arrival at this incident.",
            await Refused(() => world.Incidents.ArriveAsync(world.Call(World.Dispatcher), id, null, default)));
        await world.Incidents.ArriveAsync(world.Call(World.Officer), id, null, default);
        Assert.Equal("Only the officer or unit it was dispatched to, its duty officers and chief may resolve this incident.",
            await Refused(() => world.Incidents.ResolveAsync(world.Call(World.Dispatcher), id, "done", null, default)));
        await world.Incidents.ResolveAsync(world.Call(World.Officer), id, "done", null, default);
        Assert.Equal("Only its duty officers and chief may close this incident.",
            await Refused(() => world.Incidents.CloseAsync(world.Call(World.Officer), id, null, default)));
        Assert.Equal("Only people on the roster of yanta-02 (or the command center and auditors) may list its incidents.",
            await Refused(() => world.Incidents.ListAsync(world.Call(World.Officer), World.Yanta, StatusFilter.Open, null, 10, null, default)));
        Assert.Equal("Only people on the roster of yanta-02 (or the command center and auditors) may list its incidents.",
            await Refused(() => world.Incidents.ListVersionAsync(world.Call(World.Officer), World.Yanta, StatusFilter.Open, null, default)));
        Assert.Equal(4, world.Store.CommittedAudit.Count);
    }

    [Fact]
    public async Task Each_milestone_out_of_order_says_what_the_incident_is_and_what_it_must_be()
    {
        var id = await world.ReportAsync();
        var dutyOfficer = world.Call(World.DutyOfficer);

        async Task<string> Invalid(Func<Task> act) => (await Assert.ThrowsAsync<InvalidTransitionException>(act)).Message;

        Assert.Equal($"Cannot mark on scene incident {id}: it is reported, and only a dispatched incident can be.",
            await Invalid(() => world.Incidents.ArriveAsync(dutyOfficer, id, null, default)));
        Assert.Equal($"Cannot resolve incident {id}: it is reported, and only a on-scene incident can be.",
            await Invalid(() => world.Incidents.ResolveAsync(world.Call(World.DutyOfficer), id, "x", null, default)));
        Assert.Equal($"Cannot close incident {id}: it is reported, and only a resolved incident can be.",
            await Invalid(() => world.Incidents.CloseAsync(world.Call(World.DutyOfficer), id, null, default)));
        Assert.Equal($"Cannot reassign incident {id}: it is reported, and only a dispatched or on-scene incident can be.",
            await Invalid(() => world.Incidents.ReassignAsync(world.Call(World.DutyOfficer), id, "patrol-5", "zhao.min", null, null, default)));
        Assert.Equal($"Incident {id} has nothing escalated to acknowledge.",
            await Invalid(() => world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, null, null, default)));
        await world.DispatchAsync(id);
        Assert.Equal($"Cannot dispatch incident {id}: it is dispatched, and only a reported incident can be.",
            await Invalid(() => world.DispatchAsync(id)));
        Assert.Equal($"Incident {id} is already with PATROL-7 and Wang Lei.",
            await Invalid(() => world.Incidents.ReassignAsync(world.Call(World.DutyOfficer), id, "PATROL-7", "wang.lei", null, null, default)));
        await world.Incidents.CancelAsync(world.Call(World.DutyOfficer), id, "mistake", null, default);
        Assert.Equal($"Cannot cancel incident {id}: it is already cancelled.",
            await Invalid(() => world.Incidents.CancelAsync(world.Call(World.DutyOfficer), id, "again", null, default)));
        Assert.Equal(("mark on scene", id), ("mark on scene", dutyOfficer.Incident));
        Assert.Equal("arrive", dutyOfficer.Change);
        Assert.Equal(3, world.Get(id).Version);
    }

    [Fact]
    public async Task Reassigning_to_the_same_unit_with_another_officer_is_a_handoff()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);

        var moved = await world.Incidents.ReassignAsync(world.Call(World.Dispatcher), id, "patrol-7", "liu.bo", null, null, default);

        Assert.Equal(("patrol-7", World.Partner), (moved.Incident.Unit, moved.Incident.Officer));
    }

    [Fact]
    public async Task Acknowledging_records_the_level_and_clocks_and_is_refused_above_what_was_reached()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));
        await world.Sweeper.SweepAsync(default);

        var tooHigh = await Assert.ThrowsAsync<StaleLevelException>(() =>
            world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, 2, null, default));
        var forbidden = await Assert.ThrowsAsync<ForbiddenException>(() =>
            world.Incidents.AcknowledgeAsync(world.Call(World.Dispatcher), id, null, null, default));
        var call = world.Call(World.DutyOfficer);
        await world.Incidents.AcknowledgeAsync(call, id, 1, null, default);

        Assert.Equal($"Incident {id} has only reached escalation level 1, not 2.", tooHigh.Message);
        Assert.Equal("Only the audience of level 1 or above (duty-officer and up) may acknowledge escalation level 1 of this incident.", forbidden.Message);
        var acknowledged = world.Store.Events(id)[^1];
        Assert.Equal((EventKind.Acknowledged, "sun.hao", (1, "Dispatch")),
            (acknowledged.Kind, acknowledged.Actor.Subject, Acknowledged(acknowledged.Details)));
        Assert.Equal("acknowledge level 1", call.Change);
        Assert.Equal((World.T0 + Duration.FromMinutes(1), World.DutyOfficer), (world.Get(id).Clocks.Dispatch.AcknowledgedAt, world.Get(id).Clocks.Dispatch.AcknowledgedBy));
    }

    [Fact]
    public async Task Acknowledging_without_a_level_takes_the_highest_reached_and_says_so()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(3));
        await world.Sweeper.SweepAsync(default);

        var dutyOfficer = await Assert.ThrowsAsync<ForbiddenException>(() =>
            world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, null, null, default));
        var call = world.Call(World.Chief);
        await world.Incidents.AcknowledgeAsync(call, id, null, null, default);

        Assert.Equal("Only the audience of level 2 or above (chief and up) may acknowledge escalation level 2 of this incident.", dutyOfficer.Message);
        Assert.Equal(("acknowledge", (2, "Dispatch")), (call.Change, Acknowledged(world.Store.Events(id)[^1].Details)));
    }

    [Fact]
    public async Task Only_the_command_center_acknowledges_the_top_of_the_ladder()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(12));
        await world.Sweeper.SweepAsync(default);
        // The dispatch ladder stands at 3 (the command center's), the arrival ladder at 2 (the chief's).
        await world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, 3, null, default);
        var chief = await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, 3, null, default));
        Assert.Null(world.Get(id).Clocks.Dispatch.AcknowledgedBy);
        await world.Incidents.AcknowledgeAsync(world.AsCommandCenter(), id, 3, null, default);

        Assert.Equal("Only the audience of level 3 or above (command-center and up) may acknowledge escalation level 3 of this incident.", chief.Message);
        Assert.Equal((World.CommandCenter, World.Chief), (world.Get(id).Clocks.Dispatch.AcknowledgedBy, world.Get(id).Clocks.Arrival.AcknowledgedBy));
    }

    [Fact]
    public async Task Sweep_events_carry_the_notice_they_raised()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(30));
        await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(Duration.FromSeconds(30));
        await world.Sweeper.SweepAsync(default);

        var events = world.Store.Events(id).Skip(1).ToList();

        Assert.Equal(
            [
                (2, EventKind.Warned, new EventDetails.Warned(ClockKind.Dispatch, 1, Audience.DutyOfficer, $"{id}:dispatch:warning:1")),
                (3, EventKind.Escalated, (EventDetails)new EventDetails.Escalated(ClockKind.Dispatch, 1, Audience.DutyOfficer, $"{id}:dispatch:escalation:1")),
            ],
            events.Select(e => (e.Sequence, e.Kind, e.Details)));
        Assert.All(events, e => Assert.Equal("system:sweep", e.Actor.Subject));
        Assert.Equal(3, world.Get(id).Version);
    }

    [Fact]
    public async Task A_major_matter_records_its_immediate_notice()
    {
        var result = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "Homicide"), null, default);

        var id = result.Stored!.Incident.Id;
        var notified = world.Store.Events(id)[1];
        Assert.Equal((2, EventKind.Notified, (EventDetails)new EventDetails.Notified(Audience.Chief, $"{id}:immediate")),
            (notified.Sequence, notified.Kind, notified.Details));
        Assert.Equal(2, world.Get(id).Version);
    }

    [Fact]
    public async Task Reads_name_what_they_read_in_the_audit_line()
    {
        var id = await world.ReportAsync();
        var find = world.Call(World.Chief);
        var timeline = world.Call(World.Chief);
        var list = world.Call(World.Chief);
        var version = world.Call(World.Chief);

        await world.Incidents.FindAsync(find, id, default);
        await world.Incidents.TimelineAsync(timeline, id, default);
        await world.Incidents.ListAsync(list, World.Beilin, StatusFilter.Overdue, Priority.P2, 10, null, default);
        await world.Incidents.ListVersionAsync(version, World.Beilin, StatusFilter.Any, null, default);

        Assert.Equal(("read incident", id, World.Beilin), (find.Change, find.Incident, find.Station));
        Assert.Equal(("read timeline", id), (timeline.Change, timeline.Incident));
        Assert.Equal(("list status=overdue priority=P2", World.Beilin), (list.Change, list.Station));
        Assert.Equal("list status=any", version.Change);
    }

    [Fact]
    public async Task An_incident_that_does_not_exist_is_not_found_by_name()
    {
        var id = IncidentId.New(World.Beilin, World.T0);

        var find = await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.FindAsync(world.Call(World.Chief), id, default));
        var timeline = await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.TimelineAsync(world.Call(World.Chief), id, default));
        var change = await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.CloseAsync(world.Call(World.Chief), id, null, default));

        Assert.Equal($"Incident {id} does not exist.", find.Message);
        Assert.Equal(find.Message, timeline.Message);
        Assert.Equal(find.Message, change.Message);
    }

    [Fact]
    public async Task The_stations_a_person_may_read_are_theirs_or_all_for_the_command_center_auditors_and_admins()
    {
        await world.Incidents.ReportAsync(world.AsCommandCenter(), World.Report(World.Yanta), null, default);
        await world.ReportAsync();
        world.Roster.Add(new Membership(World.Yanta, World.Officer, StationRole.Officer, "yanta-1"));

        var officer = world.Call(World.Officer);
        var mine = await world.Incidents.StationsAsync(officer, default);
        var yantaChief = await world.Incidents.StationsAsync(world.Call(World.YantaChief), default);

        Assert.Equal([World.Beilin, World.Yanta], mine);
        Assert.Equal([World.Yanta], yantaChief);
        Assert.Equal("list stations", officer.Change);
        foreach (var role in new[] { GlobalRole.CommandCenter, GlobalRole.Auditor, GlobalRole.Admin })
        {
            Assert.Equal([World.Beilin, World.Yanta], await world.Incidents.StationsAsync(world.Call(World.Nobody, role), default));
        }

        Assert.Empty(await world.Incidents.StationsAsync(world.Call(World.Nobody), default));
    }
}
