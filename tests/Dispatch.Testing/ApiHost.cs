using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.LocalHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Testing;

/// <summary>
/// The Functions app's real classes served over real HTTP by the local host, on a real Azurite, with a
/// FakeClock so tests decide what time it is, and a signing key of its own so tests mint real tokens.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public static readonly Instant Start = Instant.FromUtc(2026, 11, 26, 8, 0);

    /// <summary>A command-center person: may report, dispatch and read at every station.</summary>
    public static readonly Person CommandCenter = new("cc.test", "Command Center (test)");

    private readonly string keyDirectory;
    private readonly Func<int, WebApplication> build;
    private bool stopped;

    private ApiHost(WebApplication app, FakeClock clock, LocalTokens tokens, string keyDirectory, Func<int, WebApplication> build)
    {
        App = app;
        this.build = build;
        Clock = clock;
        Tokens = tokens;
        this.keyDirectory = keyDirectory;
        BaseAddress = new Uri(app.Urls.First() + "/api/");
        Client = ClientAs(CommandCenter, GlobalRole.CommandCenter);
        Anonymous = new HttpClient { BaseAddress = BaseAddress };
    }

    public WebApplication App { get; private set; }

    public FakeClock Clock { get; }

    public LocalTokens Tokens { get; }

    public Uri BaseAddress { get; }

    /// <summary>Signed in as <see cref="CommandCenter"/>.</summary>
    public HttpClient Client { get; }

    /// <summary>No token at all.</summary>
    public HttpClient Anonymous { get; }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="services">More services, e.g. a log provider that keeps what is logged (with <paramref name="logLevel"/>).</param>
    /// <param name="runTimers">Fire the timer functions (sweep, shift report) on their schedules in real time, reading the FakeClock, as <c>dispatch up</c> does.</param>
    public static async Task<ApiHost> StartAsync(
        string storageConnectionString, IDictionary<string, string?>? settings = null, string? serviceBus = null,
        Action<IServiceCollection>? services = null, LogLevel logLevel = LogLevel.Warning, bool runTimers = false)
    {
        var clock = new FakeClock(Start);
        var keyDirectory = Directory.CreateTempSubdirectory("dispatch-key-").FullName;
        var keyFile = Path.Combine(keyDirectory, "signing-key.json");
        var tokens = LocalTokens.LoadOrCreate(keyFile);
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storageConnectionString,
            // A table per host: tests must not see each other's incidents, index entries or audit records.
            ["DISPATCH_TABLE"] = "t" + Guid.NewGuid().ToString("N"),
            // Without a broker, notices stay in the outbox; tests of escalation pass a real one.
            ["ServiceBus"] = serviceBus ?? "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = keyFile,
            // The API's default language is zh-CN; tests that read its English texts talk to a host set up for English,
            // as a deployment may be, and tests of the Chinese texts ask for them (Accept-Language) or start without this.
            ["DISPATCH_LANGUAGE"] = "en",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        WebApplication Build(int port) => LocalFunctionsHost.Build(new LocalHostOptions
        {
            Port = port,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build(),
            MinimumLogLevel = logLevel,
            RunTimers = runTimers,
            ConfigureServices = collection =>
            {
                collection.Replace(ServiceDescriptor.Singleton<IClock>(clock));
                services?.Invoke(collection);
            },
        });
        var app = Build(0);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(keyDirectory, recursive: true);
            throw;
        }

        return new ApiHost(app, clock, tokens, keyDirectory, Build);
    }

    /// <summary>A client signed in as <paramref name="person"/>: each request carries a token minted at the FakeClock's time.</summary>
    public HttpClient ClientAs(Person person, params GlobalRole[] roles) =>
        new(new TokenHandler(() => Tokens.Mint(person, roles, Clock.GetCurrentInstant(), Duration.FromDays(30))) { InnerHandler = new HttpClientHandler() })
        {
            BaseAddress = BaseAddress,
        };

    public HttpClient ClientAs(string subject, params GlobalRole[] roles) => ClientAs(new Person(subject, subject), roles);

    /// <summary>Puts people on a station's roster, straight into storage (the roster API has tests of its own).</summary>
    public async Task EnlistAsync(params Membership[] memberships)
    {
        var store = Service<IRosterStore>();
        var seeder = new Caller(Person.System("test-seed"), new HashSet<GlobalRole>(), []);
        foreach (var membership in memberships)
        {
            var call = new ApiCall(seeder, new RequestInfo(Guid.NewGuid().ToString("N"), "TestSeed", null, "test"), Clock.GetCurrentInstant()) { Station = membership.Station };
            await store.PutAsync(membership, call.Record(AuditOutcome.Changed), CancellationToken.None);
        }
    }

    /// <summary>A station with one person in each role: dispatcher, officer (unit <c>patrol-1</c>), duty officer and chief.</summary>
    public async Task<Staff> StaffAsync(string station)
    {
        var id = StationId.Parse(station);
        var staff = new Staff(
            id,
            new Person($"dispatcher.{station}", "Dispatcher"),
            new Person($"officer.{station}", "Officer"),
            new Person($"duty.{station}", "Duty Officer"),
            new Person($"chief.{station}", "Chief"),
            this);
        await EnlistAsync(
            new Membership(id, staff.Dispatcher, StationRole.Dispatcher, null),
            new Membership(id, staff.Officer, StationRole.Officer, "patrol-1"),
            new Membership(id, staff.DutyOfficer, StationRole.DutyOfficer, null),
            new Membership(id, staff.Chief, StationRole.Chief, null));
        return staff;
    }

    public static string NewStation() => "st-" + Guid.NewGuid().ToString("N")[..12];

    public static JsonObject Report(string station, string priority = "P1", string zone = "urban", string category = "theft") => new()
    {
        ["station"] = station,
        ["category"] = category,
        ["priority"] = priority,
        ["zone"] = zone,
        ["location"] = new JsonObject { ["address"] = "1 Bell Tower Square", ["latitude"] = 34.26, ["longitude"] = 108.94 },
        ["description"] = "Bicycle taken from outside the bank",
        ["channel"] = "phone",
        ["reporterContact"] = "138-0000-0000",
    };

    /// <summary>Reports as the command center and returns the created incident.</summary>
    public Task<JsonObject> ReportAsync(JsonObject body) => ReportAsync(Client, body);

    public static async Task<JsonObject> ReportAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostAsJsonAsync("incidents", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"report: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await ReadJsonAsync(response))!.AsObject();
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync());

    public static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>The API stops answering: its port refuses connections until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        stopped = true;
    }

    /// <summary>The same app again, on the same port, table, key and clock, as after a restart.</summary>
    public async Task RestartAsync()
    {
        App = build(BaseAddress.Port);
        await App.StartAsync();
        stopped = false;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        if (!stopped)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        Directory.Delete(keyDirectory, recursive: true);
    }

    private sealed class TokenHandler(Func<string> mint) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= new AuthenticationHeaderValue("Bearer", mint());
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>One person in each station role, with a signed-in client for each.</summary>
public sealed record Staff(StationId Station, Person Dispatcher, Person Officer, Person DutyOfficer, Person Chief, ApiHost Host)
{
    public HttpClient As(Person person) => Host.ClientAs(person);
}
