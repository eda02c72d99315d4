using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Core.Policy;

/// <summary>Reading one field of a policy document, each refusal naming the field (<see cref="PolicyException"/>).</summary>
internal static class PolicyJson
{
    public static Duration RequiredDuration(JsonElement element, string name, string path)
    {
        return ParseDuration(RequiredString(element, name, path), path);
    }

    public static Duration ParseDuration(string text, string path)
    {
        var result = PeriodPattern.NormalizingIso.Parse(text);
        if (!result.Success)
        {
            throw new PolicyException(path, $"'{text}' is not an ISO-8601 duration such as PT5M or P3D");
        }

        var period = result.Value;
        if (period.Years != 0 || period.Months != 0)
        {
            throw new PolicyException(path, $"'{text}' uses years or months, which have no fixed length; use days (P30D)");
        }

        var duration = period.ToDuration();
        return duration < Duration.Zero ? throw new PolicyException(path, "must not be negative") : duration;
    }

    public static Language ParseLanguage(JsonElement element, string name, string path)
    {
        var text = RequiredString(element, name, path);
        return LanguageNames.TryParse(text, out var language)
            ? language
            : throw new PolicyException(path, $"'{text}' is not a language Dispatch speaks; expected {string.Join(" or ", LanguageNames.All)}");
    }

    public static string RequiredString(JsonElement element, string name, string path)
    {
        var value = Required(element, name, path);
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw new PolicyException(path, "must be a non-empty string");
        }

        return value.GetString()!.Trim();
    }

    /// <summary>An optional top-level section: null when absent, else an object holding only <paramref name="known"/> fields.</summary>
    public static JsonElement? OptionalSection(JsonElement root, string name, params string[] known)
    {
        if (!root.TryGetProperty(name, out var element))
        {
            return null;
        }

        RequireKind(element, JsonValueKind.Object, name);
        RejectUnknown(element, name, known);
        return element;
    }

    public static JsonElement Required(JsonElement element, string name, string path) =>
        element.TryGetProperty(name, out var value) ? value : throw new PolicyException(path, "is required");

    public static void RequireKind(JsonElement element, JsonValueKind kind, string path)
    {
        if (element.ValueKind != kind)
        {
            throw new PolicyException(path, $"must be a JSON {kind.ToString().ToLowerInvariant()}");
        }
    }

    public static void RejectUnknown(JsonElement element, string path, params string[] known)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                var field = path == "$" ? property.Name : $"{path}.{property.Name}";
                throw new PolicyException(field, $"unknown field; expected one of {string.Join(", ", known)}");
            }
        }
    }
}
