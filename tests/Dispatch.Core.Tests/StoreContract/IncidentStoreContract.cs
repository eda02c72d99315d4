using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests.StoreContract;

/// <summary>
/// What the use cases rely on from the incident store, its queries and its outbox, written once and run against
/// every implementation: the in-memory double the Core tests use (<see cref="InMemoryStoreContractTests"/>) and
/// the Table Storage store on Azurite (<c>TableStoreContractTests</c> in Dispatch.Functions.Tests). A promise the
/// double keeps and the table store does not (or the other way round) fails here, not in a use case's test.
/// </summary>
/// <remarks>
/// Each test works in a station of its own, so the table implementation can share one table between tests.
/// Expected values come from the promises written on <see cref="IIncidentStore"/>, <see cref="IIncidentQueries"/>
/// and <see cref="INoticeOutbox"/>, and from the policy's documented windows.
/// </remarks>
public abstract class IncidentStoreContract
{
    private static readonly Instant T0 = World.T0;

    private readonly StationId station = NewStation();

    /// <summary>The three ports over one store, and the audit records its transactions committed for a station.</summary>
    protected sealed record Ports(IIncidentStore Store, IIncidentQueries Queries, INoticeOutbox Outbox, Func<StationId, Task<IReadOnlyList<AuditRecord>>> CommittedAudit);

    protected abstract Ports Create();

    [Fact]
    public async Task A_created_incident_is_found_as_it_was_with_its_version_tag_and_an_unknown_one_is_not()
    {
        var ports = Create();
        var opened = Open(T0);

        var created = await ports.Store.CreateAsync(opened, null, Record(AuditOutcome.Created), default);
        var found = await ports.Store.FindAsync(opened.Incident.Id, default);

        Assert.Equal(CreateOutcome.Created, created.Outcome);
        Assert.Equal(created.Stored!.ETag, found!.ETag);
        Assert.Equal(
            (opened.Incident.Id, IncidentStatus.Reported, T0, "theft", Priority.P1, opened.Incident.Clocks.Dispatch.Deadline),
            (found.Incident.Id, found.Incident.Status, found.Incident.ReportedAt, found.Incident.Report.Category, found.Incident.Report.Priority, found.Incident.Clocks.Dispatch.Deadline));
        Assert.Null(await ports.Store.FindAsync(IncidentId.New(station, T0), default));
    }

