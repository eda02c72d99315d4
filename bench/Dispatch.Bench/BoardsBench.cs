using System.Net;
using System.Net.Http.Headers;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.LocalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>
/// What open boards cost storage (issue 29 §6): boards of many people at many stations poll once a second, as the
/// board does, against the app on the local host in this process, whose table client counts every request it sends.
/// From the requests per unchanged poll, the requests a second of 10,000 open boards, beside one storage account's
/// documented target.
/// </summary>
public static class BoardsBench
{
    /// <summary>Maximum request rate per storage account, Table storage: https://learn.microsoft.com/azure/storage/tables/scalability-targets</summary>
    private const double AccountTarget = 20_000;

    private const int Boards = 10_000;

    public static async Task<IReadOnlyList<Figure>> RunAsync(string repoRoot, StackProcess stack, bool quick)
    {
        int stations = quick ? 20 : 50, perStation = quick ? 5 : 10;
        var window = TimeSpan.FromSeconds(quick ? 15 : 30);
        var requests = new CountingPolicy();
        var options = new TableClientOptions();
        options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var app = LocalFunctionsHost.Build(new LocalHostOptions
        {
            Port = 0,
            RunTimers = false,
            MinimumLogLevel = LogLevel.Warning,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = stack.StorageConnectionString,
                ["ServiceBus"] = stack.BusConnectionString,
                ["DISPATCH_TABLE"] = "boards",
                ["DISPATCH_POLICY_FILE"] = Path.Combine(AppContext.BaseDirectory, "bench-policy.json"),
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
                ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = LocalTokens.KeyPath(repoRoot),
            }).Build(),
            ConfigureServices = services => services.Replace(ServiceDescriptor.Singleton(new TableServiceClient(stack.StorageConnectionString, options))),
        });
        await app.StartAsync();
        try
        {
            var tokens = LocalTokens.Load(LocalTokens.KeyPath(repoRoot));
            var clock = app.Services.GetRequiredService<IClock>();
            var roster = app.Services.GetRequiredService<IRosterStore>();
            var people = new List<(Person Person, StationId Station)>();
            for (var s = 0; s < stations; s++)
            {
                var station = StationId.Parse($"board-{s:D3}");
                for (var p = 0; p < perStation; p++)
                {
                    var person = new Person($"board.{s:D3}.{p}", $"Dispatcher {s}.{p}");
                    var call = new ApiCall(new Caller(Person.System("bench"), new HashSet<GlobalRole>(), []), new RequestInfo(Guid.NewGuid().ToString("N"), "Bench", null, "bench"), clock.GetCurrentInstant()) { Station = station };
                    await roster.PutAsync(new Membership(station, person, StationRole.Dispatcher, null), call.Record(AuditOutcome.Changed), default);
                    people.Add((person, station));
                }
            }

            var baseAddress = new Uri(ApiRoute.On(app.Urls.First()) + "/");
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256 };
            var polls = 0;
            var failures = 0;
            using var stop = new CancellationTokenSource();
            var boards = people.Select(async (who, i) =>
            {
                using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Mint(who.Person, [], clock.GetCurrentInstant(), Duration.FromHours(1)));
                var path = $"incidents?station={who.Station.Value}&status=open&pageSize=100";
                await Task.Delay(i * 1000 / people.Count);
                using var first = await http.GetAsync(path);
                var etag = first.Headers.ETag;
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                    using var request = new HttpRequestMessage(HttpMethod.Get, path);
                    if (etag is not null)
                    {
                        request.Headers.IfNoneMatch.Add(etag);
                    }

                    using var response = await http.SendAsync(request);
                    if (requests.Recording)
                    {
                        Interlocked.Increment(ref polls);
                        if (response.StatusCode != HttpStatusCode.NotModified)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
            }).ToList();

            // Every board has had its first answer (a 200, audited) and polls: count a window of unchanged polls.
            await Task.Delay(TimeSpan.FromSeconds(3));
            requests.Start();
            await Task.Delay(window);
            var (reads, writes) = requests.Stop();
            await stop.CancelAsync();
            await Task.WhenAll(boards);

            var perPoll = (reads + writes) / (double)polls;
            var perSecond = perPoll * Boards;
            return
            [
                new Figure($"open boards: storage requests per unchanged poll ({people.Count} boards at {stations} stations, one poll a second each, {window.TotalSeconds:0} s)",
                    $"{reads / (double)polls:0.00} reads, {writes / (double)polls:0.00} writes", "the least a poll can cost: one point read of the station's _version",
                    $"{perPoll:0.00}×", $"{polls} polls{(failures > 0 ? $", {failures} NOT ANSWERED 304" : ", all 304")}; memberships are read again after 5 s"),
                new Figure($"{Boards:N0} open boards, one poll a second each: storage requests a second",
                    $"{perSecond:N0}/s", $"one storage account's target: {AccountTarget:N0}/s (Table storage scalability targets)",
                    $"{perSecond / AccountTarget:P0}", $"goal ≤ 10 %: {(perSecond <= AccountTarget / 10 ? "met" : "missed")}; computed from the measured requests per poll"),
            ];
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Counts the requests the app's table client sends while started: GET as reads, everything else as writes.</summary>
    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        private int reads;
        private int writes;

        public bool Recording { get; private set; }

        public void Start()
        {
            reads = writes = 0;
            Recording = true;
        }

        public (int Reads, int Writes) Stop()
        {
            Recording = false;
            return (Volatile.Read(ref reads), Volatile.Read(ref writes));
        }

        public override void OnSendingRequest(HttpMessage message)
        {
            if (Recording)
            {
                _ = message.Request.Method == RequestMethod.Get ? Interlocked.Increment(ref reads) : Interlocked.Increment(ref writes);
            }
        }
    }
}
