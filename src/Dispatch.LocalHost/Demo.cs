using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Core.Identity;
using Dispatch.Contracts;
using NodaTime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Dispatch.LocalHost;

/// <summary>
/// <c>./dispatch demo</c>: a short shift on a policy whose windows are seconds long. Some incidents are
/// dispatched in time, others breach and climb the ladder, one is a major matter that reaches the chief
/// at once; escalations are shown as the chief's subscription receives them, then a summary.
/// </summary>
public static class Demo
{
    private sealed record Step(double At, string Label, Func<Task> Act);

    public static async Task<int> RunAsync(string[] args, IClock time, CancellationToken cancellationToken)
    {
        string? api = null, connection = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--api")
            {
                api = args[i + 1];
            }
            else if (args[i] == "--connection")
            {
                connection = args[i + 1];
            }
        }

        await using var stack = api is null ? new LocalSystem
        {
            Options = new UpOptions
            {
                ApiPort = Ports.Free(), StoragePort = Ports.Free(), BusPort = Ports.Free(), InMemory = true,
                PolicyFile = Path.GetFullPath(Path.Combine("infra", "demo-policy.json")), SweepSchedule = "* * * * * *",
            },
        } : null;
        if (stack is not null)
        {
            AnsiConsole.MarkupLine("[grey]Starting a private stack (Azurite in memory, broker, Functions) with infra/demo-policy.json and a 1-second sweep…[/]");
            try
            {
                await stack.StartAsync(Directory.GetCurrentDirectory(), new ConfigurationBuilder().Build(), LogLevel.Error);
            }
            catch (StackStartException e)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
                return 1;
            }

