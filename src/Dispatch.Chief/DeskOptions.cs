using Azure.Core;
using Azure.Identity;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.Chief;

/// <summary>The desk's settings, from the command line first, then the environment.</summary>
public sealed record DeskOptions(
    string Connection, string Api, string Subscription, string? Station, bool Json, string? Token = null, string? As = null, string? Audience = null,
    Core.Policy.Language? Language = null)
{
    public const string Usage = """
        Usage: ./dispatch chief [--station S] [--json] [--subscription NAME] [--connection CS] [--api URL] [--lang zh-CN|en]
                                [--as NAME | --token TOKEN | --audience URI]

          --station S         show only station S's escalations
          --json              print one JSON line per message and nothing else
          --subscription NAME the subscription of topic 'escalations' to read (default: chief)
          --connection CS     Service Bus connection string, or a namespace host name (x.servicebus.windows.net)
                              to sign in with Azure identity (env DISPATCH_SERVICEBUS; default: the local broker on 5672)
          --api URL           Dispatch API base URL (env DISPATCH_API; default http://127.0.0.1:7071/api)
          --lang zh-CN|en     the desk's language (default: the language of the stations' policy)
          --as NAME           locally: acknowledge as NAME with a token from the local stack's key (default zhang.wei, the sample chief)
          --token TOKEN       a bearer token to acknowledge with (env DISPATCH_TOKEN)
          --audience URI      in Azure: get a token for the API's audience with Azure identity (env DISPATCH_AUTH_AUDIENCE)
        """;

    public const string LocalBroker =
        "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;";

    /// <summary>A connection string, or a namespace host name signed in to with DefaultAzureCredential (Azure, local auth off).</summary>
    public bool UsesIdentity => !Connection.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase);

    public Azure.Messaging.ServiceBus.ServiceBusClient CreateClient() => UsesIdentity
        ? new(Connection, new DefaultAzureCredential())
        : new(Connection);

    /// <summary>Who acknowledges: the token given, one from Azure identity for the API's audience, or one minted from the local stack's key.</summary>
    public Func<CancellationToken, Task<string>> TokenSource(string repoRoot, IClock clock)
    {
        if (Token is not null)
        {
            return _ => Task.FromResult(Token);
        }

        if (Audience is not null)
        {
            var credential = new DefaultAzureCredential();
            var scope = $"{Audience.TrimEnd('/')}/.default";
            return async ct => (await credential.GetTokenAsync(new TokenRequestContext([scope]), ct)).Token;
        }

        var name = As ?? "zhang.wei";
        return _ =>
        {
            var tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(repoRoot));
            return Task.FromResult(tokens.Mint(new Person(name, name), [], clock.GetCurrentInstant(), Duration.FromHours(1)));
        };
    }

    /// <summary>Who the board says acknowledged a row.</summary>
    public string Actor => As ?? (Token is null && Audience is null ? "zhang.wei" : "you");

    public static DeskOptions Parse(string[] args, Func<string, string?> environment)
    {
        string? connection = null, api = null, subscription = null, station = null, token = null, actor = null, audience = null;
        Core.Policy.Language? language = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--connection": connection = Value(); break;
                case "--api": api = Value(); break;
                case "--subscription": subscription = Value(); break;
                case "--station": station = Value(); break;
                case "--as": actor = Value(); break;
                case "--token": token = Value(); break;
                case "--audience": audience = Value(); break;
                case "--json": json = true; break;
                case "--lang":
                    var tag = Value();
                    language = Core.Policy.LanguageNames.TryMatch(tag, out var named) ? named
                        : throw new ArgumentException($"--lang must be one of {string.Join(", ", Core.Policy.LanguageNames.All)}, not '{tag}'.");
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (actor is not null && !Person.IsValidSubject(actor))
        {
            throw new ArgumentException($"--as must be a person's id: {Person.SubjectRule}.");
        }

        return new DeskOptions(
            connection ?? environment("DISPATCH_SERVICEBUS") ?? LocalBroker,
            (api ?? environment("DISPATCH_API") ?? ApiRoute.On("http://127.0.0.1:7071")).TrimEnd('/') + "/",
            subscription ?? EscalationTopic.SubscriptionOf(Core.Policy.Audience.Chief),
            station,
            json,
            token ?? environment("DISPATCH_TOKEN"),
            actor,
            audience ?? environment("DISPATCH_AUTH_AUDIENCE"),
            language);
    }
}
