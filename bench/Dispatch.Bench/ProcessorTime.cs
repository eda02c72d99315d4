using System.Diagnostics;
using System.Globalization;

namespace Dispatch.Bench;

/// <summary>
/// Processor time used by this process and by the stack's Azurite (found by its table port), so a figure can say how
/// much of its wall-clock time was the app's own work and how much the emulator's, on a machine of two cores.
/// </summary>
public sealed class ProcessorTime(int? azurite)
{
    /// <summary>Azurite is the node process started with <c>--tablePort {port}</c>; null when it is not found (not Linux).</summary>
    public static ProcessorTime ForStorage(string connectionString)
    {
        var endpoint = connectionString.Split(';').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "TableEndpoint")?[1];
        var port = endpoint is null ? null : new Uri(endpoint).Port.ToString(CultureInfo.InvariantCulture);
        int? found = null;
        if (port is not null && Directory.Exists("/proc"))
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    var arguments = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                    var at = Array.IndexOf(arguments, "--tablePort");
                    if (at >= 0 && at + 1 < arguments.Length && arguments[at + 1] == port && int.TryParse(Path.GetFileName(dir), out var pid))
                    {
                        found = pid;
                        break;
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return new ProcessorTime(found);
    }

    /// <summary>Milliseconds of processor time so far: this process's, and Azurite's (NaN when not found).</summary>
    public (double App, double Storage) Now() => (Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, AzuriteMs());

    private double AzuriteMs()
    {
        if (azurite is not { } pid)
        {
            return double.NaN;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime.TotalMilliseconds;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // It has exited.
            return double.NaN;
        }
    }
}
