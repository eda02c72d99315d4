using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
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
/// The Functions app's real classes served over real HTTP by the local host, on a real Azurite, with
/// a FakeClock so tests decide what time it is.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public static readonly Instant Start = Instant.FromUtc(2026, 11, 26, 8, 0);

    private ApiHost(WebApplication app, FakeClock clock, HttpClient client)
    {
        App = app;
        Clock = clock;
        Client = client;
    }

    public WebApplication App { get; }

    public FakeClock Clock { get; }

    public HttpClient Client { get; }

    public static async Task<ApiHost> StartAsync(string storageConnectionString, IDictionary<string, string?>? settings = null, string? serviceBus = null)
    {
        var clock = new FakeClock(Start);
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storageConnectionString,
            // A table per host: the sweep reads every station, so tests must not see each other's incidents.
            ["DISPATCH_TABLE"] = "t" + Guid.NewGuid().ToString("N"),
            // Without a broker, notices stay in the outbox; tests of escalation pass a real one.
            ["ServiceBus"] = serviceBus ?? "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = LocalFunctionsHost.Build(new LocalHostOptions
        {
            Port = 0,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build(),
            MinimumLogLevel = LogLevel.Warning,
            RunTimers = false,
            ConfigureServices = services => services.Replace(ServiceDescriptor.Singleton<IClock>(clock)),
        });
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/api/") };
        return new ApiHost(app, clock, client);
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

    public async Task<JsonObject> ReportAsync(JsonObject body)
    {
        using var response = await Client.PostAsJsonAsync("incidents", body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await ReadJsonAsync(response))!.AsObject();
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync());

    public static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
