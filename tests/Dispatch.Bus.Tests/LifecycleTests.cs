using System.Net;
using System.Net.Sockets;
using Azure.Messaging.ServiceBus;

namespace Dispatch.Bus.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Stopping_the_broker_frees_its_port_and_closes_client_connections()
    {
        var bus = LocalBus.Start(BusConfig.Parse(BusFixture.Config));
        var port = bus.Port;
        await using var client = new ServiceBusClient(bus.ConnectionString, new ServiceBusClientOptions
        {
            RetryOptions = new ServiceBusRetryOptions { MaxRetries = 0, TryTimeout = TimeSpan.FromSeconds(3) },
        });
        await using var sender = client.CreateSender("plain");
        await sender.SendMessageAsync(new ServiceBusMessage("before"));

        await bus.DisposeAsync();

        using var probe = new TcpListener(IPAddress.Loopback, port);
        probe.Start();
        probe.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => sender.SendMessageAsync(new ServiceBusMessage("after")));
    }

    [Fact]
    public async Task The_project_config_loads_and_routes_escalations_by_audience()
    {
        var config = BusConfig.Load(Path.Combine(RepoRoot(), "infra", "servicebus", "config.json"));
        await using var bus = LocalBus.Start(config);
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var sender = client.CreateSender("escalations");

        foreach (var audience in new[] { "duty-officer", "chief", "command-center" })
        {
            var message = new ServiceBusMessage(audience) { MessageId = $"route-{audience}" };
            message.ApplicationProperties["audience"] = audience;
            await sender.SendMessageAsync(message);
        }

        foreach (var audience in new[] { "duty-officer", "chief", "command-center" })
        {
            Assert.Equal(1, bus.CountMessages($"escalations/subscriptions/{audience}"));
        }
    }

    [Theory]
    [InlineData("\"LockDuration\": \"PT2S\"", "\"LockDuration\": \"two seconds\"", "Queue 'short-lock'.Properties.LockDuration")]
    [InlineData("\"MaxDeliveryCount\": 2", "\"MaxDeliveryCount\": 0", "Queue 'twice'.Properties.MaxDeliveryCount")]
    [InlineData("{ \"Name\": \"plain\" }", "{ \"Name\": \"plain\", \"Colour\": \"red\" }", "Namespaces[0].Queues[0].Colour")]
    [InlineData("{ \"Name\": \"label\", \"Properties\": { \"FilterType\": \"Correlation\"", "{ \"Name\": \"label\", \"Properties\": { \"FilterType\": \"Sql\"", "Subscription 'alerts/urgent-label'.Rules[0].Properties.FilterType")]
    [InlineData("{ \"Name\": \"busy\" }", "{ \"Name\": \"plain\" }", "Namespaces[0].Queues[9].Name")]
    [InlineData("{ \"Name\": \"peeked\" }", "{ \"Name\": \"peeked\", \"Properties\": { \"RequiresSession\": true } }", "Queue 'peeked'.Properties.RequiresSession")]
    public void A_bad_config_entry_is_refused_at_start_by_name(string find, string replace, string entry)
    {
        Assert.Contains(find, BusFixture.Config, StringComparison.Ordinal);
        var error = Assert.Throws<BusConfigException>(() => BusConfig.Parse(BusFixture.Config.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Equal(entry, error.Entry);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dispatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Dispatch.sln not found");
    }
}
