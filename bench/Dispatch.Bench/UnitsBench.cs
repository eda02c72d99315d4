using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Units;
using Dispatch.LocalHost;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Bench;

/// <summary>
/// Units and positions (issue 27, "Measured, not assumed"): a station of 200 units whose devices report every 10 s
/// (20 position writes a second), written through the position use case in-process into the app's own table of
/// <c>dispatch up</c>; each figure beside the raw storage work it stands for, in turns on the same table: a position
/// write against a raw upsert of the same row, the candidates call against a raw point read and the range query of
/// the station's latest positions; then intake over HTTP at the same station with and without that load running.
/// </summary>
public static class UnitsBench
{
    private const int UnitCount = 200;

    /// <summary>Each unit reports once per this period: 200 units, one a 10 s, make 20 writes a second.</summary>
    private static readonly TimeSpan ReportPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The Bell Tower (钟楼), Xi'an Beilin (shared notes, "Verifying arrival"): the incident's place.</summary>
    private const double SceneLatitude = 34.2610, SceneLongitude = 108.9423;

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, bool quick, Action<string> progress)
    {
        var figures = new List<Figure>();
        await using var stack = await StackProcess.StartAsync(repoRoot, Path.Combine(AppContext.BaseDirectory, "bench-policy.json"));
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents");
        var table = new TableServiceClient(stack.StorageConnectionString).GetTableClient("incidents");
        var station = StationId.Parse($"bench-units-{Guid.NewGuid():N}"[..24]);
        var units = services.Get<UnitService>();
        var positions = services.Get<PositionService>();
        var candidates = services.Get<CandidateService>();
        var ids = Enumerable.Range(1, UnitCount).Select(i => $"patrol-{i:D3}").ToArray();

        progress($"declaring {UnitCount} units and their first positions");
        foreach (var id in ids)
        {
            await units.PutAsync(services.DeskCall(station), station, id, $"Patrol {id[7..]}", "car", default);
        }

        var report = new IncidentReport(station, "theft", Priority.P4, Zone.Urban, new Location("Bell Tower, Beilin District", SceneLatitude, SceneLongitude),
            "Bicycle taken from outside the bank.", Channel.Phone, "138-0000-0000");
        var incident = (await services.Get<IncidentService>().ReportAsync(services.Call(), report, null, default)).Stored!.Incident.Id;
        var sent = 0;
        async Task<bool> ReportNext()
        {
            var n = Interlocked.Increment(ref sent);
            var (latitude, longitude) = Around(n);
            return (await positions.ReportAsync(services.DeskCall(station), station, ids[n % UnitCount], latitude, longitude, 15, default)).Latitude == latitude;
        }

        for (var i = 0; i < UnitCount; i++)
        {
            await ReportNext();
        }

        var count = quick ? 300 : 1000;

        // The row a position write upserts, in a partition of its own in the app's table (the emulator scans the whole table).
        var rawPartition = $"{station.Value}-raw";
        async Task<bool> RawUpsert()
        {
            var n = Interlocked.Increment(ref sent);
            var (latitude, longitude) = Around(n);
            var response = await table.UpsertEntityAsync(new TableEntity(rawPartition, $"pos|{ids[n % UnitCount]}")
            {
                ["Unit"] = ids[n % UnitCount], ["Latitude"] = latitude, ["Longitude"] = longitude, ["Accuracy"] = 15.0, ["At"] = DateTimeOffset.UtcNow,
            }, TableUpdateMode.Replace);
            return response.Status == 204;
        }

        progress($"position write and raw upsert, {count} each in turns");
        var (write, upsert) = await Load.InterleavedAsync(count, ReportNext, RawUpsert);
        figures.Add(new Figure($"position write, use case in-process ({UnitCount} units at the station), 1 client",
            $"{Stats.Rate(write.PerSecond)} (p50 {Stats.Ms(write.P50)}, p99 {Stats.Ms(write.P99)})",
            $"raw upsert of the latest-position row: {Stats.Rate(upsert.PerSecond)} (p50 {Stats.Ms(upsert.P50)}, p99 {Stats.Ms(upsert.P99)})",
            $"{write.PerSecond / upsert.PerSecond:0.00}×",
            $"a write is a range query of the unit's expired trail + a transaction (latest point, trail point); in turns of 50, {count} each{HttpPathBench.Errors(write, upsert)}"));

        progress($"candidates and the raw reads they stand for, {count} each in turns");
        async Task<bool> Candidates()
        {
            var list = await candidates.RankAsync(services.DeskCall(station), incident, default);
            return list.Ranked && list.Candidates.Count == UnitCount && list.Candidates.All(c => c.DistanceMeters is not null);
        }

        async Task<bool> RawReads()
        {
            var one = await table.GetEntityIfExistsAsync<TableEntity>(station.Value, $"pos|{ids[0]}");
            var rows = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {"pos|"} and RowKey lt {"pos}"}")))
            {
                rows++;
            }

            return one.HasValue && rows == UnitCount;
        }

        var (ranked, reads) = await Load.InterleavedAsync(count, Candidates, RawReads);
        figures.Add(new Figure($"candidates for an incident, {UnitCount} units with positions, use case in-process, 1 client",
            $"p50 {Stats.Ms(ranked.P50)}, p99 {Stats.Ms(ranked.P99)}",
            $"raw point read + range query of the station's {UnitCount} latest positions: p50 {Stats.Ms(reads.P50)}, p99 {Stats.Ms(reads.P99)}",
            $"{ranked.P50 / reads.P50:0.00}× at p50",
            $"candidates read the incident, the units (declared rows and the roster) and the latest positions; in turns of 50, {count} each{HttpPathBench.Errors(ranked, reads)}"));

        // Intake over HTTP at the same station (its partition is where positions are written), alone, under the load, alone again.
        var token = LocalTokens.Load(LocalTokens.KeyPath(repoRoot))
            .Mint(BenchServices.CommandCenter, [GlobalRole.CommandCenter], SystemClock.Instance.GetCurrentInstant(), Duration.FromHours(4));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stack.ApiPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var body = ApiBench.ReportBody(station.Value, "P4");
        var intakes = quick ? 200 : 600;
        Task<LoadResult> Intake() => Load.RunAsync(intakes, 1, async _ =>
        {
            using var response = await http.PostAsJsonAsync("incidents", body);
            return response.StatusCode == HttpStatusCode.Created;
        });

        await Load.RunAsync(30, 1, async _ => (await http.PostAsJsonAsync("incidents", body)).StatusCode == HttpStatusCode.Created);
        progress($"intake over HTTP, {intakes}, without position load");
        var before = await Intake();
        var seconds = quick ? 30 : 120;
        progress($"intake over HTTP, {intakes}, with {UnitCount} units reporting every {ReportPeriod.TotalSeconds:0} s (at least {seconds} s)");
        using var stop = new CancellationTokenSource();
        var load = SustainAsync(ReportNext, TimeSpan.FromSeconds(seconds), stop.Token);
        var during = await Intake();
        await stop.CancelAsync();
        var sustained = await load;
        progress($"intake over HTTP, {intakes}, without position load again");
        var after = await Intake();
        figures.Add(new Figure($"position writes sustained: {UnitCount} units × one per {ReportPeriod.TotalSeconds:0} s, paced, use case in-process",
            $"{Stats.Rate(sustained.PerSecond)} (p50 {Stats.Ms(sustained.Latency.P50)}, p99 {Stats.Ms(sustained.Latency.P99)})",
            $"asked: {UnitCount / ReportPeriod.TotalSeconds:0}/s; raw upsert above: p50 {Stats.Ms(upsert.P50)}, p99 {Stats.Ms(upsert.P99)}",
            $"{sustained.PerSecond / (UnitCount / ReportPeriod.TotalSeconds):0.00}× of asked",
            $"{sustained.Written} writes in {sustained.Elapsed.TotalSeconds:0.0} s while intake ran; at most {sustained.MaxInFlight} in flight{(sustained.Latency.Errors > 0 ? $"; ERRORS {sustained.Latency.Errors}: {sustained.Latency.FirstError}" : "; 0 errors")}"));
        figures.Add(new Figure($"intake POST /api/incidents at the same station, 1 client, with the position load running",
            $"p50 {Stats.Ms(during.P50)} (p99 {Stats.Ms(during.P99)})",
            $"without: p50 {Stats.Ms(before.P50)} (p99 {Stats.Ms(before.P99)}) before, p50 {Stats.Ms(after.P50)} (p99 {Stats.Ms(after.P99)}) after",
            $"{during.P50 / ((before.P50 + after.P50) / 2):0.00}× at p50",
            $"{intakes} each, one after the other{HttpPathBench.Errors(before, during, after)}"));

        figures.Add(await SweepFigureAsync(repoRoot, stack, station, ReportNext, quick, progress));
        return figures;
    }

    /// <summary>
    /// The sweep alone, under the position load, alone again: each round reports 10 P1s of the station and sweeps them
    /// once they are due. In-process, with a FakeClock deciding what is due, on a table of its own in the same Azurite
    /// (the stack's own sweep runs on real time over its table and would take them first): so it measures what the
    /// position writes cost the sweep through the storage they share, not through the same partition.
    /// </summary>
    private static async Task<Figure> SweepFigureAsync(string repoRoot, StackProcess stack, StationId station, Func<Task<bool>> reportPosition, bool quick, Action<string> progress)
    {
        var clock = new FakeClock(SystemClock.Instance.GetCurrentInstant());
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "unitsweep" + Guid.NewGuid().ToString("N")[..12], clock);
        var incidents = services.Get<IncidentService>();
        var sweeper = services.Get<Sweeper>();
        var rounds = quick ? 5 : 10;
        async Task<List<double>> SweepRoundsAsync()
        {
            var times = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < 10; i++)
                {
                    await incidents.ReportAsync(services.Call(), BenchServices.Report(station, Priority.P1), null, default);
                }

                clock.Advance(Duration.FromSeconds(4)); // past the 3-second P1 dispatch window of the bench policy
                var stopwatch = Stopwatch.StartNew();
                var swept = await sweeper.SweepAsync(default);
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
                if (swept.Changed != 10)
                {
                    throw new InvalidOperationException($"expected 10 incidents swept, got {swept.Changed}");
                }
            }

            return times;
        }

        progress($"sweeping 10 due, {rounds} rounds, without position load");
        var before = await SweepRoundsAsync();
        progress($"sweeping 10 due, {rounds} rounds, with {UnitCount} units reporting every {ReportPeriod.TotalSeconds:0} s");
        using var stop = new CancellationTokenSource();
        var load = SustainAsync(reportPosition, TimeSpan.FromSeconds(5), stop.Token);
        var during = await SweepRoundsAsync();
        await stop.CancelAsync();
        var sustained = await load;
        progress($"sweeping 10 due, {rounds} rounds, without position load again");
        var after = await SweepRoundsAsync();
        var (withLoad, without) = (Stats.Percentile(during, 50), (Stats.Percentile(before, 50) + Stats.Percentile(after, 50)) / 2);
        return new Figure($"sweep of 10 due P1s, in-process, with the position load running",
            $"median {Stats.Ms(withLoad)}",
            $"without: median {Stats.Ms(Stats.Percentile(before, 50))} before, {Stats.Ms(Stats.Percentile(after, 50))} after",
            $"{withLoad / without:0.00}×",
            $"{rounds} sweeps each; {sustained.Written} position writes meanwhile ({Stats.Rate(sustained.PerSecond)}); the sweep's table apart from the positions', same Azurite");
    }

    private sealed record Sustained(double PerSecond, int Written, TimeSpan Elapsed, int MaxInFlight, LoadResult Latency);

    /// <summary>
    /// Starts a write every period ÷ units on a fixed schedule (open loop: a slow write does not delay the next one), for at
    /// least <paramref name="duration"/> and until <paramref name="stop"/> (the end of what it loads); the rate is the writes finished over the time
    /// from the first start to the last finish.
    /// </summary>
    private static async Task<Sustained> SustainAsync(Func<Task<bool>> write, TimeSpan duration, CancellationToken stop)
    {
        var interval = ReportPeriod / UnitCount;
        var latencies = new ConcurrentBag<double>();
        var running = new List<Task>();
        int errors = 0, inFlight = 0, maxInFlight = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        for (var k = 0; clock.Elapsed < duration || !stop.IsCancellationRequested; k++)
        {
            var due = interval * k;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }

            running.Add(Task.Run(async () =>
            {
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref maxInFlight, now);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (!await write())
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception e) when (e is Azure.RequestFailedException or InvalidOperationException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Decrement(ref inFlight);
            }, CancellationToken.None));
        }

        await Task.WhenAll(running);
        var elapsed = clock.Elapsed;
        var list = latencies.ToList();
        return new Sustained(list.Count / elapsed.TotalSeconds, list.Count, elapsed, maxInFlight,
            new LoadResult(list.Count / elapsed.TotalSeconds, Stats.Percentile(list, 50), Stats.Percentile(list, 99), errors, firstError));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>A point within about 3 km of the Bell Tower, different for each report: the units drive about Beilin.</summary>
    private static (double Latitude, double Longitude) Around(int n)
    {
        var angle = n * 2.399963; // the golden angle in radians: successive points spread evenly round the circle
        var radius = 0.027 * Math.Sqrt((n % UnitCount + 1) / (double)UnitCount); // 0.027° of latitude ≈ 3 km
        return (SceneLatitude + (radius * Math.Sin(angle)), SceneLongitude + (radius * Math.Cos(angle) / Math.Cos(SceneLatitude * Math.PI / 180)));
    }
}
