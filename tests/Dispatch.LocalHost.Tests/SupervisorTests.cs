using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.LocalHost.Tests;

/// <summary>Faults injected into a running <c>./dispatch up</c> from outside, on its real processes.</summary>
public sealed partial class SupervisorTests
{
    [Fact]
    public async Task Azurite_killed_under_up_is_named_restarted_on_its_data_and_an_incident_reported_after_it_is_stored()
    {
        using var data = new TempDirectory();
        var (api, storage) = (Ports.Free(), Ports.Free());
        await using var up = UpProcess.Start("up", "--data", data.Path, "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{Ports.Free()}");
        await up.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
        using var http = Client(api);
        var before = await ReportAsync(http);
        // Azurite writes its tables to disk every 5 s; a hard kill of Azurite itself loses what came after its
        // last write (README, "When something fails"). So the kill comes after one.
        await Task.Delay(TimeSpan.FromSeconds(6));

        await UpProcess.Signal(AzuritePid(up), "KILL");
        await up.WaitForLineAsync($"Azurite is back on port {storage}", TimeSpan.FromSeconds(30));
        using var health = await http.GetAsync("health");
        var after = await ReportAsync(http);
        using var readBefore = await http.GetAsync($"incidents/{before}");
        using var readAfter = await http.GetAsync($"incidents/{after}");
        var exitCode = await up.StopAsync();

        Assert.Contains("dispatch up: Azurite exited unexpectedly", up.Output, StringComparison.Ordinal);
        Assert.Contains("exit code 137", up.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readAfter.StatusCode);
        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("   at ", up.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azurite_that_cannot_come_back_stops_up_with_exit_1_and_the_reason_after_three_attempts()
    {
        var storage = Ports.Free();
        await using var up = UpProcess.Start("up", "--in-memory", "--port", $"{Ports.Free()}", "--storage-port", $"{storage}", "--bus-port", $"{Ports.Free()}");
        await up.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));

        await UpProcess.Signal(AzuritePid(up), "KILL");
        using var squatter = await TakePortAsync(storage);
        var exitCode = await up.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Equal(3, Regex.Count(up.Output, "restarting Azurite on port"));
        Assert.Contains($"giving up: Azurite could not be restarted after 3 attempts: port {storage} is already in use", up.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("HUP")]
    public async Task A_signal_stops_everything_with_the_tables_saved_so_an_incident_reported_a_second_before_is_there_after_a_restart(string signal)
    {
        using var data = new TempDirectory();
        var (api, storage, bus) = (Ports.Free(), Ports.Free(), Ports.Free());
        string[] args = ["up", "--data", data.Path, "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{bus}"];
        string id;
        await using (var first = UpProcess.Start(args))
        {
            await first.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
            using var http = Client(api);
            id = await ReportAsync(http);
            await Task.Delay(TimeSpan.FromSeconds(1)); // well inside Azurite's 5-second autosave: only a graceful stop saves it
            await first.SignalAsync(signal);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Empty(UpEndToEndTests.ProcessesMentioning($"--tablePort {storage}"));
        }

        await using var second = UpProcess.Start(args);
        await second.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
        using var again = Client(api);
        using var read = await again.GetAsync($"incidents/{id}");
        await second.StopAsync();

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Up_killed_outright_takes_its_azurite_down_gracefully_so_nothing_is_left_on_the_port_and_nothing_is_lost()
    {
        using var data = new TempDirectory();
        var (api, storage, bus) = (Ports.Free(), Ports.Free(), Ports.Free());
        string[] args = ["up", "--data", data.Path, "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{bus}"];
        string id;
        await using (var first = UpProcess.Start(args))
        {
            await first.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
            using var http = Client(api);
            id = await ReportAsync(http);
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await Wait.UntilAsync(() => UpEndToEndTests.ProcessesMentioning($"--tablePort {storage}").Count == 0, "Azurite to stop after up was killed");
        }

        await using var second = UpProcess.Start(args);
        await second.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
        using var again = Client(api);
        using var read = await again.GetAsync($"incidents/{id}");
        await second.StopAsync();

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Status_reports_the_running_stacks_sweep_and_outbox_and_says_plainly_when_none_runs()
    {
        var (api, storage, bus) = (Ports.Free(), Ports.Free(), Ports.Free());
        await using (var up = UpProcess.Start("up", "--in-memory", "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{bus}", "--sweep", "* * * * * *"))
        {
            await up.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
            await Task.Delay(TimeSpan.FromSeconds(2)); // a sweep or two
            await using var status = UpProcess.Start("status", "--port", $"{api}");
            var code = await status.WaitForExitAsync(TimeSpan.FromMinutes(2));

            Assert.True(code == 0, status.Output);
            Assert.Contains(": healthy at ", status.Output, StringComparison.Ordinal);
            Assert.Contains("sweep         last completed", status.Output, StringComparison.Ordinal);
            Assert.Contains("chief            dead letters 0", status.Output, StringComparison.Ordinal);
            await up.StopAsync();
        }

        await using var none = UpProcess.Start("status", "--port", $"{api}");
        Assert.Equal(1, await none.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Contains($"no local stack is running on port {api}", none.Output, StringComparison.Ordinal);
    }

    private static HttpClient Client(int api)
    {
        var tokens = LocalTokens.Load(LocalTokens.KeyPath(RepoRoot.Path));
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            tokens.Mint(new Person("li.ming", "Li Ming"), [], SystemClock.Instance.GetCurrentInstant(), Duration.FromHours(1)));
        return http;
    }

    /// <summary>
    /// Reports as the board does: one Idempotency-Key, and a 503 (the request's budget ran out, e.g. the first call
    /// into a cold process on a loaded machine) is retried after its Retry-After, a few times; the incident is
    /// stored once whichever attempt lands.
    /// </summary>
    private static async Task<string> ReportAsync(HttpClient http)
    {
        var key = Guid.NewGuid().ToString("N");
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "incidents") { Content = JsonContent.Create(ApiHost.Report("beilin-01", "P3")) };
            request.Headers.Add("Idempotency-Key", key);
            using var created = await http.SendAsync(request);
            if (created.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 4)
            {
                await Task.Delay(created.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(5));
                continue;
            }

            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            return (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        }
    }

    private static int AzuritePid(UpProcess up) => int.Parse(AzuritePidPattern().Match(up.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Holds the port Azurite had, as soon as it is free, so every restart finds it taken.</summary>
    private static async Task<System.Net.Sockets.TcpListener> TakePortAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return listener;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                await Task.Delay(10);
            }
        }
    }

    [GeneratedRegex(@"\(Azurite, pid (\d+);")]
    private static partial Regex AzuritePidPattern();

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("dispatch-up-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