    [Fact]
    public async Task A_create_commits_its_events_its_notices_and_its_audit_record_with_it()
    {
        var ports = Create();
        var opened = Open(T0, category: "homicide"); // a major matter: the chief is told at once
        var audit = Record(AuditOutcome.Created);

        await ports.Store.CreateAsync(opened, null, audit, default);

        Assert.Equal([(1, EventKind.Reported), (2, EventKind.Notified)], (await ports.Queries.TimelineAsync(opened.Incident.Id, default)).Select(e => (e.Sequence, e.Kind)));
        Assert.Equal([$"{opened.Incident.Id}:immediate"], (await ports.Outbox.PendingAsync(opened.Incident.Id, default)).Select(p => p.Notice.MessageId));
        Assert.Equal([audit.Id], (await ports.CommittedAudit(station)).Select(a => a.Id));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_replays_the_first_incident_and_a_key_reused_for_another_request_writes_nothing()
    {
        var ports = Create();
        var first = Open(T0);
        var repeat = Open(T0 + Duration.FromSeconds(1));
        var reuse = Open(T0 + Duration.FromSeconds(2));
        var elsewhere = Open(T0, NewStation());

        await ports.Store.CreateAsync(first, new IdempotencyClaim("key-1", "hash-a"), Record(AuditOutcome.Created), default);
        var replayed = await ports.Store.CreateAsync(repeat, new IdempotencyClaim("key-1", "hash-a"), Record(AuditOutcome.Created), default);
        var refused = await ports.Store.CreateAsync(reuse, new IdempotencyClaim("key-1", "hash-b"), Record(AuditOutcome.Created), default);
        var other = await ports.Store.CreateAsync(elsewhere, new IdempotencyClaim("key-1", "hash-b"), Record(AuditOutcome.Created, elsewhere.Incident.Station), default);

        Assert.Equal((CreateOutcome.Replayed, first.Incident.Id), (replayed.Outcome, replayed.Stored!.Incident.Id));
        Assert.Equal((CreateOutcome.KeyReusedWithDifferentRequest, (StoredIncident?)null), (refused.Outcome, refused.Stored));
        Assert.Equal(CreateOutcome.Created, other.Outcome); // keys are per station
        Assert.Null(await ports.Store.FindAsync(repeat.Incident.Id, default));
        Assert.Null(await ports.Store.FindAsync(reuse.Incident.Id, default));
        Assert.Equal([first.Incident.Id], (await ListAsync(ports, StatusFilter.Any, T0)).Select(i => i.Id));
        Assert.Single(await ports.CommittedAudit(station));
    }

    [Fact]
    public async Task A_save_on_the_current_version_commits_the_change_its_events_its_notices_and_its_audit_record()
    {
        var ports = Create();
        var stored = await CreateAsync(ports, Open(T0));
        var dispatched = stored.Incident.Dispatch("patrol-7", World.Officer, T0 + Duration.FromSeconds(30), World.Dispatcher);

        var saved = await ports.Store.SaveAsync(stored, dispatched, Record(AuditOutcome.Changed), default);
        // The arrival window (5 minutes for P1) has passed: the sweep records the breach and its notices.
        var swept = saved.Incident.Sweep(T0 + Duration.FromMinutes(6));
        var again = await ports.Store.SaveAsync(saved, swept, null, default);

        Assert.NotEqual(stored.ETag, saved.ETag);
        Assert.NotEqual(saved.ETag, again.ETag);
        var found = (await ports.Store.FindAsync(stored.Incident.Id, default))!;
        Assert.Equal((IncidentStatus.Dispatched, again.ETag, swept.Incident.Version), (found.Incident.Status, found.ETag, found.Incident.Version));
        Assert.Equal(
            [EventKind.Reported, EventKind.Dispatched, .. swept.Events.Select(e => e.Kind)],
            (await ports.Queries.TimelineAsync(stored.Incident.Id, default)).Select(e => e.Kind));
        Assert.NotEmpty(swept.Notices);
        Assert.Equal(swept.Notices.Select(n => n.MessageId).Order(), (await ports.Outbox.PendingAsync(stored.Incident.Id, default)).Select(p => p.Notice.MessageId).Order());
        Assert.Equal(2, (await ports.CommittedAudit(station)).Count); // the create's and the dispatch's; the sweep records none
    }

    [Fact]
    public async Task A_save_on_a_stale_version_is_refused_and_writes_nothing_of_its_change()
    {
        var ports = Create();
        var stored = await CreateAsync(ports, Open(T0));
        var saved = await ports.Store.SaveAsync(stored, stored.Incident.Dispatch("patrol-7", World.Officer, T0 + Duration.FromSeconds(30), World.Dispatcher), Record(AuditOutcome.Changed), default);
        var late = stored.Incident.Sweep(T0 + Duration.FromMinutes(6)); // made from the version before the dispatch

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => ports.Store.SaveAsync(stored, late, Record(AuditOutcome.Changed), default));

        var found = (await ports.Store.FindAsync(stored.Incident.Id, default))!;
        Assert.Equal((IncidentStatus.Dispatched, saved.ETag), (found.Incident.Status, found.ETag));
        Assert.Equal([EventKind.Reported, EventKind.Dispatched], (await ports.Queries.TimelineAsync(stored.Incident.Id, default)).Select(e => e.Kind));
        Assert.Empty(await ports.Outbox.PendingAsync(stored.Incident.Id, default));
        Assert.Equal(2, (await ports.CommittedAudit(station)).Count);
    }

    [Fact]
    public async Task Lists_filter_by_state_and_priority_newest_first_and_hold_only_the_station_asked_for()
    {
        var ports = Create();
        var first = await CreateAsync(ports, Open(T0));
        var cancelled = await CreateAsync(ports, Open(T0 + Duration.FromSeconds(10), priority: Priority.P2));
        await ports.Store.SaveAsync(cancelled, cancelled.Incident.Cancel("duplicate", T0 + Duration.FromSeconds(15), World.Dispatcher), Record(AuditOutcome.Changed), default);
        var last = await CreateAsync(ports, Open(T0 + Duration.FromSeconds(20)));
        await CreateAsync(ports, Open(T0, NewStation()));
        // Exactly at the first one's dispatch deadline: it is overdue from that instant on; the last one's deadline is 20 s later.
        var now = first.Incident.NextDeadline!.Value;

        Assert.Equal([last.Incident.Id, cancelled.Incident.Id, first.Incident.Id], (await ListAsync(ports, StatusFilter.Any, now)).Select(i => i.Id));
        Assert.Equal([last.Incident.Id, first.Incident.Id], (await ListAsync(ports, StatusFilter.Open, now)).Select(i => i.Id));
        Assert.Equal([first.Incident.Id], (await ListAsync(ports, StatusFilter.Overdue, now)).Select(i => i.Id));
        Assert.Empty(await ListAsync(ports, StatusFilter.Overdue, now - Duration.FromMilliseconds(1)));
        Assert.Equal([cancelled.Incident.Id], (await ListAsync(ports, StatusFilter.Closed, now)).Select(i => i.Id));
        Assert.Equal([last.Incident.Id, first.Incident.Id], (await ListAsync(ports, StatusFilter.Any, now, Priority.P1)).Select(i => i.Id));
        Assert.Empty(await ListAsync(ports, StatusFilter.Open, now, Priority.P2));
    }

