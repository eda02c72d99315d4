using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;

namespace Dispatch.Bench;

/// <summary>The local broker through the real client: throughput of send → receive → complete, and single-message latency.</summary>
public static class BrokerBench
{
    private const string Config = """
        { "UserConfig": { "Namespaces": [ { "Name": "bench", "Queues": [ { "Name": "bench" } ] } ] } }
        """;

    public static async Task<IReadOnlyList<Figure>> RunAsync(bool quick)
    {
        await using var bus = LocalBus.Start(BusConfig.Parse(Config));
        var figures = new List<Figure>();
        var messages = quick ? 1000 : 5000;
        foreach (var clients in new[] { 1, 8 })
        {
            var rate = await ThroughputAsync(bus, clients, messages);
            figures.Add(new Figure($"broker: send→receive→complete, {clients} client(s)", Stats.Rate(rate), "—", "—", $"{messages} messages"));
        }

        var latencies = await LatencyAsync(bus, quick ? 200 : 1000);
        figures.Add(new Figure("broker: single message end-to-end p50", Stats.Ms(Stats.Percentile(latencies, 50)), "—", "—", $"{latencies.Count} messages"));
        figures.Add(new Figure("broker: single message end-to-end p99", Stats.Ms(Stats.Percentile(latencies, 99)), "—", "—", ""));
        return figures;
    }

    private static async Task<double> ThroughputAsync(LocalBus bus, int clients, int total)
    {
        await using var client = new ServiceBusClient(bus.ConnectionString);
        var perClient = total / clients;
        var received = 0;
        var stopwatch = Stopwatch.StartNew();
        var senders = Enumerable.Range(0, clients).Select(async _ =>
        {
            await using var sender = client.CreateSender("bench");
            for (var i = 0; i < perClient; i++)
            {
                await sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString("payload of a typical escalation, about a hundred bytes long, give or take a few.")));
            }
        });
        var receivers = Enumerable.Range(0, clients).Select(async _ =>
        {
            await using var receiver = client.CreateReceiver("bench", new ServiceBusReceiverOptions { PrefetchCount = 20 });
            while (Volatile.Read(ref received) < perClient * clients)
            {
                var batch = await receiver.ReceiveMessagesAsync(20, TimeSpan.FromMilliseconds(200));
                foreach (var message in batch)
                {
                    await receiver.CompleteMessageAsync(message);
                    Interlocked.Increment(ref received);
                }
            }
        });
        await Task.WhenAll(senders.Concat(receivers));
        return received / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<List<double>> LatencyAsync(LocalBus bus, int count)
    {
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var sender = client.CreateSender("bench");
        await using var receiver = client.CreateReceiver("bench");
        var latencies = new List<double>();
        for (var i = 0; i < count + 20; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await sender.SendMessageAsync(new ServiceBusMessage("ping"));
            var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("a message was lost");
            await receiver.CompleteMessageAsync(message);
            if (i >= 20)
            {
                latencies.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
        }

        return latencies;
    }
}
