using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NodaTime;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class ListAndIdempotencyTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;

    public async Task InitializeAsync() => stack = await ApiHost.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task A_retry_with_the_same_key_and_body_returns_the_same_incident_and_stores_it_once()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);

        var first = await SendWithKeyAsync(report, "key-1");
        stack.Clock.Advance(Duration.FromSeconds(5));
        var retry = await SendWithKeyAsync(report, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.Created, retry.Status);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Body["id"]!.GetValue<string>(), retry.Body["id"]!.GetValue<string>());
        Assert.Equal(first.Body["reportedAt"]!.GetValue<string>(), retry.Body["reportedAt"]!.GetValue<string>());
        Assert.Single(await ListAsync($"incidents?station={station}"));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_key_store_one_incident()
    {
        var station = ApiHost.NewStation();
        var report = ApiHost.Report(station);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SendWithKeyAsync(report, "burst")));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(results.Select(r => r.Body["id"]!.GetValue<string>()).Distinct());
        Assert.Single(await ListAsync($"incidents?station={station}"));
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_422_and_nothing_new_is_stored()
    {
        var station = ApiHost.NewStation();
        await SendWithKeyAsync(ApiHost.Report(station, "P2"), "key-2");

        using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(station, "P1")) };
        request.Headers.Add("Idempotency-Key", "key-2");
        using var response = await stack.Client.SendAsync(request);

        await Api.AssertProblemAsync(response, (HttpStatusCode)422, "Idempotency-Key");
        Assert.Single(await ListAsync($"incidents?station={station}"));
    }

    [Fact]
    public async Task Lists_are_newest_first_and_page_with_a_continuation_token()
    {
        var station = ApiHost.NewStation();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await stack.ReportAsync(ApiHost.Report(station)))["id"]!.GetValue<string>());
            stack.Clock.Advance(Duration.FromSeconds(1));
        }

        using var firstPage = await stack.Client.GetAsync($"incidents?station={station}&pageSize=2");
        var first = (await ApiHost.ReadJsonAsync(firstPage))!;
        var seen = first["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        var next = first["next"]?.GetValue<string>();
        while (next is not null)
        {
            using var page = await stack.Client.GetAsync(next);
            var body = (await ApiHost.ReadJsonAsync(page))!;
            seen.AddRange(body["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            next = body["next"]?.GetValue<string>();
        }

        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task Lists_filter_by_status_and_priority()
    {
        var station = ApiHost.NewStation();
        var slow = (await stack.ReportAsync(ApiHost.Report(station, "P1")))["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromSeconds(1));
        var routine = (await stack.ReportAsync(ApiHost.Report(station, "P3")))["id"]!.GetValue<string>();
        stack.Clock.Advance(Duration.FromSeconds(1));
        var done = (await stack.ReportAsync(ApiHost.Report(station, "P2")))["id"]!.GetValue<string>();
        await stack.Client.PostAsJsonAsync($"incidents/{done}/cancel", new { reason = "hoax" });
        stack.Clock.Advance(Duration.FromMinutes(2)); // past P1's 1-minute dispatch window, inside P3's 15.

        Assert.Equal([routine, slow], await ListAsync($"incidents?station={station}&status=open"));
        Assert.Equal([slow], await ListAsync($"incidents?station={station}&status=overdue"));
        Assert.Equal([done], await ListAsync($"incidents?station={station}&status=closed"));
        Assert.Equal([routine], await ListAsync($"incidents?station={station}&priority=P3"));
        Assert.Equal([done, routine, slow], await ListAsync($"incidents?station={station}"));
        Assert.Empty(await ListAsync($"incidents?station={station}&status=overdue&priority=P3"));
    }

    [Fact]
    public async Task Station_codes_are_case_insensitive()
    {
        var station = ApiHost.NewStation();
        var id = (await stack.ReportAsync(ApiHost.Report(station.ToUpperInvariant())))["id"]!.GetValue<string>();

        Assert.Equal([id], await ListAsync($"incidents?station={station}"));
        using var found = await stack.Client.GetAsync($"incidents/{id.ToUpperInvariant()}");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
    }

    private async Task<List<string>> ListAsync(string path)
    {
        using var response = await stack.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ApiHost.ReadJsonAsync(response))!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
    }

    private async Task<(HttpStatusCode Status, JsonNode Body, bool Replayed)> SendWithKeyAsync(JsonObject report, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(report) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await stack.Client.SendAsync(request);
        return (response.StatusCode, (await ApiHost.ReadJsonAsync(response))!, response.Headers.Contains("Idempotent-Replayed"));
    }
}
