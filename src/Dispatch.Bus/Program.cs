using Dispatch.Bus;
using Microsoft.Extensions.Logging;

// ./dispatch bus [--config PATH] [--port N] [--verbose]
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
            await Console.Error.WriteLineAsync($"dispatch bus: unknown or incomplete option '{args[i]}'. Usage: ./dispatch bus [--config PATH] [--port N] [--verbose]");
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
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
LocalBus bus;
try
{
    bus = LocalBus.Start(config, port, loggers);
}
catch (System.Net.Sockets.SocketException e)
{
    await Console.Error.WriteLineAsync($"dispatch bus: cannot listen on port {port}: {e.Message}");
    return 1;
}

await using (bus)
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });
    Console.WriteLine($"Service Bus broker listening on 127.0.0.1:{bus.Port} ({config.Queues.Count} queues, {config.Topics.Count} topics); connection string: {bus.ConnectionString}");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("Service Bus broker stopped.");
    }
}

return 0;
