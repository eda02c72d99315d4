using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Dispatch.LocalHost;

/// <summary>Azurite's Table service from the repo's pinned npm package, as a child process.</summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? process;

    private AzuriteProcess(int port) => Port = port;

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

        List<string> arguments = [script, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture), "--skipApiVersionCheck", "--disableTelemetry", "--loose"];
        if (dataDirectory is null)
        {
            arguments.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            arguments.AddRange(["--location", dataDirectory]);
        }

        var azurite = new AzuriteProcess(port);
        var start = new ProcessStartInfo("node", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        azurite.process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        // Drain its output so a full pipe can never stall it.
        azurite.process.OutputDataReceived += (_, _) => { };
        azurite.process.ErrorDataReceived += (_, _) => { };
        azurite.process.BeginOutputReadLine();
        azurite.process.BeginErrorReadLine();
        if (!await azurite.WaitUntilListeningAsync(timeout))
        {
            await azurite.DisposeAsync();
            throw new InvalidOperationException($"Azurite did not start listening on port {port} within {timeout.TotalSeconds:0} s.");
        }

        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < timeout && !process!.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }
}

public static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
