using System.Text.RegularExpressions;

namespace Dispatch.Core.Identity;

/// <summary>
/// A verified person (or the system itself): the subject id a token proved, and the name to show. This is
/// what every timeline event, escalation and audit record names; nothing a client types.
/// </summary>
public sealed partial record Person(string Subject, string Name)
{
    public const int MaxSubjectLength = 128;

    public const int MaxNameLength = 100;

    /// <summary>The sweep, the relay and the daily report: actions no person took.</summary>
    public static Person System(string name) => new($"system:{name}", name);

    public static Person Sweep { get; } = System("sweep");

    public bool IsSystem => Subject.StartsWith("system:", StringComparison.Ordinal);

    /// <summary>Subject ids are Entra object ids (GUIDs) or local names; they become table keys, so the set is narrow.</summary>
    public static bool IsValidSubject(string? subject) => subject is { Length: > 0 and <= MaxSubjectLength } && SubjectPattern().IsMatch(subject);

    public const string SubjectRule = "1-128 letters, digits, '.', '_', '@', ':' or '-'";

    public override string ToString() => $"{Name} ({Subject})";

    [GeneratedRegex("^[A-Za-z0-9._@:-]+$")]
    private static partial Regex SubjectPattern();
}
