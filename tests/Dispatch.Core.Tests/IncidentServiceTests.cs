using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>The use cases on in-memory ports: who may, what is written with what, and what the audit says.</summary>
public sealed class IncidentServiceTests
{
    private readonly World world = new();

    [Fact]
    public async Task A_report_is_stamped_with_the_server_clock_the_reporter_and_its_first_index_entry()
    {
        world.Clock.Advance(Duration.FromSeconds(7));
        var call = world.Call(World.Dispatcher);

        var result = await world.Incidents.ReportAsync(call, World.Report(), null, default);

        var incident = result.Stored!.Incident;
        Assert.Equal(CreateOutcome.Created, result.Outcome);
        Assert.Equal(World.T0 + Duration.FromSeconds(7), incident.ReportedAt);
        Assert.Equal(World.Dispatcher, incident.ReportedBy);
        Assert.Equal([DueEntry.ForClock(incident.Id, incident.NextDueAt!.Value)], world.Index.Of(incident.Id));
        var audit = Assert.Single(world.Store.CommittedAudit);
        Assert.Equal((AuditOutcome.Created, World.Beilin, incident.Id, "li.ming", "Test"), (audit.Outcome, audit.Station, audit.Incident, audit.Subject, audit.Function));
        Assert.Equal(["dispatcher@beilin-01"], audit.Roles);
        Assert.Equal(audit, Assert.Single(world.Audit.Prepared));
        Assert.True(call.AuditCommitted);
    }

