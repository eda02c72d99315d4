using System.Diagnostics;
using Dispatch.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Dispatch.LocalHost.Tests;

/// <summary>The <c>dispatch</c> script as a person types it: <c>TOKEN=$(./dispatch token --name li.ming)</c>.</summary>
public sealed class ScriptTests
{
    private static readonly string BuildOutput = Path.Combine(RepoRoot.Path, "src", "Dispatch.LocalHost", "bin", "Release", "net10.0");

    [Fact]
    public async Task Token_on_an_unchanged_tree_prints_the_token_alone_and_builds_nothing()
    {
        // The first call builds only if a source changed since the last build (the build of this test run counts).
        var first = await RunAsync("token", "--name", "li.ming");
        var built = BuildOutputTimes();
        var second = await RunAsync("token", "--name", "li.ming");

        Assert.Equal(0, first.ExitCode);
        Assert.Matches(@"^[\w-]+\.[\w-]+\.[\w-]+\n$", first.Output); // a build, if there was one, said so on stderr only
        Assert.Equal((0, ""), (second.ExitCode, second.Error));
        Assert.Matches(@"^[\w-]+\.[\w-]+\.[\w-]+\n$", second.Output);
        Assert.Equal("li.ming", new JsonWebToken(second.Output.Trim()).Subject);
        Assert.Equal(built, BuildOutputTimes()); // nothing was rebuilt, not even with nothing to compile
    }

    private static List<(string File, DateTime Written)> BuildOutputTimes() =>
        [.. new DirectoryInfo(BuildOutput).EnumerateFiles().Select(f => (f.Name, f.LastWriteTimeUtc)).OrderBy(f => f.Name, StringComparer.Ordinal)];

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var script = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepoRoot.Path, "dispatch"), .. args])
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = script.StandardOutput.ReadToEndAsync();
        var error = script.StandardError.ReadToEndAsync();
        try
        {
            // Generous: a first call that has to build takes minutes on a loaded 2-core machine.
            await script.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        }
        catch (TimeoutException)
        {
            script.Kill(entireProcessTree: true);
            throw;
        }

        return (script.ExitCode, await output, await error);
    }
}
