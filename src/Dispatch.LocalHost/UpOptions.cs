using System.Globalization;

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
