using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
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
        await LatencyAsync(bus, 8, 50, ownConnections: false);

        var one = new List<double>();
        var eight = new List<double>();
        var eightOwn = new List<double>();
        var latencyOne = new LatencyPhases();
        var latencyEight = new LatencyPhases();
        var latencyEightOwn = new LatencyPhases();
        for (var round = 0; round < Rounds; round++)
        {
            one.Add(await ThroughputAsync(bus, 1, messages, ownConnections: false));
            eight.Add(await ThroughputAsync(bus, 8, messages, ownConnections: false));
            eightOwn.Add(await ThroughputAsync(bus, 8, messages, ownConnections: true));
            latencyOne.Add(await LatencyAsync(bus, 1, pings, ownConnections: false));
            latencyEight.Add(await LatencyAsync(bus, 8, pings / 8, ownConnections: false));
            latencyEightOwn.Add(await LatencyAsync(bus, 8, pings / 8, ownConnections: true));
        }

        var (rateOne, rateEight, rateEightOwn) = (Stats.Percentile(one, 50), Stats.Percentile(eight, 50), Stats.Percentile(eightOwn, 50));
        var p99One = Stats.Percentile(latencyOne.Latencies, 99);
        var p99Eight = Stats.Percentile(latencyEight.Latencies, 99);
        var p99EightOwn = Stats.Percentile(latencyEightOwn.Latencies, 99);
        var rounds = $"median of {Rounds} rounds of {messages:N0} messages";
        return
        [
            new Figure("broker: send→receive→complete, 1 client", Stats.Rate(rateOne), "—", "—", $"{rounds} ({string.Join(", ", one.Select(Stats.Rate))})"),
            new Figure("broker: send→receive→complete, 8 clients", Stats.Rate(rateEight), $"1 client: {Stats.Rate(rateOne)}", $"{rateEight / rateOne:0.00}×",
                $"goal ≥ 1.5×; {rounds} ({string.Join(", ", eight.Select(Stats.Rate))})"),
            new Figure("  same, each client on its own connection", Stats.Rate(rateEightOwn), $"1 client: {Stats.Rate(rateOne)}", $"{rateEightOwn / rateOne:0.00}×",
                $"{rounds} ({string.Join(", ", eightOwn.Select(Stats.Rate))})"),
            new Figure("broker: single message end-to-end, 1 client, p50 / p99", $"{Stats.Ms(Stats.Percentile(latencyOne.Latencies, 50))} / {Stats.Ms(p99One)}", "—", "—",
                $"{latencyOne.Count:N0} messages, send → receive → complete"),
            latencyOne.Profile("  1 client: where the time went", p99One),
            new Figure("broker: single message end-to-end, 8 clients at once, p50 / p99", $"{Stats.Ms(Stats.Percentile(latencyEight.Latencies, 50))} / {Stats.Ms(p99Eight)}",
                $"1 client: p99 {Stats.Ms(p99One)}; goal p99 ≤ 1 ms", p99Eight <= 1 ? "meets goal" : "misses goal",
                $"{latencyEight.Count:N0} messages"),
            latencyEight.Profile("  8 clients: where the time went", p99Eight),
            new Figure("  same, each client on its own connection, p50 / p99", $"{Stats.Ms(Stats.Percentile(latencyEightOwn.Latencies, 50))} / {Stats.Ms(p99EightOwn)}",
                $"one connection: p99 {Stats.Ms(p99Eight)}", "—", $"{latencyEightOwn.Count:N0} messages; each connection's frames are handled by one thread on each side"),
            latencyEightOwn.Profile("  8 connections: where the time went", p99EightOwn),
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
    /// but the first, which also attaches the client's links. Beside the samples it keeps what the process went
    /// through meanwhile: garbage collections (a collection stops every thread, so it lands on every round trip in
    /// flight at once), the processor time it used, and how long its threads were ready to run but waited for a core.
    /// </summary>
    private static async Task<LatencyPhase> LatencyAsync(LocalBus bus, int clients, int perClient, bool ownConnections)
    {
        var shared = new ServiceBusClient(bus.ConnectionString);
        var connections = Enumerable.Range(0, clients).Select(_ => ownConnections ? new ServiceBusClient(bus.ConnectionString) : shared).ToList();
        try
        {
            var samples = new ConcurrentBag<(double Ms, bool Collected)>();
            var before = ProcessSnapshot.Now();
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(connections.Select(async client =>
            {
                await using var sender = client.CreateSender("bench");
                await using var receiver = client.CreateReceiver("bench");
                for (var i = 0; i <= perClient; i++)
                {
                    var collections = GC.CollectionCount(0);
                    var roundTrip = Stopwatch.StartNew();
                    await sender.SendMessageAsync(new ServiceBusMessage("ping"));
                    var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("a message was lost");
                    await receiver.CompleteMessageAsync(message);
                    if (i > 0)
                    {
                        // Every collection, of any generation, counts in generation 0's count.
                        samples.Add((roundTrip.Elapsed.TotalMilliseconds, GC.CollectionCount(0) != collections));
                    }
                }
            }));
            return new LatencyPhase([.. samples], stopwatch.Elapsed, ProcessSnapshot.Now().Since(before));
        }
        finally
        {
            foreach (var client in connections.Append(shared).Distinct())
            {
                await client.DisposeAsync();
            }
        }
    }

    private sealed record LatencyPhase(IReadOnlyList<(double Ms, bool Collected)> Samples, TimeSpan Wall, ProcessUse Used);

    /// <summary>The latency phases of one client count over the rounds, read together.</summary>
    private sealed class LatencyPhases
    {
        private readonly List<LatencyPhase> phases = [];

        public List<double> Latencies => [.. phases.SelectMany(p => p.Samples).Select(s => s.Ms)];

        public int Count => phases.Sum(p => p.Samples.Count);

        public void Add(LatencyPhase phase) => phases.Add(phase);

        /// <summary>
        /// The p99 of the round trips no collection ran during, against all; then the phases' collections, the slowest
        /// 1 %'s share of them, processor time per round trip, and the threads' wait for a core.
        /// </summary>
        public Figure Profile(string name, double p99)
        {
            var samples = phases.SelectMany(p => p.Samples).ToList();
            var clean = samples.Where(s => !s.Collected).Select(s => s.Ms).ToList();
            var slowest = samples.OrderByDescending(s => s.Ms).Take(Math.Max(1, samples.Count / 100)).ToList();
            var used = phases.Select(p => p.Used).Aggregate((a, b) => a + b);
            var wall = TimeSpan.FromTicks(phases.Sum(p => p.Wall.Ticks));
            var waited = used.RunQueueWait is { } wait ? $"{wait.TotalMilliseconds:0} ms" : "not available (no /proc/self/task/*/schedstat)";
            return new Figure(name,
                $"p99 {Stats.Ms(clean.Count > 0 ? Stats.Percentile(clean, 99) : double.NaN)} without a collection",
                $"all: p99 {Stats.Ms(p99)}", "—",
                $"{samples.Count - clean.Count:N0} of {samples.Count:N0} round trips had a collection during them ({slowest.Count(s => s.Collected)} of the slowest {slowest.Count}); "
                + $"{used.Collections} collection{(used.Collections == 1 ? "" : "s")} (gen1 {used.Gen1}, gen2 {used.Gen2}), paused {used.Paused.TotalMilliseconds:0.0} ms; "
                + $"process CPU {used.Cpu.TotalMicroseconds / samples.Count:0} µs a round trip, {used.Cpu.TotalMilliseconds / wall.TotalMilliseconds:0.00} cores over {wall.TotalMilliseconds:0} ms; "
                + $"threads ready but waiting for a core: {waited}");
        }
    }

    /// <summary>Counters of this process that only grow, read at one instant; each thread's wait for a core by thread id.</summary>
    private sealed record ProcessSnapshot(int Collections, int Gen1, int Gen2, TimeSpan Paused, TimeSpan Cpu, IReadOnlyDictionary<string, long>? ThreadWaits)
    {
        public static ProcessSnapshot Now()
        {
            using var process = Process.GetCurrentProcess();
            return new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), process.TotalProcessorTime, RunQueueWaitByThread());
        }

        /// <summary>
        /// What the process used since <paramref name="earlier"/>. A thread that ended in between is left out (its
        /// wait since then is not known), so the wait for a core can undercount, never overcount.
        /// </summary>
        public ProcessUse Since(ProcessSnapshot earlier)
        {
            TimeSpan? waited = null;
            if (ThreadWaits is { } now && earlier.ThreadWaits is { } then)
            {
                var nanoseconds = now.Sum(thread => thread.Value - then.GetValueOrDefault(thread.Key));
                waited = TimeSpan.FromTicks(nanoseconds / 100);
            }

            return new(Collections - earlier.Collections, Gen1 - earlier.Gen1, Gen2 - earlier.Gen2, Paused - earlier.Paused, Cpu - earlier.Cpu, waited);
        }

        /// <summary>Linux's per-thread schedstat, second field: nanoseconds the thread was runnable but not running; null where there is no /proc.</summary>
        private static Dictionary<string, long>? RunQueueWaitByThread()
        {
            try
            {
                var waits = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
                {
                    try
                    {
                        var fields = File.ReadAllText(Path.Combine(thread, "schedstat")).Split(' ');
                        waits[Path.GetFileName(thread)] = long.Parse(fields[1], CultureInfo.InvariantCulture);
                    }
                    catch (IOException)
                    {
                        // The thread ended while the directory was read.
                    }
                }

                return waits;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    private sealed record ProcessUse(int Collections, int Gen1, int Gen2, TimeSpan Paused, TimeSpan Cpu, TimeSpan? RunQueueWait)
    {
        public static ProcessUse operator +(ProcessUse a, ProcessUse b) =>
            new(a.Collections + b.Collections, a.Gen1 + b.Gen1, a.Gen2 + b.Gen2, a.Paused + b.Paused, a.Cpu + b.Cpu, a.RunQueueWait + b.RunQueueWait);
    }
}
