using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dispatch.Functions.Tests;

/// <summary>The audit trail: every decision recorded, a change and its record together, nothing writable through the API.</summary>
[Collection(SharedAzurite.Name)]
public sealed class AuditTrailTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;
    private HttpClient auditor = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
        auditor = stack.ClientAs(new Person("qian.li", "Qian Li"), GlobalRole.Auditor);
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Changes_reads_and_refusals_are_each_recorded_with_who_what_when_outcome_and_where_from()
    {
        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        stack.Clock.Advance(NodaTime.Duration.FromSeconds(10));
        await Api.GetAsync(staff.As(staff.Officer), $"incidents/{id}");
        stack.Clock.Advance(NodaTime.Duration.FromSeconds(1)); // records of one instant have no order between them
        using var refused = await staff.As(staff.Officer).PostAsJsonAsync($"incidents/{id}/cancel", new { reason = "x" });

        var records = (await Api.GetAsync(auditor, $"audit?station={staff.Station.Value}&from=2026-11-26&to=2026-11-27"))["items"]!.AsArray()
            .Where(r => r!["incidentId"]?.GetValue<string>() == id).ToList();

        Assert.Equal(["CancelIncident", "GetIncident", "ReportIncident"], records.Select(r => r!["function"]!.GetValue<string>()));
        Assert.Equal([403, 200, 201], records.Select(r => r!["outcome"]!.GetValue<int>()));
        Assert.Equal([staff.Officer.Subject, staff.Officer.Subject, staff.Dispatcher.Subject], records.Select(r => r!["actor"]!["id"]!.GetValue<string>()));
        Assert.Equal("2026-11-26T08:00:11Z", records[0]!["at"]!.GetValue<string>());
        Assert.Equal($"officer@{staff.Station.Value}", Assert.Single(records[1]!["roles"]!.AsArray())!.GetValue<string>());
        Assert.Equal("127.0.0.1", records[2]!["clientAddress"]!.GetValue<string>());
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r!["correlationId"]!.GetValue<string>())));
        Assert.Equal("report P1 theft (urban)", records[2]!["change"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_auditor_finds_what_one_person_did_across_stations_and_the_reading_is_recorded_too()
    {
        var second = await stack.StaffAsync(ApiHost.NewStation());
        var cc = stack.ClientAs(new Person("cc.one", "CC One"), GlobalRole.CommandCenter);
        await ApiHost.ReportAsync(cc, ApiHost.Report(staff.Station.Value));
        stack.Clock.Advance(NodaTime.Duration.FromSeconds(1));
        await ApiHost.ReportAsync(cc, ApiHost.Report(second.Station.Value));

        var mine = (await Api.GetAsync(auditor, "audit?subject=cc.one&from=2026-11-26&to=2026-11-27"))["items"]!.AsArray();
        var reads = (await Api.GetAsync(auditor, "audit?subject=qian.li&from=2026-11-26&to=2026-11-27"))["items"]!.AsArray();

        Assert.Equal([second.Station.Value, staff.Station.Value], mine.Select(r => r!["station"]!.GetValue<string>()));
        Assert.Contains(reads, r => r!["function"]!.GetValue<string>() == "GetAuditTrail" && r["change"]!.GetValue<string>().Contains("of cc.one", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audit_queries_are_paged_newest_first_and_need_a_station_or_a_person()
    {
        for (var i = 0; i < 5; i++)
        {
            await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value));
            stack.Clock.Advance(NodaTime.Duration.FromSeconds(1));
        }

        var first = await Api.GetAsync(auditor, $"audit?subject={staff.Dispatcher.Subject}&from=2026-11-26&to=2026-11-27&pageSize=2");
        var next = await Api.GetAsync(auditor, $"audit?subject={staff.Dispatcher.Subject}&from=2026-11-26&to=2026-11-27&pageSize=2&continuationToken={first["continuationToken"]!.GetValue<string>()}");
        using var neither = await auditor.GetAsync("audit");

        var times = first["items"]!.AsArray().Concat(next["items"]!.AsArray()).Select(r => r!["at"]!.GetValue<string>()).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);
        Assert.Equal(4, times.Distinct().Count());
        await Api.AssertProblemAsync(neither, HttpStatusCode.BadRequest, "station");
    }

    [Fact]
    public async Task Nothing_in_the_api_writes_changes_or_deletes_an_audit_record()
    {
        var (functions, _) = FunctionCatalog.Discover(
            new ConfigurationBuilder().AddInMemoryCollection(LocalFunctionsHost.Defaults).Build());

        var audit = functions.Where(f => f.Route.StartsWith("audit", StringComparison.Ordinal)).ToList();
        Assert.Equal(["GET"], audit.SelectMany(f => f.Methods));
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            using var response = await auditor.SendAsync(new HttpRequestMessage(method, "audit") { Content = JsonContent.Create(new { }) });
            await Api.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        }
    }

    [Fact]
    public async Task A_change_whose_audit_record_cannot_be_written_does_not_happen()
    {
        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        // Same table, same store, but the audit record carries a key Table Storage refuses: the transaction fails whole.
        await using var faulty = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["DISPATCH_TABLE"] = stack.Service<DispatchTable>().Client.Name,
        });
        var store = faulty.Service<IIncidentStore>();
        var stored = (await store.FindAsync(IncidentId.Parse(id), default))!;
        var change = stored.Incident.Cancel("hoax", faulty.Clock.GetCurrentInstant(), staff.Chief);
        var audit = new AuditRecord("bad/key", faulty.Clock.GetCurrentInstant(), staff.Chief.Subject, staff.Chief.Name, [], "CancelIncident",
            staff.Station, stored.Incident.Id, "cancel", AuditOutcome.Changed, null, "test");

        await Assert.ThrowsAnyAsync<Exception>(() => store.SaveAsync(stored, change, audit, default));

        var rows = await Api.RowsAsync(stack, staff.Station.Value);
        Assert.Equal("reported", (await Api.GetAsync(staff.As(staff.Dispatcher), $"incidents/{id}"))["status"]!.GetValue<string>());
        Assert.DoesNotContain(rows, r => r.RowKey.StartsWith($"event|{id}|000002", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => r.RowKey.Contains("bad", StringComparison.Ordinal));
    }
}
