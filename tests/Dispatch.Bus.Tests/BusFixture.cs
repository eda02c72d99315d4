using Azure.Messaging.ServiceBus;
using Dispatch.Testing;

namespace Dispatch.Bus.Tests;

/// <summary>The entities the conformance cases use; each case says which of them it touches.</summary>
public static class BusConfigs
{
    public const string Conformance = """
        { "UserConfig": { "Namespaces": [ { "Name": "sbemulatorns",
            "Queues": [
              { "Name": "plain" },
              { "Name": "short-lock", "Properties": { "LockDuration": "PT2S", "MaxDeliveryCount": 5 } },
              { "Name": "renewed", "Properties": { "LockDuration": "PT3S" } },
              { "Name": "brief" },
              { "Name": "twice", "Properties": { "MaxDeliveryCount": 2 } },
              { "Name": "expiring", "Properties": { "DefaultMessageTimeToLive": "PT1S", "DeadLetteringOnMessageExpiration": true } },
              { "Name": "vanishing", "Properties": { "DefaultMessageTimeToLive": "PT1S" } },
              { "Name": "dedup", "Properties": { "RequiresDuplicateDetection": true, "DuplicateDetectionHistoryTimeWindow": "PT1M" } },
              { "Name": "dedup-brief", "Properties": { "RequiresDuplicateDetection": true, "DuplicateDetectionHistoryTimeWindow": "PT20S" } },
              { "Name": "scheduled" },
              { "Name": "busy" },
              { "Name": "crowd" },
              { "Name": "fan-in" },
              { "Name": "contended" },
              { "Name": "disconnect", "Properties": { "LockDuration": "PT2S" } },
              { "Name": "peeked" },
              { "Name": "deferred" },
              { "Name": "polled", "Properties": { "MaxDeliveryCount": 3 } },
              { "Name": "handed-back" },
              { "Name": "idle", "Properties": { "MaxDeliveryCount": 3 } }
            ],
            "Topics": [ { "Name": "alerts", "Properties": { "RequiresDuplicateDetection": true },
              "Subscriptions": [
                { "Name": "everything" },
                { "Name": "chief", "Rules": [ { "Name": "audience", "Properties": { "FilterType": "Correlation",
                    "CorrelationFilter": { "Properties": { "audience": "chief" } } } } ] },
                { "Name": "urgent-label", "Rules": [ { "Name": "label", "Properties": { "FilterType": "Correlation",
                    "CorrelationFilter": { "Label": "urgent" } } } ] }
              ] } ] } ], "Logging": { "Type": "File" } } }
        """;

    /// <summary>A broker with a clock the case can move forward (the broker's timers still run on real time).</summary>
    public static LocalBus Start(ShiftedTime time) => LocalBus.Start(BusConfig.Parse(Conformance), time: time);

    public static ServiceBusClient NewClient(LocalBus bus, TimeSpan? tryTimeout = null) => new(bus.ConnectionString, new ServiceBusClientOptions
    {
        RetryOptions = new ServiceBusRetryOptions { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(100), TryTimeout = tryTimeout ?? TimeSpan.FromSeconds(10) },
    });
}

/// <summary>
/// What a conformance case works with: the broker, a client, and senders and receivers by entity. Run on
/// its own, a case gets a fresh broker and fresh links; run in sequence, every case shares one broker,
/// one client and the same receivers, so a case that leaves a message, a lock or link credit behind
/// breaks the cases after it.
/// </summary>
public sealed class BusContext(LocalBus bus, ShiftedTime time, bool shared) : IAsyncDisposable
{
    private readonly Dictionary<string, ServiceBusSender> senders = [];
    private readonly Dictionary<string, ServiceBusReceiver> receivers = [];

    public LocalBus Bus => bus;

    /// <summary>The broker's clock: moving it on expires windows without waiting for them.</summary>
    public ShiftedTime Time => time;

    public bool Shared => shared;

    public ServiceBusClient Client { get; } = BusConfigs.NewClient(bus);

    public ServiceBusSender Sender(string entity) =>
        senders.TryGetValue(entity, out var sender) ? sender : senders[entity] = Client.CreateSender(entity);

    public ServiceBusReceiver Receiver(string queue, ServiceBusReceiveMode mode = ServiceBusReceiveMode.PeekLock, SubQueue subQueue = SubQueue.None) =>
        Cached($"{queue}|{mode}|{subQueue}", () => Client.CreateReceiver(queue, new ServiceBusReceiverOptions { ReceiveMode = mode, SubQueue = subQueue }));

    public ServiceBusReceiver Receiver(string topic, string subscription, ServiceBusReceiveMode mode = ServiceBusReceiveMode.PeekLock) =>
        Cached($"{topic}/{subscription}|{mode}", () => Client.CreateReceiver(topic, subscription, new ServiceBusReceiverOptions { ReceiveMode = mode }));

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in receivers.Values)
        {
            await receiver.DisposeAsync();
        }

        foreach (var sender in senders.Values)
        {
            await sender.DisposeAsync();
        }

        await Client.DisposeAsync();
    }

    private ServiceBusReceiver Cached(string key, Func<ServiceBusReceiver> create) =>
        receivers.TryGetValue(key, out var receiver) ? receiver : receivers[key] = create();
}
