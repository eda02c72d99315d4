using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Bench;

/// <summary>
/// Intake, transitions and deadline-to-chief latency against <c>dispatch up</c> in its own process, each
/// beside a raw Table Storage baseline measured in the same run on the same Azurite.
/// </summary>
public static class ApiBench
{
    /// <summary>What one intake writes: the incident and its open-list entry (each with the body), the event, the due row.</summary>
    private const int IntakeRows = 4;

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, bool quick, Action<string> progress)
    {
        var figures = new List<Figure>();
        await using var stack = await StackProcess.StartAsync(repoRoot, Path.Combine(AppContext.BaseDirectory, "bench-policy.json"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri($"http://127.0.0.1:{stack.ApiPort}/api/") };
        var raw = new TableServiceClient(stack.StorageConnectionString).GetTableClient("rawbaseline");
        await raw.CreateIfNotExistsAsync();

        // P4: its windows are an hour long, so intake load does not turn into escalation load.
        var report = ReportBody("bench-intake", "P4");
        var padding = new string('x', report.ToJsonString().Length * 3); // a stored incident body is about this big
        foreach (var concurrency in new[] { 1, 8, 32 })
        {
            var total = quick ? 200 * Math.Min(concurrency, 4) : 1000 * Math.Min(concurrency, 4);
            progress($"intake at {concurrency} client(s), {total} requests");
            await WarmUpAsync(http, raw, padding);
            var intake = await Load.RunAsync(total, concurrency, async _ =>
            {
                using var response = await http.PostAsJsonAsync("incidents", report);
                return response.StatusCode == HttpStatusCode.Created;
            });
            var baseline = await Load.RunAsync(total, concurrency, async _ =>
            {
                var response = await raw.AddEntityAsync(new TableEntity("raw", Guid.NewGuid().ToString("N")) { ["Body"] = padding });
                return response.Status == 204;
            });
            var batch = await Load.RunAsync(total, concurrency, async _ =>
            {
                // One partition, as intake writes a station's rows into one.
                var id = Guid.NewGuid().ToString("N");
                var actions = Enumerable.Range(0, IntakeRows).Select(r => new TableTransactionAction(TableTransactionActionType.Add,
                    new TableEntity("raw-batch", $"{r}|{id}") { ["Body"] = r < 2 ? padding : "x" })).ToList();
                var response = await raw.SubmitTransactionAsync(actions);
                return response.Value.Count == IntakeRows;
            });
            figures.Add(Compare($"intake POST /api/incidents, {concurrency} client(s)", intake, baseline, "raw AddEntity", total));
            figures.Add(Compare($"  same, against a raw {IntakeRows}-entity batch (the rows one intake writes)", intake, batch, $"raw {IntakeRows}-entity transaction", total));
            if (concurrency == 1)
            {
                // Where the time goes: the same use case called in-process, without HTTP, against the same batch baseline.
                var inProcess = await InProcessIntakeAsync(stack, total);
                figures.Add(Compare("  intake use case in-process (no HTTP), 1 client", inProcess, batch, $"raw {IntakeRows}-entity transaction", total));
            }
        }

        figures.Add(new Figure("peak memory of the Functions app (with the in-process broker) under intake", $"{stack.PeakMemoryMiB():0} MiB", "—", "—", "VmHWM of the dispatch up process"));

        var transitions = quick ? 200 : 1000;
        progress($"transitions, {transitions} dispatches");
        var ids = new ConcurrentQueue<string>();
        await Load.RunAsync(transitions, 8, async _ =>
        {
            using var response = await http.PostAsJsonAsync("incidents", ReportBody("bench-transition", "P4"));
            ids.Enqueue((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            return true;
        });
        var idList = ids.ToArray();
        var dispatch = await Load.RunAsync(idList.Length, 1, async i =>
        {
            using var response = await http.PostAsJsonAsync($"incidents/{idList[i]}/dispatch", new { unit = "patrol-7", officer = "wang.lei" });
            return response.StatusCode == HttpStatusCode.OK;
        });
        for (var i = 0; i < idList.Length; i++)
        {
            await raw.AddEntityAsync(new TableEntity("update", $"{i}") { ["Body"] = padding });
        }

        var update = await Load.RunAsync(idList.Length, 1, async i =>
        {
            var entity = (await raw.GetEntityAsync<TableEntity>("update", $"{i}")).Value;
            entity["Status"] = "dispatched";
            var response = await raw.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace);
            return response.Status == 204;
        });
        figures.Add(Compare("transition POST .../dispatch, 1 client", dispatch, update, "raw read + conditional update", idList.Length));

        var count = quick ? 60 : 200;
        progress($"deadline → chief latency over {count} incidents (1-second sweep)");
        figures.AddRange(await DeadlineToChiefAsync(http, stack.BusConnectionString, count));
        return figures;
    }

    /// <summary>P1 incidents whose 3-second dispatch deadline breaches straight to the chief; latency = received − deadline.</summary>
    private static async Task<IReadOnlyList<Figure>> DeadlineToChiefAsync(HttpClient http, string busConnection, int count)
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
                    if (body["station"]!.GetValue<string>() != station)
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
        var lost = count - list.Count;
        return
        [
            new Figure("deadline → escalation received on `chief`, p50 (1-second sweep)", Stats.Ms(Stats.Percentile(list, 50)), "sweep interval 1000 ms", "—", $"{list.Count} incidents{(lost > 0 ? $", {lost} NOT RECEIVED" : "")}"),
            new Figure("deadline → escalation received on `chief`, p99 (1-second sweep)", Stats.Ms(Stats.Percentile(list, 99)), "goal ≤ 2000 ms", Stats.Percentile(list, 99) <= 2000 ? "meets goal" : "misses goal"),
        ];
    }

    private static async Task<LoadResult> InProcessIntakeAsync(StackProcess stack, int total)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = stack.StorageConnectionString,
            ["ServiceBus"] = stack.BusConnectionString,
            ["DISPATCH_TABLE"] = "inprocess",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddDispatch(configuration).BuildServiceProvider();
        var incidents = services.GetRequiredService<IncidentService>();
        var report = new IncidentReport(StationId.Parse("bench-inprocess"), "theft", Priority.P4, Zone.Urban,
            new Location("1 Bell Tower Square, Beilin District", 34.26, 108.94),
            "Bicycle taken from outside the bank; caller saw a man in a grey jacket ride towards the Drum Tower.", Channel.Phone, "138-0000-0000");
        for (var i = 0; i < 20; i++)
        {
            await incidents.ReportAsync(report, "bench", null, default);
        }

        return await Load.RunAsync(total, 1, async _ => (await incidents.ReportAsync(report, "bench", null, default)).Outcome == CreateOutcome.Created);
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

    private static JsonObject ReportBody(string station, string priority = "P1") => new()
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
