using Dispatch.LocalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

// dotnet Dispatch.LocalHost.dll up [options] | demo [options] | token [options]
var command = args.Length > 0 ? args[0] : "up";
var rest = args.Skip(1).ToArray();
var localSettings = new ConfigurationBuilder()
    .AddLocalSettings(Directory.GetCurrentDirectory())
    .AddEnvironmentVariables()
    .Build();

// The command line's one real clock: every command reads the time through it, never on its own.
var clock = NodaTime.SystemClock.Instance;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
// SIGTERM (systemd, kill) and SIGHUP (the terminal closed) stop as gracefully as Ctrl+C: Azurite saves its tables.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
using var sighup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, Stop);

switch (command)
{
    case "up":
    {
        UpOptions options;
        try
        {
            options = UpOptions.Parse(rest);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"dispatch up: {e.Message}\n{UpOptions.Usage}");
            return 2;
        }

        await using var stack = new LocalSystem { Options = options };
        try
        {
            await stack.StartAsync(Directory.GetCurrentDirectory(), localSettings, LogLevel.Warning);
        }
        catch (StackStartException e)
        {
            await Console.Error.WriteLineAsync($"dispatch up: {e.Message}");
            return 1;
        }

        Console.WriteLine(stack.Banner(options.SweepSchedule ?? localSettings["DISPATCH_SWEEP_SCHEDULE"] ?? LocalFunctionsHost.Defaults["DISPATCH_SWEEP_SCHEDULE"]!));
        StatusCommand.Announce(Directory.GetCurrentDirectory(), options.ApiPort);
        var code = await stack.SuperviseAsync(Console.Error, stop.Token);
        Console.WriteLine("Stopping…");
        StatusCommand.Withdraw(Directory.GetCurrentDirectory(), options.ApiPort);
        await stack.DisposeAsync();
        Console.WriteLine("Dispatch stopped.");
        return code;
    }

    case "demo":
        return await Demo.RunAsync(rest, clock, stop.Token);

    case "token":
        return TokenCommand.Run(rest, Directory.GetCurrentDirectory(), clock, Console.Out, Console.Error);

    case "status":
        return await StatusCommand.RunAsync(Directory.GetCurrentDirectory(), rest, clock, Console.Out, Console.Error);

    default:
        await Console.Error.WriteLineAsync($"Unknown command '{command}'. Use up, demo, token or status.");
        return 2;
}

void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
