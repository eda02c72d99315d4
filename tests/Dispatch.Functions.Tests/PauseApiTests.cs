using System.Net;
using System.Net.Http.Json;
using Dispatch.Core.Incidents;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// <c>POST /api/incidents/{id}/pause {clock, reason, note?}</c> and <c>…/resume {clock}</c> (issue 28) on real Azurite,
/// through the real host, on the host's FakeClock (which starts at 2026-11-26T08:00:00Z). P1 urban: dispatch 1 min,
/// arrival 5 min, resolution 2 h; each expected instant is that arithmetic by hand.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class PauseApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private HttpClient DutyOfficer => staff.As(staff.DutyOfficer);

    private async Task<string> ReportAsync() =>
        (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, object body, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_pause_and_a_resume_with_if_match_move_the_deadline_and_are_in_the_timeline_and_the_audit()
    {
        var id = await ReportAsync();
        using var read = await DutyOfficer.GetAsync($"incidents/{id}");
        stack.Clock.Advance(Duration.FromSeconds(20));

        using var paused = await SendAsync(DutyOfficer, $"incidents/{id}/pause", new { clock = "dispatch", reason = "reporter-unreachable", note = "line busy" }, read.Headers.ETag!.ToString());
        var pausedBody = (await ApiHost.ReadJsonAsync(paused))!;
        stack.Clock.Advance(Duration.FromMinutes(3));
        var whilePaused = await Api.GetAsync(DutyOfficer, $"incidents/{id}");
        using var resumed = await SendAsync(DutyOfficer, $"incidents/{id}/resume", new { clock = "dispatch" }, paused.Headers.ETag!.ToString());
        var resumedBody = (await ApiHost.ReadJsonAsync(resumed))!;

        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        var pause = pausedBody["clocks"]!["dispatch"]!["paused"]!;
        Assert.Equal(("reporter-unreachable", "2026-11-26T08:00:20Z", staff.DutyOfficer.Subject, "2026-11-26T08:30:20Z"),
            (pause["reason"]!.GetValue<string>(), pause["since"]!.GetValue<string>(), pause["by"]!["id"]!.GetValue<string>(), pause["resumesBy"]!.GetValue<string>()));
        Assert.Contains("resume", pausedBody["actions"]!.AsArray().Select(a => a!.GetValue<string>()));
        // Three minutes into the pause the deadline, were it resumed then, is T0 + 1 min + 3 min; it is not breached.
        Assert.Equal(("running", "2026-11-26T08:04:00Z", "PT3M"), (whilePaused["clocks"]!["dispatch"]!["state"]!.GetValue<string>(),
            whilePaused["clocks"]!["dispatch"]!["deadline"]!.GetValue<string>(), whilePaused["clocks"]!["dispatch"]!["pausedTime"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var dispatch = resumedBody["clocks"]!["dispatch"]!;
        Assert.Equal(("2026-11-26T08:04:00Z", "PT3M", 1), (dispatch["deadline"]!.GetValue<string>(), dispatch["pausedTime"]!.GetValue<string>(), dispatch["pauses"]!.GetValue<int>()));
        Assert.Null(dispatch["paused"]);

        var timeline = (await Api.GetAsync(DutyOfficer, $"incidents/{id}/timeline"))["events"]!.AsArray();
        var pausedEvent = timeline.Single(e => e!["kind"]!.GetValue<string>() == "paused")!;
        var resumedEvent = timeline.Single(e => e!["kind"]!.GetValue<string>() == "resumed")!;
        Assert.Equal(("dispatch", "reporter-unreachable", "line busy", "2026-11-26T08:30:20Z"),
            (pausedEvent["details"]!["clock"]!.GetValue<string>(), pausedEvent["details"]!["reason"]!.GetValue<string>(),
             pausedEvent["details"]!["note"]!.GetValue<string>(), pausedEvent["details"]!["resumesBy"]!.GetValue<string>()));
        Assert.Equal(("PT3M", "2026-11-26T08:04:00Z", "false", staff.DutyOfficer.Subject),
            (resumedEvent["details"]!["pausedFor"]!.GetValue<string>(), resumedEvent["details"]!["deadline"]!.GetValue<string>(),
             resumedEvent["details"]!["automatic"]!.GetValue<string>(), resumedEvent["actor"]!["id"]!.GetValue<string>()));

        var auditor = stack.ClientAs("auditor.pause", Dispatch.Core.Identity.GlobalRole.Auditor);
        var changes = (await Api.GetAsync(auditor, $"audit?station={staff.Station.Value}&from=2026-11-26&to=2026-11-27"))["items"]!.AsArray()
            .Where(r => r!["incidentId"]?.GetValue<string>() == id && r["function"]!.GetValue<string>() is "PauseIncidentClock" or "ResumeIncidentClock")
            .Select(r => (r!["change"]!.GetValue<string>(), r["outcome"]!.GetValue<int>()));
        Assert.Equal([("resume dispatch", 200), ("pause dispatch reason=reporter-unreachable", 200)], changes);
    }

    [Fact]
    public async Task Refusals_are_problems_naming_what_is_wrong_and_change_nothing()
    {
        var id = await ReportAsync();
        var before = await Api.GetAsync(DutyOfficer, $"incidents/{id}");
        var other = await stack.StaffAsync(ApiHost.NewStation());

        using var unknownReason = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/pause", new { clock = "dispatch", reason = "lunch" });
        using var noClock = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/pause", new { reason = "road-closed" });
        using var byDispatcher = await staff.As(staff.Dispatcher).PostAsJsonAsync($"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" });
        using var byOtherChief = await other.As(other.Chief).PostAsJsonAsync($"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" });
        using var notPaused = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/resume", new { clock = "dispatch" });
        using var stale = await SendAsync(DutyOfficer, $"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" }, "W/\"datetime'2000-01-01T00%3A00%3A00Z'\"");
        var unchanged = await Api.GetAsync(DutyOfficer, $"incidents/{id}");
        stack.Clock.Advance(Duration.FromMinutes(1)); // the dispatch deadline
        using var afterDeadline = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" });
        using var first = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/pause", new { clock = "arrival", reason = "road-closed" });
        using var twice = await DutyOfficer.PostAsJsonAsync($"incidents/{id}/pause", new { clock = "arrival", reason = "scene-unsafe" });

        var reason = await Api.AssertProblemAsync(unknownReason, HttpStatusCode.BadRequest, "reason");
        Assert.Contains("reporter-unreachable, road-closed, scene-unsafe, awaiting-specialist", reason.ToJsonString(), StringComparison.Ordinal);
        await Api.AssertProblemAsync(noClock, HttpStatusCode.BadRequest, "clock");
        await Api.AssertProblemAsync(byDispatcher, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(byOtherChief, HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(notPaused, HttpStatusCode.Conflict);
        await Api.AssertProblemAsync(stale, HttpStatusCode.PreconditionFailed);
        Assert.Equal(before["version"]!.GetValue<int>(), unchanged["version"]!.GetValue<int>());
        var late = await Api.AssertProblemAsync(afterDeadline, HttpStatusCode.Conflict);
        Assert.Contains("does not erase a breach", late.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Api.AssertProblemAsync(twice, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_sweep_resumes_a_pause_at_its_maximum_and_the_ladder_goes_on_from_the_moved_deadline()
    {
        var id = await ReportAsync();
        stack.Clock.Advance(Duration.FromSeconds(20));
        await Api.PostAsync(DutyOfficer, $"incidents/{id}/pause", new { clock = "dispatch", reason = "awaiting-specialist" });

        // The maximum: T0 + 20 s + 30 min = 08:30:20; the deadline then T0 + 1 min + 30 min = 08:31:00.
        stack.Clock.Advance(Duration.FromMinutes(30));
        await stack.Service<Sweeper>().SweepAsync(default);
        var resumed = await Api.GetAsync(DutyOfficer, $"incidents/{id}");
        stack.Clock.Advance(Duration.FromSeconds(40));
        await stack.Service<Sweeper>().SweepAsync(default);
        var breached = await Api.GetAsync(DutyOfficer, $"incidents/{id}");

        var dispatch = resumed["clocks"]!["dispatch"]!;
        Assert.Equal(("running", "2026-11-26T08:31:00Z", "PT30M", 0),
            (dispatch["state"]!.GetValue<string>(), dispatch["deadline"]!.GetValue<string>(), dispatch["pausedTime"]!.GetValue<string>(), dispatch["level"]!.GetValue<int>()));
        Assert.Null(dispatch["paused"]);
        var timeline = (await Api.GetAsync(DutyOfficer, $"incidents/{id}/timeline"))["events"]!.AsArray();
        var auto = timeline.Single(e => e!["kind"]!.GetValue<string>() == "resumed")!;
        Assert.Equal(("true", "2026-11-26T08:30:20Z", "sweep"),
            (auto["details"]!["automatic"]!.GetValue<string>(), auto["details"]!["resumedAt"]!.GetValue<string>(), auto["actor"]!["name"]!.GetValue<string>()));
        Assert.Equal((1, "2026-11-26T08:31:00Z"), (breached["clocks"]!["dispatch"]!["level"]!.GetValue<int>(), breached["clocks"]!["dispatch"]!["breach"]!["at"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_response_time_report_shows_raw_and_adjusted_figures_and_the_pauses()
    {
        // Paused 60 s from 08:00:10, dispatched at 08:01:40: raw 100 s (breached, past 60 s), adjusted 40 s (met).
        var id = await ReportAsync();
        stack.Clock.Advance(Duration.FromSeconds(10));
        await Api.PostAsync(DutyOfficer, $"incidents/{id}/pause", new { clock = "dispatch", reason = "road-closed" });
        stack.Clock.Advance(Duration.FromSeconds(60));
        await Api.PostAsync(DutyOfficer, $"incidents/{id}/resume", new { clock = "dispatch" });
        stack.Clock.Advance(Duration.FromSeconds(30));
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });

        var report = await Api.GetAsync(DutyOfficer, $"reports/response-times?station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=dispatch&by=priority");

        var total = report["total"]!;
        Assert.Equal(("PT40S", 1, 1.0), (total["median"]!.GetValue<string>(), total["met"]!.GetValue<int>(), total["compliance"]!.GetValue<double>()));
        Assert.Equal(("PT1M40S", 1, 0.0), (total["raw"]!["median"]!.GetValue<string>(), total["raw"]!["breached"]!.GetValue<int>(), total["raw"]!["compliance"]!.GetValue<double>()));
        Assert.Equal((1, "PT1M"), (total["pauses"]!.GetValue<int>(), total["pausedTime"]!.GetValue<string>()));
        var reason = Assert.Single(report["pauses"]!["byReason"]!.AsArray())!;
        Assert.Equal(("road-closed", 1, "PT1M"), (reason["key"]!.GetValue<string>(), reason["count"]!.GetValue<int>(), reason["time"]!.GetValue<string>()));
        Assert.Equal(staff.DutyOfficer.Subject, Assert.Single(report["pauses"]!["byPerson"]!.AsArray())!["key"]!.GetValue<string>());
    }
}
