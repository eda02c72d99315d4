using Dispatch.LocalHost;

namespace Dispatch.Testing;

/// <summary>
/// A real Azurite Table service from the repo's pinned npm package, in memory, on a free port, for the
/// life of a test collection.
/// </summary>
public sealed class Azurite : Xunit.IAsyncLifetime
{
    private AzuriteProcess? azurite;

    public int Port => azurite!.Port;

    public string ConnectionString => azurite!.ConnectionString;

    public static int FreePort() => Ports.Free();

    public async Task InitializeAsync()
    {
        // A free port can be taken between our probe and Azurite's bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                azurite = await AzuriteProcess.StartAsync(RepoRoot.Path, Ports.Free(), dataDirectory: null, TimeSpan.FromSeconds(30));
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
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
