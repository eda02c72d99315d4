using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Testing;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Units through the API on a real Azurite (issue 27): units the roster names exist without being declared,
/// statuses follow the incident lifecycle (dispatch, arrival, resolution, reassignment, diversion), people set the
/// rest, an unavailable unit needs an override reason, and every change is the server's time, attributed and kept
/// as the unit's timeline. Expected times are the FakeClock's, set by the test.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class UnitApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;
    private Person secondCrew = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
        secondCrew = new Person($"second.{staff.Station.Value}", "Second Crew");
        await stack.EnlistAsync(new Membership(staff.Station, secondCrew, StationRole.Officer, "patrol-2"));
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private string Units => $"stations/{staff.Station.Value}/units";

    [Fact]
    public async Task Units_named_on_roster_rows_exist_without_being_declared_and_the_chief_declares_more()
    {
        var listed = await UnitsAsync(staff.As(staff.Dispatcher));
        var patrol1 = listed["patrol-1"]!;
        Assert.Equal("available", (string?)patrol1["status"]);
        Assert.Null(patrol1["statusSince"]);
        Assert.Equal([staff.Officer.Subject], patrol1["members"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Equal("available", (string?)listed["patrol-2"]!["status"]);

        using var refused = await staff.As(staff.Dispatcher).PutAsJsonAsync($"{Units}/foot-3", new { name = "Foot patrol 3", kind = "foot" });
        await Api.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
        using var created = await staff.As(staff.Chief).PutAsJsonAsync($"{Units}/foot-3", new { name = "Foot patrol 3", kind = "foot" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var renamed = await staff.As(staff.Chief).PutAsJsonAsync($"{Units}/patrol-1", new { name = "Patrol car 1", kind = "car" });
        Assert.Equal(HttpStatusCode.Created, renamed.StatusCode);
        using var again = await staff.As(staff.Chief).PutAsJsonAsync($"{Units}/patrol-1", new { name = "Patrol car 1", kind = "car" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var badId = await staff.As(staff.Chief).PutAsJsonAsync($"{Units}/bad%20unit", new { name = "x" });
        await Api.AssertProblemAsync(badId, HttpStatusCode.BadRequest, "unit");
        using var noName = await staff.As(staff.Chief).PutAsJsonAsync($"{Units}/foot-4", new { kind = "foot" });
        await Api.AssertProblemAsync(noName, HttpStatusCode.BadRequest, "name");

        listed = await UnitsAsync(staff.As(staff.Officer));
        Assert.Equal(["foot-3", "patrol-1", "patrol-2"], listed.Select(u => u.Key));
        Assert.Equal("Patrol car 1", (string?)listed["patrol-1"]!["name"]);
        Assert.Equal("car", (string?)listed["patrol-1"]!["kind"]);
        Assert.Equal([staff.Officer.Subject], listed["patrol-1"]!["members"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Empty(listed["foot-3"]!["members"]!.AsArray());

        using var stranger = await stack.ClientAs("stranger.units").GetAsync(Units);
        await Api.AssertProblemAsync(stranger, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Status_follows_dispatch_arrival_and_resolution_at_the_servers_time_and_is_kept_as_the_timeline()
    {
        var id = await ReportAsync("P2");
        var dispatchedAt = stack.Clock.GetCurrentInstant();
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        var patrol1 = (await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!;
        Assert.Equal("dispatched", (string?)patrol1["status"]);
        Assert.Equal(id, (string?)patrol1["incident"]);
        Assert.Equal(Text(dispatchedAt), (string?)patrol1["statusSince"]);

        stack.Clock.Advance(Duration.FromMinutes(2));
        await Api.PostAsync(staff.As(staff.Officer), $"{Units}/patrol-1/status", new { status = "en-route" });
        stack.Clock.Advance(Duration.FromMinutes(3));
        var arrivedAt = stack.Clock.GetCurrentInstant();
        await Api.PostAsync(staff.As(staff.Officer), $"incidents/{id}/arrive");
        patrol1 = (await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!;
        Assert.Equal("on-scene", (string?)patrol1["status"]);
        Assert.Equal(Text(arrivedAt), (string?)patrol1["statusSince"]);

        stack.Clock.Advance(Duration.FromMinutes(20));
        await Api.PostAsync(staff.As(staff.Officer), $"incidents/{id}/resolve", new { outcome = "Returned to owner" });
        patrol1 = (await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!;
        Assert.Equal("available", (string?)patrol1["status"]);
        Assert.Null(patrol1["incident"]);

        var changes = (await Api.GetAsync(staff.As(staff.Chief), $"{Units}/patrol-1/timeline"))["changes"]!.AsArray();
        Assert.Equal(
            ["available>dispatched dispatch dispatcher", "dispatched>en-route set officer", "en-route>on-scene arrive officer", "on-scene>available resolve officer"],
            changes.Reverse().Select(c => $"{c!["from"]}>{c["to"]} {c["cause"]} {((string)c["by"]!["id"]!).Split('.')[0]}"));
        Assert.Equal(
            [dispatchedAt, dispatchedAt + Duration.FromMinutes(2), arrivedAt, arrivedAt + Duration.FromMinutes(20)],
            changes.Reverse().Select(c => InstantPattern.ExtendedIso.Parse((string)c!["at"]!).Value));
        Assert.All(changes, c => Assert.Equal(id, (string?)c!["incident"]));
    }

    [Fact]
    public async Task Reassignment_frees_the_unit_it_leaves_and_dispatches_the_one_it_names()
    {
        var id = await ReportAsync("P2");
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        stack.Clock.Advance(Duration.FromMinutes(1));
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/reassign", new { unit = "patrol-2", officer = secondCrew.Subject, reason = "closer" });
        var listed = await UnitsAsync(staff.As(staff.Dispatcher));
        Assert.Equal("available", (string?)listed["patrol-1"]!["status"]);
        Assert.Equal("dispatched", (string?)listed["patrol-2"]!["status"]);
        Assert.Equal(id, (string?)listed["patrol-2"]!["incident"]);
        var released = (await Api.GetAsync(staff.As(staff.Dispatcher), $"{Units}/patrol-1/timeline"))["changes"]!.AsArray()[0]!;
        Assert.Equal("released", (string?)released["cause"]);
    }

    [Fact]
    public async Task An_out_of_service_unit_is_dispatched_only_with_an_override_reason_which_is_recorded()
    {
        using var noReason = await staff.As(staff.Officer).PostAsJsonAsync($"{Units}/patrol-1/status", new { status = "out-of-service" });
        await Api.AssertProblemAsync(noReason, HttpStatusCode.BadRequest, "reason");
        using var notSettable = await staff.As(staff.Officer).PostAsJsonAsync($"{Units}/patrol-1/status", new { status = "dispatched" });
        await Api.AssertProblemAsync(notSettable, HttpStatusCode.BadRequest, "status");
        using var otherUnit = await stack.ClientAs(secondCrew).PostAsJsonAsync($"{Units}/patrol-1/status", new { status = "off-duty" });
        await Api.AssertProblemAsync(otherUnit, HttpStatusCode.Forbidden);
        using var unknown = await staff.As(staff.Dispatcher).PostAsJsonAsync($"{Units}/patrol-99/status", new { status = "off-duty" });
        await Api.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        using var notDispatched = await staff.As(staff.Officer).PostAsJsonAsync($"{Units}/patrol-1/status", new { status = "en-route" });
        await Api.AssertProblemAsync(notDispatched, HttpStatusCode.Conflict);

        var meal = await Api.PostAsync(staff.As(staff.Officer), $"{Units}/patrol-1/status", new { status = "out-of-service", reason = "meal" });
        Assert.Equal("out-of-service", (string?)meal["status"]);
        Assert.Equal("meal", (string?)meal["reason"]);

        stack.Clock.Advance(Duration.FromMinutes(5));
        var id = await ReportAsync("P1");
        using var refused = await staff.As(staff.Dispatcher).PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        var problem = await Api.AssertProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains("override", (string?)problem["detail"]);
        Assert.Equal("reported", (string?)(await Api.GetAsync(stack.Client, $"incidents/{id}"))["status"]);
        Assert.Equal("out-of-service", (string?)(await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!["status"]);

        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject, @override = "only unit within 5 km" });
        var dispatched = (await Api.GetAsync(stack.Client, $"incidents/{id}/timeline"))["events"]!.AsArray().Single(e => (string?)e!["kind"] == "dispatched")!;
        Assert.Equal("only unit within 5 km", (string?)dispatched["details"]!["override"]);
        var change = (await Api.GetAsync(staff.As(staff.Dispatcher), $"{Units}/patrol-1/timeline"))["changes"]!.AsArray()[0]!;
        Assert.Equal("out-of-service>dispatched only unit within 5 km", $"{change["from"]}>{change["to"]} {change["reason"]}");

        var audited = (await Api.GetAsync(stack.ClientAs("auditor.units", GlobalRole.Auditor), $"audit?station={staff.Station.Value}&from=2026-11-26&to=2026-11-27"))["items"]!
            .AsArray().Select(r => (string?)r!["change"]).ToList();
        Assert.Contains("unit status patrol-1 out-of-service", audited);
        Assert.Contains($"dispatch unit=patrol-1 officer={staff.Officer.Subject} override", audited);
    }

    [Fact]
    public async Task A_unit_pulled_off_a_p3_for_a_p1_is_recorded_on_both_and_the_p3_keeps_its_clocks()
    {
        var minor = await ReportAsync("P3");
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{minor}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        stack.Clock.Advance(Duration.FromMinutes(1));
        var urgent = await ReportAsync("P1");
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{urgent}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });

        var onUrgent = (await Api.GetAsync(stack.Client, $"incidents/{urgent}/timeline"))["events"]!.AsArray().Single(e => (string?)e!["kind"] == "dispatched")!;
        Assert.Equal(minor, (string?)onUrgent["details"]!["divertedFrom"]);
        var lost = (await Api.GetAsync(stack.Client, $"incidents/{minor}/timeline"))["events"]!.AsArray().Single(e => (string?)e!["kind"] == "diverted")!;
        Assert.Equal("patrol-1", (string?)lost["details"]!["unit"]);
        Assert.Equal(urgent, (string?)lost["details"]!["to"]);
        var minorNow = await Api.GetAsync(stack.Client, $"incidents/{minor}");
        Assert.Equal("dispatched", (string?)minorNow["status"]);
        Assert.Equal("running", (string?)minorNow["clocks"]!["arrival"]!["state"]);
        Assert.Equal(urgent, (string?)(await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!["incident"]);

        // Cancelling the incident the unit left does not free it from the one it went to.
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{minor}/cancel", new { reason = "caller withdrew" });
        var patrol1 = (await UnitsAsync(staff.As(staff.Dispatcher)))["patrol-1"]!;
        Assert.Equal("dispatched", (string?)patrol1["status"]);
        Assert.Equal(urgent, (string?)patrol1["incident"]);
    }

    [Fact]
    public async Task A_unit_on_an_incident_is_freed_by_its_incident_not_by_setting_it()
    {
        var id = await ReportAsync("P2");
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        using var refused = await staff.As(staff.Officer).PostAsJsonAsync($"{Units}/patrol-1/status", new { status = "off-duty" });
        var problem = await Api.AssertProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains(id, (string?)problem["detail"]);
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/cancel", new { reason = "duplicate" });
        var offDuty = await Api.PostAsync(staff.As(staff.Officer), $"{Units}/patrol-1/status", new { status = "off-duty" });
        Assert.Equal("off-duty", (string?)offDuty["status"]);
    }

    private async Task<string> ReportAsync(string priority) =>
        (string)(await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, priority)))["id"]!;

    private async Task<Dictionary<string, JsonNode?>> UnitsAsync(HttpClient client) =>
        (await Api.GetAsync(client, Units))["units"]!.AsArray().ToDictionary(u => (string)u!["id"]!, u => u);

    private static string Text(Instant at) => InstantPattern.ExtendedIso.Format(at);
}
