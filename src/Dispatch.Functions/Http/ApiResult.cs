using System.Text.Json;
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

        response.ContentType = $"{contentType}; charset=utf-8";
        if (body is string text)
        {
            await response.WriteAsync(text, http.RequestAborted);
            return;
        }

        await JsonSerializer.SerializeAsync(response.Body, body, body.GetType(), Json.Options, http.RequestAborted);
    }

    /// <summary>A text body as it is (CSV), not as a JSON string.</summary>
    public static ApiResult Text(string text, string contentType) => new(200, text, contentType);
}

/// <summary>RFC 9457 problem details, with an <c>errors</c> map from field to messages.</summary>
public sealed record Problem(string Type, string Title, int Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors)
{
    /// <summary>Where an incident's escalation stands now, on a 409 to an acknowledgement that named another level.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Level { get; init; }

    public const string ContentType = "application/problem+json";

    public static ApiResult Validation(IReadOnlyDictionary<string, string[]> errors) =>
        Of(400, "invalid-request", "The request is not valid.", "See 'errors' for each field that is wrong.", errors);

    public static ApiResult Field(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ApiResult NotFound(string detail) => Of(404, "not-found", "Not found.", detail);

    /// <summary>401: no token, or one that proves nobody. The token itself is never echoed.</summary>
    public static ApiResult Unauthorized(string detail) => Of(401, "unauthorized", "Sign in first.", detail);

    public static ApiResult Forbidden(string detail) => Of(403, "forbidden", "You may not do this.", detail);

    public static ApiResult Refused(string field, string detail) =>
        Of(422, "refused", "The request is well formed, but the current state refuses it.", detail, new Dictionary<string, string[]> { [field] = [detail] });

    public static ApiResult MethodNotAllowed(string method, IEnumerable<string> allowed) =>
        Of(405, "method-not-allowed", "This route does not take that method.", $"{method} is not allowed here; use {string.Join(" or ", allowed)}.");

    public static ApiResult RosterConflict(string detail) => Of(409, "roster-conflict", "The station's roster does not allow this.", detail);

    public static ApiResult Stale(string detail, int level) =>
        new(409, new Problem("https://dispatch.local/problems/escalation-moved", "The escalation is not where you saw it.", 409, detail, null) { Level = level }, ContentType);

    public static ApiResult Conflict(string detail) => Of(409, "invalid-transition", "The incident's state does not allow this.", detail);

    public static ApiResult UnitConflict(string detail) => Of(409, "unit-state", "The unit's status does not allow this.", detail);

    public static ApiResult PreconditionFailed(string detail) => Of(412, "precondition-failed", "The incident has changed.", detail);

    public static ApiResult TooLarge(int limit) =>
        Of(413, "body-too-large", "The request body is too large.", $"Bodies are limited to {limit} bytes.");

    public static ApiResult UnsupportedMediaType(string? contentType) =>
        Of(415, "unsupported-media-type", "The body must be JSON.", string.IsNullOrEmpty(contentType)
            ? "The body has no Content-Type: send it as application/json."
            : $"Content-Type '{contentType}' is not application/json.");

    public static ApiResult Unprocessable(string field, string detail) =>
        Of(422, "idempotency-key-reused", "The Idempotency-Key was used for a different request.", detail,
            new Dictionary<string, string[]> { [field] = [detail] });

    public static ApiResult TooManyRequests(int retryAfterSeconds) =>
        Of(429, "too-many-requests", "Too many requests without a valid token.",
            $"This address has sent too many requests without a valid token this minute; try again in {retryAfterSeconds} s with a valid one.")
            .WithHeader("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static ApiResult Unavailable(string detail) =>
        Of(503, "storage-unavailable", "Storage is not answering; retry shortly.", detail).WithHeader("Retry-After", "5");

    public static ApiResult Internal(string traceId) =>
        Of(500, "internal-error", "Something went wrong on our side.", $"It has been logged under trace id {traceId}.");

    private static ApiResult Of(int status, string type, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(status, new Problem($"https://dispatch.local/problems/{type}", title, status, detail, errors), ContentType);
}
