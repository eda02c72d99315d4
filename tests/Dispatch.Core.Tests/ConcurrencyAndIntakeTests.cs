using Dispatch.Core.Incidents;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>The use cases' edges: If-Match, lost races, what intake writes before its commit, and the immediate send's budget.</summary>
public sealed class ConcurrencyAndIntakeTests
{
    private readonly World world = new();

    [Fact]
    public async Task A_stale_if_match_is_refused_with_the_current_etag_and_nothing_changes()
    {
        var id = await world.ReportAsync();
        var read = await world.Incidents.FindAsync(world.Call(World.Dispatcher), id, default);
        var dispatched = await world.DispatchAsync(id);

        var stale = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            world.Incidents.CancelAsync(world.Call(World.Dispatcher), id, "late", read.ETag, default));

        Assert.Equal(dispatched.ETag, stale.CurrentETag);
        Assert.Equal($"Incident {id} has changed since you read it; its current ETag is {dispatched.ETag}.", stale.Message);
        Assert.Equal(IncidentStatus.Dispatched, world.Get(id).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*")]
    [InlineData("current")]
    public async Task A_current_or_absent_if_match_changes_the_incident(string? ifMatch)
    {
        var id = await world.ReportAsync();
        var current = await world.Incidents.FindAsync(world.Call(World.Dispatcher), id, default);

        var call = world.Call(World.Dispatcher);
        var saved = await world.Incidents.CancelAsync(call, id, "test", ifMatch == "current" ? current.ETag : ifMatch, default);

        Assert.Equal(IncidentStatus.Cancelled, saved.Incident.Status);
        Assert.True(call.AuditCommitted);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*")]
    public async Task Without_a_version_a_lost_race_is_applied_again_on_fresh_state(string? ifMatch)
    {
        var id = await world.ReportAsync();
        var conflicts = 3;
        world.Store.BeforeSave = _ => conflicts-- > 0 ? throw new ConcurrencyConflictException() : Task.CompletedTask;
        var call = world.Call(World.Dispatcher);

        var saved = await world.Incidents.DispatchAsync(call, id, "patrol-7", "wang.lei", ifMatch, default);

        Assert.Equal((IncidentStatus.Dispatched, 2), (saved.Incident.Status, saved.Incident.Version));
        Assert.Equal(4, world.Store.Finds);
        Assert.Equal(2, world.Store.CommittedAudit.Count);
        Assert.True(call.AuditCommitted);
    }

    [Fact]
    public async Task A_race_lost_nine_times_in_a_row_gives_up_rather_than_spin()
    {
        var id = await world.ReportAsync();
        var attempts = 0;
        world.Store.BeforeSave = _ =>
        {
            attempts++;
            throw new ConcurrencyConflictException();
        };
        var call = world.Call(World.Dispatcher);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => world.Incidents.CancelAsync(call, id, "test", null, default));

        Assert.Equal(9, attempts);
        Assert.Equal("The incident was changed by someone else.", conflict.Message);
        Assert.False(call.AuditCommitted);
    }

    [Fact]
    public async Task With_a_version_a_lost_race_is_a_failed_precondition_naming_the_winners_etag()
    {
        var id = await world.ReportAsync();
        var read = await world.Incidents.FindAsync(world.Call(World.Dispatcher), id, default);
        world.Store.BeforeSave = _ => throw new ConcurrencyConflictException();

        var failed = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            world.Incidents.CancelAsync(world.Call(World.Dispatcher), id, "test", read.ETag, default));

        Assert.Equal(read.ETag, failed.CurrentETag);
        Assert.Equal(3, world.Store.Finds);
    }

    [Fact]
    public async Task The_audit_record_is_prepared_before_the_change_commits()
    {
        var id = await world.ReportAsync();
        var preparedAtSave = -1;
        world.Store.BeforeSave = _ =>
        {
            preparedAtSave = world.Audit.Prepared.Count;
            return Task.CompletedTask;
        };

        await world.DispatchAsync(id);

        Assert.Equal(2, preparedAtSave);
        Assert.Equal("dispatch unit=patrol-7 officer=wang.lei", world.Audit.Prepared[^1].Change);
    }

