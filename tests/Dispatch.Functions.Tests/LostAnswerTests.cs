using System.Net;
using System.Net.Http.Json;
using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>
/// A change that storage committed but whose answer the app never got (the client timed out and the SDK sent it
/// again) is the app's own change, not someone else's: on real Azurite, with the answer lost by <see cref="LostAnswers"/>.
/// The sweep's side of it is in <see cref="EscalationFlowTests"/>.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class LostAnswerTests(Azurite azurite) : IAsyncLifetime
{
    private readonly LostAnswers answers = new();
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await LostAnswers.StartHostAsync(azurite.ConnectionString, answers);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("call-0412")]
    public async Task A_report_whose_answer_was_lost_is_answered_as_created_and_stored_once(string? idempotencyKey)
    {
        var dispatcher = staff.As(staff.Dispatcher);

        // The intake's transaction is the one that adds the incident's first event.
        answers.LoseNextTransaction(body => body.Contains(staff.Station.Value, StringComparison.Ordinal) && body.Contains("\"Kind\":\"reported\"", StringComparison.Ordinal));
        using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(staff.Station.Value, "P2")) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var reported = await dispatcher.SendAsync(request);
        var listed = await Api.GetAsync(dispatcher, $"incidents?station={staff.Station.Value}");

        Assert.Equal(1, answers.Lost);
        Assert.True(reported.StatusCode == HttpStatusCode.Created, $"{(int)reported.StatusCode} {await reported.Content.ReadAsStringAsync()}");
        var item = Assert.Single(listed["items"]!.AsArray());
        Assert.Equal((await ApiHost.ReadJsonAsync(reported))!["id"]!.GetValue<string>(), item!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_dispatch_whose_answer_was_lost_is_answered_as_done_and_recorded_once()
    {
        var dispatcher = staff.As(staff.Dispatcher);
        var id = (await ApiHost.ReportAsync(dispatcher, ApiHost.Report(staff.Station.Value, "P2")))["id"]!.GetValue<string>();

        // The dispatch's transaction is the one that replaces the incident row conditionally (If-Match on its ETag).
        answers.LoseNextTransaction(body => body.Contains(staff.Station.Value, StringComparison.Ordinal) && body.Contains("If-Match: W/", StringComparison.Ordinal));
        using var dispatched = await dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        var events = (await Api.GetAsync(dispatcher, $"incidents/{id}/timeline"))["events"]!.AsArray();

        Assert.Equal(1, answers.Lost);
        Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
        Assert.Equal("dispatched", (await ApiHost.ReadJsonAsync(dispatched))!["status"]!.GetValue<string>());
        Assert.Equal(["reported", "dispatched"], events.Select(e => e!["kind"]!.GetValue<string>()));
    }
}
