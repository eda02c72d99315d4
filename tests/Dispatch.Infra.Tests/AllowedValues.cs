using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using Dispatch.Infra.Tests.Arm;

namespace Dispatch.Infra.Tests;

/// <summary>
/// infra/allowed-values.json: for every property the template sets, either what Azure allows in it (copied by hand
/// from the Microsoft page, REST specification or Azure Verified Module linked beside it) or why Azure restricts
/// nothing there. A property the table does not mention is a finding, so a new property cannot slip through.
/// </summary>
internal sealed class AllowedValues
{
    private readonly List<Entry> entries;

    private AllowedValues(List<Entry> entries) => this.entries = entries;

    public IReadOnlyList<Entry> Entries => entries;

    public static AllowedValues Load() => Parse(JsonNode.Parse(File.ReadAllText(Path.Combine(InfraTemplate.Infra, "allowed-values.json")))!);

    public static AllowedValues Parse(JsonNode table) =>
        new(table["properties"]!.AsArray().Select(e => new Entry(e!.AsObject())).ToList());

    /// <summary>Every leaf of every resource the deployment creates that the table leaves uncovered or forbids, as one line each.</summary>
    public IEnumerable<string> Findings(ArmDeployment deployment, string where)
    {
        foreach (var resource in deployment.Resources.Where(r => r.Deployed && !IsModule(r)))
        {
            foreach (var (path, value) in Leaves(resource))
            {
                var matching = entries.Where(e => e.Covers(resource.Type, path)).ToList();
                if (matching.Count == 0)
                {
                    yield return $"{where}: {resource.Type} {path} = {Show(value)} is not in infra/allowed-values.json";
                    continue;
                }

                foreach (var entry in matching)
                {
                    var refusal = entry.Refusal(path, value, sibling => Sibling(resource, sibling));
                    if (refusal is not null)
                    {
                        yield return $"{where}: {resource.Type} {resource.Name} {path} = {Show(value)}: {refusal} ({entry.Source})";
                    }
                }
            }
        }
    }

