using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Sweep → index → outbox → relay → the escalations topic → audience subscriptions, on real Azurite and the
/// in-repo broker through the real clients, with a FakeClock deciding what time it is. Each test has its own
/// broker and table, so no test reads another's messages.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class EscalationFlowTests(Azurite azurite) : IAsyncLifetime
{
    private LocalBus bus = null!;
    private ApiHost api = null!;
    private ServiceBusClient client = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")));
        api = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: bus.ConnectionString);
        client = new ServiceBusClient(bus.ConnectionString);
        staff = await api.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync()
    {
        await client.DisposeAsync();
        await api.DisposeAsync();
        await bus.DisposeAsync();
    }

    private Sweeper Sweeper => api.Service<Sweeper>();

    [Fact]
    public async Task A_station_whose_policy_says_zh_CN_is_told_in_Chinese_and_one_that_says_en_in_English()
    {
        var english = ApiHost.NewStation();
        var chinese = ApiHost.NewStation();
        var policy = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "infra", "policy.json")))!.AsObject();
        policy["stations"] = new JsonObject { [english] = new JsonObject { ["language"] = "en" } };
        await using var host = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = policy.ToJsonString() }, serviceBus: bus.ConnectionString);
        var inEnglish = (await host.ReportAsync(ApiHost.Report(english, category: "homicide")))["id"]!.GetValue<string>();
        var inChinese = (await host.ReportAsync(ApiHost.Report(chinese, category: "homicide")))["id"]!.GetValue<string>();

        // Both notices are on the subscription before either is looked for: one drain takes both (a drain for one
        // incident completes, and so loses, the other's message).
        var received = await ReceiveAsync("chief", incidentId: null, expecting: 2);
        var englishMessage = Assert.Single(received, m => (string)m.ApplicationProperties["incidentId"] == inEnglish);
        var chineseMessage = Assert.Single(received, m => (string)m.ApplicationProperties["incidentId"] == inChinese);

        Assert.Equal("P1 homicide at 1 Bell Tower Square: reported by Command Center (test)", JsonNode.Parse(englishMessage.Body.ToString())!["summary"]!.GetValue<string>());
        Assert.Equal("【重大警情】一级 命案，1 Bell Tower Square，Command Center (test) 接警", JsonNode.Parse(chineseMessage.Body.ToString())!["summary"]!.GetValue<string>());
        Assert.Equal(("en", "zh-CN"), ((string)englishMessage.ApplicationProperties["language"], (string)chineseMessage.ApplicationProperties["language"]));
        // The structured fields are the same in both.
        Assert.Equal(("homicide", "P1", "immediate"), (JsonNode.Parse(chineseMessage.Body.ToString())!["category"]!.GetValue<string>(),
            JsonNode.Parse(chineseMessage.Body.ToString())!["priority"]!.GetValue<string>(), JsonNode.Parse(chineseMessage.Body.ToString())!["kind"]!.GetValue<string>()));
    }

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
        var breach = Assert.Single(await ReceiveAsync("duty-officer", id), m => (string)m.ApplicationProperties["kind"] == "escalation");
        Assert.Equal(1, breach.ApplicationProperties["level"]);

        api.Clock.Advance(Duration.FromMinutes(2));
        await Sweeper.SweepAsync(default);
        var chief = Assert.Single(await ReceiveAsync("chief", id));
        var body = JsonNode.Parse(chief.Body.ToString())!;
        Assert.Equal("application/json", chief.ContentType);
        Assert.Equal($"{id}:dispatch:escalation:2", chief.MessageId);
        Assert.Equal(("chief", "escalation", 2, "P1", "dispatch", staff.Station.Value),
            ((string)chief.ApplicationProperties["audience"], (string)chief.ApplicationProperties["kind"], (int)chief.ApplicationProperties["level"],
             (string)chief.ApplicationProperties["priority"], (string)chief.ApplicationProperties["clock"], (string)chief.ApplicationProperties["station"]));
        Assert.Equal(id, body["incidentId"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:01:00+00:00", body["deadline"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:01:00+00:00", body["breachedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:03:00+00:00", body["escalatedAt"]!.GetValue<string>());
        Assert.Equal("PT2M", body["overdueBy"]!.GetValue<string>());
        Assert.EndsWith($"/api/incidents/{id}", body["url"]!.GetValue<string>(), StringComparison.Ordinal);
        // The default policy's stations speak Chinese (language.md: 一级 for P1, 盗窃 theft, 派警 dispatch, 2分00秒).
        Assert.Equal("【升级】一级 盗窃，1 Bell Tower Square：派警已超时 2分00秒，已逐级上报至第2级", body["summary"]!.GetValue<string>());
        Assert.Equal("zh-CN", chief.ApplicationProperties["language"]);

        api.Clock.Advance(Duration.FromMinutes(8));
        await Sweeper.SweepAsync(default);
        Assert.Single(await ReceiveAsync("command-center", id), m => m.MessageId == $"{id}:dispatch:escalation:3");

        var dispatchLevels = (await TimelineAsync(id))
            .Where(e => e!["kind"]!.GetValue<string>() == "escalated" && e["details"]!["clock"]!.GetValue<string>() == "dispatch")
            .Select(e => e!["details"]!["level"]!.GetValue<string>());
        Assert.Equal(["1", "2", "3"], dispatchLevels);
    }

    [Fact]
    public async Task A_major_category_reaches_the_chief_on_intake_without_a_sweep_and_names_the_reporter()
    {
        var id = await ReportAsync("P1", category: "homicide");

        var message = Assert.Single(await ReceiveAsync("chief", id));

        Assert.Equal("immediate", message.ApplicationProperties["kind"]);
        Assert.Equal($"{id}:immediate", message.MessageId);
        var notified = (await TimelineAsync(id)).Single(e => e!["kind"]!.GetValue<string>() == "notified")!;
        Assert.Equal(staff.Dispatcher.Subject, notified["actor"]!["id"]!.GetValue<string>());
        Assert.Equal("【重大警情】一级 命案，1 Bell Tower Square，Dispatcher 接警", JsonNode.Parse(message.Body.ToString())!["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_major_matter_reported_while_service_bus_is_down_is_created_at_once_and_reaches_the_chief_later()
    {
        var port = Azurite.FreePort();
        await using var isolated = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: LocalBus.ConnectionStringFor(port));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var created = await isolated.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", category: "mass-incident"));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"intake waited {started.Elapsed} on Service Bus");
        await using var upBus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")), port);
        isolated.Clock.Advance(Duration.FromSeconds(2));
        await isolated.Service<Sweeper>().SweepAsync(default);
        await using var upClient = new ServiceBusClient(upBus.ConnectionString);
        await using var receiver = upClient.CreateReceiver("escalations", "chief");
        var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
        Assert.Equal($"{created["id"]!.GetValue<string>()}:immediate", message?.MessageId);
    }

    [Fact]
    public async Task The_chiefs_acknowledgement_stops_the_ladder_and_acknowledging_nothing_is_409()
    {
        var id = await ReportAsync("P1");
        var chief = staff.As(staff.Chief);
        using var early = await chief.PostAsJsonAsync($"incidents/{id}/acknowledge", new { });
        var problem = await Api.AssertProblemAsync(early, HttpStatusCode.Conflict);
        Assert.Contains("nothing escalated", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        api.Clock.Advance(Duration.FromMinutes(1));
        await Sweeper.SweepAsync(default);
        var acknowledged = await Api.PostAsync(chief, $"incidents/{id}/acknowledge", new { level = 1 });
        Assert.Equal(staff.Chief.Subject, acknowledged["clocks"]!["dispatch"]!["acknowledgedBy"]!["id"]!.GetValue<string>());

        api.Clock.Advance(Duration.FromMinutes(15));
        await Sweeper.SweepAsync(default);
        Assert.DoesNotContain(await ReceiveAsync("chief", id, expecting: 0), m => (string)m.ApplicationProperties["clock"] == "dispatch");
        Assert.Contains("acknowledged", await Api.TimelineKindsAsync(api.Client, id));

        using var beyond = await chief.PostAsJsonAsync($"incidents/{id}/acknowledge", new { level = 9 });
        await Api.AssertProblemAsync(beyond, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_clock_met_in_time_never_escalates()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromSeconds(40));
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });

        api.Clock.Advance(Duration.FromMinutes(3));
        await Sweeper.SweepAsync(default);

        var all = (await ReceiveAsync("duty-officer", id, expecting: 0)).Concat(await ReceiveAsync("chief", id, expecting: 0)).ToList();
        Assert.DoesNotContain(all, m => (string)m.ApplicationProperties["clock"] == "dispatch" && (string)m.ApplicationProperties["kind"] == "escalation");
        Assert.Contains(all, m => (string)m.ApplicationProperties["clock"] == "arrival");
    }

    [Fact]
    public async Task Concurrent_sweeps_on_real_storage_record_and_send_each_level_exactly_once()
    {
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await ReportAsync("P1"));
        }

        api.Clock.Advance(Duration.FromMinutes(1));
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sweeper.SweepAsync(default))));

        Assert.Equal(12, reports.Sum(r => r.Changed));
        var received = await ReceiveAsync("duty-officer", incidentId: null, expecting: ids.Count);
        foreach (var id in ids)
        {
            Assert.Single(await TimelineAsync(id), e => e!["kind"]!.GetValue<string>() == "escalated" && e["details"]!["clock"]!.GetValue<string>() == "dispatch");
            Assert.Single(received, m => m.MessageId == $"{id}:dispatch:escalation:1");
        }
    }

    [Fact]
    public async Task A_crash_between_commit_and_send_is_sent_by_a_later_sweep_from_the_notices_entry()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromMinutes(1));
        using var crash = new CancellationTokenSource();
        var crashing = new Sweeper(api.Service<IIncidentStore>(), api.Service<IDueIndex>(),
            new NoticeRelay(api.Service<INoticeOutbox>(), new CrashingPublisher(crash, null), api.Service<IDueIndex>(), api.Clock), api.Clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crashing.SweepAsync(crash.Token));
        Assert.Empty(await ReceiveAsync("duty-officer", id, TimeSpan.FromMilliseconds(300), expecting: 0));
        var before = await Sweeper.SweepAsync(default);
        api.Clock.Advance(NoticeRelay.RecoveryDelay);
        var recovered = await Sweeper.SweepAsync(default);

        Assert.Equal(0, before.Changed + before.Relay.Sent); // committed already; its notices entry is not due yet
        Assert.Equal(1, recovered.Relay.Sent);
        Assert.Single(await ReceiveAsync("duty-officer", id), m => m.MessageId == $"{id}:dispatch:escalation:1");
    }

    [Fact]
    public async Task A_crash_after_send_before_the_outbox_row_is_removed_is_not_delivered_twice()
    {
        var id = await ReportAsync("P1");
        api.Clock.Advance(Duration.FromMinutes(1));
        using var crash = new CancellationTokenSource();
        var crashing = new Sweeper(api.Service<IIncidentStore>(), api.Service<IDueIndex>(),
            new NoticeRelay(api.Service<INoticeOutbox>(), new CrashingPublisher(crash, api.Service<INoticePublisher>()), api.Service<IDueIndex>(), api.Clock), api.Clock);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crashing.SweepAsync(crash.Token));
        api.Clock.Advance(NoticeRelay.RecoveryDelay);
        var resent = await Sweeper.SweepAsync(default);

        Assert.Equal(1, resent.Relay.Sent);
        Assert.Single(await ReceiveAsync("duty-officer", id), m => m.MessageId == $"{id}:dispatch:escalation:1");
        Assert.DoesNotContain(await Api.RowsAsync(api, staff.Station.Value), r => r.RowKey.StartsWith("outbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_a_thousand_due_incidents_across_query_pages_are_all_handled()
    {
        const int count = 1100;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            using var response = await api.Client.PostAsJsonAsync("incidents", ApiHost.Report(staff.Station.Value, "P3"), ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        });

        api.Clock.Advance(Duration.FromMinutes(8)); // past 50% of P3's 15-minute dispatch window
        var report = await Sweeper.SweepAsync(default);

        Assert.Equal((count, count, count), (report.Due, report.Changed, report.Relay.Sent));
        Assert.Equal(count, bus.CountMessages("escalations/subscriptions/duty-officer"));
        Assert.Equal(0, (await Sweeper.SweepAsync(default)).Due);
    }

    [Fact]
    public async Task A_sweep_whose_index_update_fails_half_way_loses_no_entry_and_the_next_records_no_level_twice()
    {
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add(await ReportAsync("P1"));
        }

        api.Clock.Advance(Duration.FromMinutes(1));
        var failing = new IndexFailingHalfWay(api.Service<IDueIndex>());
        var crashing = new Sweeper(api.Service<IIncidentStore>(), failing,
            new NoticeRelay(api.Service<INoticeOutbox>(), api.Service<INoticePublisher>(), failing, api.Clock), api.Clock);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => crashing.SweepAsync(default));
        var next = await Sweeper.SweepAsync(default);
        api.Clock.Advance(NoticeRelay.RecoveryDelay);
        var recovered = await Sweeper.SweepAsync(default);

        Assert.Equal((0, 15), (next.Changed, next.Reindexed)); // half the entries had moved; the stale half moves now
        Assert.Equal(0, recovered.Relay.Sent);
        var received = await ReceiveAsync("duty-officer", incidentId: null, expecting: ids.Count);
        var clockEntries = (await api.Service<IDueIndex>().DueAsync(api.Clock.GetCurrentInstant() + Duration.FromDays(1), 1000, default))
            .Where(e => e.Reason == DueReason.Clock).ToList();
        foreach (var id in ids)
        {
            Assert.Single(await TimelineAsync(id), e => e!["kind"]!.GetValue<string>() == "escalated");
            Assert.Single(received, m => m.MessageId == $"{id}:dispatch:escalation:1");
            var stored = await api.Service<IIncidentStore>().FindAsync(IncidentId.Parse(id), default);
            Assert.Equal([DueEntry.ForClock(IncidentId.Parse(id), stored!.Incident.NextDueAt!.Value)], clockEntries.Where(e => e.Incident.Value == id));
        }
    }

    [Fact]
    public async Task The_sweeps_storage_requests_follow_what_is_due_not_how_many_stations_there_are()
    {
        var requestsWith = new List<int>();
        foreach (var stations in new[] { 2, 40 })
        {
            // One index shard, so that how the due incidents fall into partitions cannot change the count.
            await using var isolated = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_INDEX_SHARDS"] = "1" }, serviceBus: bus.ConnectionString);
            for (var i = 0; i < stations; i++)
            {
                await isolated.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P4"));
            }

            for (var i = 0; i < 3; i++)
            {
                await isolated.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1"));
            }

            isolated.Clock.Advance(Duration.FromMinutes(1));
            using var counted = RequestCounter.Begin();
            var report = await isolated.Service<Sweeper>().SweepAsync(default);
            Assert.Equal(3, report.Changed);
            requestsWith.Add(counted.Requests);
        }

        Assert.Equal(requestsWith[0], requestsWith[1]);
        // Per due incident (each at a station of its own): the read, the commit, the outbox removal. For the three
        // together, one request each for the notices entries, the clock entries' move and the notices entries'
        // retirement (one partition each); around them one query per index partition (1 clock, 1 notices): none per station.
        Assert.Equal((3 * 3) + 3 + 2, requestsWith[0]);
    }

    [Fact]
    public async Task A_service_bus_outage_delays_delivery_and_loses_nothing()
    {
        var port = Azurite.FreePort();
        await using var isolated = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: LocalBus.ConnectionStringFor(port));
        var sweeper = isolated.Service<Sweeper>();
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
        Assert.Single(await ReceiveAsync("duty-officer", id, from: upClient), m => m.MessageId == $"{id}:dispatch:escalation:1");
    }

    /// <summary>
    /// Issue 29: the full-size bench saw one sweep change 9,950 of 10,000 due incidents and send 9,950 notices, and the
    /// next sweep change none. A station's transaction that outlasts the client's network timeout commits all the
    /// same; the SDK sends it again, the retry meets its own first attempt's ETags (412), and the sweep took its own
    /// commit for a lost race: those incidents were escalated, but their notices waited for the recovery 30 s later.
    /// </summary>
    [Fact]
    public async Task A_stations_commit_whose_answer_was_lost_counts_as_the_sweeps_own_and_its_notices_go_out_in_that_sweep()
    {
        var answers = new LostAnswers();
        await using var host = await LostAnswers.StartHostAsync(azurite.ConnectionString, answers, bus.ConnectionString);
        var station = ApiHost.NewStation();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await host.ReportAsync(ApiHost.Report(station, "P1")))["id"]!.GetValue<string>());
        }

        host.Clock.Advance(Duration.FromMinutes(1)); // the P1 dispatch deadline: each records level 1, to the duty officer
        // The station's commit: its incidents' rows replaced conditionally (If-Match on their ETags), in one transaction.
        answers.LoseNextTransaction(body => body.Contains(station, StringComparison.Ordinal) && body.Contains("If-Match: W/", StringComparison.Ordinal));
        var sweeper = host.Service<Sweeper>();
        var sweep = await sweeper.SweepAsync(default);
        var again = await sweeper.SweepAsync(default);

        Assert.Equal(1, answers.Lost);
        Assert.Equal((3, 0, 3), (sweep.Changed, sweep.Conflicts, sweep.Relay.Sent));
        Assert.Equal(0, again.Changed);
        var received = await ReceiveAsync("duty-officer", incidentId: null, expecting: ids.Count);
        Assert.Equal(ids.Select(id => $"{id}:dispatch:escalation:1").Order(StringComparer.Ordinal), received.Select(m => m.MessageId).Order(StringComparer.Ordinal));
        foreach (var id in ids)
        {
            var events = (await Api.GetAsync(host.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();
            Assert.Single(events, e => e!["kind"]!.GetValue<string>() == "escalated");
        }
    }

    private async Task<string> ReportAsync(string priority, string category = "theft") =>
        (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, priority, category: category)))["id"]!.GetValue<string>();

    /// <summary>
    /// Drains a subscription (of this test's bus, unless <paramref name="from"/> says another) and returns the
    /// incident's messages, or all when null (completing them all). Until
    /// <paramref name="expecting"/> of them have arrived it waits as long as a loaded machine needs; only after
    /// that does a short quiet spell end the drain, so a slow delivery is not mistaken for a missing one.
    /// </summary>
    private async Task<List<ServiceBusReceivedMessage>> ReceiveAsync(
        string subscription, string? incidentId, TimeSpan? idle = null, int expecting = 1, ServiceBusClient? from = null)
    {
        await using var receiver = (from ?? client).CreateReceiver("escalations", subscription);
        var mine = new List<ServiceBusReceivedMessage>();
        while (true)
        {
            var wait = mine.Count < expecting ? TimeSpan.FromSeconds(10) : idle ?? TimeSpan.FromMilliseconds(500);
            var batch = await receiver.ReceiveMessagesAsync(100, wait);
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

    private async Task<JsonArray> TimelineAsync(string id) => (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();

    /// <summary>The real index, but the first batch of clock-entry moves stops half-way, as storage going away between two requests would.</summary>
    private sealed class IndexFailingHalfWay(IDueIndex inner) : IDueIndex
    {
        private int failed;

        public Task AddAsync(IReadOnlyList<DueEntry> entries, CancellationToken cancellationToken) => inner.AddAsync(entries, cancellationToken);

        public Task<IReadOnlyList<DueEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken) => inner.DueAsync(now, max, cancellationToken);

        public Task ReplaceAsync(DueEntry old, DueEntry? replacement, CancellationToken cancellationToken) => inner.ReplaceAsync(old, replacement, cancellationToken);

        public async Task ReplaceAllAsync(IReadOnlyList<DueReplacement> replacements, CancellationToken cancellationToken)
        {
            if (replacements.Any(r => r.Old.Reason == DueReason.Clock) && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await inner.ReplaceAllAsync(replacements.Take(replacements.Count / 2).ToList(), cancellationToken);
                throw new StorageUnavailableException("Table storage did not answer.");
            }

            await inner.ReplaceAllAsync(replacements, cancellationToken);
        }

        public Task<(int Count, Instant? OldestSince)> PendingNoticesAsync(CancellationToken cancellationToken) => inner.PendingNoticesAsync(cancellationToken);
    }

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
