using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
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

        // As the shift-report run leaves them at each day's end: the month's day digests (issue 29 §5), written in-process, not timed.
        progress("writing the month's day digests");
        await using (var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents"))
        {
            await services.Get<ReportService>().ResponseTimesAsync(services.Call(), new ReportScope(Station), range, ClockKind.Arrival, GroupBy.Unit, default);
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
        var digested = await DigestFiguresAsync(repoRoot, stack, range, quick, progress);
        return
        [
            new Figure($"report over HTTP, from day digests: 30 days of one station, {incidents:N0} incidents (of {incidents * 2:N0} in its history)", $"{Stats.Ms(median)} (p99 {Stats.Ms(Stats.Percentile(times, 99))})",
                $"raw range query of the same rows with their bodies: {Stats.Ms(rawMedian)}", $"{median / rawMedian:0.00}× the raw read", $"goal < 1 s; the incident-by-incident read makes {requests:0} storage requests (pages of 1,000); median of 5"),
            .. digested,
        ];
    }

    /// <summary>
    /// Issue 29 §5: a month of the station above read from its day digests, beside every incident read in the same
    /// run (the figures must be identical); then a month of many stations with 50 incidents a day each, from digests.
    /// </summary>
    private static async Task<IReadOnlyList<Figure>> DigestFiguresAsync(string repoRoot, StackProcess stack, ReportRange range, bool quick, Action<string> progress)
    {
        progress("a month of one station: day digests against every incident");
        await using var services = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, "incidents");
        var policy = services.Get<ResponsePolicy>();
        var digested = services.Get<ReportService>();
        var everyIncident = new ReportService(services.Get<IIncidentQueries>(), services.Get<IClock>(), policy);
        var scope = new ReportScope(Station);
        var (digestTimes, incidentTimes) = (new List<double>(), new List<double>());
        for (var round = 0; round < 6; round++)
        {
            // The first digested read writes any digest the HTTP rounds above have not: it is not timed.
            var (fromDigests, digestTime) = await TimeAsync(() => digested.ResponseTimesAsync(services.Call(), scope, range, ClockKind.Arrival, GroupBy.Unit, default));
            var (fromIncidents, incidentTime) = await TimeAsync(() => everyIncident.ResponseTimesAsync(services.Call(), scope, range, ClockKind.Arrival, GroupBy.Unit, default));
            // Read a few milliseconds apart: the same figures, but for the instant each was read at.
            if (JsonSerializer.Serialize(fromDigests with { AsOf = fromIncidents.AsOf }, Json.Options) != JsonSerializer.Serialize(fromIncidents, Json.Options))
            {
                throw new InvalidOperationException("the report from digests differs from the report from every incident");
            }

            if (round > 0)
            {
                digestTimes.Add(digestTime);
                incidentTimes.Add(incidentTime);
            }
        }

        var stations = quick ? 100 : 1_000;
        const int PerDay = 50;
        var table = "digests" + Guid.NewGuid().ToString("N")[..12];
        progress($"writing the digests of {stations:N0} stations × {range.Days} days × {PerDay} incidents");
        await using var many = BenchServices.Create(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, table);
        var digests = many.Get<IDayDigests>();
        var register = new TableClient(stack.StorageConnectionString, table);
        await register.CreateIfNotExistsAsync();
        var now = many.Get<IClock>().GetCurrentInstant();
        var written = await Load.RunAsync(stations * range.Days, 16, async i =>
        {
            var (station, day) = (BenchServices.Station(i / range.Days), range.From.PlusDays(i % range.Days));
            var days = new ReportRange(day, day, range.Zone, range.DayStartsAt);
            var incidents = Enumerable.Range(0, PerDay)
                .Select(n => ReportedIncident.Of(Finished(station, days.Start + Duration.FromMinutes(n * 25), policy, i * PerDay + n), now)).Reverse().ToList();
            if (i % range.Days == 0)
            {
                await register.UpsertEntityAsync(IncidentRows.StationRegistration(station, days.Start));
            }

            return await digests.SaveAsync(DayDigest.Of(station, day, incidents, days), null, default);
        });
        if (written.Errors > 0)
        {
            throw new InvalidOperationException($"writing the digests failed {written.Errors} times: {written.FirstError}");
        }

        progress($"timing a month of {stations:N0} stations from digests");
        var all = many.Get<ReportService>();
        var manyTimes = new List<double>();
        var reported = 0;
        var manyRequests = 0;
        for (var round = 0; round < 4; round++)
        {
            using var counted = RequestCounter.Begin();
            var (report, time) = await TimeAsync(() => all.ResponseTimesAsync(many.Call(), ReportScope.All, range, ClockKind.Arrival, GroupBy.Unit, default));
            reported = report.Incidents;
            if (round > 0)
            {
                manyTimes.Add(time);
                manyRequests = counted.Requests;
            }
        }

        progress("profiling the month of many stations, phase by phase");
        var profile = await ProfileAsync(many, stations, range);

        if (reported != stations * range.Days * PerDay)
        {
            throw new InvalidOperationException($"the report over {stations:N0} stations counted {reported:N0} incidents, not {stations * range.Days * PerDay:N0}");
        }

        // The storage work the report stood for before the day copies (issue 29 §5, kept as the baseline): the range query
        // per station of its digest rows with the total's and the grouping's columns, 16 stations at a time, each column's text read.
        progress($"timing the raw reads of the same {stations * range.Days:N0} digest rows");
        var (first, last) = (TableKeys.DigestRow(range.From), TableKeys.DigestRow(range.To));
        string[] columns = ["RowKey", "Changed", "Cut", "Incidents", "Findings", "Arrival_Total", "Arrival_Unit"];
        var rawTimes = new List<double>();
        for (var round = 0; round < 4; round++)
        {
            var characters = 0L;
            var (rows, time) = await TimeAsync(async () =>
            {
                var read = 0;
                await Parallel.ForEachAsync(Enumerable.Range(0, stations), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
                {
                    var station = BenchServices.Station(i).Value;
                    await foreach (var row in register.QueryAsync<TableEntity>(
                        TableClient.CreateQueryFilter($"PartitionKey eq {station} and RowKey ge {first} and RowKey le {last}"), select: columns, cancellationToken: ct))
                    {
                        Interlocked.Add(ref characters, (row.GetString("Arrival_Total")?.Length ?? 0) + (row.GetString("Arrival_Unit")?.Length ?? 0));
                        Interlocked.Increment(ref read);
                    }
                });
                return read;
            });
            if (rows != stations * range.Days || characters == 0)
            {
                throw new InvalidOperationException($"the raw read found {rows:N0} digest rows, not {stations * range.Days:N0}");
            }

            if (round > 0)
            {
                rawTimes.Add(time);
            }
        }

        // The storage work of the report's own path: one query per day of the day's partition of copies, 16 days at a time.
        progress($"timing the raw reads of the {range.Days} days' copies");
        var copyRawTimes = new List<double>();
        string[] copyColumns = ["RowKey", "Since", "MarkedAt", "Cut", "Incidents", "Findings", "Arrival_Unit"];
        for (var round = 0; round < 4; round++)
        {
            var (rows, time) = await TimeAsync(async () =>
            {
                var read = 0;
                await Parallel.ForEachAsync(Enumerable.Range(0, range.Days), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (d, ct) =>
                {
                    await foreach (var row in register.QueryAsync<TableEntity>(
                        TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.DigestCopies(range.From.PlusDays(d))}"), select: copyColumns, cancellationToken: ct))
                    {
                        Interlocked.Increment(ref read);
                    }
                });
                return read;
            });
            if (rows != stations * range.Days)
            {
                throw new InvalidOperationException($"the raw read found {rows:N0} copies, not {stations * range.Days:N0}");
            }

            if (round > 0)
            {
                copyRawTimes.Add(time);
            }
        }

        var (digestMedian, incidentMedian, manyMedian, rawMedian) = (Stats.Percentile(digestTimes, 50), Stats.Percentile(incidentTimes, 50), Stats.Percentile(manyTimes, 50), Stats.Percentile(rawTimes, 50));
        var copyRawMedian = Stats.Percentile(copyRawTimes, 50);
        return
        [
            new Figure($"report from day digests: {range.Days} days of one station ({Station.Value} above), arrival by unit, in-process", Stats.Ms(digestMedian),
                $"every incident read, same service, same run: {Stats.Ms(incidentMedian)}", $"{digestMedian / incidentMedian:0.00}×", "goal ≤ 100 ms; identical figures checked each round; median of 5"),
            new Figure($"report from day digests: {range.Days} days of {stations:N0} stations × {PerDay} incidents a day ({reported:N0} incidents), station=all, arrival by unit, in-process", Stats.Ms(manyMedian),
                $"raw range queries per station of the same {stations * range.Days:N0} digest rows (the path before the day copies: total and grouping columns), 16 stations at a time: {Stats.Ms(rawMedian)}", $"{manyMedian / rawMedian:0.00}× the raw read",
                $"goal ≤ 3 s; {manyRequests:N0} storage requests; every incident not measured (seeding 1.5 M incidents takes longer than this run has); digests written directly from in-memory incidents; median of 3"),
            new Figure($"  the same report against the raw read of what it reads: the {range.Days} days' copies of every station's digest", Stats.Ms(manyMedian),
                $"raw query of each day's partition of copies ({stations * range.Days:N0} rows, the columns the report reads), 16 days at a time: {Stats.Ms(copyRawMedian)}", $"{manyMedian / copyRawMedian:0.00}× the raw read", "median of 3"),
            .. profile,
        ];
    }

    /// <summary>
    /// Where the month of many stations goes, phase by phase, each timed alone (median of 3): the reads with the tally columns
    /// deserialised, by day copies and by station; the merge of the slices by group; the figures (sorting the merged durations, percentiles).
    /// </summary>
    private static async Task<IReadOnlyList<Figure>> ProfileAsync(BenchServices services, int stations, ReportRange range)
    {
        var digests = services.Get<IDayDigests>();
        var now = services.Get<IClock>().GetCurrentInstant();
        var (byDay, byStation, merging, figuring) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        IReadOnlyList<DigestSlice> slices = [];
        for (var round = 0; round < 4; round++)
        {
            var (days, dayTime) = await TimeAsync(async () =>
            {
                var read = new IReadOnlyDictionary<StationId, DigestSlice>[range.Days];
                await Parallel.ForEachAsync(Enumerable.Range(0, range.Days), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                    async (d, ct) => read[d] = await digests.ReadDayAsync(range.From.PlusDays(d), ClockKind.Arrival, GroupBy.Unit, ct));
                return read;
            });
            var (_, stationTime) = await TimeAsync(async () =>
            {
                var read = 0;
                await Parallel.ForEachAsync(Enumerable.Range(0, stations), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                    async (i, ct) => Interlocked.Add(ref read, (await digests.ReadAsync(BenchServices.Station(i), range.From, range.To, ClockKind.Arrival, GroupBy.Unit, ct)).Count));
                return read;
            });
            slices = [.. days.SelectMany(d => d.Values)];
            var ((total, groups), mergeTime) = await TimeAsync(() => Task.FromResult(ReportService.Merge(slices)));
            var (_, figureTime) = await TimeAsync(() => Task.FromResult(groups.Select(g => g.Value.Figures(g.Key.Key, g.Key.Label, now)).Append(total.Figures("total", "all", now)).ToList()));
            if (round > 0)
            {
                byDay.Add(dayTime);
                byStation.Add(stationTime);
                merging.Add(mergeTime);
                figuring.Add(figureTime);
            }
        }

        if (slices.Count != stations * range.Days)
        {
            throw new InvalidOperationException($"the profile read {slices.Count:N0} copies, not {stations * range.Days:N0}");
        }

        var durations = slices.Sum(s => s.Total.Durations.Count);
        return
        [
            new Figure("  profile: read the day copies and deserialise their tallies (30 queries)", Stats.Ms(Stats.Percentile(byDay, 50)), "—", "—", "IDayDigests.ReadDayAsync per day, 16 at a time; median of 3"),
            new Figure($"  profile: read the stations' digests and deserialise their tallies ({stations:N0} queries)", Stats.Ms(Stats.Percentile(byStation, 50)), "—", "—", "IDayDigests.ReadAsync per station, 16 at a time (the path before the copies); median of 3"),
            new Figure($"  profile: merge {slices.Count:N0} slices by group", Stats.Ms(Stats.Percentile(merging, 50)), "—", "—", $"{durations:N0} durations; median of 3"),
            new Figure("  profile: the figures of the groups and the total (sorting, percentiles)", Stats.Ms(Stats.Percentile(figuring, 50)), "—", "—", "median of 3"),
        ];
    }

    private static async Task<(T Result, double Milliseconds)> TimeAsync<T>(Func<Task<T>> run)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await run();
        return (result, stopwatch.Elapsed.TotalMilliseconds);
    }

    /// <summary>An incident of the range, dispatched, on scene and resolved, with durations that vary.</summary>
    private static Incident Finished(Instant reported, ResponsePolicy policy, int i) => Finished(Station, reported, policy, i);

    private static Incident Finished(StationId station, Instant reported, ResponsePolicy policy, int i)
    {
        var desk = new Person("bench.desk", "Bench Desk");
        var officer = new Person($"officer-{i % 12}", $"Officer {i % 12}");
        var report = BenchServices.Report(station, Enum.GetValues<Priority>()[i % 4]);
        var incident = Incident.Open(IncidentId.New(station, reported), report, policy, reported, desk).Incident;
        incident = incident.Dispatch($"patrol-{i % 12}", officer, reported + Duration.FromSeconds(20 + (i * 37 % 300)), desk).Incident;
        incident = incident.Arrive(incident.DispatchedAt!.Value + Duration.FromSeconds(120 + (i * 53 % 900)), officer).Incident;
        return incident.Resolve("bench", incident.OnSceneAt!.Value + Duration.FromMinutes(10 + (i % 50)), officer).Incident;
    }
}
