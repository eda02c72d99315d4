using System.Globalization;
using Dispatch.Bus;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Contracts;
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

    /// <summary>Where Azurite keeps its tables; .dispatch/azurite under the working directory when null.</summary>
    public string? DataDirectory { get; init; }

    public string BusConfigPath { get; init; } = Path.Combine("infra", "servicebus", "config.json");

    /// <summary>The roster to seed at start; null seeds none.</summary>
    public string? RosterFile { get; init; } = Path.GetFullPath(Path.Combine("infra", "roster.sample.json"));

    /// <summary>Show the app's information logs (one line per sweep) as well as warnings.</summary>
    public bool Verbose { get; init; }

    public const string Usage = """
        Usage: ./dispatch up [--port N] [--policy FILE] [--sweep CRON] [--roster FILE|none] [--fresh] [--in-memory] [--data DIR]
                             [--storage-port N] [--bus-port N] [--bus-config PATH] [--demo] [--verbose]

          --port N          API port (default 7071)
          --policy FILE     response policy (sets DISPATCH_POLICY_FILE; default: built-in)
          --sweep CRON      sweep schedule, NCRONTAB with seconds (sets DISPATCH_SWEEP_SCHEDULE; default */5 * * * * *)
          --roster FILE     roster to seed at start (default infra/roster.sample.json; 'none' seeds nothing)
          --fresh           start with empty tables (deletes .dispatch/azurite)
          --in-memory       keep tables in memory only (nothing survives a stop)
          --data DIR        where Azurite keeps its tables (default .dispatch/azurite)
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
                "--data" => options with { DataDirectory = Path.GetFullPath(Value()) },
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

    /// <summary>The app's own clock: the supervisor and the tokens it prints read time where the app does.</summary>
    private IClock Clock => Services.GetRequiredService<IClock>();

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
        var keyFile = LocalTokens.KeyPath(repoRoot);
        Tokens = LocalTokens.LoadOrCreate(keyFile);
        var data = DataDirectory(repoRoot);
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

    /// <summary>How many unexpected exits of one part within <see cref="CrashWindow"/> are restarted before up gives up.</summary>
    public const int MaxRestarts = 3;

    private static readonly Duration CrashWindow = Duration.FromMinutes(5);

    /// <summary>
    /// Watches Azurite (a child process) and the broker's listener until <paramref name="stop"/>: a part that dies
    /// is named with why (exit code, its last output) and restarted on the same port and data, with backoff
    /// (1 s, 2 s, 4 s). A part that cannot be restarted, or dies more than <see cref="MaxRestarts"/> times in five
    /// minutes, stops everything.
    /// </summary>
    /// <returns>0 when stopped, 1 when a part could not be kept running.</returns>
    public async Task<int> SuperviseAsync(string repoRoot, TextWriter log, CancellationToken stop)
    {
        var exits = new Dictionary<string, List<Instant>> { ["Azurite"] = [], ["The Service Bus broker"] = [] };
        var stopped = Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        while (true)
        {
            var busFault = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnFault(Exception e) => busFault.TrySetResult(e);
            bus!.ListenerFaulted += OnFault;
            var azuriteExited = azurite!.Exited;
            var which = await Task.WhenAny(azuriteExited, busFault.Task, stopped);
            bus.ListenerFaulted -= OnFault;
            if (which == stopped)
            {
                return 0;
            }

            var part = which == azuriteExited ? "Azurite" : "The Service Bus broker";
            var why = which == azuriteExited
                ? $"exited unexpectedly (pid {azurite.ProcessId}, exit code {azurite.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}). Its last output: {(azurite.LastOutput is { Length: > 0 } output ? output : "none")}"
                : $"stopped listening on port {Options.BusPort}: {busFault.Task.Result.Message}";
            log.WriteLine($"dispatch up: {part} {why}");
            var recent = exits[part];
            var now = Clock.GetCurrentInstant();
            recent.Add(now);
            recent.RemoveAll(t => now - t > CrashWindow);
            if (recent.Count > MaxRestarts)
            {
                log.WriteLine($"dispatch up: giving up: {part} died {recent.Count} times within {CrashWindow.TotalMinutes:0} minutes. Stopping everything.");
                return 1;
            }

            var failure = which == azuriteExited ? await RestartAzuriteAsync(repoRoot, log, stop) : await RestartBusAsync(log, stop);
            if (stop.IsCancellationRequested)
            {
                return 0;
            }

            if (failure is not null)
            {
                log.WriteLine($"dispatch up: giving up: {part} could not be restarted after {MaxRestarts} attempts: {failure} Stopping everything.");
                return 1;
            }
        }
    }

    private string? DataDirectory(string repoRoot) => Options.InMemory ? null : Options.DataDirectory ?? Path.Combine(repoRoot, ".dispatch", "azurite");

    /// <returns>Null once restarted, else why the last attempt failed.</returns>
    private async Task<string?> RestartAzuriteAsync(string repoRoot, TextWriter log, CancellationToken stop)
    {
        await azurite!.DisposeAsync();
        var data = DataDirectory(repoRoot);
        string? failure = null;
        for (var attempt = 1; attempt <= MaxRestarts; attempt++)
        {
            var delay = TimeSpan.FromSeconds(Math.Pow(2, attempt - 1));
            log.WriteLine($"dispatch up: restarting Azurite on port {Options.StoragePort} in {delay.TotalSeconds:0} s (attempt {attempt} of {MaxRestarts}).");
            try
            {
                await Task.Delay(delay, stop);
                azurite = await AzuriteProcess.StartAsync(repoRoot, Options.StoragePort, data, TimeSpan.FromSeconds(30));
                log.WriteLine($"dispatch up: Azurite is back on port {Options.StoragePort}, pid {azurite.ProcessId} ({(data is null ? "in memory: the tables it held are gone" : $"on its data in {data}")}).");
                return null;
            }
            catch (InvalidOperationException e)
            {
                failure = e.Message;
                log.WriteLine($"dispatch up: Azurite did not restart: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return failure;
    }

    private async Task<string?> RestartBusAsync(TextWriter log, CancellationToken stop)
    {
        await bus!.DisposeAsync();
        var config = LoadBusConfig();
        string? failure = null;
        for (var attempt = 1; attempt <= MaxRestarts; attempt++)
        {
            var delay = TimeSpan.FromSeconds(Math.Pow(2, attempt - 1));
            log.WriteLine($"dispatch up: restarting the Service Bus broker on port {Options.BusPort} in {delay.TotalSeconds:0} s (attempt {attempt} of {MaxRestarts}).");
            try
            {
                await Task.Delay(delay, stop);
                bus = LocalBus.Start(config, Options.BusPort);
                log.WriteLine($"dispatch up: the Service Bus broker is back on port {Options.BusPort} (messages it held are gone; notices not yet confirmed sent are in the outbox).");
                return null;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                failure = e.Message;
                log.WriteLine($"dispatch up: the broker did not restart: {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return failure;
    }

    /// <summary>A token for a person of the roster (or anyone), from the local stack's own key.</summary>
    public string TokenFor(Person person, IEnumerable<GlobalRole> roles, Duration? validFor = null) =>
        Tokens.Mint(person, roles, Clock.GetCurrentInstant(), validFor ?? Duration.FromHours(12));

    /// <summary>Puts the roster file's lines in, as the seeding system: every one recorded in the audit trail.</summary>
    private async Task SeedRosterAsync()
    {
        var store = functions!.Services.GetRequiredService<IRosterStore>();
        var seeder = new Caller(Person.System("seed"), new HashSet<GlobalRole> { GlobalRole.Admin }, []);
        foreach (var membership in roster.SelectMany(p => p.Memberships))
        {
            var call = new ApiCall(seeder, new RequestInfo(Guid.NewGuid().ToString("N"), "SeedRoster", null, "seed"), Clock.GetCurrentInstant())
            {
                Station = membership.Station,
                Change = $"roster put {membership.Person.Subject} as {membership.Role.Name()} (seeded from {Path.GetFileName(Options.RosterFile)})",
            };
            await store.PutAsync(membership, call.Record(AuditOutcome.Changed), CancellationToken.None);
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
          Table Storage  {azurite!.Endpoint}   (Azurite, pid {azurite.ProcessId}; {(Options.InMemory ? "in memory" : $"data in {Options.DataDirectory ?? ".dispatch/azurite"}")})
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
