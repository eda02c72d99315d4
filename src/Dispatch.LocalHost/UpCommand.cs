using System.Globalization;
using Dispatch.Bus;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Identity;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dispatch.LocalHost;

/// <summary>The settings of <c>./dispatch up</c>.</summary>
public sealed record UpOptions
{
    public int ApiPort { get; init; } = 7071;

    public int StoragePort { get; init; } = 10002;

    public int BusPort { get; init; } = 5672;

    public string? PolicyFile { get; init; }

    public string? SweepSchedule { get; init; }

    public bool Fresh { get; init; }

    /// <summary>Keep table data in memory only (tests and the demo).</summary>
    public bool InMemory { get; init; }

    public string BusConfigPath { get; init; } = Path.Combine("infra", "servicebus", "config.json");

    /// <summary>The roster to seed at start; null seeds none.</summary>
    public string? RosterFile { get; init; } = Path.GetFullPath(Path.Combine("infra", "roster.sample.json"));

    /// <summary>Show the app's information logs (one line per sweep) as well as warnings.</summary>
    public bool Verbose { get; init; }

    public const string Usage = """
        Usage: ./dispatch up [--port N] [--policy FILE] [--sweep CRON] [--roster FILE|none] [--fresh] [--in-memory]
                             [--storage-port N] [--bus-port N] [--bus-config PATH] [--demo] [--verbose]

          --port N          API port (default 7071)
          --policy FILE     response policy (sets DISPATCH_POLICY_FILE; default: built-in)
          --sweep CRON      sweep schedule, NCRONTAB with seconds (sets DISPATCH_SWEEP_SCHEDULE; default */5 * * * * *)
          --roster FILE     roster to seed at start (default infra/roster.sample.json; 'none' seeds nothing)
          --fresh           start with empty tables (deletes .dispatch/azurite)
          --in-memory       keep tables in memory only (nothing survives a stop)
          --storage-port N  Azurite Table port (default 10002)
          --bus-port N      Service Bus broker port (default 5672)
          --bus-config PATH Service Bus entities (default infra/servicebus/config.json)
          --demo            the demo policy (windows of seconds) and a 1-second sweep
          --verbose         the app's information logs too (one line per sweep)
        """;

    public static UpOptions Parse(string[] args)
    {
        var options = new UpOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Port()
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                    ? port
                    : throw new ArgumentException($"'{text}' is not a port number.");
            }

            options = args[i] switch
            {
                "--port" => options with { ApiPort = Port() },
                "--storage-port" => options with { StoragePort = Port() },
                "--bus-port" => options with { BusPort = Port() },
                "--policy" => options with { PolicyFile = Path.GetFullPath(Value()) },
                "--sweep" => options with { SweepSchedule = Value() },
                "--bus-config" => options with { BusConfigPath = Value() },
                "--fresh" => options with { Fresh = true },
                "--in-memory" => options with { InMemory = true },
                "--verbose" => options with { Verbose = true },
                "--roster" => Value() is var rosterFile && rosterFile == "none" ? options with { RosterFile = null } : options with { RosterFile = Path.GetFullPath(rosterFile) },
                "--demo" => options with { PolicyFile = Path.GetFullPath(Path.Combine("infra", "demo-policy.json")), SweepSchedule = "* * * * * *" },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }

        if (options.PolicyFile is { } file && !File.Exists(file))
        {
            throw new ArgumentException($"Policy file '{file}' does not exist.");
        }

        if (options.RosterFile is { } roster && !File.Exists(roster))
        {
            throw new ArgumentException($"Roster file '{roster}' does not exist.");
        }

        return options;
    }
}

/// <summary>
/// The whole system on one machine: Azurite, the in-repo Service Bus broker, and the Functions app's
/// own classes serving HTTP and firing timers. Stops everything on Ctrl+C or SIGTERM.
/// </summary>
public sealed class LocalSystem : IAsyncDisposable
{
    private AzuriteProcess? azurite;
    private LocalBus? bus;
    private WebApplication? functions;
    private IReadOnlyList<RosterPerson> roster = [];

    public required UpOptions Options { get; init; }

    public string ApiUrl => $"http://127.0.0.1:{Options.ApiPort}/api";

    public string BusConnectionString => bus?.ConnectionString ?? "";

    public string StorageConnectionString => azurite?.ConnectionString ?? "";

    /// <summary>The local stack's token issuer (its key lives in .dispatch/signing-key.json).</summary>
    public LocalTokens Tokens { get; private set; } = null!;

    /// <summary>The people of the seeded roster, with their roles.</summary>
    public IReadOnlyList<RosterPerson> People => roster;

    public IServiceProvider Services => functions!.Services;

    /// <summary>Where the local signing key is kept: never committed (.dispatch/ is ignored).</summary>
    public static string SigningKeyPath(string repoRoot) => Path.Combine(repoRoot, ".dispatch", "signing-key.json");

