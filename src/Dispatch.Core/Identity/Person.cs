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

    /// <summary>Who the audit trail files a request under when no token proved anyone.</summary>
    public static Person Anonymous { get; } = new("anonymous", "anonymous");

    public bool IsSystem => Subject.StartsWith("system:", StringComparison.Ordinal);

    /// <summary>
    /// Names the app keeps for itself (<c>anonymous</c>, <c>system:*</c>, in any case): never a person's, in a token
    /// or on a roster, so nobody's record mixes with the refused requests or the sweep's.
    /// </summary>
    public static bool IsReserved(string subject) =>
        string.Equals(subject, Anonymous.Subject, StringComparison.OrdinalIgnoreCase) || subject.StartsWith("system:", StringComparison.OrdinalIgnoreCase);

    /// <summary>A subject a person may have: well formed and not reserved.</summary>
    public static bool IsPersonSubject(string? subject) => IsValidSubject(subject) && !IsReserved(subject!);

    public const string ReservedRule = "'anonymous' and names starting with 'system:' are kept for the app itself";

    /// <summary>Subject ids are Entra object ids (GUIDs) or local names; they become table keys, so the set is narrow.</summary>
    public static bool IsValidSubject(string? subject) => subject is { Length: > 0 and <= MaxSubjectLength } && SubjectPattern().IsMatch(subject);

    public const string SubjectRule = "1-128 letters, digits, '.', '_', '@', ':' or '-'";

    public override string ToString() => $"{Name} ({Subject})";

    [GeneratedRegex("^[A-Za-z0-9._@:-]+$")]
    private static partial Regex SubjectPattern();
}
