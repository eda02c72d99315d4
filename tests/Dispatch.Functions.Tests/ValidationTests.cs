using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>Every kind of client mistake gets a clear 4xx naming the field, and nothing about an incident is written.</summary>
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
    public async Task Unknown_choices_are_400_naming_the_field(string field, string value)
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report[field] = value;

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task A_bad_station_code_is_400()
    {
        var report = ApiHost.Report(ApiHost.NewStation());
        report["station"] = "bad station!";

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "station");
    }

    [Theory]
    [InlineData("category")]
    [InlineData("priority")]
    [InlineData("zone")]
    [InlineData("channel")]
    [InlineData("location")]
    public async Task Missing_fields_are_400_naming_the_field(string field)
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report.Remove(field);

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task Wrong_types_and_nested_mistakes_are_all_reported_at_once()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["category"] = 42;
        report["location"] = new JsonObject { ["address"] = "", ["latitude"] = 91, ["longitude"] = "east" };

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "category");
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("location.address", errors.Select(e => e.Key));
        Assert.Contains("location.latitude", errors.Select(e => e.Key));
        Assert.Contains("location.longitude", errors.Select(e => e.Key));
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task Over_long_strings_are_400()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["description"] = new string('x', 4001);

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "description");
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task Unknown_fields_and_fields_the_server_owns_are_refused_not_ignored()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["colour"] = "red";
        report["status"] = "closed";

        using var response = await stack.Client.PostAsJsonAsync("incidents", report);

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "colour");
        Assert.Contains("set by the server", problem["errors"]!["status"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task A_key_given_twice_is_400_not_last_one_wins()
    {
        var station = ApiHost.NewStation();
        var first = ApiHost.NewStation();
        var json = ApiHost.Report(station).ToJsonString().Replace("\"station\":", $"\"station\":\"{first}\",\"station\":", StringComparison.Ordinal);

        using var response = await stack.Client.PostAsync("incidents", ApiHost.JsonBody(json));

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "station");
        await Api.AssertNoIncidentWrittenAsync(stack, station);
        await Api.AssertNoIncidentWrittenAsync(stack, first);
    }

    [Fact]
    public async Task Malformed_json_is_400_and_a_non_object_body_too()
    {
        var station = ApiHost.NewStation();
        var cut = ApiHost.Report(station).ToJsonString();
        using var malformed = await stack.Client.PostAsync("incidents", ApiHost.JsonBody(cut[..^2]));
        await Api.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "$");
        await Api.AssertNoIncidentWrittenAsync(stack, station);

        using var array = await stack.Client.PostAsync("incidents", ApiHost.JsonBody("[1,2]"));
        await Api.AssertProblemAsync(array, HttpStatusCode.BadRequest, "$");

        using var empty = await stack.Client.PostAsync("incidents", ApiHost.JsonBody(""));
        await Api.AssertProblemAsync(empty, HttpStatusCode.BadRequest, "$");
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_whether_or_not_its_length_is_declared()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);
        report["description"] = new string('x', 70 * 1024);

        using var declared = await stack.Client.PostAsJsonAsync("incidents", report);
        await Api.AssertProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge);

        using var chunked = new HttpRequestMessage(HttpMethod.Post, "incidents")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(report.ToJsonString()))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Content.Headers.ContentType = new("application/json");
        using var streamed = await stack.Client.SendAsync(chunked);
        await Api.AssertProblemAsync(streamed, HttpStatusCode.RequestEntityTooLarge);
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task A_non_json_content_type_is_415()
    {
        var station = ApiHost.NewStation();
        using var response = await stack.Client.PostAsync("incidents", new StringContent($"station={station}", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        await Api.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task Transition_bodies_are_validated_too_and_change_nothing()
    {
        var staff = await stack.StaffAsync(ApiHost.NewStation());
        var id = (await stack.ReportAsync(ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();

        using var missing = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u" });
        await Api.AssertProblemAsync(missing, HttpStatusCode.BadRequest, "officer");

        using var stamped = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u", officer = staff.Officer.Subject, dispatchedAt = "2020-01-01T00:00:00Z" });
        await Api.AssertProblemAsync(stamped, HttpStatusCode.BadRequest, "dispatchedAt");

        using var notAnId = await stack.Client.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u", officer = "wang lei/1" });
        await Api.AssertProblemAsync(notAnId, HttpStatusCode.BadRequest, "officer");

        using var noReason = await stack.Client.PostAsJsonAsync($"incidents/{id}/cancel", new { });
        await Api.AssertProblemAsync(noReason, HttpStatusCode.BadRequest, "reason");

        using var byWhom = await staff.As(staff.Chief).PostAsJsonAsync($"incidents/{id}/acknowledge", new { by = "somebody.else" });
        await Api.AssertProblemAsync(byWhom, HttpStatusCode.BadRequest, "by");

        Assert.Equal(["reported"], await Api.TimelineKindsAsync(stack.Client, id));
    }

    [Fact]
    public async Task List_parameters_are_validated()
    {
        using var noStation = await stack.Client.GetAsync("incidents");
        await Api.AssertProblemAsync(noStation, HttpStatusCode.BadRequest, "station");

        using var badStatus = await stack.Client.GetAsync($"incidents?station=a&status=lost");
        await Api.AssertProblemAsync(badStatus, HttpStatusCode.BadRequest, "status");

        using var badPriority = await stack.Client.GetAsync($"incidents?station=a&priority=P0");
        await Api.AssertProblemAsync(badPriority, HttpStatusCode.BadRequest, "priority");

        using var badPage = await stack.Client.GetAsync($"incidents?station=a&pageSize=1000");
        await Api.AssertProblemAsync(badPage, HttpStatusCode.BadRequest, "pageSize");

        using var badToken = await stack.Client.GetAsync($"incidents?station=a&continuationToken=!!garbage");
        await Api.AssertProblemAsync(badToken, HttpStatusCode.BadRequest, "continuationToken");
    }
}