            api = stack.ApiUrl;
            connection = stack.BusConnectionString;
        }

        using var http = new HttpClient { BaseAddress = new Uri(api!.TrimEnd('/') + "/") };
        // Every request is a person's: tokens from the local stack's own key, for people of the sample roster.
        var tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(Directory.GetCurrentDirectory()));
        string Token(string subject, params GlobalRole[] roles) =>
            tokens.Mint(new Person(subject, subject), roles, time.GetCurrentInstant(), Duration.FromHours(1));
        var dispatcher = Token("li.ming");
        var chief = Token("zhang.wei");
        var officers = new Dictionary<string, string> { ["wang.lei"] = Token("wang.lei"), ["zhao.min"] = Token("zhao.min") };
        await using var bus = new ServiceBusClient(connection ?? Dispatch.Bus.LocalBus.ConnectionStringFor(5672));
        await using var processor = bus.CreateProcessor("escalations", "chief", new ServiceBusProcessorOptions { AutoCompleteMessages = true });
        var clock = Stopwatch.StartNew();
        var names = new Dictionary<string, string>();
        processor.ProcessMessageAsync += args =>
        {
            var body = JsonNode.Parse(args.Message.Body.ToString())!;
            var id = body["incidentId"]!.GetValue<string>();
            var who = names.GetValueOrDefault(id, id);
            AnsiConsole.MarkupLine($"[grey]{clock.Elapsed.TotalSeconds,5:0.0}s[/]  [bold red]chief ←[/] {Markup.Escape(who)}: [yellow]{Markup.Escape(body["kind"]!.GetValue<string>())}[/] level {body["level"]} {Markup.Escape(body["clock"]?.GetValue<string>() ?? "")} overdue {Markup.Escape(body["overdueBy"]!.GetValue<string>())}");
            return Task.CompletedTask;
        };
        processor.ProcessErrorAsync += args =>
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(args.Exception.Message)}[/]");
            return Task.CompletedTask;
        };
        await processor.StartProcessingAsync(cancellationToken);

        var ids = new Dictionary<string, string>();
        async Task<HttpResponseMessage> Send(string token, string path, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await http.SendAsync(request, cancellationToken);
        }

        async Task Report(string name, string priority, string zone, string category)
        {
            using var response = await Send(dispatcher, "incidents", new
            {
                station = "beilin-01", category, priority, zone, channel = "phone",
                location = new { address = $"{name}, Beilin District" }, description = "demo",
            });
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["id"]!.GetValue<string>();
            ids[name] = id;
            names[id] = name;
        }

        async Task Post(string token, string name, string action, object? body = null)
        {
            using var response = await Send(token, $"incidents/{ids[name]}/{action}", body ?? new { });
            if (!response.IsSuccessStatusCode)
            {
                AnsiConsole.MarkupLine($"[red]{action} {name}: {(int)response.StatusCode}[/]");
            }
        }

        Step[] shift =
        [
            new(0.0, "report A: P1 theft, urban", () => Report("A", "P1", "urban", "theft")),
            new(0.2, "report B: P2 burglary, suburban", () => Report("B", "P2", "suburban", "burglary")),
            new(0.4, "report C: P1 homicide, rural — a major matter", () => Report("C", "P1", "rural", "homicide")),
            new(0.6, "report D: P3 noise complaint, urban", () => Report("D", "P3", "urban", "noise")),
            new(0.8, "report E: P4 lost property, rural", () => Report("E", "P4", "rural", "lost-property")),
            new(1.5, "Li Ming dispatches A to patrol-7 (in time)", () => Post(dispatcher, "A", "dispatch", new { unit = "patrol-7", officer = "wang.lei" })),
            new(2.0, "Li Ming dispatches C to patrol-5 (in time)", () => Post(dispatcher, "C", "dispatch", new { unit = "patrol-5", officer = "zhao.min" })),
            new(4.0, "Wang Lei is on scene at A (in time)", () => Post(officers["wang.lei"], "A", "arrive")),
            new(7.0, "Li Ming dispatches D to patrol-7 (in time for its 8-second window)", () => Post(dispatcher, "D", "dispatch", new { unit = "patrol-7", officer = "wang.lei" })),
            new(9.0, "Zhao Min is on scene at C (in time)", () => Post(officers["zhao.min"], "C", "arrive")),
            new(10.0, "Wang Lei resolves A", () => Post(officers["wang.lei"], "A", "resolve", new { outcome = "suspect detained" })),
            new(12.5, "Chief Zhang Wei acknowledges B", () => Post(chief, "B", "acknowledge", new { })),
            new(14.0, "Li Ming dispatches B to patrol-5 (late)", () => Post(dispatcher, "B", "dispatch", new { unit = "patrol-5", officer = "zhao.min" })),
        ];
        AnsiConsole.MarkupLine("[bold]The shift begins.[/] Escalations reaching the chief's subscription appear in red.");
        foreach (var step in shift)
        {
            var wait = TimeSpan.FromSeconds(step.At) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            AnsiConsole.MarkupLine($"[grey]{clock.Elapsed.TotalSeconds,5:0.0}s[/]  {Markup.Escape(step.Label)}");
            await step.Act();
        }

        await Task.Delay(TimeSpan.FromSeconds(22) - clock.Elapsed, cancellationToken);
        await processor.StopProcessingAsync(CancellationToken.None);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", chief);
        await PrintSummaryAsync(http, ids, cancellationToken);
        return 0;
    }

    private static async Task PrintSummaryAsync(HttpClient http, Dictionary<string, string> ids, CancellationToken cancellationToken)
    {
        var table = new Table().Title("[bold]End of shift[/]").AddColumns("incident", "priority", "zone", "category", "status", "dispatch", "arrival", "resolution");
        var totals = new Dictionary<string, (int Met, int Breached)> { ["dispatch"] = (0, 0), ["arrival"] = (0, 0), ["resolution"] = (0, 0) };
        foreach (var (name, id) in ids)
        {
            var incident = (await http.GetFromJsonAsync<JsonObject>($"incidents/{id}", cancellationToken))!;
            var cells = new List<string>
            {
                name, incident["priority"]!.GetValue<string>(), incident["zone"]!.GetValue<string>(),
                incident["category"]!.GetValue<string>(), incident["status"]!.GetValue<string>(),
            };
            foreach (var clock in new[] { "dispatch", "arrival", "resolution" })
            {
                var state = incident["clocks"]![clock]!["state"]!.GetValue<string>();
                var level = incident["clocks"]![clock]!["level"]!.GetValue<int>();
                cells.Add(state switch
                {
                    "met" => "[green]met[/]",
                    "breached" => $"[red]breached[/]{(level > 0 ? $" (L{level})" : "")}",
                    _ => state,
                });
                var (met, breached) = totals[clock];
                totals[clock] = state == "met" ? (met + 1, breached) : state == "breached" ? (met, breached + 1) : (met, breached);
            }

            table.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(table);
        var summary = new Table().AddColumns("clock", "met", "breached");
        foreach (var (clock, (met, breached)) in totals)
        {
            summary.AddRow(clock, $"{met}", $"{breached}");
        }

        AnsiConsole.Write(summary);
    }
}
