using System.Text.Json.Nodes;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Business hours for P4 (issue 28) through the real host on Azurite: the built-in policy (infra/policy.json) with P4's
/// dispatch target set to 2 h and <c>"businessHours": {}</c>, whose defaults are Monday to Friday 08:30-17:30 (README,
/// "Response policy") in Asia/Shanghai (UTC+8, no daylight saving). The station's day starts at 08:00 local,
/// 00:00Z, so a report day is a UTC day. Every figure below is worked out by hand beside it.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class BusinessHoursApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        var policy = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "infra", "policy.json")))!.AsObject();
        policy["priorities"]!["P4"]!["dispatch"] = "PT2H";
        policy["priorities"]!["P4"]!["businessHours"] = new JsonObject();
        stack = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = policy.ToJsonString() });
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private HttpClient DutyOfficer => staff.As(staff.DutyOfficer);

    private async Task<string> ReportP4At(Instant at)
    {
        stack.Clock.Reset(at);
        return (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, priority: "P4")))["id"]!.GetValue<string>();
    }

    private async Task DispatchAt(string id, Instant at)
    {
        stack.Clock.Reset(at);
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
    }

    [Fact]
    public async Task The_report_shows_the_business_time_adjusted_figure_beside_the_raw_wall_time()
    {
        // A: reported Friday 27 Nov 17:00 +08:00 (09:00Z); due Monday 10:00 +08:00 (30 min on Friday, 1 h 30 min from
        //    Monday's 08:30), as the incident says (02:00Z). Dispatched Monday 09:30 +08:00 (01:30Z): adjusted 30 min + 60 min
        //    = 1 h 30 min, met; raw 64 h 30 min (P2DT16H30M), breached (raw deadline Friday 19:00 +08:00).
        var a = await ReportP4At(Instant.FromUtc(2026, 11, 27, 9, 0));
        var deadline = (await Api.GetAsync(DutyOfficer, $"incidents/{a}"))["clocks"]!["dispatch"]!["deadline"]!.GetValue<string>();
        await DispatchAt(a, Instant.FromUtc(2026, 11, 30, 1, 30));
        // B: reported Monday 30 Nov 16:00 +08:00 (08:00Z); paused 17:20-17:50 (road-closed), 30 min on the wall of which
        //    10 min in hours; dispatched Tuesday 09:05 +08:00 (01:05Z): adjusted 1 h 30 min + 35 min - 10 min = 1 h 55 min,
        //    met (deadline Tuesday 09:10); raw 17 h 05 min, breached (raw deadline Monday 18:00).
        var b = await ReportP4At(Instant.FromUtc(2026, 11, 30, 8, 0));
        stack.Clock.Reset(Instant.FromUtc(2026, 11, 30, 9, 20));
        await Api.PostAsync(DutyOfficer, $"incidents/{b}/pause", new { clock = "dispatch", reason = "road-closed" });
        stack.Clock.Reset(Instant.FromUtc(2026, 11, 30, 9, 50));
        await Api.PostAsync(DutyOfficer, $"incidents/{b}/resume", new { clock = "dispatch" });
        await DispatchAt(b, Instant.FromUtc(2026, 12, 1, 1, 5));

        stack.Clock.Reset(Instant.FromUtc(2026, 12, 1, 2, 0)); // both days have ended: the first read writes their digests
        var friday = await Report("2026-11-27");
        var monday = await Report("2026-11-30");
        var mondayAgain = await Report("2026-11-30");

        Assert.Equal("2026-11-30T02:00:00Z", deadline);
        // (adjusted median, met, breached, compliance), (raw median, met, breached, compliance), (pauses, paused time)
        Assert.Equal(Figures("PT1H30M", 1, 0, 1.0, "P2DT16H30M", 0, 1, 0.0, 0, "PT0S"), Figures(friday["total"]!));
        Assert.Equal(Figures("PT1H55M", 1, 0, 1.0, "PT17H5M", 0, 1, 0.0, 1, "PT30M"), Figures(monday["total"]!));
        Assert.Equal(Figures(monday["total"]!), Figures(mondayAgain["total"]!));
    }

    private Task<JsonObject> Report(string day) =>
        Api.GetAsync(DutyOfficer, $"reports/response-times?station={staff.Station.Value}&from={day}&to={day}&clock=dispatch&by=priority");

    private static object Figures(string median, int met, int breached, double compliance, string rawMedian, int rawMet, int rawBreached, double rawCompliance, int pauses, string pausedTime) =>
        (median, met, breached, compliance, (rawMedian, rawMet, rawBreached, rawCompliance), (pauses, pausedTime));

    private static object Figures(JsonNode g) => Figures(
        g["median"]!.GetValue<string>(), g["met"]!.GetValue<int>(), g["breached"]!.GetValue<int>(), g["compliance"]!.GetValue<double>(),
        g["raw"]!["median"]!.GetValue<string>(), g["raw"]!["met"]!.GetValue<int>(), g["raw"]!["breached"]!.GetValue<int>(), g["raw"]!["compliance"]!.GetValue<double>(),
        g["pauses"]!.GetValue<int>(), g["pausedTime"]!.GetValue<string>());
}