    [Fact]
    public async Task An_open_incident_whose_last_deadline_went_away_is_no_longer_overdue()
    {
        var ports = Create();
        var stored = await CreateAsync(ports, Open(T0));
        stored = await ports.Store.SaveAsync(stored, stored.Incident.Dispatch("patrol-7", World.Officer, T0 + Duration.FromSeconds(30), World.Dispatcher), Record(AuditOutcome.Changed), default);
        stored = await ports.Store.SaveAsync(stored, stored.Incident.Arrive(T0 + Duration.FromSeconds(60), World.Officer), Record(AuditOutcome.Changed), default);
        var later = T0 + Duration.FromDays(1);
        // On scene, the resolution clock runs: a day later it is overdue.
        Assert.Equal([stored.Incident.Id], (await ListAsync(ports, StatusFilter.Overdue, later)).Select(i => i.Id));

        var resolved = stored.Incident.Resolve("arrested", T0 + Duration.FromSeconds(90), World.Officer);
        Assert.True(resolved.Incident.IsOpen && resolved.Incident.NextDeadline is null, "resolved, open until closed, and no clock left running");
        await ports.Store.SaveAsync(stored, resolved, Record(AuditOutcome.Changed), default);

        Assert.Empty(await ListAsync(ports, StatusFilter.Overdue, later));
        Assert.Equal([stored.Incident.Id], (await ListAsync(ports, StatusFilter.Open, later)).Select(i => i.Id));
    }

