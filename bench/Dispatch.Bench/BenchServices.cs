using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Azure.Data.Tables;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Dispatch.LocalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>The app's own services in-process, on a given table of the same Azurite the stack uses.</summary>
public sealed class BenchServices : IAsyncDisposable
{
    public static readonly Person CommandCenter = new("bench.cc", "Bench (command center)");

    public static readonly Person Desk = new("bench.desk", "Bench (chief and dispatcher)");

    private readonly ServiceProvider provider;
    private readonly string storage;

    private BenchServices(ServiceProvider provider, string storage)
    {
        this.provider = provider;
        this.storage = storage;
    }

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

        return new BenchServices(services.BuildServiceProvider(), storage);
    }

    /// <summary>A request by the command center, as the API would make one.</summary>
    public ApiCall Call() => new(new Caller(CommandCenter, new HashSet<GlobalRole> { GlobalRole.CommandCenter }, []),
        new RequestInfo(Guid.NewGuid().ToString("N"), "Bench", "127.0.0.1", "bench"), Get<IClock>().GetCurrentInstant());

    /// <summary>A request by a station's chief who is also on its desk (a dispatcher): declares units, reports their positions, asks for candidates.</summary>
    public ApiCall DeskCall(StationId station) => new(new Caller(Desk, new HashSet<GlobalRole>(),
            [new Membership(station, Desk, StationRole.Chief, null), new Membership(station, Desk, StationRole.Dispatcher, null)]),
        new RequestInfo(Guid.NewGuid().ToString("N"), "Bench", "127.0.0.1", "bench"), Get<IClock>().GetCurrentInstant());

    /// <summary>
    /// Running incidents put straight into storage as intake leaves them, without HTTP or the use case: the same rows,
    /// built by the app's own mapping (<see cref="IncidentRows.Created"/>, the station's version and register rows, the
    /// due entry), but a station's incidents share transactions of up to 100 rows and the due entries go in batches of
    /// a partition's, so a province of 100,000 loads in minutes instead of hours. Returns the incidents made, a station's together.
    /// </summary>
    public async Task<IReadOnlyList<IncidentId>> SeedAsync(int count, Func<int, StationId> station, Priority priority, Action<int>? progress = null)
    {
        const int Chunk = 5_000;
        // The app's tables and index, through a client that waits longer than the app's 5 seconds: on the emulator a
        // 100-row transaction queued behind others into a partition of tens of thousands of rows can take longer.
        var options = new TableClientOptions();
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(2);
        var service = new TableServiceClient(storage, options);
        var settings = Get<IOptions<DispatchSettings>>();
        var table = new DispatchTable(service, settings.Value.TableName, Get<DependencyMonitor>());
        var index = new TableDueIndex(new DueIndexTable(service, settings, Get<DependencyMonitor>()), settings);
        var policy = Get<ResponsePolicy>();
        var clock = Get<IClock>();
        var registered = new HashSet<StationId>();
        var made = new List<IncidentId>(count);
        // A station's incidents in the same chunk, so that they share transactions however many stations there are.
        var order = Enumerable.Range(0, count).OrderBy(i => station(i).Value, StringComparer.Ordinal).ToArray();
        for (var from = 0; from < count; from += Chunk)
        {
            var now = clock.GetCurrentInstant();
            var opened = order[from..Math.Min(from + Chunk, count)].Select(i =>
            {
                var report = Report(station(i), priority);
                var transition = Incident.Open(IncidentId.New(report.Station, now), report, policy, now, CommandCenter);
                var call = Call();
                call.Station = report.Station;
                call.Incident = transition.Incident.Id;
                return (Transition: transition, Audit: call.Record(AuditOutcome.Created));
            }).ToList();

            // The due entries first, as intake writes them: an incident is never without one.
            await index.AddAsync([.. opened.Select(o => DueEntry.ForClock(o.Transition.Incident.Id, o.Transition.Incident.NextDueAt!.Value))], default);
            var stations = opened.Select(o => o.Transition.Incident.Station).Distinct().ToList();
            IEnumerable<IReadOnlyList<TableTransactionAction>> rows =
            [
                .. stations.Where(registered.Add).Select(s => (IReadOnlyList<TableTransactionAction>)[new(TableTransactionActionType.UpsertMerge, IncidentRows.StationRegistration(s, now))]),
                .. stations.Select(s => (IReadOnlyList<TableTransactionAction>)[new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(s))]),
                .. opened.Select(o => (IReadOnlyList<TableTransactionAction>)[.. IncidentRows.Created(o.Transition, o.Audit).Select(Idempotent)]),
            ];
            await table.SubmitInBatchesAsync(rows, default);
            made.AddRange(opened.Select(o => o.Transition.Incident.Id));
            progress?.Invoke(made.Count);
        }

        return made;
    }

    /// <summary>
    /// The same row written so that a retry cannot fail on it: when a transaction outlasts the client's network timeout,
    /// the client sends it again, although the first may have committed.
    /// </summary>
    private static TableTransactionAction Idempotent(TableTransactionAction action) =>
        action.ActionType == TableTransactionActionType.Add ? new(TableTransactionActionType.UpsertReplace, action.Entity) : action;

    /// <summary>
    /// Reads a sample of seeded incidents back through the app, as the API's reads do (the incident, its timeline, its
    /// station's open list): a seeding whose rows the app cannot read, or reads differently, stops the bench here.
    /// </summary>
    public async Task AssertReadableAsync(IReadOnlyList<IncidentId> seeded, Priority priority)
    {
        var incidents = Get<IncidentService>();
        var queries = Get<IIncidentQueries>();
        var now = Get<IClock>().GetCurrentInstant();
        foreach (var id in seeded.Where((_, i) => i % Math.Max(1, seeded.Count / 20) == 0))
        {
            var incident = (await incidents.FindAsync(Call(), id, default)).Incident;
            var timeline = await queries.TimelineAsync(id, default);
            var open = await queries.ListAsync(new IncidentQuery(id.Station, StatusFilter.Open, null, now, 100, null), default);
            if (incident.Id != id || incident.Status != IncidentStatus.Reported || incident.Report.Priority != priority || incident.NextDueAt is null
                || timeline is not [{ Kind: EventKind.Reported }] || open.Items.Count == 0 || open.Items.Any(i => i.Status != IncidentStatus.Reported))
            {
                throw new InvalidOperationException($"seeded incident {id} does not read back as intake would have left it");
            }
        }
    }

    public static IncidentReport Report(StationId station, Priority priority) =>
        new(station, "theft", priority, Zone.Urban, new Location("1 Bell Tower Square, Beilin District", 34.26, 108.94),
            "Bicycle taken from outside the bank; caller saw a man in a grey jacket ride towards the Drum Tower.", Channel.Phone, "138-0000-0000");

    public static StationId Station(int i) => StationId.Parse($"st-{i:D5}");

    public async ValueTask DisposeAsync() => await provider.DisposeAsync();
}
