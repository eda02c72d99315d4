using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class StartupAndOutageTests(Azurite azurite)
{
    [Fact]
    public async Task Storage_that_does_not_answer_gives_503_with_retry_after_not_a_hang()
    {
        var deadPort = Azurite.FreePort();
        var connection = azurite.ConnectionString.Replace($":{azurite.Port}/", $":{deadPort}/", StringComparison.Ordinal);
        await using var stack = await ApiHost.StartAsync(connection);

        using var health = await stack.Client.GetAsync("health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.NotNull(health.Headers.RetryAfter);

        using var report = await stack.Client.PostAsJsonAsync("incidents", ApiHost.Report(ApiHost.NewStation()));
        await IncidentApiTests.AssertProblemAsync(report, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(report.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_bad_policy_stops_the_app_at_start_naming_the_field()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, PolicyJson.Replace("\"PT5M\"", "\"five minutes\"", StringComparison.Ordinal));
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
            await File.WriteAllTextAsync(file, PolicyJson);
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

            await File.WriteAllTextAsync(file, PolicyJson.Replace("\"test-1\"", "\"test-2\"", StringComparison.Ordinal).Replace("\"PT5M\"", "\"PT1M\"", StringComparison.Ordinal));
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
        await using (var inline = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = PolicyJson }))
        {
            var created = await inline.ReportAsync(ApiHost.Report(ApiHost.NewStation(), "P1", "rural"));
            Assert.Equal("test-1", created["policyVersion"]!.GetValue<string>());
        }

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_POLICY"] = PolicyJson.Replace("\"rural\": 4", "\"rural\": -1", StringComparison.Ordinal) }));
        Assert.Contains("zones.rural", failure.Message, StringComparison.Ordinal);
    }

    private const string PolicyJson = """
        { "version": "test-1",
          "timeZone": "Asia/Shanghai",
          "priorities": {
            "P1": { "dispatch": "PT1M", "arrival": "PT5M", "resolution": "PT2H" },
            "P2": { "dispatch": "PT3M", "arrival": "PT10M", "resolution": "PT8H" },
            "P3": { "dispatch": "PT15M", "arrival": "PT30M", "resolution": "P3D" },
            "P4": { "dispatch": "PT1H", "arrival": "PT24H", "resolution": "P7D" } },
          "zones": { "urban": 1, "suburban": 2, "rural": 4 },
          "warnAt": [0.5, 0.75],
          "escalation": [ { "level": 1, "after": "PT0S", "to": "duty-officer" },
                          { "level": 2, "after": "PT2M", "to": "chief" } ],
          "immediate": { "categories": ["homicide"], "to": "chief" } }
        """;
}
