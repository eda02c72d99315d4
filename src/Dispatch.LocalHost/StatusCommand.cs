using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.LocalHost;

/// <summary>
/// <c>./dispatch status</c>: the running local stack's health as an operator reads it (the same figures as
/// <c>GET /api/health/detail</c>). Each <c>up</c> says where it listens in <c>.dispatch/stack-{port}.json</c> while it
/// runs. Exit 0 healthy, 1 when no stack is running, 3 when it runs and something is wrong.
/// </summary>
public static class StatusCommand
{
    public const string Usage = "Usage: ./dispatch status [--port N]   (the stack on API port N; default: the one running)";

    private static string StackFile(string root, int port) => Path.Combine(root, ".dispatch", $"stack-{port.ToString(CultureInfo.InvariantCulture)}.json");

    public static void Announce(string root, int apiPort)
    {
        Directory.CreateDirectory(Path.Combine(root, ".dispatch"));
        File.WriteAllText(StackFile(root, apiPort), JsonSerializer.Serialize(new { pid = Environment.ProcessId, apiPort }));
    }

    public static void Withdraw(string root, int apiPort) => File.Delete(StackFile(root, apiPort));

    public static async Task<int> RunAsync(string root, string[] args, IClock clock, TextWriter output, TextWriter error)
    {
        int? wanted = null;
        if (args is ["--port", var text] && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
        {
            wanted = p;
        }
        else if (args.Length > 0)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var stacks = new List<(int Pid, int Port)>();
        var directory = Path.Combine(root, ".dispatch");
        foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory, "stack-*.json") : [])
        {
            try
            {
                var node = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
                stacks.Add((node["pid"]!.GetValue<int>(), node["apiPort"]!.GetValue<int>()));
            }
            catch (Exception e) when (e is JsonException or IOException or NullReferenceException or InvalidOperationException)
            {
            }
        }

        var running = stacks.Where(s => Running(s.Pid) && (wanted is null || s.Port == wanted)).ToList();
        if (running.Count == 0)
        {
            await error.WriteLineAsync($"dispatch status: no local stack is running{(wanted is null ? "" : $" on port {wanted}")} (start one with ./dispatch up).");
            return 1;
        }

        var (pid, port) = running.OrderBy(s => s.Port == 7071 ? 0 : 1).First();
        var tokens = LocalTokens.Load(LocalTokens.KeyPath(root));
        using var http = new HttpClient { BaseAddress = new Uri(ApiRoute.On($"http://127.0.0.1:{port}") + "/"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            tokens.Mint(new Person("dispatch.status", "dispatch status"), [GlobalRole.Admin], clock.GetCurrentInstant(), Duration.FromMinutes(5)));
        JsonNode detail;
        try
        {
            using var response = await http.GetAsync("health/detail");
            detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            await error.WriteLineAsync($"dispatch status: the stack (pid {pid}) does not answer on port {port}: {e.Message}");
            return 3;
        }

        Print(detail, pid, port, output);
        return detail["status"]?.GetValue<string>() == "healthy" ? 0 : 3;
    }

    private static void Print(JsonNode d, int pid, int port, TextWriter o)
    {
        string S(JsonNode? n) => n?.ToString() ?? "—";
        o.WriteLine($"Dispatch (pid {pid}, {ApiRoute.On($"http://127.0.0.1:{port}")}): {S(d["status"])} at {S(d["now"])}");
        foreach (var problem in d["problems"]!.AsArray())
        {
            o.WriteLine($"  ! {problem}");
        }

        var sweep = d["sweep"]!;
        o.WriteLine($"  sweep         last completed {S(sweep["lastCompletedAt"])} ({S(sweep["age"])} ago, limit {S(sweep["maxAge"])}): {S(sweep["result"])}, "
            + $"{S(sweep["entries"])} entries, {S(sweep["changed"])} changed, {S(sweep["notices"])} notices, {S(sweep["seconds"])} s");
        var outbox = d["outbox"]!;
        o.WriteLine($"  outbox        {S(outbox["backlog"])} waiting, oldest {S(outbox["oldestAge"])} (limit {S(outbox["maxAge"])})");
        o.WriteLine($"  storage       {(d["storage"]!["answers"]!.GetValue<bool>() ? "answers" : $"NOT ANSWERING: {S(d["storage"]!["problem"])}")}");
        o.WriteLine($"  service bus   {(d["serviceBus"]!["answers"]!.GetValue<bool>() ? "answers" : $"NOT ANSWERING: {S(d["serviceBus"]!["problem"])}")}");
        foreach (var s in d["serviceBus"]!["subscriptions"]!.AsArray())
        {
            o.WriteLine($"    {S(s!["name"]),-16} dead letters {S(s["deadLettered"])}, oldest unread {S(s["oldestUnread"])}");
        }

        var requests = d["requestsLastMinute"]!.AsArray();
        o.WriteLine($"  requests in the last minute: {(requests.Count == 0 ? "none" : "")}");
        foreach (var r in requests)
        {
            o.WriteLine($"    {S(r!["function"]),-24} {S(r["status"])}  {S(r["count"])}");
        }
    }

    private static bool Running(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Contains("Dispatch.LocalHost", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return false;
        }
    }
}
