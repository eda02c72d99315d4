using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Dispatch.LocalHost;

/// <summary>
/// The whole system on one machine: Azurite, the in-repo Service Bus broker, and the Functions app's own
/// classes serving HTTP and firing timers. It puts together the parts that each do one job: the
/// <see cref="StackStarter"/> starts them, the <see cref="RosterSeeder"/> fills the roster, the
/// <see cref="StackSupervisor"/> keeps them running, the <see cref="StackBanner"/> says where they are.
/// </summary>
public sealed class LocalSystem : IAsyncDisposable
{
    private StackStarter? starter;
    private StackParts? parts;
    private IReadOnlyList<RosterPerson> roster = [];

    public required UpOptions Options { get; init; }

    public string ApiUrl => ApiRoute.On($"http://127.0.0.1:{Options.ApiPort}");

    public string BusConnectionString => parts?.Bus.ConnectionString ?? "";

    public string StorageConnectionString => parts?.Azurite.ConnectionString ?? "";

    /// <summary>The local stack's token issuer (its key lives in .dispatch/signing-key.json).</summary>
    public LocalTokens Tokens { get; private set; } = null!;

    /// <summary>The people of the seeded roster, with their roles.</summary>
    public IReadOnlyList<RosterPerson> People => roster;

    public IServiceProvider Services => parts!.Functions.Services;

    /// <summary>The app's own clock: the supervisor and the tokens it prints read time where the app does.</summary>
    private IClock Clock => Services.GetRequiredService<IClock>();

    /// <summary>Starts every part and seeds the roster, or stops those already started and says which part failed.</summary>
    public async Task StartAsync(string repoRoot, IConfiguration localSettings, LogLevel logLevel)
    {
        starter = new StackStarter(Options, repoRoot);
        var config = starter.Prepare();
        roster = Options.RosterFile is { } rosterFile ? LoadRoster(rosterFile) : [];
        Tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(repoRoot));
        parts = await starter.StartAsync(config, localSettings, logLevel);
        try
        {
            await RosterSeeder.SeedAsync(Services.GetRequiredService<IRosterStore>(), roster, Path.GetFileName(Options.RosterFile) ?? "", Clock);
        }
        catch (Exception e) when (StackStarter.IsAppStartFailure(e))
        {
            await DisposeAsync();
            throw StackStarter.AppFailed(e);
        }
    }

    /// <inheritdoc cref="StackSupervisor.SuperviseAsync"/>
    public Task<int> SuperviseAsync(TextWriter log, CancellationToken stop) =>
        new StackSupervisor(starter!, parts!, Options, Clock, log).SuperviseAsync(stop);

    /// <summary>A token for a person of the roster (or anyone), from the local stack's own key.</summary>
    public string TokenFor(Person person, IEnumerable<GlobalRole> roles, Duration? validFor = null) =>
        Tokens.Mint(person, roles, Clock.GetCurrentInstant(), validFor ?? Duration.FromHours(12));

    public string Banner(string sweep) => StackBanner.Text(this, parts!, sweep);

    public async ValueTask DisposeAsync()
    {
        if (parts is not null)
        {
            await parts.DisposeAsync();
            parts = null;
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
}
