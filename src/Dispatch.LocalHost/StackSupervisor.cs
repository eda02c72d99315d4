using System.Globalization;
using NodaTime;

namespace Dispatch.LocalHost;

/// <summary>
/// Watches Azurite (a child process) and the broker's listener until told to stop: a part that dies is named
/// with why (exit code, its last output) and restarted on the same port and data by the <see cref="StackStarter"/>,
/// with backoff (1 s, 2 s, 4 s). A part that cannot be restarted, or dies more than <see cref="MaxRestarts"/>
/// times in five minutes, stops everything.
/// </summary>
/// <param name="clock">The app's own clock: the supervisor counts crashes where the app reads time.</param>
public sealed class StackSupervisor(StackStarter starter, StackParts parts, UpOptions options, IClock clock, TextWriter log)
{
    /// <summary>How many unexpected exits of one part within <see cref="CrashWindow"/> are restarted before up gives up.</summary>
    public const int MaxRestarts = 3;

    private const string Azurite = "Azurite";
    private const string Broker = "The Service Bus broker";

    private static readonly Duration CrashWindow = Duration.FromMinutes(5);

    /// <returns>0 when stopped, 1 when a part could not be kept running.</returns>
    public async Task<int> SuperviseAsync(CancellationToken stop)
    {
        var exits = new Dictionary<string, List<Instant>> { [Azurite] = [], [Broker] = [] };
        var stopped = Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        while (true)
        {
            var busFault = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnFault(Exception e) => busFault.TrySetResult(e);
            var bus = parts.Bus;
            bus.ListenerFaulted += OnFault;
            var azurite = parts.Azurite;
            var azuriteExited = azurite.Exited;
            var which = await Task.WhenAny(azuriteExited, busFault.Task, stopped);
            bus.ListenerFaulted -= OnFault;
            if (which == stopped)
            {
                return 0;
            }

            var part = which == azuriteExited ? Azurite : Broker;
            var why = which == azuriteExited
                ? $"exited unexpectedly (pid {azurite.ProcessId}, exit code {azurite.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}). Its last output: {(azurite.LastOutput is { Length: > 0 } output ? output : "none")}"
                : $"stopped listening on port {options.BusPort}: {busFault.Task.Result.Message}";
            log.WriteLine($"dispatch up: {part} {why}");
            var recent = exits[part];
            var now = clock.GetCurrentInstant();
            recent.Add(now);
            recent.RemoveAll(t => now - t > CrashWindow);
            if (recent.Count > MaxRestarts)
            {
                log.WriteLine($"dispatch up: giving up: {part} died {recent.Count} times within {CrashWindow.TotalMinutes:0} minutes. Stopping everything.");
                return 1;
            }

            var failure = which == azuriteExited ? await RestartAzuriteAsync(stop) : await RestartBusAsync(stop);
            if (stop.IsCancellationRequested)
            {
                return 0;
            }

            if (failure is not null)
            {
                log.WriteLine($"dispatch up: giving up: {part} could not be restarted after {MaxRestarts} attempts: {failure} Stopping everything.");
                return 1;
            }
        }
    }

    private async Task<string?> RestartAzuriteAsync(CancellationToken stop)
    {
        await parts.Azurite.DisposeAsync();
        var data = starter.DataDirectory;
        return await RestartAsync("Azurite", "Azurite", options.StoragePort, async () =>
        {
            parts.Azurite = await starter.StartAzuriteAsync();
            return $"Azurite is back on port {options.StoragePort}, pid {parts.Azurite.ProcessId} ({(data is null ? "in memory: the tables it held are gone" : $"on its data in {data}")}).";
        }, e => e is InvalidOperationException, stop);
    }

    private async Task<string?> RestartBusAsync(CancellationToken stop)
    {
        await parts.Bus.DisposeAsync();
        var config = starter.LoadBusConfig();
        return await RestartAsync("the Service Bus broker", "the broker", options.BusPort, () =>
        {
            parts.Bus = starter.StartBus(config);
            return Task.FromResult($"the Service Bus broker is back on port {options.BusPort} (messages it held are gone; notices not yet confirmed sent are in the outbox).");
        }, e => e is System.Net.Sockets.SocketException, stop);
    }

    /// <summary>Up to <see cref="MaxRestarts"/> attempts, 1 s, 2 s, 4 s apart, each said in the log.</summary>
    /// <param name="start">Starts the part again and says so.</param>
    /// <param name="isStartFailure">A failure of the start that another attempt may get past.</param>
    /// <returns>Null once restarted (or when stopped meanwhile), else why the last attempt failed.</returns>
    private async Task<string?> RestartAsync(string part, string shortName, int port, Func<Task<string>> start, Func<Exception, bool> isStartFailure, CancellationToken stop)
    {
        string? failure = null;
        for (var attempt = 1; attempt <= MaxRestarts; attempt++)
        {
            var delay = TimeSpan.FromSeconds(Math.Pow(2, attempt - 1));
            log.WriteLine($"dispatch up: restarting {part} on port {port} in {delay.TotalSeconds:0} s (attempt {attempt} of {MaxRestarts}).");
            try
            {
                await Task.Delay(delay, stop);
                log.WriteLine($"dispatch up: {await start()}");
                return null;
            }
            catch (Exception e) when (isStartFailure(e))
            {
                failure = e.Message;
                log.WriteLine($"dispatch up: {shortName} did not restart: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return failure;
    }
}
