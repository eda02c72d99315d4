namespace Dispatch.Chief;

/// <summary>The desk's settings, from the command line first, then the environment.</summary>
public sealed record DeskOptions(string Connection, string Api, string Subscription, string? Station, string Actor, bool Json, string? ApiKey = null)
{
    public const string Usage = """
        Usage: ./dispatch chief [--station S] [--json] [--subscription NAME] [--connection CS] [--api URL] [--as NAME]

          --station S         show only station S's escalations
          --json              print one JSON line per message and nothing else
          --subscription NAME the subscription of topic 'escalations' to read (default: chief)
          --connection CS     Service Bus connection string, or a namespace host name (x.servicebus.windows.net)
                              to sign in with Azure identity (env DISPATCH_SERVICEBUS; default: the local broker on 5672)
          --api URL           Dispatch API base URL (env DISPATCH_API; default http://127.0.0.1:7071/api)
          --as NAME           who acknowledges (env DISPATCH_ACTOR; default chief)
          --key KEY           the API's function key, sent as x-functions-key (env DISPATCH_API_KEY; not needed locally)
        """;

    public const string LocalBroker =
        "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;";

    /// <summary>A connection string, or a namespace host name signed in to with DefaultAzureCredential (Azure, local auth off).</summary>
    public bool UsesIdentity => !Connection.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase);

    public Azure.Messaging.ServiceBus.ServiceBusClient CreateClient() => UsesIdentity
        ? new(Connection, new Azure.Identity.DefaultAzureCredential())
        : new(Connection);

    public static DeskOptions Parse(string[] args, Func<string, string?> environment)
    {
        string? connection = null, api = null, subscription = null, station = null, actor = null, key = null;
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
                case "--key": key = Value(); break;
                case "--json": json = true; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        return new DeskOptions(
            connection ?? environment("DISPATCH_SERVICEBUS") ?? LocalBroker,
            (api ?? environment("DISPATCH_API") ?? "http://127.0.0.1:7071/api").TrimEnd('/') + "/",
            subscription ?? "chief",
            station,
            actor ?? environment("DISPATCH_ACTOR") ?? "chief",
            json,
            key ?? environment("DISPATCH_API_KEY"));
    }
}
