namespace Dispatch.Contracts;

/// <summary>
/// Where the API lives under a host: every route of the app is <c>/{Prefix}/{route}</c>. The Functions host reads
/// the prefix from host.json (<c>extensions.http.routePrefix</c>); the local host, the links the app writes, the
/// desk and the tools read it here, and a test holds the two equal.
/// </summary>
public static class ApiRoute
{
    public const string Prefix = "api";

    /// <summary>The absolute path of a route, e.g. <c>Path("incidents/x")</c> is <c>/api/incidents/x</c>.</summary>
    public static string Path(string route) => $"/{Prefix}/{route}";

    /// <summary>The API's base URL on a host, e.g. <c>http://127.0.0.1:7071/api</c> (no slash at the end).</summary>
    public static string On(string origin) => $"{origin.TrimEnd('/')}/{Prefix}";
}
