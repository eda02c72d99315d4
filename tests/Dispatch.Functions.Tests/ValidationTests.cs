using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>Every kind of client mistake gets a clear 4xx naming the field, and nothing is written.</summary>
[Collection(SharedAzurite.Name)]
public sealed class ValidationTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;

    public async Task InitializeAsync() => stack = await ApiHost.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Theory]
    [InlineData("priority", "P9")]
    [InlineData("zone", "downtown")]
    [InlineData("channel", "pigeon")]
    [InlineData("station", "bad station!")]
    public async Task Unknown_choices_are_400_naming_the_field(string field, string value)
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report[field] = value;

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await IncidentApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        await AssertNothingStoredAsync(station);
    }

    [Theory]
    [InlineData("category")]
    [InlineData("priority")]
    [InlineData("zone")]
    [InlineData("channel")]
    [InlineData("location")]
    [InlineData("station")]
    public async Task Missing_fields_are_400_naming_the_field(string field)
    {
        var report = ApiHost.Report(ApiHost.NewStation());
        report.Remove(field);

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await IncidentApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Wrong_types_and_nested_mistakes_are_all_reported_at_once()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["category"] = 42;
        report["location"] = new JsonObject { ["address"] = "", ["latitude"] = 91, ["longitude"] = "east" };

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        var problem = await IncidentApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "category");
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("location.address", errors.Select(e => e.Key));
        Assert.Contains("location.latitude", errors.Select(e => e.Key));
        Assert.Contains("location.longitude", errors.Select(e => e.Key));
        await AssertNothingStoredAsync(station);
    }

    [Fact]
    public async Task Over_long_strings_are_400()
    {
        var report = ApiHost.Report(ApiHost.NewStation());
        report["description"] = new string('x', 4001);

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await IncidentApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "description");
    }

    [Fact]
    public async Task Malformed_json_is_400_and_a_non_object_body_too()
    {
        using var malformed = await stack.Client.PostAsync("incidents", ApiHost.JsonBody("{\"station\": "));
        await IncidentApiTests.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "$");

        using var array = await stack.Client.PostAsync("incidents", ApiHost.JsonBody("[1,2]"));
        await IncidentApiTests.AssertProblemAsync(array, HttpStatusCode.BadRequest, "$");

        using var empty = await stack.Client.PostAsync("incidents", ApiHost.JsonBody(""));
        await IncidentApiTests.AssertProblemAsync(empty, HttpStatusCode.BadRequest, "$");
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_whether_or_not_its_length_is_declared()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["description"] = new string('x', 70 * 1024);

        using var declared = await stack.Client.PostAsJsonAsync("incidents", report);
        await IncidentApiTests.AssertProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge);

        using var chunked = new HttpRequestMessage(HttpMethod.Post, "incidents")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(report.ToJsonString()))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Content.Headers.ContentType = new("application/json");
        using var streamed = await stack.Client.SendAsync(chunked);
        await IncidentApiTests.AssertProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge);
        await AssertNothingStoredAsync(station);
    }

    [Fact]
    public async Task A_non_json_content_type_is_415()
    {
        using var response = await stack.Client.PostAsync("incidents", new StringContent("station=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        await IncidentApiTests.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Transition_bodies_are_validated_too()
    {
        var id = (await stack.ReportAsync(ApiHost.Report(ApiHost.NewStation())))["id"]!.GetValue<string>();

        using var missing = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u" });
        await IncidentApiTests.AssertProblemAsync(missing, HttpStatusCode.BadRequest, "officer");

        using var stamped = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u", officer = "o", dispatchedAt = "2020-01-01T00:00:00Z" });
        await IncidentApiTests.AssertProblemAsync(stamped, HttpStatusCode.BadRequest, "dispatchedAt");

        using var noReason = await stack.Client.PostAsJsonAsync($"incidents/{id}/cancel", new { });
        await IncidentApiTests.AssertProblemAsync(noReason, HttpStatusCode.BadRequest, "reason");

        using var badActor = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/cancel") { Content = JsonContent.Create(new { reason = "r" }) };
        badActor.Headers.TryAddWithoutValidation("X-Actor", new string('a', 101));
        using var refused = await stack.Client.SendAsync(badActor);
        await IncidentApiTests.AssertProblemAsync(refused, HttpStatusCode.BadRequest, "X-Actor");

        using var timeline = await stack.Client.GetAsync($"incidents/{id}/timeline");
        Assert.Single((await ApiHost.ReadJsonAsync(timeline))!["events"]!.AsArray());
    }

    [Fact]
    public async Task List_parameters_are_validated()
    {
        using var noStation = await stack.Client.GetAsync("incidents");
        await IncidentApiTests.AssertProblemAsync(noStation, HttpStatusCode.BadRequest, "station");

        using var badStatus = await stack.Client.GetAsync($"incidents?station=a&status=lost");
        await IncidentApiTests.AssertProblemAsync(badStatus, HttpStatusCode.BadRequest, "status");

        using var badPriority = await stack.Client.GetAsync($"incidents?station=a&priority=P0");
        await IncidentApiTests.AssertProblemAsync(badPriority, HttpStatusCode.BadRequest, "priority");

        using var badPage = await stack.Client.GetAsync($"incidents?station=a&pageSize=1000");
        await IncidentApiTests.AssertProblemAsync(badPage, HttpStatusCode.BadRequest, "pageSize");

        using var badToken = await stack.Client.GetAsync($"incidents?station=a&continuationToken=!!garbage");
        await IncidentApiTests.AssertProblemAsync(badToken, HttpStatusCode.BadRequest, "continuationToken");
    }

    private async Task AssertNothingStoredAsync(string station)
    {
        if (!Core.Incidents.StationId.TryParse(station, out _))
        {
            return;
        }

        using var list = await stack.Client.GetAsync($"incidents?station={station}");
        Assert.Empty((await ApiHost.ReadJsonAsync(list))!["items"]!.AsArray());
    }
}
