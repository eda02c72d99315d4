using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml;
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
/// at once; escalations are shown as the chief's subscription receives them, then a summary. It narrates in the
/// terminal's language (<c>LANG</c>): Chinese when it is zh, English otherwise; the people are the sample roster's,
/// by the names the roster gives them, and the places real ones of Xi'an's Beilin district.
/// </summary>
public static class Demo
{
    /// <summary>Where the shift's incidents are: places of Beilin (approximate coordinates, shared/notes/units-and-dispatch.md).</summary>
    private static readonly Dictionary<string, (string Address, double Latitude, double Longitude)> Places = new()
    {
        ["A"] = ("西安市碑林区钟楼", 34.2610, 108.9423),
        ["B"] = ("西安市碑林区鼓楼", 34.2630, 108.9395),
        ["C"] = ("西安市碑林区南门（永宁门）", 34.2518, 108.9469),
        ["D"] = ("西安市碑林区碑林博物馆", 34.2557, 108.9535),
        ["E"] = ("西安市碑林区书院门", 34.2537, 108.9480),
    };

    /// <summary>
    /// Where the sample roster's units are when the shift begins, as their officers' devices report it: patrol-7 at the Drum
    /// Tower, patrol-5 at the Beilin Museum (shared/notes/units-and-dispatch.md), with the accuracy a phone gives between
    /// buildings.
    /// </summary>
    private static readonly Dictionary<string, (string Officer, double Latitude, double Longitude, double Accuracy)> UnitPositions = new()
    {
        ["patrol-7"] = ("wang.lei", 34.2630, 108.9395, 12),
        ["patrol-5"] = ("zhao.min", 34.2557, 108.9535, 15),
    };

    private static readonly string[] LocaleVariables = ["LC_ALL", "LC_MESSAGES", "LANG"];

