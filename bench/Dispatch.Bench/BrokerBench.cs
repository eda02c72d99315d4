using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;

namespace Dispatch.Bench;

/// <summary>
/// The local broker through the real client: throughput of send → receive → complete at 1 and 8 clients, and
/// end-to-end latency of single messages at 1 and 8 clients. The client and the broker share this process.
/// </summary>
/// <remarks>
/// A "client" is a sender and a receiver working on their own; the clients share one ServiceBusClient (one
/// connection), as the app's do, except in the row that gives each its own. One untimed round warms both
/// sides up first, then the client counts take turns for three rounds and each figure is the median, so a
/// burst of load from elsewhere on the machine does not land on one side of a ratio only.
/// </remarks>
public static class BrokerBench
{
    private const string Config = """
        { "UserConfig": { "Namespaces": [ { "Name": "bench", "Queues": [ { "Name": "bench" } ] } ] } }
        """;

    private const int Rounds = 3;

    public static async Task<IReadOnlyList<Figure>> RunAsync(bool quick)
    {
        await using var bus = LocalBus.Start(BusConfig.Parse(Config));
        var messages = quick ? 5000 : 20000;
        var pings = quick ? 200 : 1000;
        await ThroughputAsync(bus, 8, messages, ownConnections: false);
        await LatencyAsync(bus, 8, 50);

        var one = new List<double>();
        var eight = new List<double>();
        var eightOwn = new List<double>();
        var latencyOne = new List<double>();
        var latencyEight = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            one.Add(await ThroughputAsync(bus, 1, messages, ownConnections: false));
            eight.Add(await ThroughputAsync(bus, 8, messages, ownConnections: false));
            eightOwn.Add(await ThroughputAsync(bus, 8, messages, ownConnections: true));
            latencyOne.AddRange(await LatencyAsync(bus, 1, pings));
            latencyEight.AddRange(await LatencyAsync(bus, 8, pings / 8));
        }

        var (rateOne, rateEight, rateEightOwn) = (Stats.Percentile(one, 50), Stats.Percentile(eight, 50), Stats.Percentile(eightOwn, 50));
        var p99Eight = Stats.Percentile(latencyEight, 99);
        var rounds = $"median of {Rounds} rounds of {messages:N0} messages";
        return
        [
            new Figure("broker: send→receive→complete, 1 client", Stats.Rate(rateOne), "—", "—", $"{rounds} ({string.Join(", ", one.Select(Stats.Rate))})"),
            new Figure("broker: send→receive→complete, 8 clients", Stats.Rate(rateEight), $"1 client: {Stats.Rate(rateOne)}", $"{rateEight / rateOne:0.00}×",
                $"goal ≥ 1.5×; {rounds} ({string.Join(", ", eight.Select(Stats.Rate))})"),
            new Figure("  same, each client on its own connection", Stats.Rate(rateEightOwn), $"1 client: {Stats.Rate(rateOne)}", $"{rateEightOwn / rateOne:0.00}×",
                $"{rounds} ({string.Join(", ", eightOwn.Select(Stats.Rate))})"),
            new Figure("broker: single message end-to-end, 1 client, p50 / p99", $"{Stats.Ms(Stats.Percentile(latencyOne, 50))} / {Stats.Ms(Stats.Percentile(latencyOne, 99))}", "—", "—",
                $"{latencyOne.Count:N0} messages, send → receive → complete"),
            new Figure("broker: single message end-to-end, 8 clients at once, p50 / p99", $"{Stats.Ms(Stats.Percentile(latencyEight, 50))} / {Stats.Ms(p99Eight)}",
                $"1 client: p99 {Stats.Ms(Stats.Percentile(latencyOne, 99))}; goal p99 ≤ 1 ms", p99Eight <= 1 ? "meets goal" : "misses goal",
                $"{latencyEight.Count:N0} messages"),
        ];
    }

    private static async Task<double> ThroughputAsync(LocalBus bus, int clients, int total, bool ownConnections)
    {
        var shared = new ServiceBusClient(bus.ConnectionString);
        var connections = Enumerable.Range(0, clients).Select(_ => ownConnections ? new ServiceBusClient(bus.ConnectionString) : shared).ToList();
        try
        {
            var perClient = total / clients;
            var received = 0;
            var elapsed = TimeSpan.Zero;
            var stopwatch = Stopwatch.StartNew();
            var senders = connections.Select(async client =>
            {
                await using var sender = client.CreateSender("bench");
                for (var i = 0; i < perClient; i++)
                {
                    await sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString("payload of a typical escalation, about a hundred bytes long, give or take a few.")));
                }
            });
            var receivers = connections.Select(async client =>
            {
                await using var receiver = client.CreateReceiver("bench", new ServiceBusReceiverOptions { PrefetchCount = 20 });
                while (Volatile.Read(ref received) < perClient * clients)
                {
                    var batch = await receiver.ReceiveMessagesAsync(20, TimeSpan.FromMilliseconds(200));
                    foreach (var message in batch)
                    {
                        await receiver.CompleteMessageAsync(message);
                        if (Interlocked.Increment(ref received) == perClient * clients)
                        {
                            // The clock stops at the last completion, not when the other receivers' waits run out.
                            elapsed = stopwatch.Elapsed;
                        }
                    }
                }
            });
            await Task.WhenAll(senders.Concat(receivers));
            return received / elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in connections.Append(shared).Distinct())
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Each client sends one message, receives one and completes it, again and again; each round trip is one sample,
    /// but the first, which also attaches the client's links.
    /// </summary>
    private static async Task<List<double>> LatencyAsync(LocalBus bus, int clients, int perClient)
    {
        await using var client = new ServiceBusClient(bus.ConnectionString);
        var latencies = new ConcurrentBag<double>();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            await using var sender = client.CreateSender("bench");
            await using var receiver = client.CreateReceiver("bench");
            for (var i = 0; i <= perClient; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                await sender.SendMessageAsync(new ServiceBusMessage("ping"));
                var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("a message was lost");
                await receiver.CompleteMessageAsync(message);
                if (i > 0)
                {
                    latencies.Add(stopwatch.Elapsed.TotalMilliseconds);
                }
            }
        }));
        return [.. latencies];
    }
}
