using System.Diagnostics;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Bench;

/// <summary>
/// The sweep's cost with 10 incidents due among few or many running ones: the due index should make
/// them cost the same. In-process (FakeClock decides what is due), on the same Azurite and broker.
/// </summary>
public static class SweepBench
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(string storage, string bus, bool quick, Action<string> progress)
    {
        var small = 1000;
        var large = quick ? 10_000 : 100_000;
        var (smallTime, smallRange) = await MeasureAsync(storage, bus, small, progress);
        var (largeTime, largeRange) = await MeasureAsync(storage, bus, large, progress);
        return
        [
            new Figure($"sweep, 10 due among {small:N0} running", Stats.Ms(smallTime), "itself", "1.00×", "median of 5 sweeps"),
            new Figure($"sweep, 10 due among {large:N0} running", Stats.Ms(largeTime), $"sweep among {small:N0}: {Stats.Ms(smallTime)}", $"{largeTime / smallTime:0.00}×", "goal ≤ 1.5×"),
            new Figure($"  raw range query for one station's due rows, among {small:N0} → {large:N0}", $"{Stats.Ms(smallRange)} → {Stats.Ms(largeRange)}", "the storage engine itself", $"{largeRange / smallRange:0.00}×", "same query the sweep makes; shows what the emulator's range scan costs"),
        ];
    }

    private static async Task<(double Sweep, double RangeQuery)> MeasureAsync(string storage, string bus, int running, Action<string> progress)
    {
        var table = "sweep" + Guid.NewGuid().ToString("N")[..12];
        var clock = new FakeClock(Instant.FromUtc(2026, 11, 26, 8, 0));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["ServiceBus"] = bus,
            ["DISPATCH_TABLE"] = table,
            ["DISPATCH_POLICY_FILE"] = Path.Combine(AppContext.BaseDirectory, "bench-policy.json"),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddDispatch(configuration);
        services.Replace(ServiceDescriptor.Singleton<IClock>(clock));
        await using var provider = services.BuildServiceProvider();
        var incidents = provider.GetRequiredService<IncidentService>();
        var sweeper = provider.GetRequiredService<Sweeper>();

        progress($"seeding {running:N0} running incidents");
        var seeded = await Load.RunAsync(running, 32, async i =>
            (await incidents.ReportAsync(Report($"st-{i % 10}", Priority.P4), "bench", null, default)).Outcome == CreateOutcome.Created);
        if (seeded.Errors > 0)
        {
            throw new InvalidOperationException($"seeding failed {seeded.Errors} times: {seeded.FirstError}");
        }

        progress($"sweeping 10 due among {running:N0}");
        var times = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                await incidents.ReportAsync(Report($"st-{i % 10}", Priority.P1), "bench", null, default);
            }

            clock.Advance(Duration.FromSeconds(4)); // past the 3-second P1 dispatch window
            var stopwatch = Stopwatch.StartNew();
            var report = await sweeper.SweepAsync(default);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
            if (report.Changed != 10)
            {
                throw new InvalidOperationException($"expected 10 incidents swept, got {report.Changed}");
            }
        }

        var raw = new Azure.Data.Tables.TableClient(storage, table);
        var upTo = $"due|{clock.GetCurrentInstant().ToUnixTimeTicks() + 1:D19}";
        var ranges = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await foreach (var _ in raw.QueryAsync<Azure.Data.Tables.TableEntity>(
                Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {"st-0"} and RowKey ge {"due|"} and RowKey lt {upTo}"), select: ["RowKey"]))
            {
            }

            ranges.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        return (Stats.Percentile(times, 50), Stats.Percentile(ranges, 50));
    }

    private static IncidentReport Report(string station, Priority priority) =>
        new(StationId.Parse(station), "theft", priority, Zone.Urban, new Location("1 Bell Tower Square", null, null), "bench", Channel.Phone, null);
}
