using Dispatch.Core.Identity;
using Dispatch.Contracts;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.LocalHost;

/// <summary>
/// <c>./dispatch token --name NAME [--role ROLE]… [--valid-for PT8H]</c>: a token for the local stack, on
/// standard output and nothing else, so <c>TOKEN=$(./dispatch token --name wang.lei)</c> works.
/// </summary>
public static class TokenCommand
{
    public const string Usage = "Usage: ./dispatch token --name NAME [--display \"Full Name\"] [--role admin|auditor|command-center]... [--valid-for PT8H]";

    public static int Run(string[] args, string repoRoot, IClock clock, TextWriter output, TextWriter error)
    {
        string? name = null, display = null;
        var roles = new List<GlobalRole>();
        var validFor = Duration.FromHours(8);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--name" when value is not null:
                    name = value;
                    i++;
                    break;
                case "--display" when value is not null:
                    display = value;
                    i++;
                    break;
                case "--role" when value is not null:
                    if (!RoleNames.TryParse(value, out GlobalRole role))
                    {
                        error.WriteLine($"dispatch token: '{value}' is not a global role ({string.Join(", ", RoleNames.GlobalRoles)}); station roles come from the roster.");
                        return 2;
                    }

                    roles.Add(role);
                    i++;
                    break;
                case "--valid-for" when value is not null:
                    var parsed = PeriodPattern.NormalizingIso.Parse(value);
                    if (!parsed.Success || parsed.Value.HasDateComponent && (parsed.Value.Years != 0 || parsed.Value.Months != 0) || parsed.Value.ToDuration() <= Duration.Zero)
                    {
                        error.WriteLine($"dispatch token: --valid-for takes an ISO-8601 duration such as PT8H, not '{value}'.");
                        return 2;
                    }

                    validFor = parsed.Value.ToDuration();
                    i++;
                    break;
                default:
                    error.WriteLine($"dispatch token: unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }

        if (!Person.IsPersonSubject(name))
        {
            error.WriteLine($"dispatch token: --name is required: {Person.SubjectRule}, not reserved ({Person.ReservedRule}); it is the person's id, as the roster lists it.\n{Usage}");
            return 2;
        }

        var tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(repoRoot));
        output.WriteLine(tokens.Mint(new Person(name!, display ?? SampleName(repoRoot, name!)), roles, clock.GetCurrentInstant(), validFor));
        return 0;
    }

    /// <summary>The display name the sample roster gives the person, so tokens for its people read as they do on the board.</summary>
    private static string SampleName(string repoRoot, string subject)
    {
        var sample = Path.Combine(repoRoot, "infra", "roster.sample.json");
        try
        {
            return File.Exists(sample) ? RosterFile.Load(sample).FirstOrDefault(p => p.Person.Subject == subject)?.Person.Name ?? subject : subject;
        }
        catch (ArgumentException)
        {
            return subject;
        }
    }
}
