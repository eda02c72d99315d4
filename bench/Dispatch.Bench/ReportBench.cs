using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Functions.Storage;
using Dispatch.LocalHost;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>
/// A 30-day response-time report of one station with 200 incidents a day (issue 11: under a second), on top
/// of 30 more days of that station's history, beside a raw range query of the same rows in the same run.
/// </summary>
public static class ReportBench
{
    private static readonly StationId Station = StationId.Parse("bench-report");

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, StackProcess stack, bool quick, Action<string> progress)
    {
        var perDay = quick ? 50 : 200;
        const int Days = 30;
        var today = SystemClock.Instance.GetCurrentInstant();
        var policy = ResponsePolicy.Default;
        var lastDay = ReportRange.DayOf(today, policy.TimeZone, policy.ReportRules.DayStartsAt).PlusDays(-1);
        var range = new ReportRange(lastDay.PlusDays(-(Days - 1)), lastDay, policy.TimeZone, policy.ReportRules.DayStartsAt);

        await using (var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents"))
        {
            var store = services.Get<IIncidentStore>();
            var history = range.Start - Duration.FromDays(Days); // as much again before the range: what the report must not read
            var total = perDay * Days * 2;
            progress($"seeding {total:N0} finished incidents of one station over {Days * 2} days");
            var result = await Load.RunAsync(total, 32, async i =>
            {
                var reported = history + Duration.FromMilliseconds((long)((range.End - history).TotalMilliseconds * i / total));
                var incident = Finished(reported, policy, i);
                var call = services.Call();
                call.Station = Station;
                return (await store.CreateAsync(new Transition(incident, [], []), null, call.Record(AuditOutcome.Created), default)).Outcome == CreateOutcome.Created;
            });
            if (result.Errors > 0)
            {
                throw new InvalidOperationException($"seeding the report failed {result.Errors} times: {result.FirstError}");
            }
        }

        progress("timing the 30-day report");
        var token = LocalTokens.Load(LocalTokens.KeyPath(repoRoot))
            .Mint(BenchServices.CommandCenter, [GlobalRole.CommandCenter], SystemClock.Instance.GetCurrentInstant(), Duration.FromHours(1));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stack.ApiPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var url = $"reports/response-times?station={Station.Value}&from={range.From:yyyy-MM-dd}&to={range.To:yyyy-MM-dd}&clock=arrival&by=unit";
        var times = new List<double>();
        var incidents = 0;
        for (var round = 0; round < 6; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await http.GetAsync(url);
            response.EnsureSuccessStatusCode();
            incidents = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["incidents"]!.GetValue<int>();
            if (round > 0)
            {
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
        }

        // The requests the report makes, counted in-process on the same table.
        double requests;
        await using (var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents"))
        {
            using var counted = RequestCounter.Begin();
            await services.Get<ReportService>().LoadAsync(new ReportScope(Station), range, default);
            requests = counted.Requests;
        }

        var raw = new TableClient(stack.StorageConnectionString, "incidents");
        var rawTimes = new List<double>();
        var (after, before) = TableKeys.IncidentRange(range.Start, range.End);
        for (var round = 0; round < 5; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            var rows = 0;
            await foreach (var _ in raw.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Station.Value} and RowKey gt {after} and RowKey lt {before}"), 1000, ["Body"]))
            {
                rows++;
            }

            rawTimes.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        var median = Stats.Percentile(times, 50);
        var rawMedian = Stats.Percentile(rawTimes, 50);
        return
        [
            new Figure($"report: 30 days of one station, {incidents:N0} incidents (of {incidents * 2:N0} in its history)", $"{Stats.Ms(median)} (p99 {Stats.Ms(Stats.Percentile(times, 99))})",
                $"raw range query of the same rows with their bodies: {Stats.Ms(rawMedian)}", $"{median / rawMedian:0.00}× the raw read", $"goal < 1 s; {requests:0} storage requests (pages of 1,000), median of 5"),
        ];
    }

    /// <summary>An incident of the range, dispatched, on scene and resolved, with durations that vary.</summary>
    private static Incident Finished(Instant reported, ResponsePolicy policy, int i)
    {
        var desk = new Person("bench.desk", "Bench Desk");
        var officer = new Person($"officer-{i % 12}", $"Officer {i % 12}");
        var report = BenchServices.Report(Station, Enum.GetValues<Priority>()[i % 4]);
        var incident = Incident.Open(IncidentId.New(Station, reported), report, policy, reported, desk).Incident;
        incident = incident.Dispatch($"patrol-{i % 12}", officer, reported + Duration.FromSeconds(20 + (i * 37 % 300)), desk).Incident;
        incident = incident.Arrive(incident.DispatchedAt!.Value + Duration.FromSeconds(120 + (i * 53 % 900)), officer).Incident;
        return incident.Resolve("bench", incident.OnSceneAt!.Value + Duration.FromMinutes(10 + (i % 50)), officer).Incident;
    }
}
