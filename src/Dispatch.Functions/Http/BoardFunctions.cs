using Dispatch.Contracts;
using Dispatch.Core.Policy;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Settings;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Http;

/// <summary>
/// The board's page and assets, served by the app itself (same origin as the API; nothing from elsewhere).
/// Anonymous: they hold no data; the page signs in and reads everything through the API.
/// </summary>
public sealed class BoardFunctions(IOptions<DispatchSettings> settings, ResponsePolicy policy)
{
    /// <summary>Scripts, styles and connections from this origin only; Entra sign-in when configured.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self' https://login.microsoftonline.com; frame-src https://login.microsoftonline.com; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html",
        [".js"] = "text/javascript",
        [".css"] = "text/css",
        [".json"] = "application/json",
    };

    /// <remarks>
    /// The page names its files relative to its own address (<c>board/board.js</c>), so the prefix is the app's alone;
    /// the same route with a slash at the end (which the hosts' routing also matches) is sent to the page's address.
    /// </remarks>
    [Function("Board")]
    [Anonymous]
    public static IActionResult Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "board")] HttpRequest request) =>
        request.Path.Value?.EndsWith('/') == true
            ? new ApiResult(308, null).WithHeader("Location", ApiRoute.Path("board") + request.QueryString)
            : Asset("index.html");

    [Function("BoardAsset")]
    [Anonymous]
    public IActionResult File(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "board/{file}")] HttpRequest request, string file) =>
        file == "config.json" ? Secure(new ApiResult(200, Config())) : Catalogue(file) ?? Asset(file);

    /// <summary>What the page needs before it signs in: no secrets, only where to sign in and how to show time.</summary>
    public BoardConfig Config()
    {
        var s = settings.Value;
        return new BoardConfig(
            s.BoardClientId is { Length: > 0 } ? s.BoardClientId : null, s.AuthAuthority, s.BoardScope,
            policy.TimeZone.Id, policy.ReportRules.DayStartsAt.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), policy.Language.Tag(),
            [.. policy.PauseRules.Reasons.Select(r => r.Name)]);
    }

    /// <summary><c>words.zh-CN.json</c>, <c>words.en.json</c>: the catalogues the app words its own texts from, as they are.</summary>
    private static ApiResult? Catalogue(string file)
    {
        var language = LanguageNames.All.FirstOrDefault(tag => file == $"words.{tag}.json");
        if (language is null)
        {
            return null;
        }

        _ = LanguageNames.TryParse(language, out var parsed);
        using var reader = new StreamReader(Contracts.Words.OpenCatalogue(parsed));
        return Secure(new ApiResult(200, reader.ReadToEnd(), ContentTypes[".json"]));
    }

    private static ApiResult Asset(string file)
    {
        var stream = ContentTypes.TryGetValue(Path.GetExtension(file), out _)
            ? typeof(BoardFunctions).Assembly.GetManifestResourceStream($"board/{file}")
            : null;
        if (stream is null)
        {
            return Problem.NotFound(Phrase.Of("problem.no-board-file.detail", ("file", Endpoint.Truncate(file))));
        }

        using (stream)
        using (var reader = new StreamReader(stream))
        {
            return Secure(new ApiResult(200, reader.ReadToEnd(), ContentTypes[Path.GetExtension(file)]));
        }
    }

    private static ApiResult Secure(ApiResult result) => result
        .WithHeader("Content-Security-Policy", ContentSecurityPolicy)
        .WithHeader("X-Content-Type-Options", "nosniff")
        .WithHeader("Referrer-Policy", "no-referrer")
        .WithHeader("Cache-Control", "no-cache");
}

/// <param name="ClientId">The board's own (SPA) app registration in Entra ID; null locally, where links carry tokens.</param>
/// <param name="Language">The policy's language: the board's when neither the link, the person nor the browser names one it speaks.</param>
/// <param name="PauseReasons">The policy's reasons a clock may be paused for (issue 28), for the pause form.</param>
public sealed record BoardConfig(string? ClientId, string? Authority, string? Scope, string TimeZone, string DayStartsAt, string Language, IReadOnlyList<string> PauseReasons);
