using System.Net;
using System.Net.Http.Json;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Functions.Tests;

/// <summary>An accepted report is all its rows; a report whose write fails part-way is none of them. Read from the table itself.</summary>
[Collection(SharedAzurite.Name)]
public sealed class IntakeAtomicityTests(Azurite azurite)
{
    private static readonly string[] IncidentRowKinds = ["incident", "open", "event", "idempotency", "outbox"];

    [Fact]
    public async Task A_201_leaves_exactly_the_incident_its_open_marker_first_event_key_audit_station_version_and_day_digest_marker()
    {
        await using var stack = await ApiHost.StartAsync(azurite.ConnectionString);
        var station = ApiHost.NewStation();

        using var response = await stack.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "incidents")
        {
            Content = JsonContent.Create(ApiHost.Report(station)),
            Headers = { { "Idempotency-Key", "intake-1" } },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = IncidentId.Parse((await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<string>());
        var rows = (await Api.RowsAsync(stack, station)).Select(r => r.RowKey).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(7, rows.Count);
        Assert.Equal("_version", rows[0]);
        Assert.StartsWith("audit|", rows[1], StringComparison.Ordinal);
        Assert.Matches("^digest\\|[0-9]{4}-[0-9]{2}-[0-9]{2}$", rows[2]); // the day's digest marked changed (issue 29 §5)
        Assert.Equal($"event|{id}|000001", rows[3]);
        Assert.Equal($"idempotency|{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("intake-1"u8))}", rows[4]);
        Assert.Matches($"^incident\\|[0-9]+\\|{id}$", rows[5]);
        Assert.Matches($"^open\\|[0-9]+\\|{id}$", rows[6]);
    }

    [Fact]
    public async Task A_report_whose_write_fails_part_way_leaves_no_row_of_it_and_its_early_index_entry_is_dropped_as_an_orphan()
    {
        // The real store and the real transaction, with an audit row Table Storage refuses: the batch fails on its fifth row.
        await using var stack = await ApiHost.StartAsync(azurite.ConnectionString,
            services: s => s.AddSingleton<IIncidentStore>(sp => new RefusedAuditRow(sp.GetRequiredService<TableIncidentStore>())));
        var station = ApiHost.NewStation();

        using var response = await stack.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "incidents")
        {
            Content = JsonContent.Create(ApiHost.Report(station, category: "homicide")),
            Headers = { { "Idempotency-Key", "intake-2" } },
        });

        Assert.NotEqual(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var rows = await Api.RowsAsync(stack, station);
        Assert.DoesNotContain(rows, r => IncidentRowKinds.Contains(r.RowKey.Split('|')[0]) || r.RowKey == "_version");
        Assert.DoesNotContain(rows, r => r.GetInt32("Outcome") == 201);
        var early = await IndexEntriesAsync(stack, station);
        Assert.NotEmpty(early);

        stack.Clock.Advance(NodaTime.Duration.FromMinutes(3));
        await stack.Service<Sweeper>().SweepAsync(default);

        Assert.Empty(await IndexEntriesAsync(stack, station));
    }

    private static async Task<List<string>> IndexEntriesAsync(ApiHost stack, string station)
    {
        var entries = new List<string>();
        await foreach (var entry in stack.Service<DueIndexTable>().Table.Client.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
        {
            if (entry.RowKey.Contains($"|{station}.", StringComparison.Ordinal))
            {
                entries.Add(entry.RowKey);
            }
        }

        return entries;
    }

    private sealed class RefusedAuditRow(TableIncidentStore store) : IIncidentStore
    {
        public Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, AuditRecord audit, CancellationToken cancellationToken) =>
            store.CreateAsync(opened, claim, audit with { Id = "refused/by/table-storage" }, cancellationToken);

        public Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken) => store.FindAsync(id, cancellationToken);

        public Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, CancellationToken cancellationToken) =>
            store.SaveAsync(previous, change, audit, cancellationToken);

        public Task<SaveAllResult> SaveAllAsync(IReadOnlyList<(StoredIncident Previous, Transition Change)> changes, CancellationToken cancellationToken) =>
            store.SaveAllAsync(changes, cancellationToken);

        public Task CheckHealthAsync(CancellationToken cancellationToken) => store.CheckHealthAsync(cancellationToken);
    }
}
