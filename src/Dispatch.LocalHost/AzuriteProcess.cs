using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Dispatch.LocalHost;

/// <summary>Azurite's Table service from the repo's pinned npm package, as a child process.</summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Queue<string> recent = new();
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? process;

    /// <summary>
    /// Runs Azurite's Table service and stops it as Ctrl+C does (it saves its tables on SIGINT only) when its
    /// stdin closes: when we stop it, and when the process that started it dies, however it died — so a
    /// killed <c>dispatch up</c> leaves neither a stray Azurite on the port nor unsaved tables.
    /// </summary>
    private const string Guard = "process.stdin.on('end', () => process.emit('SIGINT')); process.stdin.resume(); require(require('path').resolve(process.argv[1]));";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private AzuriteProcess(int port) => Port = port;

    /// <summary>Completes when the process exits, for whatever reason.</summary>
    public Task Exited => process?.WaitForExitAsync() ?? Task.CompletedTask;

    public int? ExitCode => process is { HasExited: true } p ? p.ExitCode : null;

    public int ProcessId => process?.Id ?? 0;

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}/devstoreaccount1";

    public string ConnectionString => ConnectionStringFor(Port);

    /// <summary>The connection string of Azurite's Table service on <paramref name="port"/>.</summary>
    public static string ConnectionStringFor(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    /// <summary>Starts Azurite on <paramref name="port"/>; in memory when <paramref name="dataDirectory"/> is null.</summary>
    /// <exception cref="InvalidOperationException">Azurite is not installed, or did not start listening.</exception>
    public static async Task<AzuriteProcess> StartAsync(string repoRoot, int port, string? dataDirectory, TimeSpan timeout)
    {
        var script = Path.Combine(repoRoot, "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed at {script}: run 'npm ci' in {repoRoot} (./dispatch does this for you).");
        }

        // --silent: no access-log line per request. Nobody reads it (OnOutput drops it), and writing it to the pipe was
        // about a fifth of Azurite's processor time in the burst's profile (issue 29 §3: 6 % formatting, 13 % writev).
        List<string> arguments = [script, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture), "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent"];
        if (dataDirectory is null)
        {
            arguments.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            arguments.AddRange(["--location", dataDirectory]);
        }

        if (!Ports.IsFree(port))
        {
            throw new InvalidOperationException($"port {port} is already in use.");
        }

        var azurite = new AzuriteProcess(port);
        var start = new ProcessStartInfo("node", ["-e", Guard, .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        azurite.process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        // Drain its output so a full pipe can never stall it, and watch for its own word that it listens:
        // a connect would succeed on a port some other process holds, and Azurite says nothing when its bind fails.
        azurite.process.OutputDataReceived += (_, e) => azurite.OnOutput(e.Data);
        azurite.process.ErrorDataReceived += (_, e) => azurite.OnOutput(e.Data);
        azurite.process.BeginOutputReadLine();
        azurite.process.BeginErrorReadLine();
        var started = await Task.WhenAny(azurite.listening.Task, azurite.process.WaitForExitAsync(), Task.Delay(timeout));
        if (started != azurite.listening.Task)
        {
            var why = azurite.process.HasExited
                ? $"it exited with code {azurite.process.ExitCode}"
                : $"it did not say it was listening on port {port} within {timeout.TotalSeconds:0} s (is the port in use?)";
            var output = azurite.LastOutput;
            await azurite.DisposeAsync();
            throw new InvalidOperationException($"{why}.{(output.Length == 0 ? "" : $" Its last output: {output}")}");
        }

        return azurite;
    }

    /// <summary>The last lines Azurite printed, newest last, for saying why it failed.</summary>
    public string LastOutput
    {
        get
        {
            lock (recent)
            {
                return string.Join(" | ", recent);
            }
        }
    }

    private void OnOutput(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (recent)
        {
            recent.Enqueue(line.Trim());
            while (recent.Count > 10)
            {
                recent.Dequeue();
            }
        }

        if (line.Contains("successfully started", StringComparison.OrdinalIgnoreCase) || line.Contains("successfully listening", StringComparison.OrdinalIgnoreCase))
        {
            listening.TrySetResult();
        }
    }

    /// <summary>Stops Azurite gracefully, so it saves its tables; kills it if it has not exited within 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            try
            {
                process.StandardInput.Close();
                await process.WaitForExitAsync().WaitAsync(StopTimeout);
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process?.Dispose();
        process = null;
    }

}

public static class Ports
{
    /// <summary>Below this, ports are the registered services' and the usual development servers'.</summary>
    private const int Lowest = 20000;

    /// <summary>The first port of the kernel's ephemeral range; it does not change while we run, so it is read once.</summary>
    private static readonly int EphemeralStart = EphemeralRangeStart();

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port nothing listens on, for a process about to be started on it. Picked below the kernel's ephemeral
    /// range: every bind to port 0 and every outgoing connection on the machine takes its port from that range,
    /// so one of them could take a port handed out from it in the seconds before the child binds it.
    /// </summary>
    public static int Free()
    {
        if (EphemeralStart > Lowest + 1000)
        {
            lock (HandedOut)
            {
                for (var attempt = 0; attempt < 100; attempt++)
                {
                    var port = Random.Shared.Next(Lowest, EphemeralStart);
                    if (HandedOut.Add(port) && IsFree(port))
                    {
                        return port;
                    }
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux); 0 where it cannot be read.</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
