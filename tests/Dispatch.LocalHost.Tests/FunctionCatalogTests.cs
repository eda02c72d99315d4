using Dispatch.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Dispatch.LocalHost.Tests;

public sealed class FunctionCatalogTests
{
    private static IConfiguration Settings(string schedule = "*/5 * * * * *", string? reportSchedule = "0 * * * * *") =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DISPATCH_SWEEP_SCHEDULE"] = schedule,
            ["DISPATCH_REPORT_SCHEDULE"] = reportSchedule,
        }).Build();

    [Fact]
    public void Serves_exactly_what_the_functions_sdk_wrote_into_functions_metadata()
    {
        var metadata = BuiltFunctions.Metadata();

        var (http, timers) = FunctionCatalog.Discover(Settings());

        var expectedHttp = metadata
            .Where(f => f.Trigger["type"]!.GetValue<string>() == "httpTrigger")
            .Select(f => $"{f.Name} {string.Join(",", f.Trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToUpperInvariant()))} {f.Trigger["route"]} {f.Trigger["authLevel"]}")
            .Order();
        Assert.Equal(expectedHttp, http.Select(f => $"{f.Name} {string.Join(",", f.Methods)} {f.Route} {f.Level}").Order());
        var expectedTimers = metadata.Where(f => f.Trigger["type"]!.GetValue<string>() == "timerTrigger").Select(f => f.Name);
        Assert.Equal(expectedTimers.Order(), timers.Select(t => t.Name).Order());
    }

    [Fact]
    public void Timer_schedules_resolve_percent_settings_and_a_missing_setting_is_named()
    {
        var (_, timers) = FunctionCatalog.Discover(Settings("*/2 * * * * *"));
        Assert.Equal("*/2 * * * * *", Assert.Single(timers, t => t.Name == "Sweep").Schedule);
        Assert.Equal("0 * * * * *", Assert.Single(timers, t => t.Name == "ShiftReport").Schedule);

        var error = Assert.Throws<InvalidOperationException>(() => FunctionCatalog.Discover(Settings(reportSchedule: null)));
        Assert.Contains("DISPATCH_REPORT_SCHEDULE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_http_function_is_anonymous_at_the_host_because_the_app_itself_decides_who_is_calling()
    {
        var (http, _) = FunctionCatalog.Discover(Settings());

        // Function keys identify nobody; the request pipeline authenticates every function not marked [Anonymous].
        Assert.All(http, f => Assert.Equal(AuthorizationLevel.Anonymous, f.Level));
        Assert.Equal(["Board", "BoardAsset", "Health", "NoSuchRoute"], http.Where(f => f.Anonymous).Select(f => f.Name).Order());
        Assert.All(http, f => Assert.Equal(Attribute.IsDefined(f.Method, typeof(Dispatch.Functions.Identity.AnonymousAttribute)), f.Anonymous));
    }
}
