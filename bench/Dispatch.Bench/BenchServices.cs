using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Settings;
using Dispatch.LocalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>The app's own services in-process, on a given table of the same Azurite the stack uses.</summary>
public sealed class BenchServices : IAsyncDisposable
{
    public static readonly Person CommandCenter = new("bench.cc", "Bench (command center)");

    private readonly ServiceProvider provider;

    private BenchServices(ServiceProvider provider) => this.provider = provider;

    public T Get<T>()
        where T : notnull => provider.GetRequiredService<T>();

    public static BenchServices Create(string repoRoot, string storage, string bus, string table, IClock? clock = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["ServiceBus"] = bus,
            ["DISPATCH_TABLE"] = table,
            ["DISPATCH_POLICY_FILE"] = Path.Combine(AppContext.BaseDirectory, "bench-policy.json"),
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = LocalTokens.KeyPath(repoRoot),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddDispatch(configuration);
        if (clock is not null)
        {
            services.Replace(ServiceDescriptor.Singleton(clock));
        }

        return new BenchServices(services.BuildServiceProvider());
    }

    /// <summary>A request by the command center, as the API would make one.</summary>
    public ApiCall Call() => new(new Caller(CommandCenter, new HashSet<GlobalRole> { GlobalRole.CommandCenter }, []),
        new RequestInfo(Guid.NewGuid().ToString("N"), "Bench", "127.0.0.1", "bench"), Get<IClock>().GetCurrentInstant());

    /// <summary>
    /// Running incidents put straight into storage the way intake leaves them (the incident with its rows, and
    /// its due-index entry), without HTTP, to load a table quickly.
    /// </summary>
    public async Task SeedAsync(int count, Func<int, StationId> station, Priority priority, int concurrency, Action<int>? progress = null)
    {
        var store = Get<IIncidentStore>();
        var index = Get<IDueIndex>();
        var policy = Get<ResponsePolicy>();
        var clock = Get<IClock>();
        var done = 0;
        var result = await Load.RunAsync(count, concurrency, async i =>
        {
            var now = clock.GetCurrentInstant();
            var report = Report(station(i), priority);
            var opened = Incident.Open(IncidentId.New(report.Station, now), report, policy, now, CommandCenter);
            await index.AddAsync([DueEntry.ForClock(opened.Incident.Id, opened.Incident.NextDueAt!.Value)], default);
            var call = Call();
            call.Station = report.Station;
            call.Incident = opened.Incident.Id;
            var created = await store.CreateAsync(opened, null, call.Record(AuditOutcome.Created), default);
            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                progress?.Invoke(done);
            }

            return created.Outcome == CreateOutcome.Created;
        });
        if (result.Errors > 0)
        {
            throw new InvalidOperationException($"seeding failed {result.Errors} times: {result.FirstError}");
        }
    }

    public static IncidentReport Report(StationId station, Priority priority) =>
        new(station, "theft", priority, Zone.Urban, new Location("1 Bell Tower Square, Beilin District", 34.26, 108.94),
            "Bicycle taken from outside the bank; caller saw a man in a grey jacket ride towards the Drum Tower.", Channel.Phone, "138-0000-0000");

    public static StationId Station(int i) => StationId.Parse($"st-{i:D5}");

    public async ValueTask DisposeAsync() => await provider.DisposeAsync();
}
