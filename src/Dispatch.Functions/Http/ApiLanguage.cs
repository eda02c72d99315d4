using Dispatch.Core.Policy;
using Dispatch.Functions.Settings;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Http;

/// <summary>
/// The language a request's human texts are worded in: the first of its Accept-Language (by quality) that the API
/// speaks, <c>zh</c> in any form as zh-CN and <c>en</c> in any form as en; else <c>DISPATCH_LANGUAGE</c>.
/// </summary>
public static class ApiLanguage
{
    public static Language Of(HttpContext http) =>
        Asked(http.Request) ?? http.RequestServices?.GetService<IOptions<DispatchSettings>>()?.Value.DefaultLanguage ?? Language.ZhCn;

    /// <summary>The language the request asks for, or null when it names none the API speaks.</summary>
    public static Language? Asked(HttpRequest request)
    {
        IList<Microsoft.Net.Http.Headers.StringWithQualityHeaderValue> accepted;
        try
        {
            accepted = request.GetTypedHeaders().AcceptLanguage;
        }
        catch (FormatException)
        {
            return null; // a header that does not parse asks for nothing
        }

        foreach (var tag in accepted.Where(a => (a.Quality ?? 1) > 0).OrderByDescending(a => a.Quality ?? 1))
        {
            if (LanguageNames.TryMatch(tag.Value.Value, out var language))
            {
                return language;
            }
        }

        return null;
    }
}
