using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Testing;

namespace Dispatch.Chief.Tests;

/// <summary>The desk as a real process, reading the real broker through the real client.</summary>
public sealed class JsonDeskProcessTests : IAsyncLifetime
{
    private LocalBus bus = null!;

    public Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await bus.DisposeAsync();

    [Fact]
    public async Task Json_mode_prints_one_line_per_chief_message_and_completes_it_only_after_printing()
    {
        using var desk = StartDesk();
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var sender = client.CreateSender("escalations");
        await sender.SendMessageAsync(Message("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", "chief", 2));
        await sender.SendMessageAsync(Message("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0D", "duty-officer", 1));

        var line = await desk.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var json = JsonNode.Parse(line!)!;
        Assert.Equal("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", json["incidentId"]!.GetValue<string>());
        Assert.Equal(2, json["level"]!.GetValue<int>());
        Assert.Equal("chief", json["audience"]!.GetValue<string>());
        await WaitUntilAsync(() => bus.CountMessages("escalations/subscriptions/chief") == 0);
        Assert.Equal(1, bus.CountMessages("escalations/subscriptions/duty-officer"));
        desk.Kill();
    }

    [Fact]
    public async Task An_unreadable_message_is_dead_lettered_not_dropped()
    {
        using var desk = StartDesk();
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var sender = client.CreateSender("escalations");
        var junk = new ServiceBusMessage("not json") { MessageId = "junk-1" };
        junk.ApplicationProperties["audience"] = "chief";
        await sender.SendMessageAsync(junk);

        await WaitUntilAsync(() => bus.CountMessages("escalations/subscriptions/chief/$deadletterqueue") == 1);
        desk.Kill();
    }

    private Process StartDesk()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Dispatch.Chief.dll");
        var process = Process.Start(new ProcessStartInfo("dotnet", [dll, "--json", "--connection", bus.ConnectionString])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static ServiceBusMessage Message(string incident, string audience, int level)
    {
        var body = new JsonObject
        {
            ["incidentId"] = incident, ["station"] = "s1", ["category"] = "theft", ["priority"] = "P1", ["clock"] = "dispatch",
            ["kind"] = "escalation", ["level"] = level, ["audience"] = audience, ["deadline"] = "2026-11-26T08:01:00Z",
            ["breachedAt"] = "2026-11-26T08:01:00Z", ["escalatedAt"] = "2026-11-26T08:03:00Z", ["overdueBy"] = "PT2M",
            ["summary"] = "P1 theft", ["url"] = $"http://127.0.0.1:7071/api/incidents/{incident}",
        };
        var message = new ServiceBusMessage(BinaryData.FromString(body.ToJsonString())) { MessageId = $"{incident}:dispatch:escalation:{level}", ContentType = "application/json" };
        message.ApplicationProperties["audience"] = audience;
        return message;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "condition not met within 20 s");
            await Task.Delay(50);
        }
    }
}
