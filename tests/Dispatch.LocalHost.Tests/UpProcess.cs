using System.Diagnostics;
using Dispatch.Testing;

namespace Dispatch.LocalHost.Tests;

/// <summary><c>./dispatch up</c> (or another command of the script) as a real process, every line it prints kept for the test to read.</summary>
public sealed class UpProcess : IAsyncDisposable
{
    private readonly List<string> lines = [];
    private readonly Task reading;

    private UpProcess(Process process)
    {
        Process = process;
        reading = Task.WhenAll(ReadAsync(process.StandardOutput), ReadAsync(process.StandardError));
    }

    public Process Process { get; }

    /// <summary>Everything printed so far, stdout and stderr interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (lines)
            {
                return string.Join('\n', lines);
            }
        }
    }

    private static bool ReleaseBuild => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    public static UpProcess Start(params string[] args) => StartIn(null, args);

    /// <param name="locale">The terminal's language (<c>LANG</c>), or null for this process's own.</param>
    public static UpProcess StartIn(string? locale, params string[] args)
    {
        var arguments = new List<string> { Path.Combine(RepoRoot.Path, "dispatch"), args[0] };
        if (ReleaseBuild)
        {
            arguments.Add("--no-build");
        }

        arguments.AddRange(args.Skip(1));
        var start = new ProcessStartInfo("bash", arguments)
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        if (locale is not null)
        {
            start.Environment["LANG"] = locale;
            start.Environment.Remove("LC_ALL");
            start.Environment.Remove("LC_MESSAGES");
        }

        return new UpProcess(Process.Start(start)!);
    }

    private string Tail(int count)
    {
        lock (lines)
        {
            return string.Join('\n', lines.TakeLast(count));
        }
    }

    /// <summary>Waits for a line containing <paramref name="text"/> (already printed or yet to come).</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (Process.HasExited)
            {
                await reading;
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"dispatch exited ({Process.ExitCode}) before printing '{text}':\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"dispatch did not print '{text}' within {timeout.TotalSeconds:0} s:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends a signal (INT as Ctrl+C does, TERM, HUP, KILL…) to the host; the script execs dotnet, so it reaches the host itself.</summary>
    public Task SignalAsync(string signal) => Signal(Process.Id, signal);

    public static async Task Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", $"{pid}"])!;
        await kill.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await Process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Process.Kill(entireProcessTree: true);
            // A process started with SIGINT or SIGHUP ignored (a background job of a script, nohup) keeps
            // ignoring them, and .NET honours that: say so rather than leave a bare timeout.
            throw new TimeoutException($"dispatch did not exit within {timeout.TotalSeconds:0} s (was this test run started with SIGINT/SIGHUP ignored, e.g. as a background job or under nohup?). Its last output:\n{Tail(20)}");
        }

        await reading;
        return Process.ExitCode;
    }

    /// <summary>Stops it as a user would (Ctrl+C) and waits for it to exit.</summary>
    public async Task<int> StopAsync()
    {
        if (!Process.HasExited)
        {
            await SignalAsync("INT");
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }
}
