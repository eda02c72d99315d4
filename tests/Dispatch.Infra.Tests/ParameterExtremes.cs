using System.Text.Json.Nodes;

namespace Dispatch.Infra.Tests;

/// <summary>
/// The values at the edges of what each parameter of the compiled template accepts: every allowed value, both
/// bounds of a number, the shortest and longest string, an empty array and one whose item is at its own extremes.
/// A deployment evaluated at each of them shows what Azure would be asked to accept at the edges, not only for
/// the parameter file.
/// </summary>
internal static class ParameterExtremes
{
    /// <summary>One variation per extreme: (parameter = value, the change to the parameter file).</summary>
    public static IEnumerable<(string Label, Dictionary<string, JsonNode?> Changes)> Of(JsonObject template)
    {
        var definitions = template["definitions"]?.AsObject() ?? [];
        foreach (var (name, declared) in template["parameters"]!.AsObject())
        {
            foreach (var value in Values(name, Resolve(declared!.AsObject(), definitions), definitions))
            {
                yield return ($"{name} = {value?.ToJsonString()}", new Dictionary<string, JsonNode?> { [name] = value });
            }
        }
    }

    /// <summary>Why a parameter's extremes cannot be produced, or null when they can.</summary>
    public static string? Unbounded(string name, JsonObject declared, JsonObject definitions)
    {
        var schema = Resolve(declared, definitions);
        return schema["type"]!.GetValue<string>() == "int" && schema["allowedValues"] is null && (schema["minValue"] is null || schema["maxValue"] is null)
            ? $"the int parameter {name} needs both @minValue and @maxValue, or its extremes cannot be evaluated"
            : null;
    }

    private static IEnumerable<JsonNode?> Values(string name, JsonObject schema, JsonObject definitions)
    {
        if (schema["allowedValues"] is JsonArray allowed)
        {
            return allowed.Select(a => a?.DeepClone());
        }

        return schema["type"]!.GetValue<string>() switch
        {
            "bool" => [JsonValue.Create(false), JsonValue.Create(true)],
            "int" => [schema["minValue"]?.DeepClone(), schema["maxValue"]?.DeepClone()],
            "string" when schema["minLength"] is not null || schema["maxLength"] is not null =>
                new[] { schema["minLength"], schema["maxLength"] }.Where(n => n is not null).Select(n => (JsonNode?)Text(n!.GetValue<int>())),
            "array" => [Array(schema, definitions, longest: false), Array(schema, definitions, longest: true)],

            // A string or object with no bounds has no edges to push to; the table still checks what it becomes.
            _ => [],
        };
    }

    private static JsonArray Array(JsonObject schema, JsonObject definitions, bool longest)
    {
        var count = longest ? schema["maxLength"]?.GetValue<int>() ?? 1 : schema["minLength"]?.GetValue<int>() ?? 0;
        var item = schema["items"] is JsonObject items ? Resolve(items, definitions) : new JsonObject { ["type"] = "string" };
        return new JsonArray(Enumerable.Range(0, count).Select(_ => Longest(item, definitions)).ToArray());
    }

    /// <summary>The largest value a schema admits: longest strings, highest numbers, arrays of one such item.</summary>
    private static JsonNode? Longest(JsonObject schema, JsonObject definitions) => schema["type"]?.GetValue<string>() switch
    {
        _ when schema["allowedValues"] is JsonArray allowed => allowed[^1]?.DeepClone(),
        "string" => Text(schema["maxLength"]?.GetValue<int>() ?? 1),
        "int" => schema["maxValue"]?.DeepClone() ?? 1,
        "bool" => true,
        "array" => Array(schema, definitions, longest: true),
        "object" => new JsonObject((schema["properties"]?.AsObject() ?? [])
            .Select(p => KeyValuePair.Create(p.Key, Longest(Resolve(p.Value!.AsObject(), definitions), definitions)))),
        _ => throw new NotSupportedException($"no extreme for schema {schema.ToJsonString()}"),
    };

    private static JsonObject Resolve(JsonObject schema, JsonObject definitions)
    {
        if (schema["$ref"]?.GetValue<string>() is not { } reference)
        {
            return schema;
        }

        // A reference's own constraints, with the referring declaration's (a default, a description) beside them.
        var resolved = Resolve(definitions[reference["#/definitions/".Length..]]!.AsObject(), definitions).DeepClone().AsObject();
        foreach (var (key, value) in schema.Where(p => p.Key != "$ref"))
        {
            resolved[key] = value?.DeepClone();
        }

        return resolved;
    }

    // Lower-case letters and hex digits at once: a name part, a station code and a GUID's characters.
    private static JsonNode Text(int length) => new string('a', length);
}
