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
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
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

        throw new InvalidOperationException("dispatch up exited before it was up; build it first with ./dispatch bench (Release).");
    }

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
