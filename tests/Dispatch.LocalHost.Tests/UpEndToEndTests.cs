using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.LocalHost.Tests;

/// <summary><c>./dispatch up</c> as a real process on free ports, driven over HTTP and Service Bus, in real time.</summary>
public sealed class UpEndToEndTests
{
    private const string Policy = """
        { "version": "e2e", "timeZone": "Asia/Shanghai",
          "priorities": {
            "P1": { "dispatch": "PT2S", "arrival": "PT30S", "resolution": "PT5M" },
            "P2": { "dispatch": "PT1M", "arrival": "PT2M", "resolution": "PT1H" },
            "P3": { "dispatch": "PT5M", "arrival": "PT10M", "resolution": "P1D" },
            "P4": { "dispatch": "PT1H", "arrival": "PT2H", "resolution": "P7D" } },
          "zones": { "urban": 1, "suburban": 2, "rural": 3 },
          "warnAt": [],
          "escalation": [ { "level": 1, "after": "PT0S", "to": "duty-officer" },
                          { "level": 2, "after": "PT2S", "to": "chief" },
                          { "level": 3, "after": "PT10S", "to": "command-center" } ] }
        """;

    [Fact]
    public async Task Up_takes_a_report_to_the_chief_stops_the_ladder_on_acknowledge_and_stops_cleanly()
    {
        int api = Ports.Free(), storage = Ports.Free(), bus = Ports.Free();
        var policy = Path.GetTempFileName();
        await File.WriteAllTextAsync(policy, Policy);
        await using var up = UpProcess.Start("up", "--in-memory", "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{bus}", "--policy", policy, "--sweep", "* * * * * *");
        var exitCode = -1;
        try
        {
            await up.WaitForLineAsync("Dispatch is up.", TimeSpan.FromMinutes(3));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}/api/") };
            // People of the sample roster that `up` seeds, signed in with the stack's own key.
            var tokens = LocalTokens.Load(LocalTokens.KeyPath(RepoRoot.Path));
            string Token(string subject) => tokens.Mint(new Person(subject, subject), [], SystemClock.Instance.GetCurrentInstant(), Duration.FromHours(1));
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token("li.ming"));
            await using var client = new ServiceBusClient(Dispatch.Bus.LocalBus.ConnectionStringFor(bus));
            await using var chief = client.CreateReceiver("escalations", "chief");
            await using var commandCenter = client.CreateReceiver("escalations", "command-center");

            using var health = await http.GetAsync("health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            var reportedAt = DateTimeOffset.UtcNow;
            using var created = await http.PostAsJsonAsync("incidents", ApiHost.Report("beilin-01", "P1"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

            // The chief's subscription carries the daily shift reports too: at the first minute boundary a fresh
            // stack sends the sample stations' last three days (README, "The daily shift report"). Set them aside.
            var escalation = await chief.ReceiveMessageAsync(TimeSpan.FromSeconds(20));
            while (escalation?.Subject == Dispatch.Contracts.EscalationTopic.ReportKind)
            {
                await chief.CompleteMessageAsync(escalation);
                escalation = await chief.ReceiveMessageAsync(TimeSpan.FromSeconds(20));
            }

            Assert.NotNull(escalation);
            Assert.Equal($"{id}:dispatch:escalation:2", escalation.MessageId);
            await chief.CompleteMessageAsync(escalation);

            using var acknowledge = new HttpRequestMessage(HttpMethod.Post, $"incidents/{id}/acknowledge") { Content = JsonContent.Create(new { }) };
            acknowledge.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token("zhang.wei"));
            using var ack = await http.SendAsync(acknowledge);
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var levelThreeDue = reportedAt + TimeSpan.FromSeconds(2 + 10);
            Assert.True(DateTimeOffset.UtcNow < levelThreeDue, "acknowledged too late to prove the ladder stops");
            await Task.Delay(levelThreeDue - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2));

            Assert.Null(await commandCenter.ReceiveMessageAsync(TimeSpan.FromSeconds(1)));
            var timeline = await http.GetFromJsonAsync<JsonObject>($"incidents/{id}/timeline");
            var kinds = timeline!["events"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()).ToList();
            Assert.Equal(["reported", "escalated", "escalated", "acknowledged"], kinds);
        }
        finally
        {
            File.Delete(policy);
            exitCode = await up.StopAsync();
        }

        Assert.Equal(0, exitCode);
        Assert.True(Ports.IsFree(api), "API port left open");
        Assert.True(Ports.IsFree(storage), "Azurite port left open");
        Assert.True(Ports.IsFree(bus), "broker port left open");
        Assert.Empty(ProcessesMentioning($"--tablePort {storage}"));
    }

    [Fact]
    public async Task Up_names_the_part_whose_port_is_taken_and_exits_non_zero()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var up = UpProcess.Start("up", "--in-memory", "--port", $"{Ports.Free()}", "--storage-port", $"{Ports.Free()}", "--bus-port", $"{port}");
        var exitCode = await up.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal(1, exitCode);
        Assert.Contains($"Port {port} for the Service Bus broker", up.Output, StringComparison.Ordinal);
    }

    internal static List<string> ProcessesMentioning(string text) =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => Path.Combine(dir, "cmdline"))
            .Select(path =>
            {
                try
                {
                    return File.ReadAllText(path).Replace('\0', ' ');
                }
                catch (IOException)
                {
                    return "";
                }
                catch (UnauthorizedAccessException)
                {
                    return "";
                }
            })
            .Where(cmd => cmd.Contains(text, StringComparison.Ordinal))
            .ToList();
}