    /// <summary>The language of the terminal: <c>LC_ALL</c>, <c>LC_MESSAGES</c>, then <c>LANG</c>, as POSIX reads them.</summary>
    public static Language TerminalLanguage(Func<string, string?> environment) =>
        LocaleVariables.Select(environment).FirstOrDefault(v => !string.IsNullOrEmpty(v)) is { } locale
            && LanguageNames.TryMatch(locale, out var language) && language == Language.ZhCn ? Language.ZhCn : Language.En;

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
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(Words.For(TerminalLanguage(Environment.GetEnvironmentVariable))["demo.starting"])}[/]");
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
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(Words.For(TerminalLanguage(Environment.GetEnvironmentVariable))["demo.failed", ("reason", e.Message)])}[/]");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(Words.For(TerminalLanguage(Environment.GetEnvironmentVariable))["demo.stopped"])}[/]");
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
        var words = Words.For(TerminalLanguage(Environment.GetEnvironmentVariable));
        var people = RosterFile.Load(Path.Combine("infra", "roster.sample.json")).ToDictionary(p => p.Person.Subject, p => p.Person.Name);
        using var http = new HttpClient { BaseAddress = new Uri(api.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(words.Language.Tag());
        // Every request is a person's: tokens from the local stack's own key, for people of the sample roster.
        var tokens = LocalTokens.LoadOrCreate(LocalTokens.KeyPath(Directory.GetCurrentDirectory()));
        string Token(string subject, params GlobalRole[] roles) =>
            tokens.Mint(new Person(subject, people[subject]), roles, time.GetCurrentInstant(), Duration.FromHours(1));
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
                Say($"[bold red]{Markup.Escape(words["demo.shift-report", ("station", body["station"]?.GetValue<string>()), ("day", body["day"]?.GetValue<string>())])}[/]");
                return;
            }

            var clockName = body["clock"]?.GetValue<string>() is { Length: > 0 } named ? words.Word("clock", named) : "";
            Say($"[bold red]{Markup.Escape(words["demo.chief-receives", ("name", await WhoAsync(id, args.CancellationToken)), ("kind", words.Word("notice", body["kind"]!.GetValue<string>())),
                ("level", body["level"]!.GetValue<int>()), ("clock", clockName), ("overdue", words.Prose(XmlConvert.ToTimeSpan(body["overdueBy"]!.GetValue<string>())))])}[/]");
            inbox.Add(body);
        };
        processor.ProcessErrorAsync += args =>
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(args.Exception.Message)}[/]");
            return Task.CompletedTask;
        };
        await processor.StartProcessingAsync(cancellationToken);

        // A body is POSTed; without one, the path is read.
        async Task<JsonObject> Send(string step, string token, string path, object? body)
        {
            using var request = body is null ? new HttpRequestMessage(HttpMethod.Get, path) : new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var detail = answer.Length > 0 && answer.TrimStart().StartsWith('{') ? JsonNode.Parse(answer)?["detail"]?.GetValue<string>() : null;
                throw new StoryBrokenException(words["demo.refused", ("step", step), ("status", $"{(int)response.StatusCode} {response.ReasonPhrase}"), ("detail", detail is null ? "" : $": {detail}")]);
            }

            return JsonNode.Parse(answer)!.AsObject();
        }

        async Task Report(string name, string priority, string zone, string category, string? story)
        {
            var step = words["demo.report", ("name", name), ("priority", words.Word("priority", priority)), ("category", words.Word("category", category)),
                ("zone", words.Word("zone", zone)), ("story", story is null ? "" : words[story])];
            Say(Markup.Escape(step));
            var (address, latitude, longitude) = Places[name];
            var incident = await Send(step, dispatcher, "incidents", new
            {
                station = "beilin-01", category, priority, zone, channel = "phone",
                location = new { address, latitude, longitude }, description = "demo",
            });
            var id = incident["id"]!.GetValue<string>();
            ids[name] = id;
            Name(id).TrySetResult(name);
        }

        // Says whether the step met its clock, from the API's answer: on a slow machine "in time" may not be true. An arrival
        // says too whether the map agrees, from the answer's arrival check.
        async Task Act(string label, string token, string name, string action, string clockName, object? body = null)
        {
            var incident = await Send(label, token, $"incidents/{ids[name]}/{action}", body ?? new { });
            var ended = incident["clocks"]![clockName]!;
            var outcome = ended["overdueBy"]?.GetValue<string>() is { } late
                ? $"[red]{Markup.Escape(words["demo.late", ("late", words.Prose(XmlConvert.ToTimeSpan(late)))])}[/]" : $"[green]{Markup.Escape(words["demo.in-time"])}[/]";
            Say($"{Markup.Escape(label)}: {outcome}");
            if (action == "arrive" && incident["arrival"] is JsonObject arrival)
            {
                var verified = arrival["verified"]!.GetValue<bool>();
                var check = arrival["distanceMeters"]?.GetValue<double>() is { } meters
                    ? words[verified ? "board.arrival.verified" : "board.arrival.unverified", ("distance", words["distance.m", ("n", meters)])]
                    : words["board.arrival.no-position"];
                Say($"{(verified ? "[green]" : "[yellow]")}{Markup.Escape(words["demo.arrival-check", ("name", name), ("check", check)])}[/]");
            }
        }

        // The officers' devices report where their units are, as they do every 10-30 s on duty.
        async Task ReportPositionsAsync()
        {
            foreach (var (unit, (officer, latitude, longitude, accuracy)) in UnitPositions)
            {
                var step = words["demo.position", ("officer", people[officer]), ("unit", unit)];
                await Send(step, officers[officer], $"stations/beilin-01/units/{unit}/position", new { latitude, longitude, accuracy });
                Say(Markup.Escape(step));
            }
        }

        // Who to send to an incident, best first, as the board's dispatch form shows it; the story sends the first.
        async Task<string> RecommendAsync(string name)
        {
            var step = words["demo.candidates", ("name", name)];
            var candidates = (await Send(step, dispatcher, $"incidents/{ids[name]}/candidates", null))["candidates"]!.AsArray();
            Say(Markup.Escape(step));
            foreach (var (c, rank) in candidates.Select((c, i) => (c!, i + 1)))
            {
                Say(Markup.Escape(words["demo.candidate", ("rank", rank), ("unit", c["unit"]!.GetValue<string>()), ("status", words.Word("unit-status", c["status"]!.GetValue<string>())),
                    ("distance", c["distanceMeters"]?.GetValue<double>() is { } meters ? words["distance.m", ("n", meters)] : "—"),
                    ("minutes", c["etaMinutes"]?.GetValue<double>() is { } minutes ? minutes : "—")]));
            }

            return candidates.FirstOrDefault()?["unit"]?.GetValue<string>()
                ?? throw new StoryBrokenException(words["demo.refused", ("step", step), ("status", "200 OK"), ("detail", "")]);
        }

        // The chief's rung for B: acknowledged the moment it arrives, at the level it arrived with, before the
        // ladder can climb past him to the command center.
        async Task AcknowledgeBAsync()
        {
            var escalation = await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["B"] && m["kind"]!.GetValue<string>() == "escalation",
                words["demo.wait.b"], cancellationToken);
            var level = escalation["level"]!.GetValue<int>();
            var label = words["demo.acknowledges", ("chief", people["zhang.wei"])];
            await Send(label, chief, $"incidents/{ids["B"]}/acknowledge", new { level });
            Say(Markup.Escape(words["demo.acknowledged", ("step", label), ("level", level)]));
        }

        // A beat between steps, for the watcher to follow; nothing in the story depends on its length.
        Task Beat() => Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);

        string Dispatches(string name, string unit) => words["demo.dispatches", ("dispatcher", people["li.ming"]), ("name", name), ("unit", unit)];
        string OnScene(string officer, string name) => words["demo.on-scene", ("officer", people[officer]), ("name", name)];
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(words["demo.begins"])}[/] {Markup.Escape(words["demo.begins-note"])}");
        await ReportPositionsAsync();
        await Report("A", "P1", "urban", "theft", null);
        await Report("B", "P2", "suburban", "burglary", "demo.story.b");
        var acknowledged = AcknowledgeBAsync();
        await Report("C", "P1", "rural", "homicide", "demo.story.c");
        await Report("D", "P3", "urban", "noise", null);
        await Report("E", "P4", "rural", "lost-property", "demo.story.e");
        await Beat();
        var best = await RecommendAsync("A");
        await Act(Dispatches("A", best), dispatcher, "A", "dispatch", "dispatch", new { unit = best, officer = "wang.lei" });
        await Act(Dispatches("C", "patrol-5"), dispatcher, "C", "dispatch", "dispatch", new { unit = "patrol-5", officer = "zhao.min" });
        await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["C"] && m["kind"]!.GetValue<string>() == "immediate", words["demo.wait.c"], cancellationToken);
        await Beat();
        // Wang Lei presses "on scene" at the Bell Tower, a few metres from A's address: the map agrees.
        await Act(OnScene("wang.lei", "A"), officers["wang.lei"], "A", "arrive", "arrival", new { latitude = 34.2612, longitude = 108.9421, accuracy = 8 });
        await Beat();
        await Act(Dispatches("D", "patrol-7"), dispatcher, "D", "dispatch", "dispatch", new { unit = "patrol-7", officer = "wang.lei" });
        await Beat();
        // Zhao Min presses "on scene" for C (the South Gate) while her phone is still at the Beilin Museum: recorded, not verified.
        var (_, latitude, longitude, accuracy) = UnitPositions["patrol-5"];
        await Act(OnScene("zhao.min", "C"), officers["zhao.min"], "C", "arrive", "arrival", new { latitude, longitude, accuracy });
        await Beat();
        await Act(words["demo.resolves", ("officer", people["wang.lei"]), ("name", "A")], officers["wang.lei"], "A", "resolve", "resolution", new { outcome = "suspect detained" });
        await acknowledged;
        await Act(Dispatches("B", "patrol-5"), dispatcher, "B", "dispatch", "dispatch", new { unit = "patrol-5", officer = "zhao.min" });
        await inbox.WaitForAsync(m => m["incidentId"]!.GetValue<string>() == ids["E"] && m["kind"]!.GetValue<string>() == "escalation", words["demo.wait.e"], cancellationToken);
        await processor.StopProcessingAsync(CancellationToken.None);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", chief);
        await PrintSummaryAsync(http, ids, words, cancellationToken);
    }

    private static async Task PrintSummaryAsync(HttpClient http, IReadOnlyDictionary<string, string> ids, Words words, CancellationToken cancellationToken)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(words["demo.end"])}[/]").AddColumns(
            words["demo.column.incident"], words["demo.column.priority"], words["demo.column.zone"], words["demo.column.category"], words["demo.column.status"],
            words.Word("clock", "dispatch"), words.Word("clock", "arrival"), words.Word("clock", "resolution"));
        var totals = new Dictionary<string, (int Met, int Breached)> { ["dispatch"] = (0, 0), ["arrival"] = (0, 0), ["resolution"] = (0, 0) };
        foreach (var (name, id) in ids.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            var incident = (await http.GetFromJsonAsync<JsonObject>($"incidents/{id}", cancellationToken))!;
            var cells = new List<string>
            {
                name, words.Word("priority", incident["priority"]!.GetValue<string>()), words.Word("zone", incident["zone"]!.GetValue<string>()),
                words.Word("category", incident["category"]!.GetValue<string>()), words.Word("status", incident["status"]!.GetValue<string>()),
            };
            foreach (var clock in new[] { "dispatch", "arrival", "resolution" })
            {
                var state = incident["clocks"]![clock]!["state"]!.GetValue<string>();
                var level = incident["clocks"]![clock]!["level"]!.GetValue<int>();
                cells.Add(state switch
                {
                    "met" => $"[green]{Markup.Escape(words["demo.met"])}[/]",
                    "breached" => $"[red]{Markup.Escape(words["demo.breached"])}[/]{(level > 0 ? $" (L{level})" : "")}",
                    _ => state,
                });
                var (met, breached) = totals[clock];
                totals[clock] = state == "met" ? (met + 1, breached) : state == "breached" ? (met, breached + 1) : (met, breached);
            }

            table.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(table);
        var summary = new Table().AddColumns(words["demo.column.clock"], words["demo.column.met"], words["demo.column.breached"]);
        foreach (var (clock, (met, breached)) in totals)
        {
            summary.AddRow(words.Word("clock", clock), $"{met}", $"{breached}");
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
                throw new StoryBrokenException(Words.For(TerminalLanguage(Environment.GetEnvironmentVariable))["demo.did-not-arrive", ("what", what), ("seconds", Patience.TotalSeconds)]);
            }
        }
    }
}
