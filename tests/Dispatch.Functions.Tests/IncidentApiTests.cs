using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class IncidentApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private string Station => staff.Station.Value;

    private HttpClient Dispatcher => staff.As(staff.Dispatcher);

    private object DispatchBody => new { unit = "patrol-1", officer = staff.Officer.Subject };

    [Fact]
    public async Task A_refusal_of_the_domain_is_worded_in_the_language_asked_for_with_its_code_unchanged()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station, "P2")))["id"]!.GetValue<string>();
        var incident = Uri.EscapeDataString(id);

        // An officer may not dispatch (403, may-not-act); a reported incident cannot be closed (409, wrong-state).
        using var dispatchInChinese = await SendAsync(staff.As(staff.Officer), $"incidents/{incident}/dispatch", DispatchBody, "zh-CN");
        using var dispatchInEnglish = await SendAsync(staff.As(staff.Officer), $"incidents/{incident}/dispatch", DispatchBody, "en-GB");
        using var closeInChinese = await SendAsync(staff.As(staff.DutyOfficer), $"incidents/{incident}/close", null, "zh-CN;q=0.9, en;q=0.5");

        // Expected Chinese written here by hand in shared/notes/language.md's words: 接警员 dispatcher, 值班领导 duty
        // officer, 所长 chief, 指挥中心 command center, 派警 dispatch, 结案 close, 已接警 reported, 处置完毕 resolved.
        var forbidden = await Api.AssertProblemAsync(dispatchInChinese, HttpStatusCode.Forbidden);
        Assert.Equal("只有本所接警员、值班领导、所长或指挥中心可以对此警情执行“派警”。", forbidden["detail"]!.GetValue<string>());
        Assert.Equal("zh-CN", Assert.Single(dispatchInChinese.Content.Headers.ContentLanguage));
        var english = await Api.AssertProblemAsync(dispatchInEnglish, HttpStatusCode.Forbidden);
        Assert.Equal("Only its dispatchers, duty officers and chief, or the command center may dispatch this incident.", english["detail"]!.GetValue<string>());
        Assert.Equal(forbidden["type"]!.GetValue<string>(), english["type"]!.GetValue<string>());
        var conflict = await Api.AssertProblemAsync(closeInChinese, HttpStatusCode.Conflict);
        Assert.Equal($"无法对警情 {id} 执行“结案”：该警情已接警，只有处置完毕的警情可以。", conflict["detail"]!.GetValue<string>());
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, object? body, string acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Reporting_stamps_the_server_clock_and_the_verified_reporter_and_starts_three_clocks_from_the_policy()
    {
        using var response = await Dispatcher.PostAsJsonAsync("incidents", ApiHost.Report(Station, "P1", "suburban"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await ApiHost.ReadJsonAsync(response))!;
        var id = body["id"]!.GetValue<string>();
        Assert.StartsWith(Station + ".", id, StringComparison.Ordinal);
        Assert.EndsWith($"/api/incidents/{id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal("reported", body["status"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:00:00Z", body["reportedAt"]!.GetValue<string>());
        Assert.Equal(staff.Dispatcher.Subject, body["reportedBy"]!["id"]!.GetValue<string>());
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
    public async Task A_client_cannot_set_a_milestone_time_or_who_reported()
    {
        var report = ApiHost.Report(Station);
        report["reportedAt"] = "2020-01-01T00:00:00Z";
        report["reportedBy"] = "someone.else";

        using var response = await Dispatcher.PostAsJsonAsync("incidents", report);

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "reportedAt");
        Assert.NotNull(problem["errors"]!["reportedBy"]);
        await Api.AssertNoIncidentWrittenAsync(stack, Station);
    }

    [Fact]
    public async Task Get_returns_the_incident_with_its_etag_and_404_for_an_unknown_id()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();

        using var found = await Dispatcher.GetAsync($"incidents/{id}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(id, (await ApiHost.ReadJsonAsync(found))!["id"]!.GetValue<string>());
        Assert.NotNull(found.Headers.ETag);

        using var missing = await Dispatcher.GetAsync($"incidents/{Station}.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D");
        await Api.AssertProblemAsync(missing, HttpStatusCode.NotFound);

        using var malformed = await Dispatcher.GetAsync("incidents/not-an-id");
        await Api.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task The_full_lifecycle_meets_or_breaches_each_clock_by_the_server_clock_and_names_each_person()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station, "P1", "urban")))["id"]!.GetValue<string>();

        stack.Clock.Advance(Duration.FromSeconds(45));
        var dispatched = await Api.PostAsync(Dispatcher, $"incidents/{id}/dispatch", DispatchBody);
        Assert.Equal("dispatched", dispatched["status"]!.GetValue<string>());
        Assert.Equal("met", dispatched["clocks"]!["dispatch"]!["state"]!.GetValue<string>());
        Assert.Equal("2026-11-26T08:00:45Z", dispatched["dispatchedAt"]!.GetValue<string>());
        Assert.Equal(("patrol-1", staff.Officer.Subject, "Officer"),
            (dispatched["unit"]!.GetValue<string>(), dispatched["officer"]!["id"]!.GetValue<string>(), dispatched["officer"]!["name"]!.GetValue<string>()));

        stack.Clock.Advance(Duration.FromMinutes(6));
        var onScene = await Api.PostAsync(staff.As(staff.Officer), $"incidents/{id}/arrive");
        Assert.Equal("on-scene", onScene["status"]!.GetValue<string>());
        Assert.Equal("breached", onScene["clocks"]!["arrival"]!["state"]!.GetValue<string>());
        Assert.Equal("PT1M45S", onScene["clocks"]!["arrival"]!["overdueBy"]!.GetValue<string>());
        var arrival = onScene["clocks"]!["arrival"]!["outcome"]!;
        Assert.Equal(("breached", "unit", "patrol-1"),
            (arrival["result"]!.GetValue<string>(), arrival["accountable"]!["kind"]!.GetValue<string>(), arrival["accountable"]!["unit"]!.GetValue<string>()));
        Assert.Equal(["PT45S", "PT6M"], arrival["periods"]!.AsArray().Select(p => p!["duration"]!.GetValue<string>()));

        stack.Clock.Advance(Duration.FromMinutes(30));
        var resolved = await Api.PostAsync(staff.As(staff.Officer), $"incidents/{id}/resolve", new { outcome = "suspect detained" });
        Assert.Equal("met", resolved["clocks"]!["resolution"]!["state"]!.GetValue<string>());

        var closed = await Api.PostAsync(staff.As(staff.DutyOfficer), $"incidents/{id}/close");
        Assert.Equal("closed", closed["status"]!.GetValue<string>());
        Assert.Equal(5, closed["version"]!.GetValue<int>());

        var events = (await Api.GetAsync(Dispatcher, $"incidents/{id}/timeline"))["events"]!.AsArray();
        Assert.Equal(["reported", "dispatched", "on-scene", "resolved", "closed"], events.Select(e => e!["kind"]!.GetValue<string>()));
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Equal(
            [staff.Dispatcher.Subject, staff.Dispatcher.Subject, staff.Officer.Subject, staff.Officer.Subject, staff.DutyOfficer.Subject],
            events.Select(e => e!["actor"]!["id"]!.GetValue<string>()));
        Assert.Equal("2026-11-26T08:06:45Z", events[2]!["at"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_forged_x_actor_header_is_ignored_and_the_timeline_names_the_tokens_person()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(Station)) };
        request.Headers.Add("X-Actor", "the-chief-himself");
        using var response = await Dispatcher.SendAsync(request);
        var id = (await ApiHost.ReadJsonAsync(response))!["id"]!.GetValue<string>();

        var events = (await Api.GetAsync(Dispatcher, $"incidents/{id}/timeline"))["events"]!.AsArray();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((staff.Dispatcher.Subject, "Dispatcher"), (events[0]!["actor"]!["id"]!.GetValue<string>(), events[0]!["actor"]!["name"]!.GetValue<string>()));
        Assert.DoesNotContain("the-chief-himself", (await Api.GetAsync(Dispatcher, $"incidents/{id}")).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_out_of_order_transition_is_refused_with_409_and_changes_nothing()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();

        using var resolve = await staff.As(staff.Chief).PostAsJsonAsync($"incidents/{id}/resolve", new JsonObject { ["outcome"] = "x" });
        await Api.AssertProblemAsync(resolve, HttpStatusCode.Conflict);

        Assert.Equal(["reported"], await Api.TimelineKindsAsync(Dispatcher, id));
    }

    [Fact]
    public async Task Dispatching_to_someone_not_on_the_stations_roster_is_422_naming_the_officer()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();

        using var response = await Dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = "not.on.roster" });

        await Api.AssertProblemAsync(response, (HttpStatusCode)422, "officer");
        Assert.Equal(["reported"], await Api.TimelineKindsAsync(Dispatcher, id));
    }

    [Fact]
    public async Task Cancelling_stops_running_clocks_and_a_cancelled_incident_cannot_move_on()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromMinutes(2));

        var cancelled = await Api.PostAsync(Dispatcher, $"incidents/{id}/cancel", new { reason = "duplicate call" });

        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.Equal("breached", cancelled["clocks"]!["dispatch"]!["state"]!.GetValue<string>());
        Assert.Equal("stopped", cancelled["clocks"]!["arrival"]!["state"]!.GetValue<string>());
        using var dispatch = await Dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", DispatchBody);
        await Api.AssertProblemAsync(dispatch, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_handoff_to_another_unit_is_recorded_and_splits_the_arrival_phase()
    {
        await stack.EnlistAsync(new Membership(staff.Station, new("second.officer", "Second"), StationRole.Officer, "patrol-2"));
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromSeconds(20));
        await Api.PostAsync(Dispatcher, $"incidents/{id}/dispatch", DispatchBody);
        stack.Clock.Advance(Duration.FromMinutes(1));

        var reassigned = await Api.PostAsync(Dispatcher, $"incidents/{id}/reassign", new { unit = "patrol-2", officer = "second.officer", reason = "closer" });
        stack.Clock.Advance(Duration.FromMinutes(2));
        using var refused = await staff.As(staff.Officer).PostAsync($"incidents/{id}/arrive", null);
        var arrived = await Api.PostAsync(stack.ClientAs("second.officer"), $"incidents/{id}/arrive");

        Assert.Equal(2, reassigned["assignments"]!.AsArray().Count);
        await Api.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal(["PT20S", "PT1M", "PT2M"], arrived["clocks"]!["arrival"]!["outcome"]!["periods"]!.AsArray().Select(p => p!["duration"]!.GetValue<string>()));
        Assert.Contains("reassigned", await Api.TimelineKindsAsync(Dispatcher, id));
    }

    [Fact]
    public async Task Transitions_on_an_unknown_incident_are_404()
    {
        using var response = await Dispatcher.PostAsJsonAsync($"incidents/{Station}.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D/dispatch", DispatchBody);
        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound);
        using var timeline = await Dispatcher.GetAsync($"incidents/{Station}.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D/timeline");
        await Api.AssertProblemAsync(timeline, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task If_match_with_a_stale_etag_is_412_and_with_the_current_one_succeeds()
    {
        using var created = await Dispatcher.PostAsJsonAsync("incidents", ApiHost.Report(Station));
        var id = (await ApiHost.ReadJsonAsync(created))!["id"]!.GetValue<string>();
        var firstETag = created.Headers.ETag!.ToString();

        using var dispatch = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/dispatch") { Content = JsonContent.Create(DispatchBody) };
        dispatch.Headers.TryAddWithoutValidation("If-Match", firstETag);
        using var dispatched = await Dispatcher.SendAsync(dispatch);
        Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
        var secondETag = dispatched.Headers.ETag!.ToString();
        Assert.NotEqual(firstETag, secondETag);

        var officer = staff.As(staff.Officer);
        using var stale = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/arrive");
        stale.Headers.TryAddWithoutValidation("If-Match", firstETag);
        using var refused = await officer.SendAsync(stale);
        await Api.AssertProblemAsync(refused, HttpStatusCode.PreconditionFailed);
        Assert.Equal(secondETag, refused.Headers.ETag!.ToString());

        using var current = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/arrive");
        current.Headers.TryAddWithoutValidation("If-Match", secondETag);
        using var arrived = await officer.SendAsync(current);
        Assert.Equal(HttpStatusCode.OK, arrived.StatusCode);
    }

    [Fact]
    public async Task Concurrent_changes_without_if_match_are_serialised_and_none_is_lost()
    {
        var id = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();

        // Eight dispatches race on the same incident (all to the officer's own unit, the only one allowed): exactly one wins, the rest hear 409.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await Dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
            return response.StatusCode;
        }));
        Assert.Equal(1, attempts.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(7, attempts.Count(s => s == HttpStatusCode.Conflict));

        // A dispatch racing with a cancel: whatever the order, the timeline matches the state.
        var second = (await ApiHost.ReportAsync(Dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();
        await Task.WhenAll(
            Dispatcher.PostAsJsonAsync($"incidents/{second}/dispatch", DispatchBody),
            Dispatcher.PostAsJsonAsync($"incidents/{second}/cancel", new { reason = "caller withdrew" }));
        var incident = await Api.GetAsync(Dispatcher, $"incidents/{second}");
        var events = (await Api.GetAsync(Dispatcher, $"incidents/{second}/timeline"))["events"]!.AsArray();
        Assert.Equal(incident["version"]!.GetValue<int>(), events.Count);
        Assert.Equal("cancelled", incident["status"]!.GetValue<string>());
        Assert.Equal("cancelled", events[^1]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_is_200_without_a_token_and_says_nothing_but_up_or_down()
    {
        using var response = await stack.Anonymous.GetAsync("health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await ApiHost.ReadJsonAsync(response))!.AsObject();
        Assert.Equal("healthy", body["status"]!.GetValue<string>());
        Assert.Equal(["status", "storage"], body.Select(p => p.Key));
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_problem_json()
    {
        using var missing = await stack.Anonymous.GetAsync("nowhere/at/all");
        using var wrongMethod = await Dispatcher.DeleteAsync("incidents");

        await Api.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET", "POST"], wrongMethod.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }
}
