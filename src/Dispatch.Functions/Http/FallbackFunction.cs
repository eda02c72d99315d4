using Dispatch.Contracts;
using Dispatch.Functions.Hosting;
using Dispatch.Functions.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Azure.Functions.Worker;

namespace Dispatch.Functions.Http;

/// <summary>
/// Answers what no other function does, as problem+json like every other error: 405 with <c>Allow</c> for a
/// known route and another method, 404 for a route that does not exist. A catch-all route ranks below every
/// specific one, under the Functions host and the local host alike.
/// </summary>
public static class FallbackFunction
{
    private static readonly Lazy<IReadOnlyList<(TemplateMatcher Matcher, string[] Methods)>> Routes = new(Discover);

    [Function("NoSuchRoute")]
    [Anonymous]
    public static IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request, string? path)
    {
        // The catch-all's value is null for /api/ itself, and already decoded: taken as it is (the implicit string
        // conversion would decode it again, and a "%00" in it threw). Both were 500s the fuzzing pass found.
        path ??= "";
        var allowed = Routes.Value.Where(r => r.Matcher.TryMatch(new PathString("/" + path), new RouteValueDictionary())).SelectMany(r => r.Methods)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        return allowed.Count > 0
            ? Problem.MethodNotAllowed(request.Method, allowed).WithHeader("Allow", string.Join(", ", allowed))
            : Problem.NotFound(Phrase.Of("problem.no-route.detail", ("path", ApiRoute.Path(Endpoint.Truncate(path)))));
    }

    private static List<(TemplateMatcher, string[])> Discover() =>
        [.. AppFunctions.All
            .Where(f => f.Route is { } route && !route.StartsWith("{*", StringComparison.Ordinal))
            .Select(f => (new TemplateMatcher(TemplateParser.Parse(f.Route!), new RouteValueDictionary()), f.HttpMethods.ToArray()))];
}