    [Fact]
    public async Task A_list_comes_in_pages_that_together_hold_every_incident_once_and_a_token_it_did_not_issue_is_refused()
    {
        var ports = Create();
        var ids = new List<IncidentId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await CreateAsync(ports, Open(T0 + Duration.FromSeconds(i)))).Incident.Id);
        }

        var pages = new List<IReadOnlyList<IncidentView>>();
        string? token = null;
        do
        {
            var page = await ports.Queries.ListAsync(new IncidentQuery(station, StatusFilter.Any, null, T0, 2, token), default);
            pages.Add(page.Items);
            token = page.ContinuationToken;
        }
        while (token is not null && pages.Count < 10);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p).Select(i => i.Id));
        await Assert.ThrowsAsync<InvalidContinuationTokenException>(() => ports.Queries.ListAsync(new IncidentQuery(station, StatusFilter.Any, null, T0, 2, "not-one-of-ours"), default));
    }

    [Fact]
    public async Task A_report_range_holds_the_incidents_reported_from_its_first_instant_up_to_but_not_at_its_end()
    {
        var ports = Create();
        var hour = Duration.FromHours(1);
        var millisecond = Duration.FromMilliseconds(1);
        var before = await CreateAsync(ports, Open(T0 - millisecond));
        var atStart = await CreateAsync(ports, Open(T0));
        var lastIn = await CreateAsync(ports, Open(T0 + hour - millisecond));
        var atEnd = await CreateAsync(ports, Open(T0 + hour));
        await CreateAsync(ports, Open(T0 + Duration.FromMinutes(30), NewStation()));

        var found = new List<IncidentId>();
        await foreach (var incident in ports.Queries.ReportedBetweenAsync(station, T0, T0 + hour, T0 + hour, default))
        {
            found.Add(incident.Id);
        }

        Assert.Equal(new[] { atStart.Incident.Id, lastIn.Incident.Id }.OrderBy(i => i.Value), found.OrderBy(i => i.Value));
        Assert.DoesNotContain(before.Incident.Id, found);
        Assert.DoesNotContain(atEnd.Incident.Id, found);
    }

    [Fact]
    public async Task A_station_is_known_once_it_has_reported_and_its_version_changes_with_every_change_but_not_with_reads()
    {
        var ports = Create();
        var before = await ports.Queries.StationVersionAsync(station, default);

        var stored = await CreateAsync(ports, Open(T0));
        var afterCreate = await ports.Queries.StationVersionAsync(station, default);
        await ports.Store.FindAsync(stored.Incident.Id, default);
        await ListAsync(ports, StatusFilter.Any, T0);
        var afterReads = await ports.Queries.StationVersionAsync(station, default);
        await ports.Store.SaveAsync(stored, stored.Incident.Dispatch("patrol-7", World.Officer, T0 + Duration.FromSeconds(30), World.Dispatcher), Record(AuditOutcome.Changed), default);
        var afterSave = await ports.Queries.StationVersionAsync(station, default);

        Assert.Null(before);
        Assert.NotNull(afterCreate);
        Assert.Equal(afterCreate, afterReads);
        Assert.NotEqual(afterCreate, afterSave);
        // Known since its first incident (reported, and its request recorded, at T0).
        Assert.Contains(new KnownStation(station, T0), await ports.Queries.StationsAsync(default));
    }

    [Fact]
    public async Task The_outbox_holds_each_incidents_own_notices_postpones_one_only_on_its_version_and_forgets_it_once_removed()
    {
        var ports = Create();
        var opened = Open(T0, category: "homicide");
        await ports.Store.CreateAsync(opened, null, Record(AuditOutcome.Created), default);
        await ports.Store.CreateAsync(Open(T0 + Duration.FromSeconds(1), category: "homicide"), null, Record(AuditOutcome.Created), default);
        var id = opened.Incident.Id;
        var pending = Assert.Single(await ports.Outbox.PendingAsync(id, default));
        var retryAt = T0 + Duration.FromMinutes(5);

        await ports.Outbox.PostponeAsync(pending, retryAt, default);
        var postponed = Assert.Single(await ports.Outbox.PendingAsync(id, default));
        await ports.Outbox.PostponeAsync(pending, retryAt + Duration.FromMinutes(5), default); // a second relay holding the old version
        var afterStale = Assert.Single(await ports.Outbox.PendingAsync(id, default));
        await ports.Outbox.RemoveAsync([pending.Notice], default);
        var afterRemove = await ports.Outbox.PendingAsync(id, default);
        await ports.Outbox.RemoveAsync([pending.Notice], default); // already removed by another relay: not an error

        Assert.Equal(($"{id}:immediate", 0, T0), (pending.Notice.MessageId, pending.Attempts, pending.NextAttemptAt));
        Assert.Equal((1, retryAt), (postponed.Attempts, postponed.NextAttemptAt));
        Assert.NotEqual(pending.ETag, postponed.ETag);
        Assert.Equal((1, retryAt), (afterStale.Attempts, afterStale.NextAttemptAt));
        Assert.Empty(afterRemove);
    }

    private static StationId NewStation() => StationId.Parse("c-" + Guid.NewGuid().ToString("N")[..16]);

    private Transition Open(Instant at, StationId? elsewhere = null, Priority priority = Priority.P1, string category = "theft") =>
        Incident.Open(IncidentId.New(elsewhere ?? station, at), World.Report(elsewhere ?? station, priority, category), ResponsePolicy.Default, at, World.Dispatcher);

    /// <summary>The audit record of a request about <paramref name="about"/> (this test's station unless named): it commits in that station's transaction.</summary>
    private AuditRecord Record(AuditOutcome outcome, StationId? about = null) =>
        new ApiCall(new Caller(World.Dispatcher, new HashSet<GlobalRole>(), []), new RequestInfo(Guid.NewGuid().ToString("N"), "Contract", null, "contract"), T0)
        {
            Station = about ?? station,
            Change = "contract",
        }.Record(outcome);

    private async Task<StoredIncident> CreateAsync(Ports ports, Transition opened) =>
        (await ports.Store.CreateAsync(opened, null, Record(AuditOutcome.Created, opened.Incident.Station), default)).Stored!;

    private async Task<IReadOnlyList<IncidentView>> ListAsync(Ports ports, StatusFilter status, Instant now, Priority? priority = null) =>
        (await ports.Queries.ListAsync(new IncidentQuery(station, status, priority, now, 50, null), default)).Items;
}
