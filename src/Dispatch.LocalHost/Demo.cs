using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
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

        try
        {
            await PlayAsync(api!, connection, time, cancellationToken);
            return 0;
        }
        catch (StoryBrokenException e)
        {
            AnsiConsole.MarkupLine($"[red]demo: {Markup.Escape(e.Message)}[/]");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[grey]demo: stopped.[/]");
            return 1;
        }
    }

    /// <summary>
    /// The shift. Each step follows what has happened, never a stopwatch: the chief acknowledges B the moment
    /// its escalation reaches him, at the level it arrived with, so a slow machine slows the story down without
    /// breaking it. A step the story needs that is refused, or an event that never comes, ends it with a reason.
    /// </summary>
    private static async Task PlayAsync(string api, string? connection, IClock time, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(api.TrimEnd('/') + "/") };
        // Every request is a person's: tokens from the local stack's own key, for people of the sample roster.
        var tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(Directory.GetCurrentDirectory()));
        string Token(string subject, params GlobalRole[] roles) =>
            tokens.Mint(new Person(subject, subject), roles, time.GetCurrentInstant(), Duration.FromHours(1));
        var dispatcher = Token("li.ming");
        var chief = Token("zhang.wei");
        var officers = new Dictionary<string, string> { ["wang.lei"] = Token("wang.lei"), ["zhao.min"] = Token("zhao.min") };
        var clock = Stopwatch.StartNew();
        void Say(string markup) => AnsiConsole.MarkupLine($"[grey]{clock.Elapsed.TotalSeconds,5:0.0}s[/]  {markup}");
        var ids = new ConcurrentDictionary<string, string>();
        // A major matter reaches the chief before its report's answer reaches the dispatcher: its name may come later.
        var names = new ConcurrentDictionary<string, TaskCompletionSource<string>>();
        TaskCompletionSource<string> Name(string id) => names.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        async Task<string> WhoAsync(string id, CancellationToken token)
        {
            try
            {
                return await Name(id).Task.WaitAsync(TimeSpan.FromSeconds(2), token);
            }
            catch (TimeoutException)
            {
                return id; // not one of this shift's
            }
        }

        var inbox = new ChiefInbox();
        await using var bus = new ServiceBusClient(connection ?? Dispatch.Bus.LocalBus.ConnectionStringFor(5672));
        await using var processor = bus.CreateProcessor(EscalationTopic.Name, EscalationTopic.SubscriptionOf(Audience.Chief), new ServiceBusProcessorOptions { AutoCompleteMessages = true });
        processor.ProcessMessageAsync += async args =>
        {
            var body = JsonNode.Parse(args.Message.Body.ToString())!;
            if (body["incidentId"]?.GetValue<string>() is not { } id)
            {
                Say($"[bold red]chief ←[/] shift report {Markup.Escape(body["station"]?.GetValue<string>() ?? "")} {Markup.Escape(body["day"]?.GetValue<string>() ?? "")}");
                return;
            }

            Say($"[bold red]chief ←[/] {Markup.Escape(await WhoAsync(id, args.CancellationToken))}: [yellow]{Markup.Escape(body["kind"]!.GetValue<string>())}[/] level {body["level"]} {Markup.Escape(body["clock"]?.GetValue<string>() ?? "")} overdue {Markup.Escape(body["overdueBy"]!.GetValue<string>())}");
            inbox.Add(body);
        };
        processor.ProcessErrorAsync += args =>
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(args.Exception.Message)}[/]");
            return Task.CompletedTask;
        };
        await processor.StartProcessingAsync(cancellationToken);

        async Task<JsonObject> Send(string step, string token, string path, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var detail = answer.Length > 0 && answer.TrimStart().StartsWith('{') ? JsonNode.Parse(answer)?["detail"]?.GetValue<string>() : null;
                throw new StoryBrokenException($"'{step}' was refused: {(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? "" : $": {detail}")}");
            }

            return JsonNode.Parse(answer)!.AsObject();
        }

        async Task Report(string name, string priority, string zone, string category, string story)
        {
            Say($"report {name}: {priority} {Markup.Escape(category)}, {zone}{story}");
            var incident = await Send($"report {name}", dispatcher, "incidents", new
            {
                station = "beilin-01", category, priority, zone, channel = "phone",
                location = new { address = $"{name}, Beilin District" }, description = "demo",
            });
            var id = incident["id"]!.GetValue<string>();
            ids[name] = id;
            Name(id).TrySetResult(name);
        }

        // Says whether the step met its clock, from the API's answer: on a slow machine "in time" may not be true.
        async Task Act(string label, string token, string name, string action, string clockName, object? body = null)
        {
            var incident = await Send(label, token, $"incidents/{ids[name]}/{action}", body ?? new { });
            var ended = incident["clocks"]![clockName]!;
            var outcome = ended["overdueBy"]?.GetValue<string>() is { } late ? $"[red]late by {Markup.Escape(late)}[/]" : "[green]in time[/]";
            Say($"{Markup.Escape(label)}: {outcome}");
        }

        // The chief's rung for B: acknowledged the moment it arrives, at the level it arrived with, before the
        // ladder can climb past him to the command center.
        async Task AcknowledgeBAsync()
        {
            var escalation = await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["B"] && m["kind"]!.GetValue<string>() == "escalation",
                "B's escalation to the chief", cancellationToken);
            var level = escalation["level"]!.GetValue<int>();
            const string label = "Chief Zhang Wei acknowledges B";
            await Send(label, chief, $"incidents/{ids["B"]}/acknowledge", new { level });
            Say($"{label} at level {level}, as it arrives");
        }

        // A beat between steps, for the watcher to follow; nothing in the story depends on its length.
        Task Beat() => Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);

        AnsiConsole.MarkupLine("[bold]The shift begins.[/] Escalations reaching the chief's subscription appear in red.");
        await Report("A", "P1", "urban", "theft", "");
        await Report("B", "P2", "suburban", "burglary", " — nobody will dispatch it in time");
        var acknowledged = AcknowledgeBAsync();
        await Report("C", "P1", "rural", "homicide", " — a major matter");
        await Report("D", "P3", "urban", "noise", "");
        await Report("E", "P4", "rural", "lost-property", " — left to climb the ladder");
        await Beat();
        await Act("Li Ming dispatches A to patrol-7", dispatcher, "A", "dispatch", "dispatch", new { unit = "patrol-7", officer = "wang.lei" });
        await Act("Li Ming dispatches C to patrol-5", dispatcher, "C", "dispatch", "dispatch", new { unit = "patrol-5", officer = "zhao.min" });
        await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["C"] && m["kind"]!.GetValue<string>() == "immediate", "C's report to the chief", cancellationToken);
        await Beat();
        await Act("Wang Lei is on scene at A", officers["wang.lei"], "A", "arrive", "arrival");
        await Beat();
        await Act("Li Ming dispatches D to patrol-7", dispatcher, "D", "dispatch", "dispatch", new { unit = "patrol-7", officer = "wang.lei" });
        await Beat();
        await Act("Zhao Min is on scene at C", officers["zhao.min"], "C", "arrive", "arrival");
        await Beat();
        await Act("Wang Lei resolves A", officers["wang.lei"], "A", "resolve", "resolution", new { outcome = "suspect detained" });
        await acknowledged;
        await Act("Li Ming dispatches B to patrol-5", dispatcher, "B", "dispatch", "dispatch", new { unit = "patrol-5", officer = "zhao.min" });
        await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["E"] && m["kind"]!.GetValue<string>() == "escalation", "E's escalation to the chief", cancellationToken);
        await processor.StopProcessingAsync(CancellationToken.None);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", chief);
        await PrintSummaryAsync(http, ids, cancellationToken);
    }

    private static async Task PrintSummaryAsync(HttpClient http, IReadOnlyDictionary<string, string> ids, CancellationToken cancellationToken)
    {
        var table = new Table().Title("[bold]End of shift[/]").AddColumns("incident", "priority", "zone", "category", "status", "dispatch", "arrival", "resolution");
        var totals = new Dictionary<string, (int Met, int Breached)> { ["dispatch"] = (0, 0), ["arrival"] = (0, 0), ["resolution"] = (0, 0) };
        foreach (var (name, id) in ids.OrderBy(i => i.Key, StringComparer.Ordinal))
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

    /// <summary>A step the story needs was refused, or something it waits for did not happen.</summary>
    private sealed class StoryBrokenException(string message) : Exception(message);

    /// <summary>What the chief's subscription has received, so that the story can wait for it.</summary>
    private sealed class ChiefInbox
    {
        /// <summary>Far beyond any wait of the story (the longest is about 14 s), even on a loaded machine.</summary>
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

        private readonly List<JsonNode> received = [];
        private readonly List<(Func<JsonNode, bool> Match, TaskCompletionSource<JsonNode> Seen)> waiting = [];

        public void Add(JsonNode message)
        {
            lock (received)
            {
                received.Add(message);
                foreach (var waiter in waiting.Where(w => w.Match(message)).ToList())
                {
                    waiting.Remove(waiter);
                    waiter.Seen.TrySetResult(message);
                }
            }
        }

        public async Task<JsonNode> WaitForAsync(Func<JsonNode, bool> match, string what, CancellationToken cancellationToken)
        {
            var seen = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (received)
            {
                if (received.FirstOrDefault(match) is { } already)
                {
                    return already;
                }

                waiting.Add((match, seen));
            }

            try
            {
                return await seen.Task.WaitAsync(Patience, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new StoryBrokenException($"{what} did not arrive within {Patience.TotalSeconds:0} s.");
            }
        }
    }
}
