using Dispatch.Bus;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dispatch.LocalHost;

/// <summary>The running parts of a local stack. The supervisor replaces a part it restarts.</summary>
public sealed class StackParts(AzuriteProcess azurite, LocalBus bus, WebApplication functions) : IAsyncDisposable
{
    public AzuriteProcess Azurite { get; set; } = azurite;

    public LocalBus Bus { get; set; } = bus;

    public WebApplication Functions => functions;

    public async ValueTask DisposeAsync()
    {
        await functions.StopAsync();
        await functions.DisposeAsync();
        await Bus.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>
/// Starts the parts of <c>./dispatch up</c> — Azurite, the in-repo Service Bus broker, the Functions app's own
/// classes — on the ports of <see cref="UpOptions"/>, or stops those already started and says which part failed.
/// Each part's start is also what the supervisor calls to bring it back.
/// </summary>
public sealed class StackStarter(UpOptions options, string repoRoot)
{
    private static readonly TimeSpan AzuriteStartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where Azurite keeps its tables: null in memory.</summary>
    public string? DataDirectory => options.InMemory ? null : options.DataDirectory ?? Path.Combine(repoRoot, ".dispatch", "azurite");

    /// <summary>Refuses ports already taken before anything starts, and reads the broker's entities.</summary>
    public BusConfig Prepare()
    {
        foreach (var (port, part) in new[] { (options.ApiPort, "the API (--port)"), (options.StoragePort, "Azurite (--storage-port)"), (options.BusPort, "the Service Bus broker (--bus-port)") })
        {
            if (!Ports.IsFree(port))
            {
                throw new StackStartException($"Port {port} for {part} is already in use.");
            }
        }

        return LoadBusConfig();
    }

    /// <param name="settings">The app's settings beyond those that point it at the parts started here.</param>
    public async Task<StackParts> StartAsync(BusConfig config, IConfiguration settings, LogLevel logLevel)
    {
        if (options.Fresh && DataDirectory is { } data && Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        AzuriteProcess azurite;
        try
        {
            azurite = await StartAzuriteAsync();
        }
        catch (InvalidOperationException e)
        {
            throw new StackStartException($"Azurite failed to start: {e.Message}");
        }

        LocalBus bus;
        try
        {
            bus = StartBus(config);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await azurite.DisposeAsync();
            throw new StackStartException($"The Service Bus broker failed to start on port {options.BusPort}: {e.Message}");
        }

        WebApplication? functions = null;
        try
        {
            functions = LocalFunctionsHost.Build(new LocalHostOptions
            {
                Port = options.ApiPort,
                Configuration = new ConfigurationBuilder().AddConfiguration(settings).AddInMemoryCollection(AppSettings(azurite, bus)).Build(),
                MinimumLogLevel = options.Verbose ? LogLevel.Information : logLevel,
            });
            await functions.StartAsync();
            return new StackParts(azurite, bus, functions);
        }
        catch (Exception e) when (IsAppStartFailure(e))
        {
            if (functions is not null)
            {
                await functions.StopAsync();
                await functions.DisposeAsync();
            }

            await bus.DisposeAsync();
            await azurite.DisposeAsync();
            throw AppFailed(e);
        }
    }

    /// <exception cref="InvalidOperationException">Azurite is not installed, or did not start listening.</exception>
    public Task<AzuriteProcess> StartAzuriteAsync() => AzuriteProcess.StartAsync(repoRoot, options.StoragePort, DataDirectory, AzuriteStartTimeout);

    /// <exception cref="System.Net.Sockets.SocketException">The broker's port cannot be listened on.</exception>
    public LocalBus StartBus(BusConfig config) => LocalBus.Start(config, options.BusPort);

    public BusConfig LoadBusConfig()
    {
        try
        {
            return BusConfig.Load(options.BusConfigPath);
        }
        catch (BusConfigException e)
        {
            throw new StackStartException(e.Message);
        }
    }

    /// <summary>What stops the Functions app (or what it does at start, such as seeding) from coming up: a setting, a file, storage.</summary>
    public static bool IsAppStartFailure(Exception e) =>
        e is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException or Core.Incidents.StorageUnavailableException;

    public static StackStartException AppFailed(Exception e) => new($"The Functions app failed to start: {e.Message}");

    private Dictionary<string, string?> AppSettings(AzuriteProcess azurite, LocalBus bus)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["ServiceBus"] = bus.ConnectionString,
            ["DISPATCH_PUBLIC_URL"] = $"http://127.0.0.1:{options.ApiPort}",
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = Contracts.LocalTokens.KeyPath(repoRoot),
        };
        if (options.PolicyFile is not null)
        {
            settings["DISPATCH_POLICY_FILE"] = options.PolicyFile;
        }

        if (options.SweepSchedule is not null)
        {
            settings["DISPATCH_SWEEP_SCHEDULE"] = options.SweepSchedule;
        }

        return settings;
    }
}

public sealed class StackStartException(string message) : Exception(message);
