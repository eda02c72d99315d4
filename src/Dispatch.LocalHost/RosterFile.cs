using System.Text.Json;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;

namespace Dispatch.LocalHost;

/// <summary>A person of a roster file: who they are, their station roles, and (locally) their global roles.</summary>
public sealed record RosterPerson(Person Person, IReadOnlyList<Membership> Memberships, IReadOnlyList<GlobalRole> Roles);

/// <summary>Reads a roster file (<c>infra/roster.sample.json</c> is one), naming the entry that is wrong.</summary>
public static class RosterFile
{
    public static IReadOnlyList<RosterPerson> Load(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Roster file '{path}' cannot be read: {e.Message}");
        }

        using (document)
        {
            var people = new List<RosterPerson>();
            if (!document.RootElement.TryGetProperty("people", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new ArgumentException($"Roster file '{path}': 'people' must be an array.");
            }

            var index = 0;
            foreach (var entry in list.EnumerateArray())
            {
                var where = $"Roster file '{path}', people[{index++}]";
                var subject = entry.TryGetProperty("subject", out var s) ? s.GetString() : null;
                if (!Person.IsPersonSubject(subject))
                {
                    throw new ArgumentException($"{where}.subject must be {Person.SubjectRule}; {Person.ReservedRule}.");
                }

                var person = new Person(subject!, entry.TryGetProperty("name", out var n) && n.GetString() is { Length: > 0 } name ? name : subject!);
                var memberships = new List<Membership>();
                if (entry.TryGetProperty("stations", out var stations))
                {
                    foreach (var station in stations.EnumerateArray())
                    {
                        if (!StationId.TryParse(station.GetProperty("station").GetString(), out var id) || !RoleNames.TryParse(station.GetProperty("role").GetString(), out StationRole role))
                        {
                            throw new ArgumentException($"{where}: each station needs a valid 'station' and a 'role' of {string.Join(", ", RoleNames.StationRoles)}.");
                        }

                        memberships.Add(new Membership(id, person, role, station.TryGetProperty("unit", out var u) ? u.GetString() : null));
                    }
                }

                var roles = new List<GlobalRole>();
                if (entry.TryGetProperty("roles", out var globals))
                {
                    foreach (var role in globals.EnumerateArray())
                    {
                        roles.Add(RoleNames.TryParse(role.GetString(), out GlobalRole parsed)
                            ? parsed
                            : throw new ArgumentException($"{where}.roles: '{role.GetString()}' is not one of {string.Join(", ", RoleNames.GlobalRoles)}."));
                    }
                }

                people.Add(new RosterPerson(person, memberships, roles));
            }

            return people;
        }
    }
}
