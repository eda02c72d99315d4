namespace Dispatch.Core;

/// <summary>
/// One enum's names on the wire and in stored rows, in one table: every value has exactly one name, and
/// the table says once how letter case is matched when a name is read back.
/// </summary>
/// <remarks>
/// Every enum that crosses the wire has one of these (<see cref="Incidents.WireNames"/>,
/// <see cref="Identity.RoleNames"/>, <see cref="Policy.AudienceNames"/>); the C# names never leave the process.
/// A table that misses a value, or names two values alike, fails when its type is first used.
/// </remarks>
public sealed class NameTable<T>
    where T : struct, Enum
{
    private readonly Dictionary<T, string> names;
    private readonly StringComparison matching;

    /// <param name="matching">How a name read back is compared: <see cref="StringComparison.OrdinalIgnoreCase"/> where people type it, ordinal where it must match exactly.</param>
    public NameTable(StringComparison matching, IReadOnlyDictionary<T, string> names)
    {
        var missing = Enum.GetValues<T>().Where(v => !names.ContainsKey(v)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"{typeof(T).Name} has no wire name for {string.Join(", ", missing)}.", nameof(names));
        }

        var comparer = matching == StringComparison.OrdinalIgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        if (names.Values.Distinct(comparer).Count() != names.Count)
        {
            throw new ArgumentException($"{typeof(T).Name} has two values with the same wire name.", nameof(names));
        }

        this.names = new Dictionary<T, string>(names);
        this.matching = matching;
    }

    /// <summary>The names in the order of the enum's values.</summary>
    public IReadOnlyList<string> Names => [.. Enum.GetValues<T>().Select(v => names[v])];

    public string Name(T value) => names[value];

    public bool TryParse(string? text, out T value)
    {
        foreach (var (key, name) in names)
        {
            if (string.Equals(name, text, matching))
            {
                value = key;
                return true;
            }
        }

        value = default;
        return false;
    }
}
