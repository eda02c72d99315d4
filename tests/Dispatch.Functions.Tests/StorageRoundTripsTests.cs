using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The storage requests an intake and a dispatch make, on real Azurite, as the app's own table client sends them
/// (issue 29 §2): which come before the commit, which are under way together, and that the commit is the last.
/// The expected lists are counted by hand from what each request must do (README, "Performance").
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class StorageRoundTripsTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private IncidentService Incidents => stack.Service<IncidentService>();

    [Fact]
    public async Task An_intake_writes_its_due_entry_and_the_audit_copy_under_the_person_then_commits_in_one_transaction()
    {
        // The station's first intake in this process also writes its register row (once): not the one counted.
        await ReportAsync();

        using var counted = RequestCounter.Begin(record: true);
        var created = await ReportAsync();

        Assert.Equal(CreateOutcome.Created, created.Outcome);
        var sent = counted.Steps.Where(s => !s.Answered).ToList();
        // By hand: the due-index entry (partition due-n of the index's table) and the copy of the audit record under the
        // person (partition auditby|…), in either order, then the commit: one entity-group transaction (POST …/$batch).
        Assert.Equal(3, counted.Requests);
        Assert.Single(sent.Take(2), s => s.Method == "PUT" && s.Path.Contains("(PartitionKey='due-", StringComparison.Ordinal));
        Assert.Single(sent.Take(2), s => s.Method == "PUT" && s.Path.Contains($"(PartitionKey='auditby|{staff.Dispatcher.Subject}'", StringComparison.Ordinal));
        Assert.Equal(("POST", true), (sent[2].Method, sent[2].Path.EndsWith("/$batch", StringComparison.Ordinal)));
        Assert.True(counted.Steps[^1] is { Answered: true, Method: "POST" }, string.Join("\n", counted.Steps));
    }

    [Fact]
    public async Task A_dispatch_reads_the_unit_it_names_while_the_incident_is_read_and_commits_last()
    {
        var id = (await ReportAsync()).Stored!.Incident.Id;

        using var counted = RequestCounter.Begin(record: true);
        var dispatched = await Incidents.ChangeAsync(Call(), id, new IncidentRequest.Dispatch("patrol-1", staff.Officer.Subject), null, default);

        Assert.Equal(IncidentStatus.Dispatched, dispatched.Incident.Status);
        var steps = counted.Steps;
        var log = string.Join("\n", steps);
        var sent = steps.Where(s => !s.Answered).ToList();
        // By hand: the audit copy under the person, the officer's roster line (the first time within 5 s), the incident,
        // the unit the dispatch names, then the commit (incident, event, unit, audit record: one transaction).
        Assert.Equal(5, counted.Requests);
        Assert.Single(sent, s => s.Method == "PUT" && s.Path.Contains($"(PartitionKey='auditby|{staff.Dispatcher.Subject}'", StringComparison.Ordinal));
        Assert.Single(sent, s => s.Method == "GET" && s.Path.Contains($"RowKey='roster|{staff.Officer.Subject}'", StringComparison.Ordinal));
        var incidentRead = Assert.Single(sent, s => s.Method == "GET" && s.Path.Contains("RowKey='incident|", StringComparison.Ordinal));
        var unitRead = Assert.Single(sent, s => s.Method == "GET" && s.Path.Contains("RowKey='unit|patrol-1'", StringComparison.Ordinal));
        Assert.True(sent[^1].Method == "POST" && sent[^1].Path.EndsWith("/$batch", StringComparison.Ordinal), log);

        // The request names the unit, so its read does not wait for the incident's answer: both are under way at once.
        var incidentAnswered = IndexOf(steps, incidentRead with { Answered = true });
        Assert.True(IndexOf(steps, unitRead) < incidentAnswered, log);
    }

    [Fact]
    public async Task A_scope_inside_another_counts_its_requests_in_both_and_the_outer_one_keeps_counting_after_it()
    {
        var id = (await ReportAsync()).Stored!.Incident.Id;
        var store = stack.Service<IIncidentStore>();

        using var outer = RequestCounter.Begin();
        await store.FindAsync(id, default);
        int inside;
        using (var inner = RequestCounter.Begin())
        {
            await store.FindAsync(id, default);
            await store.FindAsync(id, default);
            inside = inner.Requests;
        }

        await store.FindAsync(id, default);

        // By hand: four point reads, one request each; two of them within the inner scope.
        Assert.Equal((2, 4), (inside, outer.Requests));
    }

    private static int IndexOf(IReadOnlyList<StorageStep> steps, StorageStep step) =>
        steps.Select((s, i) => (s, i)).Single(p => p.s == step).i;

    private Task<CreateResult> ReportAsync() => Incidents.ReportAsync(
        Call(), new IncidentReport(staff.Station, "theft", Priority.P4, Zone.Urban, new Location("1 Bell Tower Square", 34.26, 108.94), "Bicycle taken.", Channel.Phone, null),
        null, default);

    private ApiCall Call() => new(
        new Caller(staff.Dispatcher, new HashSet<GlobalRole>(), [new Membership(staff.Station, staff.Dispatcher, StationRole.Dispatcher, null)]),
        new RequestInfo(Guid.NewGuid().ToString("N"), "Test", "127.0.0.1", "test"), stack.Clock.GetCurrentInstant());
}
