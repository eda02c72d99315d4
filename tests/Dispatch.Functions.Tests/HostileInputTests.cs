using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Azure.Data.Tables;
using Dispatch.Core.Identity;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The weaker spots an adversarial pass found (issue 23, §3), each with the request that showed it. Every test
/// here failed on the code before the fix (each was run against it); what each expects comes from the README's
/// promises (problem+json naming the field, 404 for what is not there, relative links), not from the code.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class HostileInputTests(Azurite azurite) : IAsyncLifetime
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

    private HttpClient Auditor => stack.ClientAs("auditor.hostile", GlobalRole.Auditor);

    [Fact]
    public async Task An_audit_range_reaching_back_before_1970_returns_what_the_trail_holds_and_years_it_cannot_serve_are_a_400()
    {
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(Station));
        var subject = staff.Dispatcher.Subject;

        var recent = await Api.GetAsync(Auditor, $"audit?subject={subject}&from=2026-11-01&to=2027-01-01");
        var from1969 = await Api.GetAsync(Auditor, $"audit?subject={subject}&from=1969-12-31&to=2027-01-01");
        var fromYear1 = await Api.GetAsync(Auditor, $"audit?subject={subject}&from=0001-01-01&to=2027-01-01");
        var stationFromYear1 = await Api.GetAsync(Auditor, $"audit?station={Station}&from=0001-01-01T00:00:00Z&to=2027-01-01");
        using var year0 = await Auditor.GetAsync($"audit?subject={subject}&from=0000-06-01");

        // "Everything" holds at least what the last weeks hold: the intake of this test.
        var expected = recent["items"]!.AsArray().Count;
        Assert.True(expected >= 1);
        Assert.Equal(expected, from1969["items"]!.AsArray().Count);
        Assert.Equal(expected, fromYear1["items"]!.AsArray().Count);
        Assert.Contains(stationFromYear1["items"]!.AsArray(), r => r!["actor"]!["id"]!.GetValue<string>() == subject);
        await Api.AssertProblemAsync(year0, HttpStatusCode.BadRequest, "from");
    }

    public static TheoryData<string, string> NotUtf8 => new()
    {
        { "stray 0xFF 0xFE", "the\\xff\\xfeft" },
        { "overlong '<'", "a\\xc0\\xbcb" },
        { "escaped lone surrogate", "x\\\\ud800y" },
        { "escaped low surrogate first", "\\\\udc00\\\\ud800" },
    };

    [Theory]
    [MemberData(nameof(NotUtf8))]
    public async Task Text_that_is_not_utf8_is_a_400_naming_the_field_on_every_body(string what, string text)
    {
        var reported = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(Station)))["id"]!.GetValue<string>();
        var intakeStation = ApiHost.NewStation();
        var bodies = new (string Method, string Path, HttpClient As, string Json, string Field)[]
        {
            ("POST", "incidents", stack.Client, ApiHost.Report(intakeStation).ToJsonString().Replace("\"theft\"", "\"@@\"", StringComparison.Ordinal), "category"),
            ("PUT", $"stations/{Station}/roster/new.person", staff.As(staff.Chief), """{"name":"@@","role":"officer"}""", "name"),
            ("POST", $"incidents/{reported}/cancel", staff.As(staff.Dispatcher), """{"reason":"@@"}""", "reason"),
            ("POST", $"incidents/{reported}/dispatch", staff.As(staff.Dispatcher), """{"unit":"@@","officer":"x"}""", "unit"),
            ("POST", $"incidents/{reported}/acknowledge", staff.As(staff.Chief), """{"level":1,"@@":2}""", "$"),
        };

        foreach (var (method, path, client, json, field) in bodies)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(Bytes(json, text)) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.SendAsync(request);
            var problem = await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
            Assert.Contains("UTF-8", problem["errors"]![field]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        await Api.AssertNoIncidentWrittenAsync(stack, intakeStation);
        Assert.Equal("reported", (await Api.GetAsync(stack.Client, $"incidents/{reported}"))["status"]!.GetValue<string>());
        Assert.DoesNotContain((await Api.GetAsync(staff.As(staff.Chief), $"stations/{Station}/roster"))["members"]!.AsArray(),
            m => m!["id"]!.GetValue<string>() == "new.person");
        Assert.NotNull(what);
    }

    [Theory]
    [InlineData("response-times", "9999-12-30", "9999-12-31", "to")]
    [InlineData("ranking", "9999-12-31", "9999-12-31", "from")]
    [InlineData("breaches", "9999-12-29", "9999-12-31", "to")]
    public async Task Report_days_the_calendar_cannot_end_are_a_400_naming_the_field(string report, string from, string to, string field)
    {
        using var response = await stack.Client.GetAsync($"reports/{report}?station=all&from={from}&to={to}");
        using var earliest = await stack.Client.GetAsync($"reports/{report}?station=all&from=0001-01-01&to=0001-01-05");

        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(HttpStatusCode.OK, earliest.StatusCode); // served: there is simply nothing then
    }

    [Fact]
    public async Task The_roster_tells_nothing_to_someone_who_may_not_change_it_and_an_absent_member_is_404()
    {
        var outsider = stack.ClientAs("on.no.roster");
        var officer = staff.As(staff.Officer);

        using var outsiderPresent = await outsider.DeleteAsync($"stations/{Station}/roster/{staff.Dispatcher.Subject}");
        using var outsiderAbsent = await outsider.DeleteAsync($"stations/{Station}/roster/ghost.x");
        using var officerAbsent = await officer.DeleteAsync($"stations/{Station}/roster/ghost.x");
        using var outsiderPut = await outsider.PutAsJsonAsync($"stations/{Station}/roster/ghost.x", new { name = "Ghost", role = "officer" });
        using var chiefAbsent = await staff.As(staff.Chief).DeleteAsync($"stations/{Station}/roster/ghost.x");
        using var adminAbsent = await stack.ClientAs("admin.hostile", GlobalRole.Admin).DeleteAsync($"stations/{Station}/roster/ghost.x");

        var refusals = new[] { outsiderPresent, outsiderAbsent, officerAbsent, outsiderPut };
        var details = new List<string>();
        foreach (var refusal in refusals)
        {
            details.Add((await Api.AssertProblemAsync(refusal, HttpStatusCode.Forbidden))["detail"]!.GetValue<string>());
        }

        Assert.Single(details.Distinct()); // the same words whether the person is there or not
        await Api.AssertProblemAsync(chiefAbsent, HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(adminAbsent, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Links_never_carry_the_requests_host_header()
    {
        var dispatcher = staff.As(staff.Dispatcher);
        await ApiHost.ReportAsync(dispatcher, ApiHost.Report(Station));
        using var report = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(Station)) };
        report.Headers.Host = "evil.example";
        using var created = await dispatcher.SendAsync(report);
        using var list = new HttpRequestMessage(HttpMethod.Get, $"incidents?station={Station}&pageSize=1");
        list.Headers.Host = "evil.example";
        using var listed = await dispatcher.SendAsync(list);
        var next = (await ApiHost.ReadJsonAsync(listed))!["next"]!.GetValue<string>();
        using var followed = await dispatcher.GetAsync(new Uri(stack.BaseAddress, next));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("/api/incidents/", created.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.StartsWith("/api/incidents?", next, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", created.Headers.Location.OriginalString + next, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("Anonymous")]
    [InlineData("system:sweep")]
    [InlineData("SYSTEM:relay")]
    public async Task Reserved_names_are_never_people_in_a_token_on_a_roster_or_in_a_dispatch(string subject)
    {
        var reported = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(Station)))["id"]!.GetValue<string>();

        using var token = await stack.ClientAs(new Person(subject, "Pretender"), GlobalRole.CommandCenter).GetAsync("me");
        using var byChief = await staff.As(staff.Chief).PutAsJsonAsync($"stations/{Station}/roster/{subject}", new { name = "Sweep", role = "officer", unit = "patrol-1" });
        using var byAdmin = await stack.ClientAs("admin.hostile", GlobalRole.Admin).PutAsJsonAsync($"stations/{Station}/roster/{subject}", new { name = "Sweep", role = "chief" });
        using var dispatched = await staff.As(staff.Dispatcher).PostAsJsonAsync($"incidents/{reported}/dispatch", new { unit = "patrol-1", officer = subject });

        await Api.AssertProblemAsync(token, HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(byChief, HttpStatusCode.BadRequest, "subject");
        await Api.AssertProblemAsync(byAdmin, HttpStatusCode.BadRequest, "subject");
        await Api.AssertProblemAsync(dispatched, HttpStatusCode.BadRequest, "officer");
        Assert.DoesNotContain((await Api.RowsAsync(stack, Station)).Select(r => r.RowKey), k => k.Equals($"roster|{subject}", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_dispatch_takes_the_officers_own_roster_unit_and_no_other()
    {
        var other = new Person($"zhao.{Station}", "Zhao");
        await stack.EnlistAsync(new Membership(staff.Station, other, StationRole.Officer, "patrol-5"));
        var dispatcher = staff.As(staff.Dispatcher);
        var id = (await ApiHost.ReportAsync(dispatcher, ApiHost.Report(Station)))["id"]!.GetValue<string>();

        // The issue's request: wang.lei (patrol-7 on the roster) dispatched as patrol-5 let patrol-5 arrive and resolve.
        using var wrongUnit = await dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-5", officer = staff.Officer.Subject });
        using var noUnit = await dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.DutyOfficer.Subject });
        var unchanged = await Api.GetAsync(dispatcher, $"incidents/{id}");
        await Api.PostAsync(dispatcher, $"incidents/{id}/dispatch", new { unit = "PATROL-1", officer = staff.Officer.Subject });
        using var wrongReassign = await dispatcher.PostAsJsonAsync($"incidents/{id}/reassign", new { unit = "patrol-1", officer = other.Subject });
        using var patrol5Arrives = await stack.ClientAs(other).PostAsync($"incidents/{id}/arrive", null);

        await Api.AssertProblemAsync(wrongUnit, HttpStatusCode.UnprocessableEntity, "unit");
        await Api.AssertProblemAsync(noUnit, HttpStatusCode.UnprocessableEntity, "officer");
        Assert.Equal("reported", unchanged["status"]!.GetValue<string>());
        await Api.AssertProblemAsync(wrongReassign, HttpStatusCode.UnprocessableEntity, "unit");
        await Api.AssertProblemAsync(patrol5Arrives, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Entra_accepts_a_persons_delegated_token_and_an_applications_own_only_with_the_integration_role()
    {
        await using var authority = await OidcAuthority.StartAsync();
        await using var entra = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["DISPATCH_AUTH_AUTHORITY"] = authority.Issuer,
            ["DISPATCH_AUTH_AUDIENCE"] = "api://dispatch",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = null,
        });
        var now = entra.Clock.GetCurrentInstant().ToDateTimeUtc();

        async Task<HttpResponseMessage> MeAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await entra.Anonymous.SendAsync(request);
        }

        using var person = await MeAsync(authority.Issue("api://dispatch", "6f0c2b1e-1d4f-4c8a-9a55-1b2c3d4e5f60", "Liu Yang", now));
        using var anyApp = await MeAsync(authority.IssueAppOnly("api://dispatch", "0b7e2c7a-0000-4000-8000-00000000a001", now));
        using var appWithOtherRoles = await MeAsync(authority.IssueAppOnly("api://dispatch", "0b7e2c7a-0000-4000-8000-00000000a002", now, "command-center"));
        using var integration = await MeAsync(authority.IssueAppOnly("api://dispatch", "0b7e2c7a-0000-4000-8000-00000000a003", now, "integration"));

        Assert.Equal(HttpStatusCode.OK, person.StatusCode);
        await Api.AssertProblemAsync(anyApp, HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(appWithOtherRoles, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, integration.StatusCode);
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_415_and_an_empty_one_needs_none()
    {
        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(Station)))["id"]!.GetValue<string>();
        var station = ApiHost.NewStation();

        using var intake = await stack.Client.PostAsync("incidents", new ByteArrayContent(Encoding.UTF8.GetBytes(ApiHost.Report(station).ToJsonString())));
        using var roster = await staff.As(staff.Chief).PutAsync($"stations/{Station}/roster/ma.lin", new ByteArrayContent("""{"name":"Ma Lin","role":"officer"}"""u8.ToArray()));
        using var empty = await staff.As(staff.Chief).PostAsync($"incidents/{id}/acknowledge", new ByteArrayContent([]));

        var problem = await Api.AssertProblemAsync(intake, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("Content-Type", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Api.AssertProblemAsync(roster, HttpStatusCode.UnsupportedMediaType);
        await Api.AssertProblemAsync(empty, HttpStatusCode.Conflict); // read as {}: nothing is escalated yet
        await Api.AssertNoIncidentWrittenAsync(stack, station);
    }

    [Fact]
    public async Task Api_answers_are_never_cached_nor_sniffed_and_the_boards_files_keep_their_own_caching()
    {
        var answers = new List<HttpResponseMessage>
        {
            await stack.Client.GetAsync("me"),
            await stack.Client.GetAsync($"incidents?station={Station}"),
            await stack.Client.GetAsync($"incidents/{Station}.01KB0Y4M2Q8R6T1V3W5X7Z9A0C"),
            await stack.Anonymous.GetAsync("me"),
            await stack.Anonymous.GetAsync("health"),
            await stack.Anonymous.GetAsync("no/such/route"),
            await stack.Client.PostAsJsonAsync("incidents", new { station = Station }),
        };
        using var board = await stack.Anonymous.GetAsync("board/board.js");

        try
        {
            Assert.All(answers, a =>
            {
                Assert.True(a.Headers.CacheControl?.NoStore == true, $"{a.RequestMessage!.RequestUri}: Cache-Control {a.Headers.CacheControl}");
                Assert.Equal(["nosniff"], a.Headers.GetValues("X-Content-Type-Options"));
            });
            Assert.True(board.Headers.CacheControl?.NoCache == true);
            Assert.Equal(["nosniff"], board.Headers.GetValues("X-Content-Type-Options"));
        }
        finally
        {
            answers.ForEach(a => a.Dispose());
        }
    }

    [Fact]
    public async Task Refused_tokens_are_kept_as_one_counted_record_per_source_and_minute_and_a_flood_is_answered_429()
    {
        await using var limited = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_UNAUTHENTICATED_LIMIT"] = "10" });
        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 25; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"not.a.token{i}");
            using var response = await limited.Anonymous.SendAsync(request);
            statuses.Add(response.StatusCode);
            retryAfter ??= response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var rowsDuring = await RefusalRowsAsync(limited);
        limited.Clock.Advance(Duration.FromSeconds(61));
        var auditor = limited.ClientAs("auditor.limited", GlobalRole.Auditor);
        await Api.GetAsync(auditor, "me"); // any request after the minute writes its final count
        var trail = await Api.GetAsync(auditor, "audit?subject=anonymous&from=2026-11-01");

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 15)), statuses);
        Assert.InRange(int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(2, rowsDuring); // one record (its station-less row and its copy under 'anonymous') for 25 refusals, not 50 rows
        var record = Assert.Single(trail["items"]!.AsArray())!;
        Assert.Equal((25, 429, "anonymous"), (record["count"]!.GetValue<int>(), record["outcome"]!.GetValue<int>(), record["actor"]!["id"]!.GetValue<string>()));
        Assert.Equal(2, await RefusalRowsAsync(limited));
    }

    [Fact]
    public async Task A_stations_only_chief_stays_until_another_is_named()
    {
        var admin = stack.ClientAs("admin.hostile", GlobalRole.Admin);
        var roster = $"stations/{Station}/roster";

        using var removeOnly = await admin.DeleteAsync($"{roster}/{staff.Chief.Subject}");
        using var demoteOnly = await admin.PutAsJsonAsync($"{roster}/{staff.Chief.Subject}", new { name = "Chief", role = "duty-officer" });
        using var second = await admin.PutAsJsonAsync($"{roster}/deputy.chief", new { name = "Deputy", role = "chief" });
        using var removeOne = await admin.DeleteAsync($"{roster}/{staff.Chief.Subject}");
        using var removeLast = await admin.DeleteAsync($"{roster}/deputy.chief");

        var problem = await Api.AssertProblemAsync(removeOnly, HttpStatusCode.Conflict);
        Assert.Contains("only chief", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Api.AssertProblemAsync(demoteOnly, HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, removeOne.StatusCode);
        await Api.AssertProblemAsync(removeLast, HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("OPTIONS", "%2500")]
    [InlineData("PATCH", "no-such/%2500%2500")]
    public async Task Paths_the_fuzzing_pass_found_are_answered_404_not_500(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(stack.BaseAddress, path));

        using var response = await stack.Anonymous.SendAsync(request);

        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    /// <summary>JSON text with <c>@@</c> replaced by <paramref name="text"/>, where <c>\xNN</c> is a raw byte and <c>\\</c> a JSON backslash.</summary>
    private static byte[] Bytes(string json, string text)
    {
        var bytes = new List<byte>();
        var (before, after) = (json[..json.IndexOf("@@", StringComparison.Ordinal)], json[(json.IndexOf("@@", StringComparison.Ordinal) + 2)..]);
        bytes.AddRange(Encoding.UTF8.GetBytes(before));
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && text[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 2, 2), 16));
                i += 3;
            }
            else if (text[i] == '\\' && text[i + 1] == '\\')
            {
                bytes.Add((byte)'\\');
                i += 1;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(after));
        return [.. bytes];
    }

    private static async Task<int> RefusalRowsAsync(ApiHost host)
    {
        var table = host.Service<Dispatch.Functions.Storage.DispatchTable>().Client;
        var count = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"(PartitionKey eq {"_audit"} or PartitionKey eq {"auditby|anonymous"}) and Subject eq {"anonymous"}"), select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }
}
