using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Spectre.Console;

namespace Dispatch.Chief;

internal interface IDesk
{
    Task ShowAsync(EscalationMessage escalation, ServiceBusReceivedMessage message, CancellationToken cancellationToken);

    Task ShowReportAsync(ShiftReportMessage report, CancellationToken cancellationToken);

    void Error(string message);

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>One JSON line per message on standard output, and nothing else: for scripts and tests.</summary>
internal sealed class JsonDesk(TextWriter output) : IDesk
{
    private readonly object gate = new();

    public Task ShowAsync(EscalationMessage escalation, ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            output.WriteLine(JsonSerializer.Serialize(escalation, EscalationMessage.Json));
            output.Flush();
        }

        return Task.CompletedTask;
    }

    public Task ShowReportAsync(ShiftReportMessage report, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            output.WriteLine(JsonSerializer.Serialize(report, EscalationMessage.Json));
            output.Flush();
        }

        return Task.CompletedTask;
    }

    public void Error(string message) => Console.Error.WriteLine(message);

    public Task RunAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}

/// <summary>
/// The live board: escalations with overdue-by counters that tick every second until their clock ends (asked
/// of the API every few seconds); keys 1-9 acknowledge the row with that number through the API; q quits.
/// </summary>
/// <param name="station">The stations' time zone and language, once the API has said (UTC until then: the desk may start before the API).</param>
internal sealed class BoardDesk(
    DeskOptions options, Func<BoardDesk, AcknowledgeClient> acknowledgeClient, ClockEnds clockEnds, TimeProvider time, Task<(TimeZoneInfo Zone, Language? Language)> station) : IDesk
{
    private static readonly string[] LeadingReportColumns = ["station", "day", "incidents", "breaches"];
    private static readonly string[] TrailingReportColumns = ["bottom-units", "url"];
    private static readonly TimeSpan EndsRefresh = TimeSpan.FromSeconds(3);

    private readonly DeskCaption caption = new(time);
    private AcknowledgeClient? acknowledge;

    private readonly Board board = new();
    private readonly List<TaskCompletionSource> waitingToBeShown = [];

    public Task ShowAsync(EscalationMessage escalation, ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        caption.Received();
        lock (waitingToBeShown)
        {
            board.Add(escalation, time.GetUtcNow());
            waitingToBeShown.Add(shown);
        }

        return shown.Task.WaitAsync(cancellationToken);
    }

    public Task ShowReportAsync(ShiftReportMessage report, CancellationToken cancellationToken)
    {
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (waitingToBeShown)
        {
            board.AddReport(report);
            waitingToBeShown.Add(shown);
        }

        return shown.Task.WaitAsync(cancellationToken);
    }

    public void Error(string message) => caption.Error(message);

    private TimeZoneInfo Zone => station.IsCompletedSuccessfully ? station.Result.Zone : TimeZoneInfo.Utc;

    /// <summary><c>--lang</c>, else the stations' policy's language once the API has said, else Chinese (the people the desk is for).</summary>
    public Words Words => Words.For(options.Language ?? (station.IsCompletedSuccessfully ? station.Result.Language : null) ?? Language.ZhCn);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interactive = !Console.IsInputRedirected;
        var refreshing = Task.CompletedTask;
        var lastRefresh = DateTimeOffset.MinValue;
        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (refreshing.IsCompleted && time.GetUtcNow() - lastRefresh >= EndsRefresh)
                {
                    lastRefresh = time.GetUtcNow();
                    refreshing = clockEnds.RefreshAsync(board, cancellationToken);
                }

                List<TaskCompletionSource> shown;
                lock (waitingToBeShown)
                {
                    shown = [.. waitingToBeShown];
                    waitingToBeShown.Clear();
                }

                context.UpdateTarget(Render());
                context.Refresh();
                shown.ForEach(s => s.TrySetResult());
                if (interactive)
                {
                    while (Console.KeyAvailable)
                    {
                        var key = Console.ReadKey(intercept: true);
                        if (key.KeyChar is 'q' or 'Q')
                        {
                            return;
                        }

                        if (key.KeyChar is >= '1' and <= '9')
                        {
                            await AcknowledgeRowAsync(key.KeyChar - '1', cancellationToken);
                        }
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        });
    }

    private async Task AcknowledgeRowAsync(int index, CancellationToken cancellationToken)
    {
        var rows = board.Rows(time.GetUtcNow(), options.Station);
        if (index >= rows.Count)
        {
            return;
        }

        acknowledge ??= acknowledgeClient(this);
        var (ok, message) = await acknowledge.AcknowledgeAsync(rows[index].Escalation, cancellationToken);
        if (ok)
        {
            board.MarkAcknowledged(rows[index].Escalation.IncidentId, options.Actor);
        }

        caption.Status = ok ? $"[green]{Markup.Escape(message)}[/]" : $"[red]{Markup.Escape(message)}[/]";
    }

    private Rows Render()
    {
        var words = Words;
        var escalations = Escalations(board, time.GetUtcNow(), options, Zone, words, caption.Markup(words));
        var reports = board.Reports(options.Station);
        if (reports.Count == 0)
        {
            return new Rows(escalations);
        }

        var table = new Table().Border(TableBorder.Rounded).Expand().Title($"[bold]{Markup.Escape(words["desk.reports.title"])}[/]");
        var clocks = WireNames.Names<ClockKind>().ToList();
        foreach (var column in LeadingReportColumns.Select(c => words[$"desk.reports.{c}"]).Concat(clocks.Select(c => words.Word("clock", c)))
            .Concat(TrailingReportColumns.Select(c => words[$"desk.reports.{c}"])))
        {
            table.AddColumn(Markup.Escape(column));
        }

        foreach (var r in reports)
        {
            string Compliance(string clock) => r.Clocks.FirstOrDefault(c => c.Clock == clock)?.Compliance is { } c ? $"{c:P0}" : "—";
            table.AddRow([
                Markup.Escape(r.Station), Markup.Escape(r.Day), $"{r.Reported}", r.Breaches.Count == 0 ? "0" : $"[yellow]{r.Breaches.Count}[/]",
                .. clocks.Select(Compliance),
                Markup.Escape(string.Join(", ", r.BottomUnits.Select(u => $"{u.Unit} {(u.Compliance is { } c ? $"{c:P0}" : "—")}{(u.SmallSample ? "*" : "")}"))),
                Markup.Escape(r.Url),
            ]);
        }

        return new Rows(escalations, table);
    }

    /// <summary>
    /// The escalations in the desk's words. Spectre measures each cell by its display width (a Chinese character takes
    /// two columns), so the columns line up whatever the language (a test checks the rendered lines).
    /// </summary>
    internal static Table Escalations(Board board, DateTimeOffset now, DeskOptions options, TimeZoneInfo zone, Words words, string caption)
    {
        var title = options.Station is null ? "" : $" · {words["desk.title-station", ("station", options.Station)]}";
        var table = new Table().Border(TableBorder.Rounded).Expand()
            .Title($"[bold]{Markup.Escape(words["desk.title"])}[/] — {Markup.Escape(options.Subscription)}{Markup.Escape(title)}")
            .Caption($"{caption}  ·  [grey]{Markup.Escape(words["desk.keys"])}[/]");
        foreach (var column in new[] { "#", words["desk.column.overdue"], words["desk.column.level"], words["desk.column.kind"], words["desk.column.incident"],
            words["desk.column.priority"], words["desk.column.category"], words["desk.column.clock"], words["desk.column.deadline", ("zone", zone.Id)], words["desk.column.summary"] })
        {
            table.AddColumn(Markup.Escape(column));
        }

        var rows = board.Rows(now, options.Station);
        for (var i = 0; i < rows.Count; i++)
        {
            var e = rows[i].Escalation;
            var overdue = rows[i].OverdueAt(now);
            var colour = rows[i].AcknowledgedBy is not null || rows[i].Ended is not null ? "grey" : overdue > TimeSpan.FromMinutes(5) ? "red" : overdue > TimeSpan.Zero ? "yellow" : "white";
            table.AddRow(
                i < 9 ? $"{i + 1}" : "",
                $"[{colour}]{Markup.Escape(rows[i].Figure(now, words))}[/]",
                e.Level.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(words.Word("notice", e.Kind)) + (rows[i].AcknowledgedBy is { } by ? $" [grey]{Markup.Escape(words["desk.acknowledged-by", ("name", by)])}[/]" : ""),
                Markup.Escape(e.IncidentId),
                Markup.Escape(words.Word("priority", e.Priority)),
                Markup.Escape(words.Word("category", e.Category)),
                Markup.Escape(e.Clock is { } clock ? words.Word("clock", clock) : "—"),
                rows[i].IsLongPause ? Markup.Escape(words["desk.deadline-paused"])
                : e.Deadline is { } deadline
                    ? $"{TimeZoneInfo.ConvertTime(deadline, zone):HH:mm:ss} / {deadline.UtcDateTime:HH:mm:ss}"
                    : "—",
                Markup.Escape(e.Summary));
        }

        return table;
    }
}
