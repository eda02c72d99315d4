using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dispatch.Testing;

/// <summary>
/// A real Azurite Table service from the repo's pinned npm package, in memory, on a free port, for the
/// life of a test collection.
/// </summary>
public sealed class Azurite : Xunit.IAsyncLifetime
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private Process? process;

    public int Port { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    public async Task InitializeAsync()
    {
        var script = Path.Combine(RepoRoot.Path, "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed at {script}: run 'npm ci' in the repo root (./dispatch test does).");
        }

        // A free port can be taken between our probe and Azurite's bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            process = Process.Start(new ProcessStartInfo("node", [script, "--tableHost", "127.0.0.1", "--tablePort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            // Drain Azurite's output so a full pipe can never stall it.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await WaitUntilListeningAsync(TimeSpan.FromSeconds(30)))
            {
                return;
            }

            await DisposeAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException("Azurite did not start listening within 30 seconds, three times.");
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !process!.HasExited)
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

public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Dispatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find Dispatch.sln above " + AppContext.BaseDirectory);
    }
}
