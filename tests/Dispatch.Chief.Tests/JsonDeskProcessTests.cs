using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Testing;

namespace Dispatch.Chief.Tests;

/// <summary>The desk as a real process, reading the real broker through the real client.</summary>
public sealed class JsonDeskProcessTests : IAsyncLifetime
{
    private const string Chief = "escalations/subscriptions/chief";

    private static readonly TimeSpan Receive = TimeSpan.FromSeconds(10);

    private readonly ShiftedTime time = new();
    private LocalBus bus = null!;

    public Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")), time: time);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await bus.DisposeAsync();

    [Fact]
    public async Task Json_mode_prints_one_line_per_chief_message_and_leaves_other_audiences_alone()
    {
        using var desk = StartDesk();
        try
        {
            await using var client = new ServiceBusClient(bus.ConnectionString);
            await using var sender = client.CreateSender("escalations");
            await sender.SendMessageAsync(Message("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", "chief", 2));
            await sender.SendMessageAsync(Message("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0D", "duty-officer", 1));

            var line = await desk.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));

            var json = JsonNode.Parse(line!)!;
            Assert.Equal("s1.01KB0Y4M2Q8R6T1V3W5X7Z9A0C", json["incidentId"]!.GetValue<string>());
            Assert.Equal(2, json["level"]!.GetValue<int>());
            Assert.Equal("chief", json["audience"]!.GetValue<string>());
            await Wait.UntilAsync(() => bus.CountMessages(Chief) == 0, "the printed message completed");
            Assert.Equal(1, bus.CountMessages("escalations/subscriptions/duty-officer"));
        }
        finally
        {
            desk.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Nobody reads the desk's output, so once the pipe is full the desk is stuck printing one message. Killed
    /// there, it must not have completed that message: it comes again, as a second delivery, after the lock.
    /// </summary>
    [Fact]
    public async Task A_desk_killed_while_printing_a_message_has_not_completed_it_and_it_is_delivered_again()
    {
        const int count = 150; // ~100 KB of lines: more than a 64 KiB pipe holds
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var sender = client.CreateSender("escalations");
        var ids = Enumerable.Range(0, count).Select(i => $"s1.01KB0Y4M2Q8R6T1V3W5X{i:D4}Z").ToList();
        foreach (var batch in ids.Chunk(50))
        {
            await sender.SendMessagesAsync(batch.Select(id => Message(id, "chief", 2, padding: 400)));
        }

        var desk = StartDesk();
        string printed;
        try
        {
            await Wait.UntilAsync(() => bus.CountMessages(Chief) < count, "the desk started completing");
            await WaitUntilSteadyAsync(() => bus.CountMessages(Chief));
            Assert.True(bus.CountMessages(Chief) > 0, "the desk was expected to block on a full pipe before the end");
        }
        finally
        {
            desk.Kill(entireProcessTree: true);
            await desk.WaitForExitAsync();
            printed = await desk.StandardOutput.ReadToEndAsync();
            desk.Dispose();
        }

        var fullLines = printed.Split('\n')[..^1].Select(l => JsonNode.Parse(l)!["incidentId"]!.GetValue<string>()).ToList();
        Assert.Equal(count - fullLines.Count, bus.CountMessages(Chief));
        time.Shift = TimeSpan.FromMinutes(2); // past the dead desk's lock
        await using var receiver = client.CreateReceiver("escalations", "chief");
        var rest = new List<ServiceBusReceivedMessage>();
        while (rest.Count < count - fullLines.Count && await receiver.ReceiveMessageAsync(Receive) is { } message)
        {
            rest.Add(message);
            await receiver.CompleteMessageAsync(message);
        }

        var redelivered = rest.Select(m => m.MessageId.Split(':')[0]).ToList();
        Assert.Equal(ids[..fullLines.Count], fullLines);
        Assert.Equal(ids[fullLines.Count..], redelivered.Order(StringComparer.Ordinal));
        var stuck = Assert.Single(rest, m => m.DeliveryCount != 1);
        Assert.Equal((ids[fullLines.Count], 2), (stuck.MessageId.Split(':')[0], stuck.DeliveryCount));
    }

    [Fact]
    public async Task An_unreadable_message_is_dead_lettered_at_its_first_delivery_with_the_reason()
    {
        using var desk = StartDesk();
        try
        {
            await using var client = new ServiceBusClient(bus.ConnectionString);
            await using var sender = client.CreateSender("escalations");
            var junk = new ServiceBusMessage("not json") { MessageId = "junk-1" };
            junk.ApplicationProperties["audience"] = "chief";
            await sender.SendMessageAsync(junk);

            await using var deadLetters = client.CreateReceiver("escalations", "chief", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
            var dead = await deadLetters.ReceiveMessageAsync(TimeSpan.FromSeconds(20));

            Assert.NotNull(dead);
            Assert.Equal(("junk-1", "UnreadableEscalation", 1), (dead.MessageId, dead.DeadLetterReason, dead.DeliveryCount));
            Assert.Contains("invalid", dead.DeadLetterErrorDescription, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, bus.CountMessages(Chief));
        }
        finally
        {
            desk.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Waits until a count has not changed for a second: the desk has stopped making progress.</summary>
    private static async Task WaitUntilSteadyAsync(Func<int> read)
    {
        var last = read();
        var steadySince = Stopwatch.StartNew();
        var waited = Stopwatch.StartNew();
        while (steadySince.Elapsed < TimeSpan.FromSeconds(1))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the desk never stopped completing");
            await Task.Delay(100);
            var now = read();
            if (now != last)
            {
                last = now;
                steadySince.Restart();
            }
        }
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

    private static ServiceBusMessage Message(string incident, string audience, int level, int padding = 0)
    {
        var body = new JsonObject
        {
            ["incidentId"] = incident, ["station"] = "s1", ["category"] = "theft", ["priority"] = "P1", ["clock"] = "dispatch",
            ["kind"] = "escalation", ["level"] = level, ["audience"] = audience, ["deadline"] = "2026-11-26T08:01:00Z",
            ["breachedAt"] = "2026-11-26T08:01:00Z", ["escalatedAt"] = "2026-11-26T08:03:00Z", ["overdueBy"] = "PT2M",
            ["summary"] = "P1 theft " + new string('x', padding), ["url"] = $"http://127.0.0.1:7071/api/incidents/{incident}",
        };
        var message = new ServiceBusMessage(BinaryData.FromString(body.ToJsonString())) { MessageId = $"{incident}:dispatch:escalation:{level}", ContentType = "application/json" };
        message.ApplicationProperties["audience"] = audience;
        return message;
    }
}
