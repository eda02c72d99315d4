using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>
/// Intake and a transition step by step, in-process, each step beside the raw storage work it stands for (issue 29
/// §2), in turns on the app's own table: the due-index entry and the by-person audit copy written before
/// the commit against a raw upsert each, the commit against a raw transaction of five rows, the whole use cases
/// against a raw transaction and a raw read + conditional update.
/// </summary>
public static class StorageStepsBench
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, StackProcess stack, TableClient raw, bool quick)
    {
        var count = quick ? 200 : 1000;
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents");
        var store = services.Get<IIncidentStore>();
        var index = services.Get<IDueIndex>();
        var audit = services.Get<IAuditTrail>();
        var incidents = services.Get<IncidentService>();
        var policy = services.Get<ResponsePolicy>();
        var clock = services.Get<IClock>();
        var report = BenchServices.Report(StationId.Parse($"bench-steps-{Guid.NewGuid():N}"[..24]), Priority.P4);
        var padding = new string('x', 1500);

        (Transition Opened, AuditRecord Record) Open()
        {
            var now = clock.GetCurrentInstant();
            var opened = Incident.Open(IncidentId.New(report.Station, now), report, policy, now, BenchServices.CommandCenter);
            var call = services.Call();
            call.Station = report.Station;
            call.Incident = opened.Incident.Id;
            return (opened, call.Record(AuditOutcome.Created));
        }

        async Task<bool> RawUpsert()
        {
            await raw.UpsertEntityAsync(new TableEntity("raw-upsert", Guid.NewGuid().ToString("N")) { ["Body"] = "x", ["Since"] = DateTimeOffset.UnixEpoch });
            return true;
        }

        async Task<bool> RawBatch()
        {
            var id = Guid.NewGuid().ToString("N");
            var response = await raw.SubmitTransactionAsync([.. Enumerable.Range(0, 5).Select(r =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("raw-batch", $"{r}|{id}") { ["Body"] = r < 2 ? padding : "x" }))]);
            return response.Value.Count == 5;
        }

        var figures = new List<Figure>();
        var (entry, upsert) = await Load.InterleavedAsync(count, async () =>
        {
            var (opened, _) = Open();
            await index.AddAsync([DueEntry.ForClock(opened.Incident.Id, opened.Incident.NextDueAt!.Value)], default);
            return true;
        }, RawUpsert);
        figures.Add(Step("  intake, before the commit: the due-index entry", entry, upsert, "raw upsert of a small row", count));

        var (copy, upsert2) = await Load.InterleavedAsync(count, async () =>
        {
            await audit.PrepareAsync(Open().Record, default);
            return true;
        }, RawUpsert);
        figures.Add(Step("  intake and transitions, before the commit: the audit copy under the person", copy, upsert2, "raw upsert of a small row", count));

        var (commit, batch) = await Load.InterleavedAsync(count, async () =>
        {
            var (opened, record) = Open();
            return (await store.CreateAsync(opened, null, record, default)).Outcome == CreateOutcome.Created;
        }, RawBatch);
        figures.Add(Step("  intake's commit: the incident, its event, open entry, audit record and station version", commit, batch, "raw 5-entity transaction", count));

        var (intake, batch2) = await Load.InterleavedAsync(count, async () =>
            (await incidents.ReportAsync(services.Call(), report, null, default)).Outcome == CreateOutcome.Created, RawBatch);
        figures.Add(Step("intake use case in-process, 1 client (goal ≥ 0.8×)", intake, batch2, "raw 5-entity transaction", count));

        // Each dispatch sends an officer of its own in a unit of its own, at a station of the bench's: a plain dispatch.
        // (One officer's unit for all of them, as before issue 27's units, makes every dispatch after the first a
        // diversion: the unit is pulled off the incident before, which is read and written too.)
        var crewed = report with { Station = StationId.Parse($"bench-crew-{Guid.NewGuid():N}"[..24]) };
        var roster = services.Get<Core.Identity.IRosterStore>();
        var ids = new List<IncidentId>();
        for (var i = 0; i < count; i++)
        {
            var enlisting = services.Call();
            enlisting.Station = crewed.Station;
            await roster.PutAsync(new Core.Identity.Membership(crewed.Station, new Core.Identity.Person($"officer-{i}", $"Officer {i}"), Core.Identity.StationRole.Officer, $"unit-{i}"),
                enlisting.Record(AuditOutcome.Changed), default);
            ids.Add((await incidents.ReportAsync(services.Call(), crewed, null, default)).Stored!.Incident.Id);
            await raw.UpsertEntityAsync(new TableEntity("raw-update", $"{i}") { ["Body"] = padding });
        }

        var next = (Dispatch: 0, Update: 0);
        var (transition, update) = await Load.InterleavedAsync(count, async () =>
        {
            var i = next.Dispatch++;
            var stored = await incidents.ChangeAsync(services.Call(), ids[i], new IncidentRequest.Dispatch($"unit-{i}", $"officer-{i}"), null, default);
            return stored.Incident.Status == IncidentStatus.Dispatched;
        }, async () =>
        {
            var entity = (await raw.GetEntityAsync<TableEntity>("raw-update", $"{next.Update++}")).Value;
            entity["Status"] = "dispatched";
            return (await raw.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace)).Status == 204;
        });
        figures.Add(Step("transition use case in-process (dispatch), 1 client (goal ≥ 0.6×)", transition, update, "raw read + conditional update", count));
        return figures;
    }

    private static Figure Step(string name, LoadResult ours, LoadResult raw, string rawName, int count) => new(
        name, $"{Stats.Rate(ours.PerSecond)} (p50 {Stats.Ms(ours.P50)})", $"{rawName}: {Stats.Rate(raw.PerSecond)} (p50 {Stats.Ms(raw.P50)})",
        $"{ours.PerSecond / raw.PerSecond:0.00}×", $"in turns of 50, {count} each{HttpPathBench.Errors(ours, raw)}");
}
