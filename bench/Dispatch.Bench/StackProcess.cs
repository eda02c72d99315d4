using System.Diagnostics;
using Dispatch.LocalHost;

namespace Dispatch.Bench;

/// <summary>The Functions app as the user runs it: <c>Dispatch.LocalHost up</c> in its own process, on free ports, tables in memory.</summary>
public sealed class StackProcess : IAsyncDisposable
{
    private readonly Process process;

    private StackProcess(Process process, int api, int storage, int bus)
    {
        this.process = process;
        ApiPort = api;
        StoragePort = storage;
        BusPort = bus;
    }

    public int ApiPort { get; }

    /// <summary>The app's processor time so far (its own process: the Functions host with the in-process broker).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Waits until the app's process is quiet: at most <paramref name="share"/> of a core over a second, or
    /// <paramref name="patience"/> has passed. After a first load the runtime recompiles the hot methods at its higher
    /// tier on a background thread; a figure taken before it has finished measures that compilation and the slower
    /// first-tier code, not the steady state a server runs in. Returns how long it waited.
    /// </summary>
    public async Task<TimeSpan> SettledAsync(double share, TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < patience)
        {
            var before = ProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(1));
            if ((ProcessorTime - before).TotalSeconds <= share)
            {
                break;
            }
        }

        return waited.Elapsed;
    }

    public int StoragePort { get; }

    public int BusPort { get; }

    public string StorageConnectionString => AzuriteProcess.ConnectionStringFor(StoragePort);

    public string BusConnectionString => Dispatch.Bus.LocalBus.ConnectionStringFor(BusPort);

    public static async Task<StackProcess> StartAsync(string repoRoot, string policyFile)
    {
        int api = Ports.Free(), storage = Ports.Free(), bus = Ports.Free();
        var dll = Path.Combine(repoRoot, "src", "Dispatch.LocalHost", "bin", "Release", "net10.0", "Dispatch.LocalHost.dll");
        var process = Process.Start(new ProcessStartInfo("dotnet", [dll, "up", "--in-memory", "--port", $"{api}", "--storage-port", $"{storage}", "--bus-port", $"{bus}",
            "--policy", policyFile, "--sweep", "* * * * * *"])
        {
            WorkingDirectory = repoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        // up says on stderr why it could not start (a port taken, Azurite missing): the last line is the reason.
        var lastError = "";
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                lastError = e.Data;
            }
        };
        process.BeginErrorReadLine();
        using var patience = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(patience.Token) is { } line)
            {
                if (line.Contains("Dispatch is up.", StringComparison.Ordinal))
                {
                    _ = Task.Run(async () =>
                    {
                        while (await process.StandardOutput.ReadLineAsync() is not null)
                        {
                        }
                    });
                    return new StackProcess(process, api, storage, bus);
                }
            }
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new TimeoutException($"dispatch up was not up within {StartTimeout.TotalSeconds:0} s{(lastError.Length > 0 ? $"; its last error: {lastError}" : "")}");
        }

        await process.WaitForExitAsync();
        var exitCode = process.ExitCode;
        process.Dispose();
        throw new InvalidOperationException($"dispatch up exited ({exitCode}) before it was up: {(lastError.Length > 0 ? lastError : "it said nothing (is it built? ./dispatch bench builds it)")}");
    }

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Peak resident memory of the Functions app's process (VmHWM), in MiB.</summary>
    public double PeakMemoryMiB()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", $"{process.Id}"]))
            {
                await kill!.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        process.Dispose();
    }
}
