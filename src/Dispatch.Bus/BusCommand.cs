using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Dispatch.Bus;

/// <summary><c>./dispatch bus [--config PATH] [--port N] [--verbose]</c>: the broker on its own until stopped.</summary>
public static class BusCommand
{
    public const string Usage = "Usage: ./dispatch bus [--config PATH] [--port N] [--verbose]";

    /// <returns>0 when stopped, 1 when it could not listen, 2 for bad options or a bad config.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var configPath = Path.Combine("infra", "servicebus", "config.json");
        var port = 5672;
        var verbose = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out var p) && p is > 0 and < 65536:
                    port = p;
                    i++;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                default:
                    await error.WriteLineAsync($"dispatch bus: unknown or incomplete option '{args[i]}'. {Usage}");
                    return 2;
            }
        }

        BusConfig config;
        try
        {
            config = BusConfig.Load(configPath);
        }
        catch (BusConfigException e)
        {
            await error.WriteLineAsync(e.Message);
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
        LocalBus bus;
        try
        {
            bus = LocalBus.Start(config, port, loggers);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            await error.WriteLineAsync($"dispatch bus: port {port} is already in use (another broker, or ./dispatch up?); choose another with --port.");
            return 1;
        }
        catch (SocketException e)
        {
            await error.WriteLineAsync($"dispatch bus: cannot listen on port {port}: {e.Message}");
            return 1;
        }

        await using (bus)
        {
            await output.WriteLineAsync($"Service Bus broker listening on 127.0.0.1:{bus.Port} ({config.Queues.Count} queues, {config.Topics.Count} topics); connection string: {bus.ConnectionString}");
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
                await output.WriteLineAsync("Service Bus broker stopped.");
            }
        }

        return 0;
    }
}
