using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;

namespace Dispatch.Bench;

/// <summary>
/// What the HTTP path adds to a request (issue 29 §1), each figure beside the storage or in-process work it stands
/// for, measured in the same run: an intake over HTTP against the same use case called in-process, one after the
/// other on the same table (so the emulator's growing table and the machine's load weigh on both alike); an
/// unchanged poll against a raw point read; a static file, which is the host and loopback alone.
/// </summary>
public static class HttpPathBench
{
    /// <summary>Rounds of each (HTTP and in-process) before the measured ones.</summary>
    private const int Warm = 300;

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, StackProcess stack, HttpClient http, TableClient raw, bool quick)
    {
        var count = quick ? 300 : 1000;
        var station = $"bench-path-{Guid.NewGuid():N}"[..24];
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents");
        var incidents = services.Get<IncidentService>();
        var inProcessReport = BenchServices.Report(Core.Incidents.StationId.Parse(station), Priority.P4);
        var body = ApiBench.ReportBody(station, "P4");

        async Task<bool> OverHttp()
        {
            using var response = await http.PostAsJsonAsync("incidents", body);
            return response.StatusCode == HttpStatusCode.Created;
        }

        async Task<bool> InProcess() => (await incidents.ReportAsync(services.Call(), inProcessReport, null, default)).Outcome == CreateOutcome.Created;

        // Steady state, not warm-up: with 30 rounds of warm-up (as before 2026-12-03) the app's process was still
        // recompiling its hot methods at the runtime's higher tier during the measured rounds (20-30 % of a core while
        // idle just after) and its use case ran 1.7-1.8 ms slower than the same use case in this process; with tiered
        // compilation off in both, the two agreed (README, Performance, issue 29 §1).
        for (var i = 0; i < Warm; i++)
        {
            await OverHttp();
            await InProcess();
        }

        var settled = await stack.SettledAsync(0.02, TimeSpan.FromSeconds(30));

        var (overHttp, inProcess) = await Load.InterleavedAsync(count, OverHttp, InProcess);
        var difference = overHttp.P50 - inProcess.P50;
        var figures = new List<Figure>
        {
            new("intake POST over HTTP, 1 client, in turns with the use case in-process on the same table",
                $"p50 {Stats.Ms(overHttp.P50)} (p99 {Stats.Ms(overHttp.P99)})", $"use case in-process: p50 {Stats.Ms(inProcess.P50)} (p99 {Stats.Ms(inProcess.P99)})",
                $"+{Stats.Ms(difference)}", $"goal: HTTP adds ≤ 1 ms at p50: {(difference <= 1 ? "met" : "missed")}; {count} each, after {Warm} each and the app's process quiet (≤ 2 % of a core for 1 s: {settled.TotalSeconds:0} s){Errors(overHttp, inProcess)}"),
        };

        // An unchanged poll: one point read of the station's _version behind the HTTP path (the board's every second).
        var path = $"incidents?station={station}&status=open&pageSize=1";
        using var first = await http.GetAsync(path);
        var etag = first.Headers.ETag!;
        var poll = await Load.RunAsync(count, 1, async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.IfNoneMatch.Add(etag);
            using var response = await http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.NotModified;
        });
        await raw.UpsertEntityAsync(new TableEntity("raw-version", "_version") { ["Change"] = "x" });
        var read = await Load.RunAsync(count, 1, async _ => (await raw.GetEntityIfExistsAsync<TableEntity>("raw-version", "_version", ["RowKey"])).HasValue);
        figures.Add(new Figure("unchanged poll GET /api/incidents?station=… (304), 1 client",
            $"p50 {Stats.Ms(poll.P50)} (p99 {Stats.Ms(poll.P99)})", $"raw point read: p50 {Stats.Ms(read.P50)} (p99 {Stats.Ms(read.P99)})",
            $"+{Stats.Ms(poll.P50 - read.P50)}", $"{count} each{Errors(poll, read)}"));

        var file = await Load.RunAsync(count, 1, async _ =>
        {
            using var response = await http.GetAsync("board/board.css");
            return response.IsSuccessStatusCode;
        });
        figures.Add(new Figure("static file GET /api/board/board.css, 1 client", $"p50 {Stats.Ms(file.P50)} (p99 {Stats.Ms(file.P99)})", "—", "—",
            $"the host and loopback alone: no token, no storage; {count}{Errors(file)}"));
        return figures;
    }

    internal static string Errors(params LoadResult[] results) =>
        results.Sum(r => r.Errors) is var errors and > 0 ? $"; ERRORS {errors}: {results.First(r => r.Errors > 0).FirstError}" : "; 0 errors";
}
