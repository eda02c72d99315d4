using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class StartupAndOutageTests(Azurite azurite)
{
    [Fact]
    public async Task Storage_that_refuses_connections_gives_503_with_retry_after()
    {
        var deadPort = Azurite.FreePort();
        var connection = azurite.ConnectionString.Replace($":{azurite.Port}/", $":{deadPort}/", StringComparison.Ordinal);
        await using var stack = await ApiHost.StartAsync(connection);

        using var health = await stack.Anonymous.GetAsync("health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.NotNull(health.Headers.RetryAfter);

        using var report = await stack.Client.PostAsJsonAsync("incidents", ApiHost.Report(ApiHost.NewStation()));
        await Api.AssertProblemAsync(report, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(report.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("Production", null, null, true, "DISPATCH_AUTH_AUTHORITY and DISPATCH_AUTH_AUDIENCE must be set")]
    [InlineData("Production", "https://login.microsoftonline.com/tenant/v2.0", "api://dispatch", true, "DISPATCH_AUTH_LOCAL_KEY_FILE is set")]
    [InlineData("Production", "dispatch-local", "api://dispatch", false, "DISPATCH_AUTH_AUTHORITY must be an https:// URL")]
    [InlineData("Production", "https://login.microsoftonline.com/tenant/v2.0", null, false, "DISPATCH_AUTH_AUDIENCE must be set")]
    [InlineData("Development", null, null, false, "No token issuer is configured")]
    public async Task A_start_that_cannot_tell_who_is_calling_or_would_accept_the_local_issuer_in_production_stops_naming_the_setting(
        string environment, string? authority, string? audience, bool localKey, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = environment,
            ["DISPATCH_AUTH_AUTHORITY"] = authority,
            ["DISPATCH_AUTH_AUDIENCE"] = audience,
        };
        if (!localKey)
        {
            settings["DISPATCH_AUTH_LOCAL_KEY_FILE"] = null;
        }

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => ApiHost.StartAsync(azurite.ConnectionString, settings));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DISPATCH_REQUEST_BUDGET", "five seconds", "DISPATCH_REQUEST_BUDGET must be an ISO-8601 duration such as PT5S, not 'five seconds'.")]
    [InlineData("DISPATCH_REQUEST_BUDGET", "PT0S", "DISPATCH_REQUEST_BUDGET must be more than PT0S and at most PT3M, not 'PT0S'.")]
    [InlineData("DISPATCH_SWEEP_BUDGET", "PT1H", "DISPATCH_SWEEP_BUDGET must be more than PT0S and at most PT10M, not 'PT1H'.")]
    [InlineData("DISPATCH_INDEX_SHARDS", "9", "DISPATCH_INDEX_SHARDS must be from 1 to 8, not 9.")]
    [InlineData("DISPATCH_TABLE", "incidents-2026", "DISPATCH_TABLE must be a table name")]
    public async Task A_bad_budget_shard_count_or_table_name_stops_the_app_at_start_naming_the_setting(string setting, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { [setting] = value }));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_policy_stops_the_app_at_start_naming_the_field()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, TestPolicies.Json.Replace("\"PT5M\"", "\"five minutes\"", StringComparison.Ordinal));
            var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
                ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY_FILE"] = file }));
            Assert.Contains("priorities.P1.arrival", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_missing_policy_file_stops_the_app_at_start_naming_the_setting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY_FILE"] = "/nonexistent/policy.json" }));
        Assert.Contains("DISPATCH_POLICY_FILE", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_incident_keeps_the_policy_it_started_under_when_the_policy_changes()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, TestPolicies.Json);
            var table = "t" + Guid.NewGuid().ToString("N");
            string id;
            await using (var before = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY_FILE"] = file, ["DISPATCH_TABLE"] = table }))
            {
                var created = await before.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", "rural"));
                id = created["id"]!.GetValue<string>();
                Assert.Equal("test-1", created["policyVersion"]!.GetValue<string>());
                // 5 minutes base, times 4 for rural in this policy.
                Assert.Equal("PT20M", created["clocks"]!["arrival"]!["target"]!.GetValue<string>());
            }

            await File.WriteAllTextAsync(file, TestPolicies.Json.Replace("\"test-1\"", "\"test-2\"", StringComparison.Ordinal).Replace("\"PT5M\"", "\"PT1M\"", StringComparison.Ordinal));
            await using var after = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY_FILE"] = file, ["DISPATCH_TABLE"] = table });
            using var response = await after.Client.GetAsync($"incidents/{id}");
            var incident = (await ApiHost.ReadJsonAsync(response))!;
            Assert.Equal("test-1", incident["policyVersion"]!.GetValue<string>());
            Assert.Equal("PT20M", incident["clocks"]!["arrival"]!["target"]!.GetValue<string>());
            var fresh = await after.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", "rural"));
            Assert.Equal("PT4M", fresh["clocks"]!["arrival"]!["target"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_policy_given_inline_in_DISPATCH_POLICY_is_used_and_validated()
    {
        await using (var inline = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = TestPolicies.Json }))
        {
            var created = await inline.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", "rural"));
            Assert.Equal("test-1", created["policyVersion"]!.GetValue<string>());
        }

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = TestPolicies.Json.Replace("\"rural\": 4", "\"rural\": -1", StringComparison.Ordinal) }));
        Assert.Contains("zones.rural", failure.Message, StringComparison.Ordinal);
    }
}
