using Dispatch.Bus;
using Dispatch.Core.Incidents;
using Dispatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Dispatch.Chief.Tests;

/// <summary>The desk's acknowledge key, against the real API on Azurite.</summary>
public sealed class AcknowledgeClientTests : IClassFixture<Azurite>, IAsyncLifetime
{
    private readonly Azurite azurite;
    private LocalBus bus = null!;
    private ApiHost api = null!;

    public AcknowledgeClientTests(Azurite azurite) => this.azurite = azurite;

    public async Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")));
        api = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: bus.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await bus.DisposeAsync();
    }

    [Fact]
    public async Task Acknowledging_an_escalation_stops_its_ladder_and_a_second_try_says_why_not()
    {
        var id = (await api.ReportAsync(ApiHost.Report(ApiHost.NewStation())))["id"]!.GetValue<string>();
        api.Clock.Advance(Duration.FromMinutes(1));
        await api.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        var client = new AcknowledgeClient(api.Client, "chief.zhang");
        var escalation = new Escalation(id, "s", "theft", "P1", "dispatch", "escalation", 1, "duty-officer", null, null, DateTimeOffset.UtcNow, "PT0S", "", "");

        var (ok, message) = await client.AcknowledgeAsync(escalation, default);
        var (again, why) = await client.AcknowledgeAsync(escalation, default);

        Assert.True(ok, message);
        Assert.False(again);
        Assert.Contains("409", why, StringComparison.Ordinal);
        Assert.Contains("nothing escalated", why, StringComparison.Ordinal);
        using var timeline = await api.Client.GetAsync($"incidents/{id}/timeline");
        Assert.Contains("\"actor\":\"chief.zhang\"", await timeline.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_that_does_not_answer_is_reported_not_thrown()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Azurite.FreePort()}/api/") };
        var client = new AcknowledgeClient(http, "chief");
        var escalation = new Escalation("s.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", "s", "theft", "P1", "dispatch", "escalation", 1, "chief", null, null, DateTimeOffset.UtcNow, "PT0S", "", "");

        var (ok, message) = await client.AcknowledgeAsync(escalation, default);

        Assert.False(ok);
        Assert.Contains("did not answer", message, StringComparison.Ordinal);
    }
}
