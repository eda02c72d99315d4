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
        var (smallTime, smallRange, smallRequests) = await MeasureAsync(storage, bus, small, progress);
        var (largeTime, largeRange, largeRequests) = await MeasureAsync(storage, bus, large, progress);
        return
        [
            new Figure($"sweep, 10 due among {small:N0} running", Stats.Ms(smallTime), "itself", "1.00×", "median of 5 sweeps"),
            new Figure($"sweep, 10 due among {large:N0} running", Stats.Ms(largeTime), $"sweep among {small:N0}: {Stats.Ms(smallTime)}", $"{largeTime / smallTime:0.00}×", "goal ≤ 1.5×"),
            new Figure($"sweep work: storage requests per sweep, among {small:N0} → {large:N0}", $"{smallRequests:0} → {largeRequests:0}", "itself", $"{largeRequests / smallRequests:0.00}×", "what the due index buys: the same requests whatever the number running"),
            new Figure($"  raw range query for one station's due rows, among {small:N0} → {large:N0}", $"{Stats.Ms(smallRange)} → {Stats.Ms(largeRange)}", "the storage engine itself", $"{largeRange / smallRange:0.00}×", "same query the sweep makes; shows what the emulator's range scan costs"),
        ];
    }

    private static async Task<(double Sweep, double RangeQuery, double Requests)> MeasureAsync(string storage, string bus, int running, Action<string> progress)
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
        var counter = new RequestCounter();
        var tableOptions = new Azure.Data.Tables.TableClientOptions();
        tableOptions.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerCall);
        var services = new ServiceCollection().AddLogging()
            .AddSingleton(new Azure.Data.Tables.TableServiceClient(storage, tableOptions))
            .AddDispatch(configuration);
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
        var requests = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                await incidents.ReportAsync(Report($"st-{i % 10}", Priority.P1), "bench", null, default);
            }

            clock.Advance(Duration.FromSeconds(4)); // past the 3-second P1 dispatch window
            var before = counter.Count;
            var stopwatch = Stopwatch.StartNew();
            var report = await sweeper.SweepAsync(default);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
            requests.Add(counter.Count - before);
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

        return (Stats.Percentile(times, 50), Stats.Percentile(ranges, 50), Stats.Percentile(requests, 50));
    }

    private static IncidentReport Report(string station, Priority priority) =>
        new(StationId.Parse(station), "theft", priority, Zone.Urban, new Location("1 Bell Tower Square", null, null), "bench", Channel.Phone, null);

    /// <summary>Counts requests to Table Storage: the sweep's work, independent of how fast the emulator is.</summary>
    private sealed class RequestCounter : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        private long count;

        public long Count => Interlocked.Read(ref count);

        public override void OnSendingRequest(Azure.Core.HttpMessage message) => Interlocked.Increment(ref count);
    }
}
