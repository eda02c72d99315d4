using System.Diagnostics;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Bench;

/// <summary>
/// The sweep at province scale: 10 incidents due among many running ones, spread over few stations and over
/// many, must cost the same (issue 14); and a burst of incidents all due at once is cleared in one sweep.
/// In-process (a FakeClock decides what is due), on the stack's Azurite and broker.
/// </summary>
public static class SweepBench
{
    /// <summary>What one due incident costs the sweep on its own: its read, its commit, its station's outbox removal (the index writes are per partition).</summary>
    private const int PerDueIncident = 3;

    /// <summary>Burst rounds: each seeds a fresh table and times the sweep beside the raw baseline, and the median is the figure.</summary>
    private const int BurstRounds = 3;

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, string storage, string bus, bool quick, Action<string> progress)
    {
        var running = quick ? 10_000 : 100_000;
        var many = quick ? 1_000 : 10_000;
        var few = await MeasureAsync(repoRoot, storage, bus, running, 10, progress);
        var spread = await MeasureAsync(repoRoot, storage, bus, running, many, progress);
        var burst = await BurstAsync(repoRoot, storage, bus, quick ? 2_000 : 10_000, progress);
        var own = 10 * PerDueIncident;
        List<Figure> figures =
        [
            new Figure($"sweep, 10 due among {running:N0} running over 10 stations", Stats.Ms(few.Time), "itself", "1.00×", $"median of 5 sweeps; {few.Requests:0} storage requests"),
            new Figure($"sweep, 10 due among {running:N0} running over {many:N0} stations", Stats.Ms(spread.Time), $"over 10 stations: {Stats.Ms(few.Time)}", $"{spread.Time / few.Time:0.00}×", "goal ≤ 1.5×"),
            new Figure($"sweep requests: 10 stations → {many:N0} stations", $"{few.Requests:0} → {spread.Requests:0}", $"the 10 due incidents' own (read, commit, outbox removal): {own}",
                $"{spread.Requests / few.Requests:0.00}×", $"other requests: {few.Requests - own:0} → {spread.Requests - own:0} (8 index queries, then the index writes: a request per partition touched, 3 steps)"),
            new Figure($"  raw range query of one due-index partition, {running:N0} running", Stats.Ms(spread.Range), "the storage engine itself", "—", "the query the sweep makes per partition (8 in parallel)"),
            new Figure($"  seeding {running:N0} running over {many:N0} stations (raw batches of the app's own rows)", $"{spread.Seeding / 1000:0.0} s ({Stats.Rate(running / spread.Seeding * 1000)})", "—", "—",
                "a station's incidents 25 to a transaction, due entries 100 to a transaction; a sample read back through the app and every due one swept"),
        ];
        figures.AddRange(BurstFigures(burst));
        return figures;
    }

    private static async Task<(double Time, double Requests, double Range, double Seeding)> MeasureAsync(string repoRoot, string storage, string bus, int running, int stations, Action<string> progress)
    {
        var table = "sweep" + Guid.NewGuid().ToString("N")[..12];
        var clock = new FakeClock(Instant.FromUtc(2026, 11, 26, 8, 0));
        await using var services = BenchServices.Create(repoRoot, storage, bus, table, clock);
        var incidents = services.Get<IncidentService>();
        var sweeper = services.Get<Sweeper>();

        progress($"seeding {running:N0} running incidents over {stations:N0} stations");
        var seeding = Stopwatch.StartNew();
        var seeded = await services.SeedAsync(running, i => BenchServices.Station(i % stations), Priority.P4, done => progress($"seeding {done:N0}/{running:N0} over {stations:N0} stations"));
        var seedTime = seeding.Elapsed.TotalMilliseconds;
        await services.AssertReadableAsync(seeded, Priority.P4);

        progress($"sweeping 10 due among {running:N0} over {stations:N0} stations");
        var times = new List<double>();
        var requests = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                await incidents.ReportAsync(services.Call(), BenchServices.Report(BenchServices.Station((round * 10 + i) * 7 % stations), Priority.P1), null, default);
            }

            clock.Advance(Duration.FromSeconds(4)); // past the 3-second P1 dispatch window
            using var counted = RequestCounter.Begin();
            var stopwatch = Stopwatch.StartNew();
            var report = await sweeper.SweepAsync(default);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
            requests.Add(counted.Requests);
            if (report.Changed != 10)
            {
                throw new InvalidOperationException($"expected 10 incidents swept, got {report.Changed}");
            }
        }

        var raw = new TableClient(storage, table);
        var index = new TableClient(storage, table + "due");
        var ranges = new List<double>();
        var upTo = TableKeys.DueUpTo(clock.GetCurrentInstant());
        for (var i = 0; i < 10; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await foreach (var _ in index.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"due-0"} and RowKey lt {upTo}"), select: ["RowKey"]))
            {
            }

            ranges.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        await raw.DeleteAsync();
        await index.DeleteAsync();
        return (Stats.Percentile(times, 50), Stats.Percentile(requests, 50), Stats.Percentile(ranges, 50), seedTime);
    }

    private sealed record Burst(int Count, double Time, double Baseline, double Ratio, IReadOnlyList<double> Ratios, double Requests, int Levels, int Sent, int Distinct,
        IReadOnlyList<BurstProfile.StepFigure> Steps, (double App, double Storage) SweepCpu, (double App, double Storage) BaselineCpu);

    /// <summary>Only the burst (<c>./dispatch bench burst</c>): 2,000 due at once with <c>--quick</c>, 10,000 without, each round seeding only the burst.</summary>
    public static async Task<IReadOnlyList<Figure>> RunBurstAsync(string repoRoot, string storage, string bus, bool quick, Action<string> progress) =>
        BurstFigures(await BurstAsync(repoRoot, storage, bus, quick ? 2_000 : 10_000, progress));

    private static List<Figure> BurstFigures(Burst burst)
    {
        var figures = new List<Figure>
        {
            new($"burst: {burst.Count:N0} incidents due at once, one sweep", $"{Stats.Ms(burst.Time)} ({Stats.Rate(burst.Count / burst.Time * 1000)})",
                $"raw, in the same table: one read + one 4-entity transaction per incident, 16 at a time: {Stats.Rate(burst.Count / burst.Baseline * 1000)}",
                $"{burst.Ratio:0.00}×", $"goal ≥ 0.6×; median of {BurstRounds} rounds ({string.Join(", ", burst.Ratios.Select(r => $"{r:0.00}×"))}); {burst.Requests:N0} storage requests; "
                    + $"each level once: {burst.Levels:N0} escalations, {burst.Sent:N0} messages, {burst.Distinct:N0} distinct"),
            new("  processor time during the burst's sweep: the app / Azurite", $"{Stats.Ms(burst.SweepCpu.App)} / {Stats.Ms(burst.SweepCpu.Storage)}",
                $"during the raw baseline: {Stats.Ms(burst.BaselineCpu.App)} / {Stats.Ms(burst.BaselineCpu.Storage)}", "—",
                "the median round's; 2 cores shared by the app, Azurite and whatever else runs"),
        };
        figures.AddRange(burst.Steps.Select(step => new Figure($"  burst step: {step.Name}", Stats.Ms(step.BusyMs),
            step.Calls == 0 ? "—" : $"{step.Calls:N0} calls, {step.InFlight} under way on average", "—", step.Calls == 0 ? "" : $"{step.Requests:N0} storage requests")));
        return figures;
    }

    /// <summary>
    /// Rounds of: a fresh table of <paramref name="count"/> P1 incidents over 1,000 stations, ten minutes of outage, one
    /// sweep that must clear them all with each level once; and the raw baseline for as many incidents right beside it,
    /// before the sweep in one round and after it in the next, so that the machine's load drifting does not favour either.
    /// Each sweep is profiled (<see cref="BurstProfile"/>) and the processor time of the app and of Azurite taken.
    /// </summary>
    private static async Task<Burst> BurstAsync(string repoRoot, string storage, string bus, int count, Action<string> progress)
    {
        var sweeps = new List<(double Time, double Requests, int Levels, int Sent, int Distinct, IReadOnlyList<BurstProfile.StepFigure> Steps, (double, double) Cpu)>();
        var baselines = new List<(double Time, (double, double) Cpu)>();
        var cpu = ProcessorTime.ForStorage(storage);
        for (var round = 0; round < BurstRounds; round++)
        {
            var table = "burst" + Guid.NewGuid().ToString("N")[..12];
            var clock = new FakeClock(Instant.FromUtc(2026, 11, 26, 8, 0));
            await using var services = BenchServices.Create(repoRoot, storage, bus, table, clock);
            var publisher = new CountingPublisher();
            var profile = new BurstProfile();
            var index = profile.Wrap(services.Get<IDueIndex>());
            var sweeper = new Sweeper(profile.Wrap(services.Get<IIncidentStore>()), index,
                new NoticeRelay(profile.Wrap(services.Get<INoticeOutbox>()), profile.Wrap(publisher), index, clock), clock);

            progress($"burst round {round + 1}: seeding {count:N0} incidents over 1,000 stations");
            var seeded = await services.SeedAsync(count, i => BenchServices.Station(i % 1000), Priority.P1);
            await services.AssertReadableAsync(seeded, Priority.P1);
            clock.Advance(Duration.FromMinutes(10)); // an outage: every one of them is due
            if (round % 2 == 1)
            {
                baselines.Add(await RawBaselineAsync(storage, table, seeded, cpu, progress));
            }

            progress($"burst round {round + 1}: one sweep clears {count:N0} due incidents");
            using (var counted = RequestCounter.Begin())
            {
                var before = cpu.Now();
                var stopwatch = Stopwatch.StartNew();
                var report = await sweeper.SweepAsync(default);
                var time = stopwatch.Elapsed.TotalMilliseconds;
                var after = cpu.Now();
                var requests = counted.Requests;
                var steps = profile.Figures(time);
                var again = await sweeper.SweepAsync(default);
                if (report.Changed != count || again.Changed != 0 || publisher.Count != count || publisher.Distinct != count)
                {
                    // Conflicts and notices still waiting name where the rest went: there is no other sweep here to race.
                    var (waiting, _) = await services.Get<IDueIndex>().PendingNoticesAsync(default);
                    throw new InvalidOperationException($"burst: {report.Changed} changed of {count} ({report.Conflicts} conflicts), then {again.Changed}; "
                        + $"{publisher.Count} sent, {publisher.Distinct} distinct; {waiting} notices entries waiting");
                }

                sweeps.Add((time, requests, report.Notices, publisher.Count, publisher.Distinct, steps, (after.App - before.App, after.Storage - before.Storage)));
            }

            if (round % 2 == 0)
            {
                baselines.Add(await RawBaselineAsync(storage, table, seeded, cpu, progress));
            }

            await new TableClient(storage, table).DeleteAsync();
            await new TableClient(storage, table + "due").DeleteAsync();
        }

        var ratios = sweeps.Zip(baselines, (sweep, baseline) => baseline.Time / sweep.Time).ToList();
        var median = sweeps.Select((sweep, i) => (sweep, Ratio: ratios[i], Baseline: baselines[i])).OrderBy(r => r.Ratio).ElementAt(BurstRounds / 2);
        return new Burst(count, median.sweep.Time, median.Baseline.Time, median.Ratio, ratios, median.sweep.Requests, median.sweep.Levels, median.sweep.Sent, median.sweep.Distinct,
            median.sweep.Steps, median.sweep.Cpu, median.Baseline.Cpu);
    }

    /// <summary>
    /// The storage work a burst stands for, without the app: a point read of each incident and a 4-entity transaction
    /// into its station's partition, 16 at a time, in the burst's own table (the emulator's requests cost more as a
    /// table grows, so the baseline works on the same one). Returns its time in ms and the processor time it took.
    /// </summary>
    private static async Task<(double Time, (double App, double Storage) Cpu)> RawBaselineAsync(string storage, string table, IReadOnlyList<IncidentId> incidents, ProcessorTime cpu, Action<string> progress)
    {
        progress("raw baseline for the burst");
        var before = cpu.Now();
        var raw = new TableClient(storage, table);
        var run = Guid.NewGuid().ToString("N")[..8];
        var rows = await Load.RunAsync(incidents.Count, 16, async i =>
        {
            var partition = incidents[i].Station.Value;
            var read = await raw.GetEntityIfExistsAsync<TableEntity>(partition, TableKeys.IncidentRow(incidents[i]));
            var response = await raw.SubmitTransactionAsync(Enumerable.Range(0, 4).Select(r =>
                new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, $"raw|{run}|{i}|{r}") { ["Body"] = new string('x', r == 0 ? 2000 : 200) })).ToList());
            return read.HasValue && response.Value.Count == 4;
        });
        if (rows.Errors > 0)
        {
            throw new InvalidOperationException($"the raw baseline failed {rows.Errors} times: {rows.FirstError}");
        }

        var after = cpu.Now();
        return (incidents.Count / rows.PerSecond * 1000, (after.App - before.App, after.Storage - before.Storage));
    }

    /// <summary>Counts what would be sent, without a broker in the way of the storage figures.</summary>
    private sealed class CountingPublisher : INoticePublisher
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> ids = new();
        private int count;

        public int Count => count;

        public int Distinct => ids.Count;

        public Task PublishAsync(Notice notice, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref count);
            ids.AddOrUpdate(notice.MessageId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }
}
