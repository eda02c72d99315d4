using System.Text.Json.Nodes;

namespace Dispatch.Testing;

/// <summary>
/// What the Functions host itself would read from the app's build: functions.metadata, written by the Functions SDK
/// from the attributes, and host.json, copied beside it. The outside world the local host must agree with.
/// </summary>
public static class BuiltFunctions
{
    private static string Output
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(RepoRoot.Path, "src", "Dispatch.Functions", "bin", configuration, "net10.0");
        }
    }

    /// <summary>Each function the SDK wrote: its name, entry point and its trigger binding (the one whose direction is In).</summary>
    public static IReadOnlyList<(string Name, string EntryPoint, JsonNode Trigger)> Metadata() =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "functions.metadata")))!.AsArray().Select(f => (
            f!["name"]!.GetValue<string>(),
            f["entryPoint"]!.GetValue<string>(),
            f["bindings"]!.AsArray().First(b => b!["direction"]!.GetValue<string>() == "In")!))];

    /// <summary>host.json's <c>extensions.http.routePrefix</c>; the Functions host's default, "api", when it sets none.</summary>
    public static string RoutePrefix() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "host.json")))?["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";
}