    /// <summary>A resource's own settings as (path, value) pairs: arrays as <c>[]</c>, a name as its last segment.</summary>
    public static IEnumerable<(string Path, JsonNode? Value)> Leaves(ArmResource resource)
    {
        string[] bookkeeping = ["type", "apiVersion", "dependsOn", "scope", "copy", "condition", "existing", "metadata", "comments"];
        foreach (var (key, value) in resource.Evaluated)
        {
            if (bookkeeping.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (key == "name")
            {
                yield return ("name", JsonValue.Create(resource.Name.Split('/')[^1]));
                continue;
            }

            foreach (var leaf in Walk(key, value))
            {
                yield return leaf;
            }
        }
    }

    private static IEnumerable<(string Path, JsonNode? Value)> Walk(string path, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, child) in obj)
                {
                    foreach (var leaf in Walk($"{path}.{key}", child))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray array when array.Count > 0:
                foreach (var item in array)
                {
                    foreach (var leaf in Walk($"{path}[]", item))
                    {
                        yield return leaf;
                    }
                }

                break;
            default:
                yield return (path, node);
                break;
        }
    }

    private static JsonNode? Sibling(ArmResource resource, string path) =>
        Leaves(resource).Where(l => l.Path == path).Select(l => l.Value).FirstOrDefault();

    private static bool IsModule(ArmResource resource) =>
        string.Equals(resource.Type, "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase);

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";

    /// <summary>One row of the table.</summary>
    internal sealed class Entry(JsonObject row)
    {
        private static readonly string[] Kinds = ["allowed", "durations", "min", "max", "minDuration", "maxDuration", "maxLength", "keyMaxLength", "pattern", "atMost", "free"];

        public string Type { get; } = row["type"]!.GetValue<string>();

        public string Path { get; } = row["path"]!.GetValue<string>();

        /// <summary>The link that states the rule, or, for a free property, why nothing restricts it.</summary>
        public string Source { get; } = row["docs"]?.GetValue<string>() ?? row["free"]?.GetValue<string>() ?? "";

        public bool IsFree => row["free"] is not null;

        public JsonObject Row => row;

        /// <summary>What is wrong with the row itself: a rule with no link, no rule at all, or a key it does not know.</summary>
        public string? Defect()
        {
            var unknown = row.Select(p => p.Key).Except(["type", "path", "docs", "note", .. Kinds]).ToList();
            if (unknown.Count > 0)
            {
                return $"unknown keys {string.Join(", ", unknown)}";
            }

            if (!Kinds.Any(k => row[k] is not null))
            {
                return "states no rule and no reason it is free";
            }

            if (IsFree && Kinds.Any(k => k != "free" && row[k] is not null))
            {
                return "is free and restricted at once";
            }

            return !IsFree && !(row["docs"]?.GetValue<string>() ?? "").StartsWith("https://", StringComparison.Ordinal)
                ? "has no https link to the page that states it"
                : null;
        }

        public bool Covers(string type, string path)
        {
            if (Type != "*" && !string.Equals(Type, type, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            return Path.EndsWith(".*", StringComparison.Ordinal)
                ? path.StartsWith(Path[..^1], StringComparison.Ordinal)
                : Path == path;
        }

        /// <summary>Why Azure would refuse <paramref name="value"/> under this row, or null when it allows it.</summary>
        public string? Refusal(string path, JsonNode? value, Func<string, JsonNode?> sibling)
        {
            if (IsFree)
            {
                return null;
            }

            if (value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>().StartsWith('<'))
            {
                return "known only after deployment, so it cannot be checked against what Azure allows";
            }

            if (row["allowed"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            {
                return $"Azure allows only {allowed.ToJsonString()}";
            }

            if (row["durations"] is JsonArray durations && !durations.Any(d => Duration(d) == Duration(value)))
            {
                return $"Azure allows only the durations {durations.ToJsonString()}";
            }

            if (row["min"] is { } min && Number(value) < Number(min))
            {
                return $"below the minimum {min}";
            }

            if (row["max"] is { } max && Number(value) > Number(max))
            {
                return $"above the maximum {max}";
            }

            if (row["minDuration"] is { } minDuration && Duration(value) < Duration(minDuration))
            {
                return $"shorter than {minDuration}";
            }

            if (row["maxDuration"] is { } maxDuration && Duration(value) > Duration(maxDuration))
            {
                return $"longer than {maxDuration}";
            }

            if (row["maxLength"] is { } maxLength && Text(value).Length > maxLength.GetValue<int>())
            {
                return $"longer than {maxLength} characters";
            }

            if (row["keyMaxLength"] is { } keyMaxLength && path[(path.LastIndexOf('.') + 1)..].Length > keyMaxLength.GetValue<int>())
            {
                return $"its name is longer than {keyMaxLength} characters";
            }

            if (row["pattern"] is { } pattern && !Regex.IsMatch(Text(value), $"^(?:{pattern.GetValue<string>()})$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                return $"does not match {pattern}";
            }

            if (row["atMost"] is { } other && Exceeds(value, sibling(other.GetValue<string>())))
            {
                return $"more than its {other} ({Show(sibling(other.GetValue<string>()))})";
            }

            return null;
        }

        /// <summary>A count compared as a number, anything else as an ISO-8601 duration.</summary>
        private static bool Exceeds(JsonNode? value, JsonNode? limit) =>
            value?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? Number(value) > Number(limit) : Duration(value) > Duration(limit);

        private static TimeSpan Duration(JsonNode? node) => XmlConvert.ToTimeSpan(Text(node));

        private static double Number(JsonNode? node) => double.Parse(node!.ToJsonString(), CultureInfo.InvariantCulture);

        private static string Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : Show(node);
    }
}
