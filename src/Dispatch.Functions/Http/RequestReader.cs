using System.Text.Json;
using Dispatch.Contracts;
using Microsoft.AspNetCore.Http;

namespace Dispatch.Functions.Http;

/// <summary>
/// Reads a JSON request body field by field, collecting every problem with the name of its field, so
/// a client hears of all its mistakes at once and nothing is written from a half-valid request.
/// </summary>
public sealed class RequestReader
{
    public const int MaxBodyBytes = 64 * 1024;

    private readonly Dictionary<string, List<Phrase>> errors = new(StringComparer.Ordinal);

    public bool HasErrors => errors.Count > 0;

    public IReadOnlyDictionary<string, Phrase[]> Errors => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    /// <param name="message">A catalogue phrase: worded in the caller's language when the answer is written.</param>
    public void Add(string field, Phrase message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Reads the body as a JSON object; on failure returns the response to send instead.</summary>
    /// <param name="optional">True when an empty body stands for <c>{}</c>.</param>
    public static async Task<(JsonElement Body, ApiResult? Failure)> ReadObjectAsync(HttpRequest request, bool optional, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (default, Problem.TooLarge(MaxBodyBytes));
        }

        var contentType = request.ContentType;
        if (!string.IsNullOrEmpty(contentType) && !IsJson(contentType))
        {
            return (default, Problem.UnsupportedMediaType(contentType));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (default, Problem.TooLarge(MaxBodyBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        // A body without a Content-Type is not JSON by declaration; only an empty body may go without one.
        if (buffer.Length > 0 && string.IsNullOrEmpty(contentType))
        {
            return (default, Problem.UnsupportedMediaType(contentType));
        }

        if (buffer.Length == 0)
        {
            return optional
                ? (JsonDocument.Parse("{}").RootElement.Clone(), null)
                : (default, Problem.Field("$", Phrase.Of("field.body-required")));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (default, Problem.Field("$", Phrase.Of("field.body-object")));
            }

            // The parser leaves strings undecoded: bytes that are not UTF-8 (an overlong form, a stray 0xFF) or an
            // escaped lone surrogate (\ud800) surface only when a string is read, and were a 500 there (issue 23).
            if (FirstUnreadable(document.RootElement, "") is { } unreadable)
            {
                return (default, Problem.Field(unreadable, Phrase.Of("field.utf8")));
            }

            // JSON parsers disagree on a repeated key (first wins, last wins, error); refusing it is the only safe answer.
            return FirstDuplicate(document.RootElement, "") is { } duplicate
                ? (default, Problem.Field(duplicate, Phrase.Of("field.duplicate")))
                : (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, Problem.Field("$", Phrase.Of("field.json", ("line", (e.LineNumber ?? 0) + 1), ("byte", (e.BytePositionInLine ?? 0) + 1))));
        }
    }

    /// <summary>The field whose name or text cannot be decoded, or null when every string in the body can.</summary>
    private static string? FirstUnreadable(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => element.GetString()) ? null : path.Length == 0 ? "$" : path;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name = "";
                    if (!Decodes(() => name = property.Name))
                    {
                        return path.Length == 0 ? "$" : path;
                    }

                    if (FirstUnreadable(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstUnreadable(item, $"{path}[{index++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Decodes(Action read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? FirstDuplicate(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var field = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                if (!seen.Add(property.Name))
                {
                    return field;
                }

                if (FirstDuplicate(property.Value, field) is { } inner)
                {
                    return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (FirstDuplicate(item, $"{path}[{index++}]") is { } inner)
                {
                    return inner;
                }
            }
        }

        return null;
    }

    /// <summary>A person's subject id (as tokens and the roster carry it).</summary>
    public string? Subject(JsonElement body, string name, bool required)
    {
        var text = Text(body, name, required, Dispatch.Core.Identity.Person.MaxSubjectLength);
        if (text is not null && !Dispatch.Core.Identity.Person.IsPersonSubject(text))
        {
            Add(name, Phrase.Of("field.person", ("rule", Phrase.Of("rule.subject")), ("reserved", Phrase.Of("rule.reserved"))));
            return null;
        }

        return text;
    }

    /// <summary>Refuses fields this request does not take, naming why for the ones the server stamps.</summary>
    public void RejectUnknown(JsonElement body, string prefix, IReadOnlyCollection<string> known, IReadOnlyCollection<string>? serverOwned = null)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (known.Contains(property.Name))
            {
                continue;
            }

            var field = prefix + property.Name;
            Add(field, serverOwned?.Contains(property.Name) == true
                ? Phrase.Of("field.server-owned")
                : Phrase.Of("field.unknown", ("expected", string.Join(", ", known))));
        }
    }

    public string? Text(JsonElement body, string name, bool required, int maxLength, string prefix = "")
    {
        var field = prefix + name;
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Add(field, Phrase.Of("field.required"));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Add(field, Phrase.Of("field.string", ("kind", Describe(value.ValueKind))));
            return null;
        }

        var text = value.GetString()!.Trim();
        if (text.Length == 0)
        {
            if (required)
            {
                Add(field, Phrase.Of("field.not-empty"));
            }

            return null;
        }

        if (text.Length > maxLength)
        {
            Add(field, Phrase.Of("field.too-long", ("max", maxLength), ("length", text.Length)));
            return null;
        }

        if (text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            Add(field, Phrase.Of("field.control-characters"));
            return null;
        }

        return text;
    }

    public double? Number(JsonElement body, string name, double min, double max, string prefix = "")
    {
        var field = prefix + name;
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
        {
            Add(field, Phrase.Of("field.number", ("kind", Describe(value.ValueKind))));
            return null;
        }

        if (number < min || number > max)
        {
            Add(field, Phrase.Of("field.between", ("min", min), ("max", max)));
            return null;
        }

        return number;
    }

    public int? WholeNumber(JsonElement body, string name, int min, int max)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            Add(name, Phrase.Of("field.whole-number", ("min", min), ("max", max)));
            return null;
        }

        return number;
    }

    public JsonElement? Nested(JsonElement body, string name, bool required, string prefix = "")
    {
        var field = prefix + name;
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Add(field, Phrase.Of("field.required"));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Add(field, Phrase.Of("field.object", ("kind", Describe(value.ValueKind))));
            return null;
        }

        return value;
    }

    public T? Choice<T>(JsonElement body, string name, TryParse<T> parse, IEnumerable<string> allowed)
        where T : struct
    {
        var text = Text(body, name, required: true, maxLength: 32);
        if (text is null)
        {
            return null;
        }

        if (parse(text, out var value))
        {
            return value;
        }

        Add(name, Phrase.Of("field.choice", ("value", text), ("allowed", string.Join(", ", allowed))));
        return null;
    }

    public delegate bool TryParse<T>(string? text, out T value);

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static Phrase Describe(JsonValueKind kind) => Phrase.Of(kind switch
    {
        JsonValueKind.Object => "json.object",
        JsonValueKind.Array => "json.array",
        JsonValueKind.String => "json.string",
        JsonValueKind.Number => "json.number",
        JsonValueKind.True or JsonValueKind.False => "json.boolean",
        _ => "json.null",
    });
}
