using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Sweep → outbox → relay → the escalations topic → audience subscriptions, on real Azurite and the
/// in-repo broker through the real clients, with a FakeClock deciding what time it is. Each test has
/// its own broker so no test reads another's messages.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class EscalationFlowTests(Azurite azurite) : IAsyncLifetime
{
    private LocalBus bus = null!;
    private ApiHost api = null!;
    private ServiceBusClient client = null!;

    public async Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")));
        api = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: bus.ConnectionString);
        client = new ServiceBusClient(bus.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await client.DisposeAsync();
        await api.DisposeAsync();
        await bus.DisposeAsync();
    }

    private Sweeper Sweeper => api.App.Services.GetRequiredService<Sweeper>();

    [Fact]
    public async Task The_full_ladder_reaches_duty_officer_chief_and_command_center_in_turn()
    {
        var id = await ReportAsync("P1");

        api.Clock.Advance(Duration.FromSeconds(30));
        await Sweeper.SweepAsync(default);
        var warning = Assert.Single(await ReceiveAsync("duty-officer", id));
        Assert.Equal("warning", warning.ApplicationProperties["kind"]);

        api.Clock.Advance(Duration.FromSeconds(30)); // the 1-minute dispatch deadline
        await Sweeper.SweepAsync(default);
        var breach = (await ReceiveAsync("duty-officer", id)).Single(m => (string)m.ApplicationProperties["kind"] == "escalation");
        Assert.Equal(1, breach.ApplicationProperties["level"]);

        api.Clock.Advance(Duration.FromMinutes(2));
        await Sweeper.SweepAsync(default);
        var chief = Assert.Single(await ReceiveAsync("chief", id));
        var body = JsonNode.Parse(chief.Body.ToString())!;
        Assert.Equal("application/json", chief.ContentType);
        Assert.Equal($"{id}:dispatch:escalation:2", chief.MessageId);
        Assert.Equal(("chief", "escalation", 2, "P1", "dispatch"),
            ((string)chief.ApplicationProperties["audience"], (string)chief.ApplicationProperties["kind"], (int)chief.ApplicationProperties["level"],
             (string)chief.ApplicationProperties["priority"], (string)chief.ApplicationProperties["clock"]));
        Assert.Equal(id, body["incidentId"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:01:00Z", body["deadline"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:01:00Z", body["breachedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:03:00Z", body["escalatedAt"]!.GetValue<string>());
        Assert.Equal("PT2M", body["overdueBy"]!.GetValue<string>());
        Assert.EndsWith($"/api/incidents/{id}", body["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("theft", body["summary"]!.GetValue<string>(), StringComparison.Ordinal);

        api.Clock.Advance(Duration.FromMinutes(8));
        await Sweeper.SweepAsync(default);
        Assert.Contains(await ReceiveAsync("command-center", id), m => m.MessageId == $"{id}:dispatch:escalation:3");

        var dispatchLevels = (await TimelineAsync(id))
            .Where(e => e!["kind"]!.GetValue<string>() == "escalated" && e["details"]!["clock"]!.GetValue<string>() == "dispatch")
            .Select(e => e!["details"]!["level"]!.GetValue<string>());
        Assert.Equal(["1", "2", "3"], dispatchLevels);
    }

    [Fact]
    public async Task A_major_category_reaches_the_chief_on_intake_without_a_sweep()
    {
        var id = await ReportAsync("P1", category: "homicide");

        var message = Assert.Single(await ReceiveAsync("chief", id));

        Assert.Equal("immediate", message.ApplicationProperties["kind"]);
        Assert.Equal($"{id}:immediate", message.MessageId);
        Assert.Contains("notified", await TimelineKindsAsync(id));
    }

    [Fact]
    public async Task A_major_matter_reported_while_service_bus_is_down_is_still_created_and_reaches_the_chief_later()
    {
        var port = Azurite.FreePort();
        await using var isolated = await ApiHost.StartAsync(azurite.ConnectionString,
            serviceBus: LocalBus.ConnectionStringFor(port));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var created = await isolated.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", category: "mass-incident"));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"intake waited {started.Elapsed} on Service Bus");
        await using var upBus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")), port);
        isolated.Clock.Advance(Duration.FromSeconds(2));
        await isolated.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        await using var upClient = new ServiceBusClient(upBus.ConnectionString);
        await using var receiver = upClient.CreateReceiver("escalations", "chief");
        var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
        Assert.Equal($"{created["id"]!.GetValue<string>()}:immediate", message?.MessageId);
    }

    [Fact]
    public async Task Acknowledging_stops_the_ladder_and_acknowledging_nothing_is_409()
    {
        var id = await ReportAsync("P1");
        using var early = await api.Client.PostAsJsonAsync($"incidents/{id}/acknowledge", new { by = "chief.zhang" });
        var problem = await IncidentApiTests.AssertProblemAsync(early, HttpStatusCode.Conflict);
        Assert.Contains("nothing escalated", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        api.Clock.Advance(Duration.FromMinutes(1));
        await Sweeper.SweepAsync(default);
        using var ack = await api.Client.PostAsJsonAsync($"incidents/{id}/acknowledge", new { by = "chief.zhang", level = 1 });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acknowledged = (await ApiHost.ReadJsonAsync(ack))!;
        Assert.Equal("chief.zhang", acknowledged["clocks"]!["dispatch"]!["acknowledgedBy"]!.GetValue<string>());

        api.Clock.Advance(Duration.FromMinutes(15));
        await Sweeper.SweepAsync(default);
        var chief = await ReceiveAsync("chief", id);
        Assert.DoesNotContain(chief, m => (string)m.ApplicationProperties["clock"] == "dispatch");
        Assert.Contains("acknowledged", await TimelineKindsAsync(id));

        using var beyond = await api.Client.PostAsJsonAsync($"incidents/{id}/acknowledge", new { by = "x", level = 9 });
        await IncidentApiTests.AssertProblemAsync(beyond, HttpStatusCode.Conflict);
        using var missingBy = await api.Client.PostAsJsonAsync($"incidents/{id}/acknowledge", new { level = 1 });
        await IncidentApiTests.AssertProblemAsync(missingBy, HttpStatusCode.BadRequest, "by");
    }

    [Fact]
    public async Task A_clock_met_in_time_never_escalates()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromSeconds(40));
        using var dispatched = await api.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u", officer = "o" });
        Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);

        api.Clock.Advance(Duration.FromMinutes(3));
        await Sweeper.SweepAsync(default);

        var all = (await ReceiveAsync("duty-officer", id)).Concat(await ReceiveAsync("chief", id)).ToList();
        Assert.DoesNotContain(all, m => (string)m.ApplicationProperties["clock"] == "dispatch" && (string)m.ApplicationProperties["kind"] == "escalation");
        Assert.Contains(all, m => (string)m.ApplicationProperties["clock"] == "arrival");
    }

    [Fact]
    public async Task After_downtime_the_first_sweep_sends_everything_that_came_due()
    {
        var id = await ReportAsync("P1");

        api.Clock.Advance(Duration.FromMinutes(12));
        var report = await Sweeper.SweepAsync(default);

        Assert.Equal(1, report.Changed);
        var ids = (await ReceiveAsync("duty-officer", id)).Concat(await ReceiveAsync("chief", id)).Concat(await ReceiveAsync("command-center", id))
            .Select(m => m.MessageId).ToList();
        Assert.Contains($"{id}:dispatch:escalation:1", ids);
        Assert.Contains($"{id}:dispatch:escalation:2", ids);
        Assert.Contains($"{id}:dispatch:escalation:3", ids);
        Assert.DoesNotContain($"{id}:dispatch:warning:1", ids);
        var second = await Sweeper.SweepAsync(default);
        Assert.Equal(0, second.Notices);
    }

    [Fact]
    public async Task Concurrent_sweeps_never_record_or_send_a_level_twice()
    {
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await ReportAsync("P1"));
        }

        api.Clock.Advance(Duration.FromMinutes(1));
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sweeper.SweepAsync(default))));

        Assert.Equal(12, reports.Sum(r => r.Changed));
        foreach (var id in ids)
        {
            var levels = (await TimelineAsync(id)).Count(e => e!["kind"]!.GetValue<string>() == "escalated" && e["details"]!["clock"]!.GetValue<string>() == "dispatch");
            Assert.Equal(1, levels);
        }

        var received = await ReceiveAsync("duty-officer", incidentId: null);

        var breaches = received.Where(m => m.MessageId.EndsWith(":dispatch:escalation:1", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, breaches.Count);
        Assert.Equal(12, breaches.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task A_crash_between_commit_and_send_is_sent_by_the_next_sweep()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromMinutes(1));
        using var crash = new CancellationTokenSource();
        var crashing = new Sweeper(api.App.Services.GetRequiredService<IIncidentStore>(),
            new NoticeRelay(api.App.Services.GetRequiredService<INoticeOutbox>(), new CrashingPublisher(crash, null), api.Clock), api.Clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crashing.SweepAsync(crash.Token));
        Assert.Empty(await ReceiveAsync("duty-officer", id, TimeSpan.FromMilliseconds(300)));

        var report = await Sweeper.SweepAsync(default);
        Assert.Equal(0, report.Changed); // the change was already committed
        Assert.Contains(await ReceiveAsync("duty-officer", id), m => m.MessageId == $"{id}:dispatch:escalation:1");
    }

    [Fact]
    public async Task A_crash_after_send_before_the_outbox_row_is_removed_is_not_delivered_twice()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromMinutes(1));
        using var crash = new CancellationTokenSource();
        var real = api.App.Services.GetRequiredService<INoticePublisher>();
        var crashing = new Sweeper(api.App.Services.GetRequiredService<IIncidentStore>(),
            new NoticeRelay(api.App.Services.GetRequiredService<INoticeOutbox>(), new CrashingPublisher(crash, real), api.Clock), api.Clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crashing.SweepAsync(crash.Token));
        var resent = await Sweeper.SweepAsync(default);

        Assert.True(resent.Relay.Sent >= 1, "the outbox row survived the crash and was sent again");
        var breaches = (await ReceiveAsync("duty-officer", id)).Where(m => m.MessageId == $"{id}:dispatch:escalation:1").ToList();
        Assert.Single(breaches);
    }

    [Fact]
    public async Task Over_a_thousand_due_incidents_across_query_pages_are_all_handled()
    {
        const int count = 1100;
        var station = ApiHost.NewStation();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            using var response = await api.Client.PostAsJsonAsync("incidents", ApiHost.Report(station, "P3"), ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        });

        api.Clock.Advance(Duration.FromMinutes(8)); // past 50% of P3's 15-minute dispatch window
        var report = await Sweeper.SweepAsync(default);

        Assert.Equal(count, report.Due);
        Assert.Equal(count, report.Changed);
        Assert.Equal(count, report.Relay.Sent);
        Assert.Equal(count, bus.CountMessages("escalations/subscriptions/duty-officer"));
        Assert.Equal(0, (await Sweeper.SweepAsync(default)).Due);
    }

    [Fact]
    public async Task A_service_bus_outage_delays_delivery_and_loses_nothing()
    {
        var port = Azurite.FreePort();
        var downConnection = LocalBus.ConnectionStringFor(port);
        await using var isolated = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: downConnection);
        var sweeper = isolated.App.Services.GetRequiredService<Sweeper>();
        var id = (await isolated.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1")))["id"]!.GetValue<string>();
        isolated.Clock.Advance(Duration.FromMinutes(1));

        var down = await sweeper.SweepAsync(default);
        Assert.Equal(0, down.Relay.Sent);
        Assert.True(down.Relay.Failed > 0);

        await using var upBus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")), port);
        var stillBackingOff = await sweeper.SweepAsync(default);
        Assert.Equal(0, stillBackingOff.Relay.Sent + stillBackingOff.Relay.Failed);
        isolated.Clock.Advance(Duration.FromSeconds(2));
        var up = await sweeper.SweepAsync(default);

        Assert.Equal(down.Relay.Failed, up.Relay.Sent);
        await using var upClient = new ServiceBusClient(upBus.ConnectionString);
        await using var receiver = upClient.CreateReceiver("escalations", "duty-officer");
        var received = await receiver.ReceiveMessagesAsync(10, TimeSpan.FromSeconds(5));
        Assert.Contains(received, m => m.MessageId == $"{id}:dispatch:escalation:1");
    }

    private async Task<string> ReportAsync(string priority, string category = "theft") =>
        (await api.ReportAsync(ApiHost.Report(ApiHost.NewStation(), priority, category: category)))["id"]!.GetValue<string>();

    /// <summary>Drains a subscription and returns the incident's messages, or all when null (completing them all).</summary>
    private async Task<List<ServiceBusReceivedMessage>> ReceiveAsync(string subscription, string? incidentId, TimeSpan? idle = null)
    {
        await using var receiver = client.CreateReceiver("escalations", subscription);
        var mine = new List<ServiceBusReceivedMessage>();
        while (true)
        {
            var batch = await receiver.ReceiveMessagesAsync(100, idle ?? TimeSpan.FromMilliseconds(500));
            if (batch.Count == 0)
            {
                return mine;
            }

            foreach (var message in batch)
            {
                await receiver.CompleteMessageAsync(message);
                if (incidentId is null || (string)message.ApplicationProperties["incidentId"] == incidentId)
                {
                    mine.Add(message);
                }
            }
        }
    }

    private async Task<JsonArray> TimelineAsync(string id)
    {
        using var response = await api.Client.GetAsync($"incidents/{id}/timeline");
        return (await ApiHost.ReadJsonAsync(response))!["events"]!.AsArray();
    }

    private async Task<List<string>> TimelineKindsAsync(string id) =>
        (await TimelineAsync(id)).Select(e => e!["kind"]!.GetValue<string>()).ToList();

    /// <summary>Stands in for a process dying mid-relay: optionally sends for real, then the "process" stops.</summary>
    private sealed class CrashingPublisher(CancellationTokenSource crash, INoticePublisher? sendFirst) : INoticePublisher
    {
        public async Task PublishAsync(Notice notice, CancellationToken cancellationToken)
        {
            if (sendFirst is not null)
            {
                await sendFirst.PublishAsync(notice, CancellationToken.None);
            }

            await crash.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
