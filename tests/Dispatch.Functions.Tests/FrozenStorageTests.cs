using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Functions.Timers;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Storage that hangs rather than refuses: an Azurite of the test's own, frozen with SIGSTOP (no other test
/// shares it). The budgets must answer for it, within seconds, not the client's 10-second network timeouts.
/// </summary>
public sealed class FrozenStorageTests : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>Scheduling on a loaded 2-core machine; far below the 30 s the retries took before budgets.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2.5);

    private AzuriteProcess azurite = null!;
    private ApiHost stack = null!;

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(RepoRoot.Path, Ports.Free(), dataDirectory: null, TimeSpan.FromSeconds(30));
        stack = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["DISPATCH_REQUEST_BUDGET"] = "PT2S",
            ["DISPATCH_SWEEP_BUDGET"] = "PT2S",
        });
    }

    public async Task DisposeAsync()
    {
        await Signal("CONT");
        await stack.DisposeAsync();
        await azurite.DisposeAsync();
    }

    [Fact]
    public async Task A_report_while_storage_is_frozen_is_a_503_within_the_budget_and_its_retry_stores_the_incident_once()
    {
        var staff = await stack.StaffAsync(ApiHost.NewStation());
        var dispatcher = staff.As(staff.Dispatcher);
        await ApiHost.ReportAsync(dispatcher, ApiHost.Report(staff.Station.Value)); // everything warm: tables made, connections open

        await Signal("STOP");
        var stopwatch = Stopwatch.StartNew();
        using var frozen = await dispatcher.SendAsync(Report(staff.Station.Value, "call-0412"));
        var elapsed = stopwatch.Elapsed;
        await Signal("CONT");
        using var retried = await dispatcher.SendAsync(Report(staff.Station.Value, "call-0412"));
        var listed = await Api.GetAsync(dispatcher, $"incidents?station={staff.Station.Value}");

        await Api.AssertProblemAsync(frozen, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("5", frozen.Headers.RetryAfter?.ToString());
        Assert.InRange(elapsed, Budget - TimeSpan.FromMilliseconds(100), Budget + Slack);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(2, listed["items"]!.AsArray().Count); // the warm-up and the retried report, once
    }

    [Fact]
    public async Task Health_answers_503_within_two_seconds_while_storage_is_frozen()
    {
        await Signal("STOP");
        var stopwatch = Stopwatch.StartNew();
        using var health = await stack.Anonymous.GetAsync("health");
        var elapsed = stopwatch.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2) + Slack);
    }

    [Fact]
    public async Task A_sweep_while_storage_is_frozen_gives_up_at_its_budget_and_the_next_one_does_the_work()
    {
        var staff = await stack.StaffAsync(ApiHost.NewStation());
        var created = await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value));
        stack.Clock.Advance(NodaTime.Duration.FromMinutes(2)); // the P1 dispatch deadline (1 minute) has passed
        var sweep = ActivatorUtilities.CreateInstance<SweepFunction>(stack.App.Services);

        await Signal("STOP");
        var stopwatch = Stopwatch.StartNew();
        await sweep.Run(new TimerInfo(), CancellationToken.None);
        var elapsed = stopwatch.Elapsed;
        await Signal("CONT");
        await sweep.Run(new TimerInfo(), CancellationToken.None);
        var incident = await Api.GetAsync(staff.As(staff.Dispatcher), $"incidents/{created["id"]!.GetValue<string>()}");

        Assert.InRange(elapsed, Budget - TimeSpan.FromMilliseconds(100), Budget + Slack);
        Assert.True(incident["clocks"]!["dispatch"]!["level"]!.GetValue<int>() >= 1, "the sweep after the thaw escalated the breach");
    }

    private static HttpRequestMessage Report(string station, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report(station)) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private async Task Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", $"{azurite.ProcessId}"])!;
        await kill.WaitForExitAsync();
    }
}
