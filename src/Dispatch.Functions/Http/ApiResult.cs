using System.Text.Json;
using Dispatch.Contracts;
using Dispatch.Core.Policy;
using Dispatch.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Dispatch.Functions.Http;

/// <summary>
/// A JSON response written straight to the HttpContext, so it is byte-for-byte the same under the
/// Functions host and under the local host, with no MVC formatter in between.
/// </summary>
public sealed class ApiResult(int status, object? body, string contentType = "application/json") : IActionResult
{
    private readonly Dictionary<string, string> headers = new(StringComparer.OrdinalIgnoreCase);

    public int Status => status;

    public ApiResult WithHeader(string name, string value)
    {
        headers[name] = value;
        return this;
    }

    public Task ExecuteResultAsync(ActionContext context) => WriteAsync(context.HttpContext);

    public async Task WriteAsync(HttpContext http)
    {
        var response = http.Response;
        response.StatusCode = status;
        // Answers carry personal data (reporters' contacts, addresses): no cache keeps them, and no browser
        // guesses another type than the one declared. A result may set its own Cache-Control (the board's files).
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        foreach (var (name, value) in headers)
        {
            response.Headers[name] = value;
        }

        if (body is null)
        {
            return;
        }

        // A problem is worded when it is written, in the language the request asked for (README, "Languages").
        var payload = body;
        if (body is Problem problem)
        {
            var language = ApiLanguage.Of(http);
            payload = problem.In(Words.For(language));
            response.Headers.ContentLanguage = language.Tag();
            response.Headers.Vary = "Accept-Language";
        }

        if (payload is byte[] bytes)
        {
            response.ContentType = contentType;
            await response.Body.WriteAsync(bytes, http.RequestAborted);
            return;
        }

        response.ContentType = $"{contentType}; charset=utf-8";
        if (payload is string text)
        {
            await response.WriteAsync(text, http.RequestAborted);
            return;
        }

        await JsonSerializer.SerializeAsync(response.Body, payload, payload.GetType(), Json.Options, http.RequestAborted);
    }

    /// <summary>A text body as it is (CSV), not as a JSON string.</summary>
    public static ApiResult Text(string text, string contentType) => new(200, text, contentType);
}

/// <summary>
/// RFC 9457 problem details, with an <c>errors</c> map from field to messages. The texts are phrases, worded in the
/// request's language when the answer is written (<see cref="ApiLanguage"/>); the type, status, field names and
/// <c>level</c> are the same in every language.
/// </summary>
public sealed record Problem(string Type, Phrase Title, int Status, Phrase? Detail, IReadOnlyDictionary<string, Phrase[]>? Errors)
{
    /// <summary>Where an incident's escalation stands now, on a 409 to an acknowledgement that named another level.</summary>
    public int? Level { get; init; }

    public const string ContentType = "application/problem+json";

    public ProblemDocument In(Words words) => new(
        Type, Title.In(words), Status, Detail?.In(words), Errors?.ToDictionary(e => e.Key, e => e.Value.Select(p => p.In(words)).ToArray()))
    {
        Level = Level,
    };

    public static ApiResult Validation(IReadOnlyDictionary<string, Phrase[]> errors) =>
        Of(400, "invalid-request", Phrase.Of("problem.invalid-request.detail"), errors);

    public static ApiResult Field(string field, Phrase message) =>
        Validation(new Dictionary<string, Phrase[]> { [field] = [message] });

    public static ApiResult NotFound(Phrase detail) => Of(404, "not-found", detail);

    /// <summary>401: no token, or one that proves nobody. The token itself is never echoed; the validator's reason is given as it is.</summary>
    public static ApiResult Unauthorized(string detail) => Of(401, "unauthorized", Phrase.Verbatim(detail));

    public static ApiResult Forbidden(Phrase detail) => Of(403, "forbidden", detail);

    public static ApiResult Refused(string field, Phrase detail) =>
        Of(422, "refused", detail, new Dictionary<string, Phrase[]> { [field] = [detail] });

    public static ApiResult MethodNotAllowed(string method, IEnumerable<string> allowed) =>
        Of(405, "method-not-allowed", Phrase.Of("problem.method-not-allowed.detail", ("method", method), ("allowed", string.Join(", ", allowed))));

    public static ApiResult RosterConflict(Phrase detail) => Of(409, "roster-conflict", detail);

    public static ApiResult Stale(Phrase detail, int level) =>
        new(409, new Problem("https://dispatch.local/problems/escalation-moved", Phrase.Of("problem.escalation-moved.title"), 409, detail, null) { Level = level }, ContentType);

    public static ApiResult Conflict(Phrase detail) => Of(409, "invalid-transition", detail);

    public static ApiResult UnitConflict(Phrase detail) => Of(409, "unit-state", detail);

    public static ApiResult PreconditionFailed(Phrase detail) => Of(412, "precondition-failed", detail);

    public static ApiResult TooLarge(int limit) => Of(413, "body-too-large", Phrase.Of("problem.body-too-large.detail", ("limit", limit)));

    public static ApiResult UnsupportedMediaType(string? contentType) =>
        Of(415, "unsupported-media-type", string.IsNullOrEmpty(contentType)
            ? Phrase.Of("problem.unsupported-media-type.none")
            : Phrase.Of("problem.unsupported-media-type.detail", ("type", contentType)));

    public static ApiResult Unprocessable(string field, Phrase detail) =>
        Of(422, "idempotency-key-reused", detail, new Dictionary<string, Phrase[]> { [field] = [detail] });

    public static ApiResult TooManyRequests(int retryAfterSeconds) =>
        Of(429, "too-many-requests", Phrase.Of("problem.too-many-requests.detail", ("seconds", retryAfterSeconds)))
            .WithHeader("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>503: what did not answer, in the words of whoever noticed (a dependency's own message).</summary>
    public static ApiResult Unavailable(string detail) => Unavailable(Phrase.Verbatim(detail));

    public static ApiResult Unavailable(Phrase detail) => Of(503, "storage-unavailable", detail).WithHeader("Retry-After", "5");

    public static ApiResult Internal(string traceId) => Of(500, "internal-error", Phrase.Of("problem.internal-error.detail", ("trace", traceId)));

    private static ApiResult Of(int status, string type, Phrase? detail, IReadOnlyDictionary<string, Phrase[]>? errors = null) =>
        new(status, new Problem($"https://dispatch.local/problems/{type}", Phrase.Of($"problem.{type}.title"), status, detail, errors), ContentType);
}

/// <summary>A <see cref="Problem"/> in words: what goes on the wire.</summary>
public sealed record ProblemDocument(string Type, string Title, int Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Level { get; init; }
}
