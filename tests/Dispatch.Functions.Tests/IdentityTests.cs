using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Functions.Identity;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>Every request is a verified person's, under the local host exactly as under the Functions host.</summary>
[Collection(SharedAzurite.Name)]
public sealed class IdentityTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Every_http_function_refuses_a_caller_without_a_token_except_the_anonymous_ones()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(LocalFunctionsHost.Defaults).Build();
        var (functions, _) = FunctionCatalog.Discover(configuration);
        var anonymous = functions.Where(f => Attribute.IsDefined(f.Method, typeof(AnonymousAttribute))).Select(f => f.Name).Order().ToList();

        Assert.Equal(["Board", "BoardAsset", "Health", "NoSuchRoute"], anonymous); // the board's static files hold no data
        foreach (var function in functions.Where(f => !anonymous.Contains(f.Name)))
        {
            var path = function.Route.Replace("{station}", staff.Station.Value, StringComparison.Ordinal)
                .Replace("{subject}", "someone", StringComparison.Ordinal)
                .Replace("{id}", $"{staff.Station.Value}.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D", StringComparison.Ordinal);
            foreach (var method in function.Methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };
                using var response = await stack.Anonymous.SendAsync(request);

                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{function.Name} {method} {path}: {(int)response.StatusCode}");
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
            }
        }
    }

    [Fact]
    public async Task The_boards_anonymous_files_carry_no_data_and_a_strict_content_security_policy()
    {
        using var page = await stack.Anonymous.GetAsync("board");
        using var config = await stack.Anonymous.GetAsync("board/config.json");
        using var missing = await stack.Anonymous.GetAsync("board/secrets.txt");
        using var slashed = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }).GetAsync(new Uri(stack.BaseAddress, "board/?wall=1"));
        var body = await config.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("default-src 'self'; script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        // The policy's pause reasons (issue 28) are the policy's words, not anyone's data.
        Assert.Equal("{\"clientId\":null,\"authority\":null,\"scope\":null,\"timeZone\":\"Asia/Shanghai\",\"dayStartsAt\":\"08:00\",\"language\":\"zh-CN\",\"pauseReasons\":[\"reporter-unreachable\",\"road-closed\",\"scene-unsafe\",\"awaiting-specialist\"]}", body);
        await Api.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        // The page's links are relative to /api/board: its address with a slash at the end is sent there.
        Assert.Equal((HttpStatusCode.PermanentRedirect, "/api/board?wall=1"), (slashed.StatusCode, slashed.Headers.Location?.ToString()));
    }

    public static TheoryData<string> BadTokens => ["alg-none", "tampered", "expired", "not-yet-valid", "wrong-issuer", "wrong-audience", "other-key", "not-a-jwt"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_401_invalid_token_never_echoed_and_audited(string kind)
    {
        var token = BadToken(kind);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"incidents?station={staff.Station.Value}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await stack.Anonymous.SendAsync(request);

        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, problem.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var audit = await AuditOfAsync(subject: "anonymous");
        Assert.Contains(audit, r => r["function"]!.GetValue<string>() == "ListIncidents" && r["outcome"]!.GetValue<int>() == 401);
    }

    [Fact]
    public async Task A_basic_header_is_401_and_a_token_for_nobody_on_the_roster_reads_nothing()
    {
        using var basic = new HttpRequestMessage(HttpMethod.Get, "me");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("chief:password")));
        using var refused = await stack.Anonymous.SendAsync(basic);
        await Api.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);

        var stranger = stack.ClientAs("stranger");
        var me = await Api.GetAsync(stranger, "me");
        using var list = await stranger.GetAsync($"incidents?station={staff.Station.Value}");

        Assert.Equal("stranger", me["person"]!["id"]!.GetValue<string>());
        Assert.Empty(me["memberships"]!.AsArray());
        await Api.AssertProblemAsync(list, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Another_stations_incident_is_404_for_reads_and_writes_and_nothing_is_written()
    {
        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        var other = await stack.StaffAsync(ApiHost.NewStation());
        var outsiderChief = other.As(other.Chief);
        var before = (await Api.RowsAsync(stack, staff.Station.Value)).Where(r => !r.RowKey.StartsWith("audit|", StringComparison.Ordinal)).Select(r => (r.RowKey, r.ETag)).ToList();

        using var read = await outsiderChief.GetAsync($"incidents/{id}");
        using var timeline = await outsiderChief.GetAsync($"incidents/{id}/timeline");
        using var cancel = await outsiderChief.PostAsJsonAsync($"incidents/{id}/cancel", new { reason = "not mine" });
        using var dispatch = await outsiderChief.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "u", officer = other.Officer.Subject });

        foreach (var response in new[] { read, timeline, cancel, dispatch })
        {
            var problem = await Api.AssertProblemAsync(response, HttpStatusCode.NotFound);
            Assert.Contains("does not exist", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var after = (await Api.RowsAsync(stack, staff.Station.Value)).Where(r => !r.RowKey.StartsWith("audit|", StringComparison.Ordinal)).Select(r => (r.RowKey, r.ETag)).ToList();
        Assert.Equal(before, after);
        Assert.Equal(4, (await AuditOfAsync(station: staff.Station.Value)).Count(r => r["outcome"]!.GetValue<int>() == 404 && r["actor"]!["id"]!.GetValue<string>() == other.Chief.Subject));
    }

    [Fact]
    public async Task A_role_that_may_not_call_a_function_is_403_with_problem_json()
    {
        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();

        using var officerReports = await staff.As(staff.Officer).PostAsJsonAsync("incidents", ApiHost.Report(staff.Station.Value));
        using var dispatcherCloses = await staff.As(staff.Dispatcher).PostAsync($"incidents/{id}/close", null);
        using var chiefReadsAudit = await staff.As(staff.Chief).GetAsync($"audit?station={staff.Station.Value}");

        await Api.AssertProblemAsync(officerReports, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(dispatcherCloses, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(chiefReadsAudit, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Entra_tokens_from_the_authoritys_metadata_are_accepted_with_their_app_roles()
    {
        await using var authority = await OidcAuthority.StartAsync();
        await using var entra = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["DISPATCH_AUTH_AUTHORITY"] = authority.Issuer,
            ["DISPATCH_AUTH_AUDIENCE"] = "api://dispatch",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = null,
        });
        var now = entra.Clock.GetCurrentInstant().ToDateTimeUtc();
        var oid = "6f0c2b1e-1d4f-4c8a-9a55-1b2c3d4e5f60";

        using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(ApiHost.NewStation())) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", authority.Issue("api://dispatch", oid, "Liu Yang", now, "command-center"));
        using var created = await entra.Anonymous.SendAsync(request);
        using var wrongAudience = new HttpRequestMessage(HttpMethod.Get, "me");
        wrongAudience.Headers.Authorization = new AuthenticationHeaderValue("Bearer", authority.Issue("api://other", oid, "Liu Yang", now));
        using var refused = await entra.Anonymous.SendAsync(wrongAudience);
        using var local = new HttpRequestMessage(HttpMethod.Get, "me");
        local.Headers.Authorization = new AuthenticationHeaderValue("Bearer", stack.Tokens.Mint(new Person("x", "x"), [], entra.Clock.GetCurrentInstant(), Duration.FromHours(1)));
        using var localRefused = await entra.Anonymous.SendAsync(local);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await ApiHost.ReadJsonAsync(created))!;
        Assert.Equal((oid, "Liu Yang"), (body["reportedBy"]!["id"]!.GetValue<string>(), body["reportedBy"]!["name"]!.GetValue<string>()));
        await Api.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
        await Api.AssertProblemAsync(localRefused, HttpStatusCode.Unauthorized);
    }

    private string BadToken(string kind)
    {
        var now = stack.Clock.GetCurrentInstant();
        var person = staff.Chief;
        var good = stack.Tokens.Mint(person, [], now, Duration.FromHours(1));
        var handler = new JsonWebTokenHandler();
        string Signed(string issuer, string audience, DateTime notBefore, DateTime expires, SecurityKey key) => handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = person.Subject, ["name"] = person.Name },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        var utc = now.ToDateTimeUtc();
        return kind switch
        {
            "alg-none" => handler.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = LocalTokens.Issuer,
                Audience = LocalTokens.Audience,
                Expires = utc.AddHours(1),
                Claims = new Dictionary<string, object> { ["sub"] = person.Subject },
            }),
            "tampered" => Tamper(good),
            "expired" => Signed(LocalTokens.Issuer, LocalTokens.Audience, utc.AddHours(-3), utc.AddHours(-2), stack.Tokens.Key),
            "not-yet-valid" => Signed(LocalTokens.Issuer, LocalTokens.Audience, utc.AddHours(2), utc.AddHours(3), stack.Tokens.Key),
            "wrong-issuer" => Signed("someone-else", LocalTokens.Audience, utc, utc.AddHours(1), stack.Tokens.Key),
            "wrong-audience" => Signed(LocalTokens.Issuer, "another-api", utc, utc.AddHours(1), stack.Tokens.Key),
            "other-key" => Signed(LocalTokens.Issuer, LocalTokens.Audience, utc, utc.AddHours(1), new SymmetricSecurityKey(new byte[32]) { KeyId = "local" }),
            _ => "this.is.not-a-jwt",
        };
    }

    /// <summary>The same token with its payload changed to name another person: the signature no longer matches.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("chief.", "dispatcher.", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }

    private async Task<List<System.Text.Json.Nodes.JsonNode>> AuditOfAsync(string? station = null, string? subject = null)
    {
        var auditor = stack.ClientAs(new Person("auditor.test", "Auditor"), GlobalRole.Auditor);
        var query = station is not null ? $"station={station}" : $"subject={subject}";
        var page = await Api.GetAsync(auditor, $"audit?{query}&from=2026-11-01&to=2026-12-31");
        return [.. page["items"]!.AsArray().Select(r => r!)];
    }
}