    /// <summary>Starts every part, or stops those already started and says which part failed.</summary>
    public async Task StartAsync(string repoRoot, IConfiguration localSettings, LogLevel logLevel)
    {
        foreach (var (port, part) in new[] { (Options.ApiPort, "the API (--port)"), (Options.StoragePort, "Azurite (--storage-port)"), (Options.BusPort, "the Service Bus broker (--bus-port)") })
        {
            if (!Ports.IsFree(port))
            {
                throw new StackStartException($"Port {port} for {part} is already in use.");
            }
        }

        var config = LoadBusConfig();
        roster = Options.RosterFile is { } rosterFile ? LoadRoster(rosterFile) : [];
        var keyFile = SigningKeyPath(repoRoot);
        Tokens = LocalTokens.LoadOrCreate(keyFile);
        var data = Options.InMemory ? null : Path.Combine(repoRoot, ".dispatch", "azurite");
        if (Options.Fresh && data is not null && Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        try
        {
            azurite = await AzuriteProcess.StartAsync(repoRoot, Options.StoragePort, data, TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException e)
        {
            throw new StackStartException($"Azurite failed to start: {e.Message}");
        }

        try
        {
            bus = LocalBus.Start(config, Options.BusPort);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await DisposeAsync();
            throw new StackStartException($"The Service Bus broker failed to start on port {Options.BusPort}: {e.Message}");
        }

        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["ServiceBus"] = bus.ConnectionString,
            ["DISPATCH_PUBLIC_URL"] = $"http://127.0.0.1:{Options.ApiPort}",
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["DISPATCH_AUTH_LOCAL_KEY_FILE"] = keyFile,
        };
        if (Options.PolicyFile is not null)
        {
            settings["DISPATCH_POLICY_FILE"] = Options.PolicyFile;
        }

        if (Options.SweepSchedule is not null)
        {
            settings["DISPATCH_SWEEP_SCHEDULE"] = Options.SweepSchedule;
        }

        try
        {
            functions = LocalFunctionsHost.Build(new LocalHostOptions
            {
                Port = Options.ApiPort,
                Configuration = new ConfigurationBuilder().AddConfiguration(localSettings).AddInMemoryCollection(settings).Build(),
                MinimumLogLevel = Options.Verbose ? LogLevel.Information : logLevel,
            });
            await functions.StartAsync();
            await SeedRosterAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException or StorageUnavailableException)
        {
            await DisposeAsync();
            throw new StackStartException($"The Functions app failed to start: {e.Message}");
        }
    }

    /// <summary>A token for a person of the roster (or anyone), from the local stack's own key.</summary>
    public string TokenFor(Person person, IEnumerable<GlobalRole> roles, Duration? validFor = null) =>
        Tokens.Mint(person, roles, SystemClock.Instance.GetCurrentInstant(), validFor ?? Duration.FromHours(12));

    /// <summary>Puts the roster file's lines in, as the seeding system: every one recorded in the audit trail.</summary>
    private async Task SeedRosterAsync()
    {
        var store = functions!.Services.GetRequiredService<IRosterStore>();
        var clock = functions.Services.GetRequiredService<IClock>();
        var seeder = new Caller(Person.System("seed"), new HashSet<GlobalRole> { GlobalRole.Admin }, []);
        foreach (var membership in roster.SelectMany(p => p.Memberships))
        {
            var call = new ApiCall(seeder, new RequestInfo(Guid.NewGuid().ToString("N"), "SeedRoster", null, "seed"), clock.GetCurrentInstant())
            {
                Station = membership.Station,
                Change = $"roster put {membership.Person.Subject} as {membership.Role.Name()} (seeded from {Path.GetFileName(Options.RosterFile)})",
            };
            await store.PutAsync(membership, call.Record(200), CancellationToken.None);
        }
    }

    private static IReadOnlyList<RosterPerson> LoadRoster(string file)
    {
        try
        {
            return RosterFile.Load(file);
        }
        catch (ArgumentException e)
        {
            throw new StackStartException(e.Message);
        }
    }

    public string Banner(string sweep) =>
        $"""
        Dispatch is up.
          API            {ApiUrl}   (health: {ApiUrl}/health)
          Table Storage  {azurite!.Endpoint}   (Azurite; {(Options.InMemory ? "in memory" : "data in .dispatch/azurite")})
          Service Bus    127.0.0.1:{Options.BusPort}   (in-repo broker, {Options.BusConfigPath})
          Policy         {Options.PolicyFile ?? "built-in defaults"}
          Sweep          {sweep}
        Open the chief's desk:  ./dispatch chief --as zhang.wei{(Options.BusPort == 5672 ? "" : $" --connection \"{bus!.ConnectionString}\"")}{(Options.ApiPort == 7071 ? "" : $" --api {ApiUrl}")}
        A token for anyone:     TOKEN=$(./dispatch token --name li.ming)   (--role command-center|auditor|admin)
        {RosterLinks()}
        Ctrl+C stops everything.
        """;

    /// <summary>Each seeded person's board link: the token rides in the fragment, which browsers never send to a server.</summary>
    private string RosterLinks()
    {
        if (roster.Count == 0)
        {
            return "No roster seeded (--roster none).";
        }

        var lines = new List<string> { $"Roster ({Path.GetFileName(Options.RosterFile)}), board links valid 12 h:" };
        foreach (var person in roster)
        {
            var what = string.Join(", ", person.Memberships.Select(m => $"{m.Role.Name()}@{m.Station}{(m.Unit is null ? "" : $"/{m.Unit}")}").Concat(person.Roles.Select(r => r.Name())));
            lines.Add($"  {person.Person.Name,-14} {what,-32} {ApiUrl}/board#token={TokenFor(person.Person, person.Roles)}");
        }

        return string.Join(Environment.NewLine, lines);
    }

    public async ValueTask DisposeAsync()
    {
        if (functions is not null)
        {
            await functions.StopAsync();
            await functions.DisposeAsync();
            functions = null;
        }

        if (bus is not null)
        {
            await bus.DisposeAsync();
            bus = null;
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
            azurite = null;
        }
    }

    private BusConfig LoadBusConfig()
    {
        try
        {
            return BusConfig.Load(Options.BusConfigPath);
        }
        catch (BusConfigException e)
        {
            throw new StackStartException(e.Message);
        }
    }
}

public sealed class StackStartException(string message) : Exception(message);
