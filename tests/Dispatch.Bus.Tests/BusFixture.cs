using Azure.Messaging.ServiceBus;

namespace Dispatch.Bus.Tests;

/// <summary>The broker in-process on a free port, with entities made for the conformance tests.</summary>
public sealed class BusFixture : IAsyncLifetime
{
    public const string Config = """
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
              { "Name": "scheduled" },
              { "Name": "busy" },
              { "Name": "disconnect", "Properties": { "LockDuration": "PT2S" } },
              { "Name": "peeked" },
              { "Name": "deferred" }
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

    public LocalBus Bus { get; private set; } = null!;

    public ServiceBusClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Bus = LocalBus.Start(BusConfig.Parse(Config));
        Client = NewClient();
        return Task.CompletedTask;
    }

    public ServiceBusClient NewClient() => new(Bus.ConnectionString, new ServiceBusClientOptions
    {
        RetryOptions = new ServiceBusRetryOptions { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(100), TryTimeout = TimeSpan.FromSeconds(10) },
    });

    /// <summary>Waits for the broker's 50 ms timers to act, without assuming how fast a loaded machine is.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), $"not within 15 s: {what}");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Bus.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedBus : ICollectionFixture<BusFixture>
{
    public const string Name = "bus";
}
