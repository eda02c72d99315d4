using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NodaTime;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class IncidentApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;

    public async Task InitializeAsync() => stack = await ApiHost.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Reporting_stamps_the_server_clock_and_starts_three_clocks_from_the_policy()
    {
        var station = ApiHost.NewStation();
        using var response = await stack.Client.PostAsJsonAsync("incidents", ApiHost.Report(station, "P1", "suburban"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await ApiHost.ReadJsonAsync(response))!;
        var id = body["id"]!.GetValue<string>();
        Assert.StartsWith(station + ".", id, StringComparison.Ordinal);
        Assert.EndsWith($"/api/incidents/{id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal("reported", body["status"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:00:00Z", body["reportedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:01:00Z", body["clocks"]!["dispatch"]!["deadline"]!.GetValue<string>());
        // P1 arrival is 5 minutes urban, doubled for suburban.
        Assert.Equal("PT10M", body["clocks"]!["arrival"]!["target"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:10:00Z", body["clocks"]!["arrival"]!["deadline"]!.GetValue<string>());
        Assert.Equal("2026-11-26T10:00:00Z", body["clocks"]!["resolution"]!["deadline"]!.GetValue<string>());
        Assert.All(["dispatch", "arrival", "resolution"], clock =>
        {
            Assert.Equal("running", body["clocks"]![clock]!["state"]!.GetValue<string>());
            Assert.Null(body["clocks"]![clock]!["metAt"]);
        });
    }

    [Fact]
    public async Task A_client_cannot_set_a_milestone_time()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["reportedAt"] = "2020-01-01T00:00:00Z";

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "reportedAt");
        await AssertNothingStoredAsync(station);
    }

    [Fact]
    public async Task Get_returns_the_incident_with_its_etag_and_404_for_an_unknown_id()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation()));
        var id = created["id"]!.GetValue<string>();

        using var found = await stack.Client.GetAsync($"incidents/{id}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(id, (await ApiHost.ReadJsonAsync(found))!["id"]!.GetValue<string>());
        Assert.NotNull(found.Headers.ETag);

        using var missing = await stack.Client.GetAsync("incidents/nowhere.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D");
        await AssertProblemAsync(missing, HttpStatusCode.NotFound);

        using var malformed = await stack.Client.GetAsync("incidents/not-an-id");
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task The_full_lifecycle_meets_or_breaches_each_clock_by_the_server_clock()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", "urban"));
        var id = created["id"]!.GetValue<string>();

        stack.Clock.Advance(Duration.FromSeconds(45));
        var dispatched = await PostAsync($"incidents/{id}/dispatch", new JsonObject { ["unit"] = "patrol-7", ["officer"] = "wang.lei" }, actor: "dispatcher.li");
        Assert.Equal("dispatched", dispatched["status"]!.GetValue<string>());
        Assert.Equal("met", dispatched["clocks"]!["dispatch"]!["state"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:00:45Z", dispatched["dispatchedAt"]!.GetValue<string>());

        stack.Clock.Advance(Duration.FromMinutes(6));
        var onScene = await PostAsync($"incidents/{id}/arrive", null);
        Assert.Equal("on-scene", onScene["status"]!.GetValue<string>());
        Assert.Equal("breached", onScene["clocks"]!["arrival"]!["state"]!.GetValue<string>());
        Assert.Equal("PT1M45S", onScene["clocks"]!["arrival"]!["overdueBy"]!.GetValue<string>());

        stack.Clock.Advance(Duration.FromMinutes(30));
        var resolved = await PostAsync($"incidents/{id}/resolve", new JsonObject { ["outcome"] = "suspect detained" });
        Assert.Equal("resolved", resolved["status"]!.GetValue<string>());
        Assert.Equal("met", resolved["clocks"]!["resolution"]!["state"]!.GetValue<string>());

        var closed = await PostAsync($"incidents/{id}/close", new JsonObject());
        Assert.Equal("closed", closed["status"]!.GetValue<string>());
        Assert.Equal(5, closed["version"]!.GetValue<int>());

        using var timeline = await stack.Client.GetAsync($"incidents/{id}/timeline");
        var events = (await ApiHost.ReadJsonAsync(timeline))!["events"]!.AsArray();
        Assert.Equal(["reported", "dispatched", "on-scene", "resolved", "closed"], events.Select(e => e!["kind"]!.GetValue<string>()));
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Equal("dispatcher.li", events[1]!["actor"]!.GetValue<string>());
        Assert.Equal("patrol-7", events[1]!["details"]!["unit"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:06:45Z", events[2]!["at"]!.GetValue<string>());
        Assert.Equal("anonymous", events[2]!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_out_of_order_transition_is_refused_with_409_and_changes_nothing()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation()));
        var id = created["id"]!.GetValue<string>();

        using var resolve = await stack.Client.PostAsJsonAsync($"incidents/{id}/resolve", new JsonObject { ["outcome"] = "x" });
        await AssertProblemAsync(resolve, HttpStatusCode.Conflict);

        using var timeline = await stack.Client.GetAsync($"incidents/{id}/timeline");
        Assert.Single((await ApiHost.ReadJsonAsync(timeline))!["events"]!.AsArray());
    }

    [Fact]
    public async Task Cancelling_stops_running_clocks_and_a_cancelled_incident_cannot_move_on()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation()));
        var id = created["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromMinutes(2));

        var cancelled = await PostAsync($"incidents/{id}/cancel", new JsonObject { ["reason"] = "duplicate call" });

        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.Equal("breached", cancelled["clocks"]!["dispatch"]!["state"]!.GetValue<string>());
        Assert.Equal("stopped", cancelled["clocks"]!["arrival"]!["state"]!.GetValue<string>());
        using var dispatch = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new JsonObject { ["unit"] = "u", ["officer"] = "o" });
        await AssertProblemAsync(dispatch, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Transitions_on_an_unknown_incident_are_404()
    {
        using var response = await stack.Client.PostAsJsonAsync("incidents/nowhere.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D/dispatch", new JsonObject { ["unit"] = "u", ["officer"] = "o" });
        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        using var timeline = await stack.Client.GetAsync("incidents/nowhere.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D/timeline");
        await AssertProblemAsync(timeline, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task If_match_with_a_stale_etag_is_412_and_with_the_current_one_succeeds()
    {
        using var created = await stack.Client.PostAsJsonAsync("incidents", ApiHost.Report(ApiHost.NewStation()));
        var id = (await ApiHost.ReadJsonAsync(created))!["id"]!.GetValue<string>();
        var firstETag = created.Headers.ETag!.ToString();

        using var dispatch = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/dispatch") { Content = JsonContent.Create(new { unit = "u1", officer = "o1" }) };
        dispatch.Headers.TryAddWithoutValidation("If-Match", firstETag);
        using var dispatched = await stack.Client.SendAsync(dispatch);
        Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
        var secondETag = dispatched.Headers.ETag!.ToString();
        Assert.NotEqual(firstETag, secondETag);

        using var stale = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/arrive");
        stale.Headers.TryAddWithoutValidation("If-Match", firstETag);
        using var refused = await stack.Client.SendAsync(stale);
        await AssertProblemAsync(refused, HttpStatusCode.PreconditionFailed);
        Assert.Equal(secondETag, refused.Headers.ETag!.ToString());

        using var current = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/arrive");
        current.Headers.TryAddWithoutValidation("If-Match", secondETag);
        using var arrived = await stack.Client.SendAsync(current);
        Assert.Equal(HttpStatusCode.OK, arrived.StatusCode);
    }

    [Fact]
    public async Task Concurrent_changes_without_if_match_are_serialised_and_none_is_lost()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation()));
        var id = created["id"]!.GetValue<string>();

        // Eight dispatchers race to dispatch the same incident: exactly one wins, the rest hear 409.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = $"unit-{i}", officer = $"officer-{i}" });
            return response.StatusCode;
        }));
        Assert.Equal(1, attempts.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(7, attempts.Count(s => s == HttpStatusCode.Conflict));

        // A dispatch-then-arrive pair racing with a cancel: whatever the order, the timeline matches the state.
        var second = (await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation())))["id"]!.GetValue<string>();
        await Task.WhenAll(
            stack.Client.PostAsJsonAsync($"incidents/{second}/dispatch", new { unit = "u", officer = "o" }),
            stack.Client.PostAsJsonAsync($"incidents/{second}/cancel", new { reason = "caller withdrew" }));
        using var final = await stack.Client.GetAsync($"incidents/{second}");
        var incident = (await ApiHost.ReadJsonAsync(final))!;
        using var timelineResponse = await stack.Client.GetAsync($"incidents/{second}/timeline");
        var events = (await ApiHost.ReadJsonAsync(timelineResponse))!["events"]!.AsArray();
        Assert.Equal(incident["version"]!.GetValue<int>(), events.Count);
        Assert.Equal("cancelled", incident["status"]!.GetValue<string>());
        Assert.Equal("cancelled", events[^1]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Timeline_lists_every_event_in_order_with_actor_and_instant()
    {
        var created = await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation()));
        var id = created["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromSeconds(30));
        await PostAsync($"incidents/{id}/dispatch", new JsonObject { ["unit"] = "u", ["officer"] = "o" }, actor: "desk-2");

        using var response = await stack.Client.GetAsync($"incidents/{id}/timeline");

        var body = (await ApiHost.ReadJsonAsync(response))!;
        Assert.Equal(id, body["incidentId"]!.GetValue<string>());
        var events = body["events"]!.AsArray();
        Assert.Equal("2026-11-26T08:00:00Z", events[0]!["at"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:00:30Z", events[1]!["at"]!.GetValue<string>());
        Assert.Equal("desk-2", events[1]!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_is_200_when_storage_answers()
    {
        using var response = await stack.Client.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", (await ApiHost.ReadJsonAsync(response))!["status"]!.GetValue<string>());
    }

    internal async Task<JsonObject> PostAsync(string path, JsonObject? body, string? actor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (actor is not null)
        {
            request.Headers.Add("X-Actor", actor);
        }

        using var response = await stack.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await ApiHost.ReadJsonAsync(response))!.AsObject();
    }

    internal static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        if (field is not null)
        {
            Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"expected an error for '{field}': {text}");
        }

        return problem;
    }

    private async Task AssertNothingStoredAsync(string station)
    {
        using var list = await stack.Client.GetAsync($"incidents?station={station}");
        Assert.Empty((await ApiHost.ReadJsonAsync(list))!["items"]!.AsArray());
    }
}