    [Fact]
    public async Task An_officer_or_another_stations_chief_may_not_report()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ReportAsync(world.Call(World.Officer), World.Report(), null, default));
        var outsider = world.Call(World.YantaChief);
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ReportAsync(outsider, World.Report(), null, default));

        Assert.Empty(world.Store.CommittedAudit);
        Assert.Empty(world.Index.Entries);
        Assert.False(outsider.AuditCommitted);
        Assert.Equal((World.Beilin, "report P1 theft (urban)"), (outsider.Station, outsider.Change));
    }

    [Fact]
    public async Task A_major_matter_reaches_the_chief_with_the_report_and_leaves_no_notices_entry_behind()
    {
        var result = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, default);

        var id = result.Stored!.Incident.Id;
        Assert.Equal([$"{id.Value}:immediate"], world.SentIds);
        Assert.Empty(world.Store.Outbox);
        Assert.Equal([DueReason.Clock], world.Index.Of(id).Select(e => e.Reason));
    }

    [Fact]
    public async Task A_major_matter_reported_while_service_bus_is_down_stays_in_the_outbox_with_its_entry()
    {
        world.Publisher.Fails = (_, _) => true;

        var result = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, default);

        var id = result.Stored!.Incident.Id;
        Assert.Equal(CreateOutcome.Created, result.Outcome);
        var waiting = Assert.Single(world.Store.Outbox);
        Assert.Equal((1, World.T0 + NoticeRelay.Backoff(1)), (waiting.Attempts, waiting.NextAttempt));
        var notices = world.Index.Of(id).Single(e => e.Reason == DueReason.Notices);
        Assert.Equal((World.T0 + NoticeRelay.Backoff(1), World.T0), (notices.At, notices.Since));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_replays_and_a_reused_one_is_refused()
    {
        var first = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(), "k-1", default);
        var again = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(), "k-1", default);
        var other = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(priority: Priority.P2), "k-1", default);

        Assert.Equal(CreateOutcome.Replayed, again.Outcome);
        Assert.Equal(first.Stored!.Incident.Id, again.Stored!.Incident.Id);
        Assert.Equal(CreateOutcome.KeyReusedWithDifferentRequest, other.Outcome);
        Assert.Single(world.Store.CommittedAudit);
    }

    [Fact]
    public async Task Dispatch_takes_the_officer_from_the_roster_and_refuses_one_not_on_it()
    {
        var id = await world.ReportAsync();

        var refused = await Assert.ThrowsAsync<FieldRefusedException>(() =>
            world.Incidents.DispatchAsync(world.Call(World.Dispatcher), id, "patrol-7", "ghost.officer", null, default));
        var dispatched = await world.DispatchAsync(id);

        Assert.Equal("officer", refused.Field);
        Assert.Contains("ghost.officer", refused.Message, StringComparison.Ordinal);
        Assert.Equal(World.Officer, dispatched.Incident.Officer);
        Assert.Equal("Wang Lei", dispatched.Incident.Officer!.Name);
        Assert.Equal(2, world.Store.CommittedAudit.Count);
        Assert.Equal("dispatch unit=patrol-7 officer=wang.lei", world.Store.CommittedAudit[^1].Change);
    }

    [Fact]
    public async Task Another_stations_incident_is_not_found_for_reads_and_changes_and_nothing_is_written()
    {
        var id = await world.ReportAsync();
        var outsider = world.Call(World.YantaChief);

        await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.FindAsync(outsider, id, default));
        await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.TimelineAsync(world.Call(World.YantaChief), id, default));
        await Assert.ThrowsAsync<IncidentNotFoundException>(() => world.Incidents.CancelAsync(world.Call(World.YantaChief), id, "mine now", null, default));

        Assert.Equal(1, world.Get(id).Version);
        Assert.Equal(id, outsider.Incident);
        Assert.False(outsider.AuditCommitted);
    }

    [Fact]
    public async Task Each_milestone_is_allowed_to_its_people_and_refused_to_others()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);

        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ArriveAsync(world.Call(World.OtherOfficer), id, null, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ArriveAsync(world.Call(World.Dispatcher), id, null, default));
        await world.Incidents.ArriveAsync(world.Call(World.Partner), id, null, default); // same unit as the dispatched officer
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ResolveAsync(world.Call(World.CommandCenter, GlobalRole.CommandCenter), id, "x", null, default));
        await world.Incidents.ResolveAsync(world.Call(World.Officer), id, "settled", null, default);
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.CloseAsync(world.Call(World.Officer), id, null, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.CloseAsync(world.Call(World.Dispatcher), id, null, default));
        var closed = await world.Incidents.CloseAsync(world.Call(World.DutyOfficer), id, null, default);

        Assert.Equal(IncidentStatus.Closed, closed.Incident.Status);
        Assert.Equal(["li.ming", "li.ming", "liu.bo", "wang.lei", "sun.hao"], world.Store.Events(id).Select(e => e.Actor.Subject));
    }

    [Fact]
    public async Task Cancel_and_reassign_are_the_desks_and_the_command_centers()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);

        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ReassignAsync(world.Call(World.Officer), id, "patrol-5", World.OtherOfficer.Subject, null, null, default));
        var reassigned = await world.Incidents.ReassignAsync(world.AsCommandCenter(), id, "patrol-5", World.OtherOfficer.Subject, "nearer", null, default);
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.CancelAsync(world.Call(World.Officer), id, "x", null, default));
        var cancelled = await world.Incidents.CancelAsync(world.Call(World.Chief), id, "hoax", null, default);

        Assert.Equal(World.OtherOfficer, reassigned.Incident.Officer);
        Assert.Equal(IncidentStatus.Cancelled, cancelled.Incident.Status);
    }

    [Fact]
    public async Task An_escalation_is_acknowledged_by_its_audience_or_above_and_the_acknowledger_is_the_caller()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));
        await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(Duration.FromMinutes(2));
        await world.Sweeper.SweepAsync(default); // level 2: the chief's

        // The duty officer is below the rung the dispatch ladder stands at, whatever level he names (issue 23's bypass).
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, null, null, default));
        var stale = await Assert.ThrowsAsync<StaleLevelException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, 1, null, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.DutyOfficer), id, 2, null, default));
        Assert.Null(world.Get(id).Clocks.Dispatch.AcknowledgedBy);
        var acknowledged = await world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, 2, null, default);

        Assert.Equal(2, stale.CurrentLevel);
        Assert.Equal(World.Chief, acknowledged.Incident.Clocks.Dispatch.AcknowledgedBy);
        await Assert.ThrowsAsync<InvalidTransitionException>(() => world.Incidents.AcknowledgeAsync(world.Call(World.Chief), id, null, null, default));
    }

    [Fact]
    public async Task A_lost_race_is_retried_on_fresh_state_and_with_if_match_it_is_a_412()
    {
        var id = await world.ReportAsync();
        var etag = (await world.Incidents.FindAsync(world.Call(World.Dispatcher), id, default)).ETag;
        var raced = false;
        world.Store.BeforeSave = async change =>
        {
            if (!raced && change.Events.Any(e => e.Kind == EventKind.Dispatched))
            {
                raced = true;
                // Someone else changes the incident between this request's read and its write.
                await world.Incidents.CancelAsync(world.Call(World.Chief), id, "duplicate call", null, default);
            }
        };

        await Assert.ThrowsAsync<InvalidTransitionException>(() => world.DispatchAsync(id));
        world.Store.BeforeSave = null;
        var stale = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            world.Incidents.CancelAsync(world.Call(World.Chief), id, "again", etag, default));

        Assert.Equal(IncidentStatus.Cancelled, world.Get(id).Status);
        Assert.NotEqual(etag, stale.CurrentETag);
    }

    [Fact]
    public async Task Lists_are_for_the_stations_roster_and_global_watchers()
    {
        await world.ReportAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => world.Incidents.ListAsync(world.Call(World.YantaChief), World.Beilin, StatusFilter.Any, null, 10, null, default));
        var page = await world.Incidents.ListAsync(world.Call(World.Officer), World.Beilin, StatusFilter.Open, Priority.P1, 10, null, default);
        var audited = world.Call(World.Auditor, GlobalRole.Auditor);
        await world.Incidents.ListAsync(audited, World.Beilin, StatusFilter.Overdue, null, 10, null, default);

        Assert.Single(page.Items);
        Assert.Equal("list status=overdue", audited.Change);
    }

    [Fact]
    public async Task The_roster_is_changed_by_admins_and_the_stations_chief_with_its_audit_record()
    {
        var newcomer = new Membership(World.Beilin, new Person("ma.lin", "Ma Lin"), StationRole.Officer, "patrol-9");

        Assert.True(await world.Rosters.PutAsync(world.Call(World.Chief), newcomer, default));
        Assert.False(await world.Rosters.PutAsync(world.Call(World.Chief), newcomer with { Unit = "patrol-3" }, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.PutAsync(world.Call(World.Chief), newcomer with { Role = StationRole.Chief }, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.PutAsync(world.Call(World.YantaChief), newcomer, default));
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.RemoveAsync(world.Call(World.Chief), World.Beilin, World.Chief.Subject, default));
        await Assert.ThrowsAsync<RosterConflictException>(() => world.Rosters.RemoveAsync(world.Call(World.Admin, GlobalRole.Admin), World.Beilin, World.Chief.Subject, default));
        await world.Rosters.PutAsync(world.Call(World.Admin, GlobalRole.Admin), new Membership(World.Beilin, new Person("deputy", "Deputy"), StationRole.Chief, null), default);
        await world.Rosters.RemoveAsync(world.Call(World.Admin, GlobalRole.Admin), World.Beilin, World.Chief.Subject, default);
        await Assert.ThrowsAsync<NotFoundException>(() => world.Rosters.RemoveAsync(world.Call(World.Admin, GlobalRole.Admin), World.Beilin, "nobody", default));
        var members = await world.Rosters.ListAsync(world.Call(World.Dispatcher), World.Beilin, default);
        await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.ListAsync(world.Call(World.Nobody), World.Beilin, default));

        Assert.Contains(members, m => m.Person.Subject == "ma.lin" && m.Unit == "patrol-3");
        Assert.DoesNotContain(members, m => m.Person.Subject == World.Chief.Subject);
        Assert.Equal([AuditOutcome.Created, AuditOutcome.Changed, AuditOutcome.Created, AuditOutcome.Removed], world.Roster.CommittedAudit.Select(a => a.Outcome));
    }

    [Fact]
    public async Task Only_auditors_query_the_audit_trail_and_the_query_is_named()
    {
        var auditor = world.Call(World.Auditor, GlobalRole.Auditor);

        await Assert.ThrowsAsync<ForbiddenException>(() => world.AuditService.QueryAsync(world.Call(World.Chief), World.Beilin, null, World.T0, World.T0 + Duration.FromDays(1), 10, null, default));
        await world.AuditService.QueryAsync(auditor, World.Beilin, "wang.lei", World.T0, World.T0 + Duration.FromDays(1), 10, null, default);

        Assert.Equal(("wang.lei", World.Beilin), (world.Audit.LastQuery!.Subject, world.Audit.LastQuery.Station));
        Assert.StartsWith("read audit trail of wang.lei 2026-11-26T08:00:00Z..", auditor.Change, StringComparison.Ordinal);
    }
}
