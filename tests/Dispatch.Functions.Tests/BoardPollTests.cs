using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// What an open board costs (issue 29 §6): an unchanged poll is one storage read and no write, the polls are on
/// record as one summary per person, station and hour, and a person's remembered memberships never outlive their
/// stated bound (README, "The board": 5 s).
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class BoardPollTests(Azurite azurite) : IAsyncLifetime
{
    private readonly StorageRequests requests = new();
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString, services: collection =>
        {
            // The app's own table client, with one more policy that notes every request it sends.
            var options = new TableClientOptions();
            options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
            collection.Replace(ServiceDescriptor.Singleton(new TableServiceClient(azurite.ConnectionString, options)));
        });
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task An_unchanged_poll_reads_the_stations_version_once_and_writes_nothing()
    {
        var board = staff.As(staff.Dispatcher);
        var path = $"incidents?station={staff.Station.Value}&status=open&pageSize=100";
        using var first = await board.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;

        requests.Start();
        for (var poll = 0; poll < 4; poll++)
        {
            stack.Clock.Advance(Duration.FromSeconds(1));
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.IfNoneMatch.Add(etag);
            using var response = await board.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        }

        var seen = requests.Stop();
        // Four polls, four point reads of the station's _version row (Table service REST: GET of one entity), no write.
        Assert.Equal(Enumerable.Repeat($"GET {staff.Station.Value}/_version", 4), seen);
    }

    [Fact]
    public async Task Unchanged_polls_are_on_record_as_one_summary_per_person_station_and_hour()
    {
        var board = staff.As(staff.Dispatcher);
        var path = $"incidents?station={staff.Station.Value}&status=open";
        stack.Clock.Advance(Duration.FromMinutes(1)); // 08:01
        using var first = await board.GetAsync(path);
        for (var poll = 0; poll < 3; poll++)
        {
            stack.Clock.Advance(Duration.FromSeconds(2));
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
            using var _ = await board.SendAsync(request);
        }

        // The hour ends (09:00); the next request of anyone starts the summary's write.
        stack.Clock.Advance(Duration.FromHours(1));
        using var next = await staff.As(staff.Chief).GetAsync("me");
        var auditor = stack.ClientAs(new Person("qian.li", "Qian Li"), GlobalRole.Auditor);
        List<System.Text.Json.Nodes.JsonNode?> polls = [];
        await Wait.UntilAsync(async () =>
        {
            polls = [.. (await Api.GetAsync(auditor, $"audit?station={staff.Station.Value}&from=2026-11-26&to=2026-11-27"))["items"]!.AsArray()
                .Where(r => r!["function"]!.GetValue<string>() == "ListIncidents")];
            return polls.Count == 2;
        }, "the hour's summary of the polls");

        // The 200 that showed the list, and one summary of the three 304s after it: 08:01:02, 08:01:04, 08:01:06 (hand count).
        Assert.Equal([304, 200], polls.Select(r => r!["outcome"]!.GetValue<int>()));
        Assert.Equal("3 unchanged poll(s) answered 304 (list status=open), the first at 08:01:02Z, the last at 08:01:06Z", polls[0]!["change"]!.GetValue<string>());
        Assert.Equal(3, polls[0]!["count"]!.GetValue<int>());
        Assert.Equal(staff.Dispatcher.Subject, polls[0]!["actor"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_removal_made_elsewhere_takes_effect_within_five_seconds_and_one_made_here_at_once()
    {
        var path = $"incidents?station={staff.Station.Value}";
        var dispatcher = staff.As(staff.Dispatcher);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.GetAsync(path)).StatusCode); // memberships read at 08:00:00

        // Another instance of the app removes the dispatcher: straight to storage, past this instance's memory.
        var elsewhere = new TableRosterStore(stack.Service<DispatchTable>(), stack.Service<TableIncidentStore>());
        Assert.True(await elsewhere.RemoveAsync(staff.Station, staff.Dispatcher.Subject, Seed(staff.Station), CancellationToken.None));

        stack.Clock.Advance(Duration.FromMilliseconds(4_999));
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.GetAsync(path)).StatusCode);
        stack.Clock.Advance(Duration.FromMilliseconds(1)); // 5 s after the read
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.GetAsync(path)).StatusCode);

        // Through this instance (the roster API), the officer's removal holds on the very next request.
        var officer = staff.As(staff.Officer);
        Assert.Equal(HttpStatusCode.OK, (await officer.GetAsync(path)).StatusCode);
        using var removed = await staff.As(staff.Chief).DeleteAsync($"stations/{staff.Station.Value}/roster/{staff.Officer.Subject}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task A_dispatch_sees_an_officers_removal_made_elsewhere_within_five_seconds()
    {
        var dispatcher = staff.As(staff.Dispatcher);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await ApiHost.ReportAsync(dispatcher, ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>());
        }

        var officer = new { unit = "patrol-1", officer = staff.Officer.Subject };
        await Api.PostAsync(dispatcher, $"incidents/{ids[0]}/dispatch", officer); // the officer's line read at 08:00:00
        var elsewhere = new TableRosterStore(stack.Service<DispatchTable>(), stack.Service<TableIncidentStore>());
        Assert.True(await elsewhere.RemoveAsync(staff.Station, staff.Officer.Subject, Seed(staff.Station), CancellationToken.None));

        stack.Clock.Advance(Duration.FromMilliseconds(4_999));
        await Api.PostAsync(dispatcher, $"incidents/{ids[1]}/dispatch", officer);
        stack.Clock.Advance(Duration.FromMilliseconds(1));
        using var refused = await dispatcher.PostAsJsonAsync($"incidents/{ids[2]}/dispatch", officer);
        await Api.AssertProblemAsync(refused, (HttpStatusCode)422, "officer");
    }

    [Fact]
    public async Task A_remembered_token_still_expires_on_time_and_a_changed_one_is_checked_afresh()
    {
        var token = stack.Tokens.Mint(staff.Dispatcher, [], stack.Clock.GetCurrentInstant(), Duration.FromMinutes(10));
        using var client = new HttpClient { BaseAddress = stack.BaseAddress };
        async Task<HttpStatusCode> MeAsync(string bearer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await MeAsync(token));
        // One character of the signature changed: another token, refused, though the real one was just accepted.
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1]));
        // Valid while now - 30 s of allowed skew < expiry (TokenValidator): 08:10:29.999 yes, 08:10:30 no.
        stack.Clock.Advance(Duration.FromMinutes(10) + Duration.FromMilliseconds(29_999));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(token));
        stack.Clock.Advance(Duration.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(token));
    }

    private AuditRecord Seed(StationId station) =>
        new ApiCall(new Caller(Person.System("test-elsewhere"), new HashSet<GlobalRole>(), []), new RequestInfo(Guid.NewGuid().ToString("N"), "TestElsewhere", null, "test"), stack.Clock.GetCurrentInstant())
        {
            Station = station,
        }.Record(AuditOutcome.Removed);

    /// <summary>Notes each storage request the app sends, as "METHOD partition/row" for a point read, while started.</summary>
    private sealed class StorageRequests : HttpPipelineSynchronousPolicy
    {
        private ConcurrentQueue<string>? seen;

        public void Start() => seen = new ConcurrentQueue<string>();

        public List<string> Stop()
        {
            var list = seen!.ToList();
            seen = null;
            return list;
        }

        public override void OnSendingRequest(HttpMessage message)
        {
            var path = Uri.UnescapeDataString(message.Request.Uri.Path);
            var key = System.Text.RegularExpressions.Regex.Match(path, @"\(PartitionKey='([^']*)',RowKey='([^']*)'\)");
            seen?.Enqueue($"{message.Request.Method} {(key.Success ? $"{key.Groups[1].Value}/{key.Groups[2].Value}" : path)}");
        }
    }
}
