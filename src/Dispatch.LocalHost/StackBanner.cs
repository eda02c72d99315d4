using Dispatch.Core.Identity;

namespace Dispatch.LocalHost;

/// <summary>What <c>./dispatch up</c> prints once it is up: where each part is, how to sign in, each seeded person's board link.</summary>
public static class StackBanner
{
    public static string Text(LocalSystem stack, StackParts parts, string sweep)
    {
        var options = stack.Options;
        return $"""
            Dispatch is up.
              API            {stack.ApiUrl}   (health: {stack.ApiUrl}/health)
              Table Storage  {parts.Azurite.Endpoint}   (Azurite, pid {parts.Azurite.ProcessId}; {(options.InMemory ? "in memory" : $"data in {options.DataDirectory ?? ".dispatch/azurite"}")})
              Service Bus    127.0.0.1:{options.BusPort}   (in-repo broker, {options.BusConfigPath})
              Policy         {options.PolicyFile ?? "built-in defaults"}
              Sweep          {sweep}
            Open the chief's desk:  ./dispatch chief --as zhang.wei{(options.BusPort == 5672 ? "" : $" --connection \"{parts.Bus.ConnectionString}\"")}{(options.ApiPort == 7071 ? "" : $" --api {stack.ApiUrl}")}
            A token for anyone:     TOKEN=$(./dispatch token --name li.ming)   (--role command-center|auditor|admin)
            {RosterLinks(stack)}
            Ctrl+C stops everything.
            """;
    }

    /// <summary>Each seeded person's board link: the token rides in the fragment, which browsers never send to a server.</summary>
    private static string RosterLinks(LocalSystem stack)
    {
        if (stack.People.Count == 0)
        {
            return "No roster seeded (--roster none).";
        }

        var lines = new List<string> { $"Roster ({Path.GetFileName(stack.Options.RosterFile)}), board links valid 12 h:" };
        foreach (var person in stack.People)
        {
            var what = string.Join(", ", person.Memberships.Select(m => $"{m.Role.Name()}@{m.Station}{(m.Unit is null ? "" : $"/{m.Unit}")}").Concat(person.Roles.Select(r => r.Name())));
            lines.Add($"  {person.Person.Name,-14} {what,-32} {stack.ApiUrl}/board#token={stack.TokenFor(person.Person, person.Roles)}");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
