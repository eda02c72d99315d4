using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Incidents;
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
/// <param name="zone">The stations' time zone, once the API has said (UTC until then: the desk may start before the API).</param>
internal sealed class BoardDesk(DeskOptions options, AcknowledgeClient acknowledge, ClockEnds clockEnds, TimeProvider time, Task<TimeZoneInfo> zone) : IDesk
{
    private static readonly string[] LeadingReportColumns = ["station", "day", "incidents", "breaches"];
    private static readonly string[] TrailingReportColumns = ["bottom units", "full report"];
    private static readonly TimeSpan EndsRefresh = TimeSpan.FromSeconds(3);

    private readonly DeskCaption caption = new(time);

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

    private TimeZoneInfo Zone => zone.IsCompletedSuccessfully ? zone.Result : TimeZoneInfo.Utc;

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

        var (ok, message) = await acknowledge.AcknowledgeAsync(rows[index].Escalation, cancellationToken);
        if (ok)
        {
            board.MarkAcknowledged(rows[index].Escalation.IncidentId, options.Actor);
        }

        caption.Status = ok ? $"[green]{Markup.Escape(message)}[/]" : $"[red]{Markup.Escape(message)}[/]";
    }

    private Rows Render()
    {
        var reports = board.Reports(options.Station);
        if (reports.Count == 0)
        {
            return new Rows(RenderEscalations());
        }

        var table = new Table().Border(TableBorder.Rounded).Expand().Title("[bold]Shift reports[/] — the last day of each station");
        var clocks = WireNames.Names<ClockKind>().ToList();
        foreach (var column in LeadingReportColumns.Concat(clocks).Concat(TrailingReportColumns))
        {
            table.AddColumn(column);
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

        return new Rows(RenderEscalations(), table);
    }

    private Table RenderEscalations()
    {
        var now = time.GetUtcNow();
        var table = new Table().Border(TableBorder.Rounded).Expand()
            .Title($"[bold]Chief's desk[/] — {Markup.Escape(options.Subscription)}{(options.Station is null ? "" : $" · station {Markup.Escape(options.Station)}")}")
            .Caption($"{caption.Markup()}  ·  [grey]1-9 acknowledge · q quit[/]");
        foreach (var column in new[] { "#", "overdue by", "level", "kind", "incident", "priority", "category", "clock", $"deadline ({Zone.Id} / UTC)", "summary" })
        {
            table.AddColumn(column);
        }

        var rows = board.Rows(now, options.Station);
        for (var i = 0; i < rows.Count; i++)
        {
            var e = rows[i].Escalation;
            var overdue = rows[i].OverdueAt(now);
            var colour = rows[i].AcknowledgedBy is not null || rows[i].Ended is not null ? "grey" : overdue > TimeSpan.FromMinutes(5) ? "red" : overdue > TimeSpan.Zero ? "yellow" : "white";
            table.AddRow(
                i < 9 ? $"{i + 1}" : "",
                $"[{colour}]{Markup.Escape(rows[i].Figure(now))}[/]",
                e.Level.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(e.Kind) + (rows[i].AcknowledgedBy is { } by ? $" [grey](ack {Markup.Escape(by)})[/]" : ""),
                Markup.Escape(e.IncidentId),
                Markup.Escape(e.Priority),
                Markup.Escape(e.Category),
                Markup.Escape(e.Clock ?? "—"),
                e.Deadline is { } deadline
                    ? $"{TimeZoneInfo.ConvertTime(deadline, Zone):HH:mm:ss} / {deadline.UtcDateTime:HH:mm:ss}"
                    : "—",
                Markup.Escape(e.Summary));
        }

        return table;
    }
}
