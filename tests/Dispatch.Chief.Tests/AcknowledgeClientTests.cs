using System.Net.Http.Json;
using Dispatch.Bus;
using Dispatch.Core.Incidents;
using Dispatch.Contracts;
using Dispatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Dispatch.Chief.Tests;

/// <summary>The desk's calls to the API (the acknowledge key, whether a clock has ended), against the real API on Azurite.</summary>
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
        var staff = await api.StaffAsync(ApiHost.NewStation());
        var id = (await api.ReportAsync(ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        api.Clock.Advance(Duration.FromMinutes(1));
        await api.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        var token = api.Tokens.Mint(staff.Chief, [], api.Clock.GetCurrentInstant(), Duration.FromHours(1));
        var client = new AcknowledgeClient(api.Anonymous, _ => Task.FromResult(token));
        var escalation = new EscalationMessage(id, "s", "theft", "P1", "dispatch", "escalation", 1, "duty-officer", null, null, DateTimeOffset.UtcNow, "PT0S", "", "");

        var (ok, message) = await client.AcknowledgeAsync(escalation, default);
        var (again, why) = await client.AcknowledgeAsync(escalation, default);

        Assert.True(ok, message);
        Assert.False(again);
        Assert.Contains("409", why, StringComparison.Ordinal);
        Assert.Contains("nothing escalated", why, StringComparison.Ordinal);
        var events = (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();
        Assert.Equal(staff.Chief.Subject, events[^1]!["actor"]!["id"]!.GetValue<string>());
        Assert.Equal("acknowledged", events[^1]!["kind"]!.GetValue<string>());

        // Past the chief's rung (two minutes after the breach): the acknowledged ladder does not climb.
        api.Clock.Advance(Duration.FromMinutes(3));
        await api.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        var after = (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();
        static int Escalations(System.Text.Json.Nodes.JsonArray timeline) => timeline.Count(e => e!["kind"]!.GetValue<string>() == "escalated");
        Assert.Equal(1, Escalations(events));
        Assert.Equal(1, Escalations(after));
    }

    [Fact]
    public async Task A_long_pause_row_is_information_the_desk_does_not_send_as_an_acknowledgement()
    {
        // A P4 (dispatch 1 h, arrival 24 h) whose dispatch clock is paused at once and still paused 20 min later: the
        // built-in policy tells the chief at 20 min (its tellChiefAfter) of a pause whose maximum is 30 min. Nothing is
        // escalated, so the API would answer 409 "nothing escalated": the row is not one to acknowledge.
        var staff = await api.StaffAsync(ApiHost.NewStation());
        var id = (await api.ReportAsync(ApiHost.Report(staff.Station.Value, priority: "P4")))["id"]!.GetValue<string>();
        using (var paused = await staff.As(staff.DutyOfficer).PostAsJsonAsync($"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" }))
        {
            paused.EnsureSuccessStatusCode();
        }

        api.Clock.Advance(Duration.FromMinutes(20));
        await api.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        var before = (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();
        var token = api.Tokens.Mint(staff.Chief, [], api.Clock.GetCurrentInstant(), Duration.FromHours(1));
        var client = new AcknowledgeClient(api.Anonymous, _ => Task.FromResult(token));
        var longPause = new EscalationMessage(id, staff.Station.Value, "theft", "P4", "dispatch", BoardEntry.LongPauseKind, 1, "chief", null, null,
            api.Clock.GetCurrentInstant().ToDateTimeOffset(), "PT0S", "", "");

        var (ok, message) = await client.AcknowledgeAsync(longPause, default);

        Assert.Equal("notified", before[^1]!["kind"]!.GetValue<string>());
        Assert.False(ok);
        // Words written here by hand: the desk says what the row is, not the API's refusal.
        Assert.Equal($"{id}: a long-pause notice is information, with nothing to acknowledge; the clock resumes when someone resumes it or at its maximum pause.", message);
        var after = (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray();
        Assert.Equal(before.Count, after.Count);
    }

    [Fact]
    public async Task A_clock_met_after_its_escalation_freezes_on_the_desk_at_the_lateness_the_api_recorded()
    {
        var staff = await api.StaffAsync(ApiHost.NewStation());
        var id = (await api.ReportAsync(ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        var deadline = api.Clock.GetCurrentInstant() + Duration.FromMinutes(1); // P1 dispatch window
        api.Clock.Advance(Duration.FromSeconds(62));
        await api.App.Services.GetRequiredService<Sweeper>().SweepAsync(default);
        var token = api.Tokens.Mint(staff.Chief, [], api.Clock.GetCurrentInstant(), Duration.FromHours(1));
        var ends = new ClockEnds(api.Anonymous, _ => Task.FromResult(token));
        var board = new Board();
        board.Add(new EscalationMessage(id, staff.Station.Value, "theft", "P1", "dispatch", "escalation", 1, "chief", deadline.ToDateTimeOffset(), deadline.ToDateTimeOffset(),
            api.Clock.GetCurrentInstant().ToDateTimeOffset(), "PT2S", "", ""), api.Clock.GetCurrentInstant().ToDateTimeOffset());

        var whileRunning = await ends.RefreshAsync(board, default);
        using (var dispatched = await staff.As(staff.Dispatcher).PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject }))
        {
            dispatched.EnsureSuccessStatusCode();
        }

        var afterDispatch = await ends.RefreshAsync(board, default);
        var now = api.Clock.GetCurrentInstant().ToDateTimeOffset();

        // Dispatched 62 s after the report: 2 s past the 1-minute deadline, on the FakeClock that stood still between.
        Assert.Equal((0, 1), (whileRunning, afterDispatch));
        var row = Assert.Single(board.Rows(now, null));
        Assert.Equal(new ClockEnd("met", deadline.ToDateTimeOffset().AddSeconds(2), TimeSpan.FromSeconds(2)), row.Ended);
        Assert.Equal("0:02 late · met, ended", row.Figure(now, Words.For(Core.Policy.Language.En)));
        Assert.Equal("0:02 late · met, ended", row.Figure(now.AddMinutes(30), Words.For(Core.Policy.Language.En)));
        Assert.Empty(board.Running());
    }

    [Fact]
    public async Task A_desk_started_before_the_api_learns_the_stations_time_zone_and_language_once_the_api_answers()
    {
        await api.StopAsync(); // as when `./dispatch chief` starts before `up` listens
        var zone = StationZone.WaitAsync(api.Anonymous, TimeSpan.FromMilliseconds(200), default);
        await Task.Delay(1000);
        var beforeTheApi = zone.IsCompleted;
        await api.RestartAsync();

        // The built-in policy's zone and language (infra/policy.json).
        Assert.False(beforeTheApi);
        Assert.Equal(("Asia/Shanghai", Core.Policy.Language.ZhCn), ((await zone.WaitAsync(TimeSpan.FromSeconds(30))).Zone.Id, (await zone).Language));
    }

    [Fact]
    public async Task An_api_that_does_not_answer_is_reported_not_thrown()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Azurite.FreePort()}/api/") };
        var client = new AcknowledgeClient(http, _ => Task.FromResult("no-token-needed"));
        var escalation = new EscalationMessage("s.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", "s", "theft", "P1", "dispatch", "escalation", 1, "chief", null, null, DateTimeOffset.UtcNow, "PT0S", "", "");

        var (ok, message) = await client.AcknowledgeAsync(escalation, default);

        Assert.False(ok);
        Assert.Contains("did not answer", message, StringComparison.Ordinal);
    }
}
