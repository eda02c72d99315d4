using System.Net;
using System.Net.Sockets;
using Azure.Messaging.ServiceBus;
using Dispatch.Testing;

namespace Dispatch.Bus.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Stopping_the_broker_frees_its_port_and_closes_client_connections()
    {
        var bus = LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance));
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
    public async Task A_broker_restarts_at_once_on_the_port_it_just_released()
    {
        var first = LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance));
        var port = first.Port;
        await using (var client = BusConfigs.NewClient(first))
        {
            await client.CreateSender("plain").SendMessageAsync(new ServiceBusMessage("leaves a connection in TIME_WAIT"));
        }

        await first.DisposeAsync();
        await using var second = LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance), port);
        await using var again = BusConfigs.NewClient(second);
        await again.CreateSender("plain").SendMessageAsync(new ServiceBusMessage("after the restart"));

        Assert.Equal(1, second.CountMessages("plain"));
    }

    [Fact]
    public async Task A_second_broker_on_a_taken_port_fails_to_start_instead_of_sharing_it()
    {
        await using var first = LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance));

        var second = Assert.Throws<SocketException>(() => LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance), first.Port));
        Assert.Equal(SocketError.AddressAlreadyInUse, second.SocketErrorCode);

        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var third = Assert.Throws<SocketException>(() => LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance), ((IPEndPoint)other.LocalEndpoint).Port));
        Assert.Equal(SocketError.AddressAlreadyInUse, third.SocketErrorCode);

        // The first broker still has every client to itself.
        await using var client = BusConfigs.NewClient(first);
        await client.CreateSender("plain").SendMessageAsync(new ServiceBusMessage("still mine"));
        Assert.Equal(1, first.CountMessages("plain"));
    }

    [Fact]
    public async Task The_bus_command_on_a_taken_port_says_so_and_exits_1()
    {
        await using var running = LocalBus.Start(BusConfig.Parse(BusConfigs.Conformance));
        var config = Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await BusCommand.RunAsync(["--port", $"{running.Port}", "--config", config], output, error, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exit);
        Assert.Contains($"port {running.Port} is already in use", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("listening", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_project_config_loads_and_routes_escalations_by_audience()
    {
        var config = BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json"));
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
    [InlineData("{ \"Name\": \"busy\" }", "{ \"Name\": \"plain\" }", "Namespaces[0].Queues[10].Name")]
    [InlineData("{ \"Name\": \"peeked\" }", "{ \"Name\": \"peeked\", \"Properties\": { \"RequiresSession\": true } }", "Queue 'peeked'.Properties.RequiresSession")]
    public void A_bad_config_entry_is_refused_at_start_by_name(string find, string replace, string entry)
    {
        Assert.Contains(find, BusConfigs.Conformance, StringComparison.Ordinal);
        var error = Assert.Throws<BusConfigException>(() => BusConfig.Parse(BusConfigs.Conformance.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Equal(entry, error.Entry);
    }
}
