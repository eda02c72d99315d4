using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.LocalHost;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>
/// Intake, transitions and deadline-to-chief latency against <c>dispatch up</c> in its own process, each
/// beside a raw Table Storage baseline measured in the same run on the same Azurite; then the same again
/// with a province loaded into the same table (issue 14: no more than 10 % slower, p99 within interval + 1 s).
/// </summary>
public static class ApiBench
{
    /// <summary>What one intake commits in its station's partition: the incident, its event, its audit record, the station's version, its open-list entry.</summary>
    private const int IntakeRows = 5;

    /// <param name="pathOnly">Only the request path and the steps of intake and a transition (issue 29 §1, §2): a few minutes, for before/after runs.</param>
    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, bool quick, Action<string> progress, bool pathOnly = false)
    {
        var figures = new List<Figure>();
        await using var stack = await StackProcess.StartAsync(repoRoot, Path.Combine(AppContext.BaseDirectory, "bench-policy.json"));
        var token = LocalTokens.Load(LocalTokens.KeyPath(repoRoot))
            .Mint(BenchServices.CommandCenter, [GlobalRole.CommandCenter], SystemClock.Instance.GetCurrentInstant(), Duration.FromHours(4));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri($"http://127.0.0.1:{stack.ApiPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var raw = new TableServiceClient(stack.StorageConnectionString).GetTableClient("rawbaseline");
        await raw.CreateIfNotExistsAsync();
        progress("the HTTP path: intake over HTTP and in-process, an unchanged poll, a static file");
        figures.AddRange(await HttpPathBench.RunAsync(repoRoot, stack, http, raw, quick));
        progress("intake and a transition step by step, in-process");
        figures.AddRange(await StorageStepsBench.RunAsync(repoRoot, stack, raw, quick));
        if (pathOnly)
        {
            return figures;
        }

        progress("open boards: storage requests per unchanged poll");
        figures.AddRange(await BoardsBench.RunAsync(repoRoot, stack, quick));

        // P4: its windows are an hour long, so intake load does not turn into escalation load.
        var report = ReportBody("bench-intake", "P4");
        var padding = new string('x', report.ToJsonString().Length * 3); // a stored incident body is about this big
        var intakeAt8 = default(LoadResult);
        var appTableBatchAt8 = default(LoadResult);

        // The app's own table, for a raw baseline that grows with it: what the emulator itself loses to a bigger table.
        var appTable = new TableServiceClient(stack.StorageConnectionString).GetTableClient("incidents");
        foreach (var concurrency in new[] { 1, 8, 32 })
        {
            var total = IntakeTotal(quick, concurrency);
            progress($"intake at {concurrency} client(s), {total} requests");
            await WarmUpAsync(http, raw, padding);
            var intake = await IntakeAsync(http, report, total, concurrency);
            var baseline = await Load.RunAsync(total, concurrency, async _ =>
            {
                var response = await raw.AddEntityAsync(new TableEntity("raw", Guid.NewGuid().ToString("N")) { ["Body"] = padding });
                return response.Status == 204;
            });
            var batch = await RawBatchAsync(raw, padding, total, concurrency);
            figures.Add(Compare($"intake POST /api/incidents, {concurrency} client(s)", intake, baseline, "raw AddEntity", total));
            figures.Add(Compare($"  same, against a raw {IntakeRows}-entity batch (the rows one intake commits)", intake, batch, $"raw {IntakeRows}-entity transaction", total));
            if (concurrency == 1)
            {
                // Where the time goes: the same use case called in-process, without HTTP or token, against the same batch baseline.
                var inProcess = await InProcessIntakeAsync(repoRoot, stack, total);
                figures.Add(Compare("  intake use case in-process (no HTTP), 1 client", inProcess, batch, $"raw {IntakeRows}-entity transaction", total));
            }

            if (concurrency == 8)
            {
                intakeAt8 = intake;
                appTableBatchAt8 = await RawBatchAsync(appTable, padding, total, concurrency);
            }
        }

        figures.Add(new Figure("peak memory of the Functions app (with the in-process broker) under intake", $"{stack.PeakMemoryMiB():0} MiB", "—", "—", "VmHWM of the dispatch up process"));

        var transitions = quick ? 200 : 1000;
        progress($"transitions, {transitions} dispatches");
        var dispatch = await DispatchAsync(http, transitions);
        var update = await RawUpdateAsync(raw, "update", transitions, padding);
        figures.Add(Compare("transition POST .../dispatch, 1 client", dispatch, update, "raw read + conditional update", transitions));
        var appTableUpdate = await RawUpdateAsync(appTable, "raw-update", transitions, padding);

        var count = quick ? 60 : 200;
        progress($"deadline → chief latency over {count} incidents (1-second sweep)");
        var latency = await DeadlineToChiefAsync(http, stack.BusConnectionString, count);
        figures.AddRange(latency.Figures("", "goal ≤ 2000 ms"));

        // A province in the same table: many stations, many running incidents, none of them due.
        int stations = quick ? 1_000 : 10_000, running = quick ? 10_000 : 100_000;
        progress($"loading {running:N0} running incidents over {stations:N0} stations");
        await using (var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents"))
        {
            var seeded = await services.SeedAsync(running, i => BenchServices.Station(i % stations), Priority.P4, done => progress($"loading {done:N0}/{running:N0} over {stations:N0} stations"));
            progress("reading a sample of them back through the API");
            await AssertServedAsync(http, seeded);
        }

        var loaded = $"{stations:N0} stations, {running:N0} running";
        progress($"intake at 8 clients with {loaded}");
        await WarmUpAsync(http, raw, padding);
        var intakeLoaded = await IntakeAsync(http, report, IntakeTotal(quick, 8), 8);
        var appTableBatchLoaded = await RawBatchAsync(appTable, padding, IntakeTotal(quick, 8), 8);
        figures.Add(Against($"intake, 8 clients, with {loaded}", intakeLoaded, intakeAt8!, "goal: ≥ 0.90× of the empty table"));
        figures.Add(Against($"  raw {IntakeRows}-entity transaction into the app's table, 8 clients, with {loaded}", appTableBatchLoaded, appTableBatchAt8!, "the emulator's own slowdown with table size"));
        progress($"transitions with {loaded}");
        var dispatchLoaded = await DispatchAsync(http, transitions);
        figures.Add(Against($"transition, 1 client, with {loaded}", dispatchLoaded, dispatch, "goal: ≥ 0.90× of the empty table"));
        var appTableUpdateLoaded = await RawUpdateAsync(appTable, "raw-update-loaded", transitions, padding);
        figures.Add(Against($"  raw read + conditional update in the app's table, 1 client, with {loaded}", appTableUpdateLoaded, appTableUpdate, "the emulator's own slowdown with table size"));
        progress($"deadline → chief latency with {loaded}");
        var latencyLoaded = await DeadlineToChiefAsync(http, stack.BusConnectionString, count);
        figures.AddRange(latencyLoaded.Figures($", with {loaded}", $"empty table: p50 {Stats.Ms(latency.P50)}, p99 {Stats.Ms(latency.P99)}; goal ≤ 2000 ms"));
        return figures;
    }

    /// <summary>A transition's storage work without the app: a point read and a conditional replace, one row each, after seeding the rows.</summary>
    private static async Task<LoadResult> RawUpdateAsync(TableClient table, string partition, int count, string padding)
    {
        for (var i = 0; i < count; i++)
        {
            await table.AddEntityAsync(new TableEntity(partition, $"{i}") { ["Body"] = padding });
        }

        return await Load.RunAsync(count, 1, async i =>
        {
            var entity = (await table.GetEntityAsync<TableEntity>(partition, $"{i}")).Value;
            entity["Status"] = "dispatched";
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace);
            return response.Status == 204;
        });
    }

    /// <summary>Intake's transaction without the app: five rows into one partition, as intake writes a station's.</summary>
    private static Task<LoadResult> RawBatchAsync(TableClient table, string padding, int total, int concurrency) =>
        Load.RunAsync(total, concurrency, async _ =>
        {
            var id = Guid.NewGuid().ToString("N");
            var actions = Enumerable.Range(0, IntakeRows).Select(r => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("raw-batch", $"{r}|{id}") { ["Body"] = r < 2 ? padding : "x" })).ToList();
            var response = await table.SubmitTransactionAsync(actions);
            return response.Value.Count == IntakeRows;
        });

    /// <summary>
    /// Seeded incidents read back through the HTTP API as any client would: each of a sample is served with the report
    /// it was made from, a timeline of one report, and a place in its station's open list. Seeding writes rows directly,
    /// so this is what says they are the rows intake writes.
    /// </summary>
    private static async Task AssertServedAsync(HttpClient http, IReadOnlyList<IncidentId> seeded)
    {
        var report = BenchServices.Report(seeded[0].Station, Priority.P4);
        foreach (var id in seeded.Where((_, i) => i % Math.Max(1, seeded.Count / 20) == 0))
        {
            var incident = await http.GetFromJsonAsync<JsonObject>($"incidents/{id.Value}");
            var events = (await http.GetFromJsonAsync<JsonObject>($"incidents/{id.Value}/timeline"))!["events"]!.AsArray();
            var open = (await http.GetFromJsonAsync<JsonObject>($"incidents?station={id.Station.Value}&status=open&pageSize=100"))!["items"]!.AsArray();
            var served = (incident!["id"]?.GetValue<string>(), incident["station"]?.GetValue<string>(), incident["priority"]?.GetValue<string>(),
                incident["status"]?.GetValue<string>(), incident["description"]?.GetValue<string>(), events.Count, events[0]!["kind"]?.GetValue<string>());
            if (served != (id.Value, id.Station.Value, "P4", "reported", report.Description, 1, "reported") || !open.Any(i => i!["id"]!.GetValue<string>() == id.Value))
            {
                throw new InvalidOperationException($"seeded incident {id} is not served as intake would have left it: {served}");
            }
        }
    }

    private static int IntakeTotal(bool quick, int concurrency) => (quick ? 200 : 1000) * Math.Min(concurrency, 4);

    private static Task<LoadResult> IntakeAsync(HttpClient http, JsonObject report, int total, int concurrency) =>
        Load.RunAsync(total, concurrency, async _ =>
        {
            using var response = await http.PostAsJsonAsync("incidents", report);
            return response.StatusCode == HttpStatusCode.Created;
        });

    /// <summary>Dispatches at beilin-01 of the sample roster, whose officer wang.lei the roster knows.</summary>
    private static async Task<LoadResult> DispatchAsync(HttpClient http, int count)
    {
        var ids = new ConcurrentQueue<string>();
        await Load.RunAsync(count, 8, async _ =>
        {
            using var response = await http.PostAsJsonAsync("incidents", ReportBody("beilin-01", "P4"));
            ids.Enqueue((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            return true;
        });
        var idList = ids.ToArray();
        return await Load.RunAsync(idList.Length, 1, async i =>
        {
            using var response = await http.PostAsJsonAsync($"incidents/{idList[i]}/dispatch", new { unit = "patrol-7", officer = "wang.lei" });
            return response.StatusCode == HttpStatusCode.OK;
        });
    }

    private sealed record Latency(IReadOnlyList<double> Values, int Lost)
    {
        public double P50 => Stats.Percentile(Values, 50);

        public double P99 => Stats.Percentile(Values, 99);

        public IEnumerable<Figure> Figures(string suffix, string goal) =>
        [
            new Figure($"deadline → escalation received on `chief`, p50 (1-second sweep){suffix}", Stats.Ms(P50), "sweep interval 1000 ms", "—", $"{Values.Count} incidents{(Lost > 0 ? $", {Lost} NOT RECEIVED" : "")}"),
            new Figure($"deadline → escalation received on `chief`, p99 (1-second sweep){suffix}", Stats.Ms(P99), goal, P99 <= 2000 ? "meets goal" : "misses goal", ""),
        ];
    }

    /// <summary>P1 incidents whose 3-second dispatch deadline breaches straight to the chief; latency = received − deadline.</summary>
    private static async Task<Latency> DeadlineToChiefAsync(HttpClient http, string busConnection, int count)
    {
        await using var client = new ServiceBusClient(busConnection);
        await using var receiver = client.CreateReceiver("escalations", "chief", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete, PrefetchCount = 50 });
        var station = $"bench-latency-{Guid.NewGuid():N}"[..30];
        var latencies = new ConcurrentBag<double>();
        var receiving = Task.Run(async () =>
        {
            var idle = DateTime.UtcNow;
            while (latencies.Count < count && DateTime.UtcNow - idle < TimeSpan.FromSeconds(20))
            {
                foreach (var message in await receiver.ReceiveMessagesAsync(50, TimeSpan.FromMilliseconds(200)))
                {
                    var receivedAt = DateTimeOffset.UtcNow;
                    var body = JsonNode.Parse(message.Body.ToString())!;
                    // The station's shift reports go to the chief too (at a minute boundary, for its last days): only escalations count.
                    if (body["station"]!.GetValue<string>() != station || !Equals(message.ApplicationProperties.GetValueOrDefault("kind"), "escalation"))
                    {
                        continue;
                    }

                    var deadline = DateTimeOffset.Parse(body["deadline"]!.GetValue<string>(), CultureInfo.InvariantCulture);
                    latencies.Add((receivedAt - deadline).TotalMilliseconds);
                    idle = DateTime.UtcNow;
                }
            }
        });
        for (var i = 0; i < count; i++)
        {
            using var response = await http.PostAsJsonAsync("incidents", ReportBody(station));
            response.EnsureSuccessStatusCode();
            await Task.Delay(97); // spread deadlines across the sweep interval
        }

        await receiving;
        var list = latencies.ToList();
        return new Latency(list, count - list.Count);
    }

    private static async Task<LoadResult> InProcessIntakeAsync(string repoRoot, StackProcess stack, int total)
    {
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "inprocess");
        var incidents = services.Get<IncidentService>();
        var report = BenchServices.Report(StationId.Parse("bench-inprocess"), Priority.P4);
        for (var i = 0; i < 20; i++)
        {
            await incidents.ReportAsync(services.Call(), report, null, default);
        }

        return await Load.RunAsync(total, 1, async _ => (await incidents.ReportAsync(services.Call(), report, null, default)).Outcome == CreateOutcome.Created);
    }

    private static async Task WarmUpAsync(HttpClient http, TableClient raw, string padding)
    {
        for (var i = 0; i < 20; i++)
        {
            using var _ = await http.PostAsJsonAsync("incidents", ReportBody("bench-warmup", "P4"));
            await raw.AddEntityAsync(new TableEntity("warm", Guid.NewGuid().ToString("N")) { ["Body"] = padding });
        }
    }

    private static Figure Compare(string name, LoadResult ours, LoadResult baseline, string baselineName, int total) => new(
        name,
        $"{Stats.Rate(ours.PerSecond)} (p50 {Stats.Ms(ours.P50)}, p99 {Stats.Ms(ours.P99)})",
        $"{baselineName}: {Stats.Rate(baseline.PerSecond)} (p50 {Stats.Ms(baseline.P50)}, p99 {Stats.Ms(baseline.P99)})",
        $"{ours.PerSecond / baseline.PerSecond:0.00}×",
        $"{total} each" + (ours.Errors + baseline.Errors > 0 ? $"; ERRORS ours {ours.Errors}, raw {baseline.Errors}: {ours.FirstError ?? baseline.FirstError}" : "; 0 errors"));

    /// <summary>The same operation loaded against empty: the baseline is our own earlier figure in this run.</summary>
    private static Figure Against(string name, LoadResult loaded, LoadResult empty, string goal) => new(
        name,
        $"{Stats.Rate(loaded.PerSecond)} (p50 {Stats.Ms(loaded.P50)}, p99 {Stats.Ms(loaded.P99)})",
        $"empty table: {Stats.Rate(empty.PerSecond)} (p50 {Stats.Ms(empty.P50)}, p99 {Stats.Ms(empty.P99)})",
        $"{loaded.PerSecond / empty.PerSecond:0.00}×",
        goal + (loaded.Errors > 0 ? $"; ERRORS {loaded.Errors}: {loaded.FirstError}" : "; 0 errors"));

    internal static JsonObject ReportBody(string station, string priority = "P1") => new()
    {
        ["station"] = station,
        ["category"] = "theft",
        ["priority"] = priority,
        ["zone"] = "urban",
        ["location"] = new JsonObject { ["address"] = "1 Bell Tower Square, Beilin District", ["latitude"] = 34.26, ["longitude"] = 108.94 },
        ["description"] = "Bicycle taken from outside the bank; caller saw a man in a grey jacket ride towards the Drum Tower.",
        ["channel"] = "phone",
        ["reporterContact"] = "138-0000-0000",
    };
}
