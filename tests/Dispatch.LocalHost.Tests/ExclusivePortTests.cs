using System.Net;
using System.Net.Sockets;
using Dispatch.Testing;
using Microsoft.Extensions.Configuration;

namespace Dispatch.LocalHost.Tests;

/// <summary>Every listener of <c>./dispatch up</c> refuses a port another process holds, at bind time, naming it.</summary>
public sealed class ExclusivePortTests
{
    [Fact]
    public async Task Azurite_on_a_taken_port_fails_at_once_instead_of_reporting_the_other_listener_as_itself()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var started = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            AzuriteProcess.StartAsync(RepoRoot.Path, port, dataDirectory: null, TimeSpan.FromSeconds(30)));

        Assert.Contains($"port {port} is already in use", error.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task The_api_on_a_taken_port_fails_to_start()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var key = Path.Combine(Directory.CreateTempSubdirectory("key-").FullName, "signing-key.json");
        Dispatch.Contracts.LocalTokens.LoadOrCreate(key);
        await using var app = LocalFunctionsHost.Build(new LocalHostOptions
        {
            Port = port,
            RunTimers = false,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = AzuriteProcess.ConnectionStringFor(1),
                ["ServiceBus"] = Dispatch.Bus.LocalBus.ConnectionStringFor(1),
                ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = key,
            }).Build(),
        });

        var error = await Assert.ThrowsAsync<IOException>(() => app.StartAsync());
        Assert.Contains("address already in use", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