    [Fact]
    public async Task An_ordinary_report_writes_only_its_clock_entry_before_the_commit()
    {
        IReadOnlyList<DueEntry>? atCommit = null;
        world.Store.BeforeCreate = _ => atCommit = world.Index.Entries;

        var result = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(), null, default);

        var entry = Assert.Single(atCommit!);
        Assert.Equal(DueEntry.ForClock(result.Stored!.Incident.Id, World.T0 + Duration.FromSeconds(30)), entry);
        Assert.Equal(0, world.Publisher.Attempts);
    }

    [Fact]
    public async Task A_major_matter_writes_a_notices_entry_thirty_seconds_ahead_before_the_commit()
    {
        IReadOnlyList<DueEntry>? atCommit = null;
        world.Store.BeforeCreate = _ => atCommit = world.Index.Entries;

        await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, default);

        var notices = Assert.Single(atCommit!, e => e.Reason == DueReason.Notices);
        Assert.Equal((World.T0 + Duration.FromSeconds(30), World.T0), (notices.At, notices.Since));
        Assert.Matches("^[0-9a-f]{12}$", notices.Key);
        Assert.Equal(2, atCommit!.Count);
        Assert.Equal(1, world.Publisher.Attempts);
    }

    [Fact]
    public async Task A_replayed_report_sends_nothing_again()
    {
        await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), "k-9", default);
        var call = world.Call(World.Dispatcher);

        var again = await world.Incidents.ReportAsync(call, World.Report(category: "homicide"), "k-9", default);

        Assert.Equal(CreateOutcome.Replayed, again.Outcome);
        Assert.Single(world.Publisher.Sent);
        Assert.False(call.AuditCommitted);
        Assert.Equal(again.Stored!.Incident.Id, call.Incident);
    }

    [Fact]
    public async Task A_hung_service_bus_delays_a_major_report_by_the_send_budget_and_leaves_the_notice_to_the_sweep()
    {
        world.Publisher.Before = token => Task.Delay(Timeout.Infinite, token);

        var result = await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, default);

        Assert.Equal(CreateOutcome.Created, result.Outcome);
        Assert.Single(world.Store.Outbox);
        Assert.Single(world.Index.Of(result.Stored!.Incident.Id), e => e.Reason == DueReason.Notices);
    }

    [Fact]
    public async Task A_report_cancelled_by_its_caller_while_sending_is_not_swallowed()
    {
        using var caller = new CancellationTokenSource();
        world.Publisher.Before = async token =>
        {
            await caller.CancelAsync();
            token.ThrowIfCancellationRequested();
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, caller.Token));
    }

    public static TheoryData<string, IncidentReport> Variants()
    {
        var r = World.Report();
        return new()
        {
            { "station", r with { Station = World.Yanta } },
            { "category", r with { Category = "fraud" } },
            { "priority", r with { Priority = Priority.P2 } },
            { "zone", r with { Zone = Zone.Rural } },
            { "address", r with { Location = r.Location with { Address = "2 Bell Tower Square" } } },
            { "latitude", r with { Location = r.Location with { Latitude = 34.26 } } },
            { "longitude", r with { Location = r.Location with { Longitude = 108.94 } } },
            { "description", r with { Description = "a bicycle" } },
            { "channel", r with { Channel = Channel.WalkIn } },
            { "contact", r with { ReporterContact = null } },
        };
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Any_difference_in_what_was_reported_changes_its_hash(string field, IncidentReport variant)
    {
        Assert.NotEqual(IncidentService.HashOf(World.Report()), IncidentService.HashOf(variant));
        Assert.Equal(IncidentService.HashOf(variant), IncidentService.HashOf(variant with { }));
        Assert.NotNull(field);
    }

    [Fact]
    public void Coordinates_are_hashed_by_value_not_by_position()
    {
        var r = World.Report();
        var latitude = r with { Location = r.Location with { Latitude = 34.26 } };
        var longitude = r with { Location = r.Location with { Longitude = 34.26 } };

        Assert.NotEqual(IncidentService.HashOf(latitude), IncidentService.HashOf(longitude));
        Assert.Matches("^[0-9A-F]{64}$", IncidentService.HashOf(r));
        Assert.Equal(IncidentService.HashOf(r with { ReporterContact = null }), IncidentService.HashOf(r with { ReporterContact = "" }));
    }
}
