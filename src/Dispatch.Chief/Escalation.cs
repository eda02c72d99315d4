using Dispatch.Contracts;

namespace Dispatch.Chief;

/// <summary>One line on the board: an escalation, whether the chief has acknowledged it, and whether its clock has ended.</summary>
public sealed record BoardEntry(EscalationMessage Escalation, DateTimeOffset ReceivedAt)
{
    public string? AcknowledgedBy { get; set; }

    public ClockEnd? Ended { get; set; }

    /// <summary>
    /// A long pause (issue 28): the clock is not late, it has been paused past the station's limit. Its message's
    /// deadline is the one before the pause, which the pause moves on, so it is never read as overdue.
    /// </summary>
    public bool IsLongPause => Escalation.Kind == LongPauseKind;

    /// <summary>The notice kind's wire name (Dispatch.Core's NoticeKind.LongPause).</summary>
    public const string LongPauseKind = "long-pause";

    /// <summary>How far past its deadline: the lateness it ended with once the clock has ended, counting until then; never for a long pause.</summary>
    public TimeSpan OverdueAt(DateTimeOffset now) => Ended?.OverdueBy ?? (IsLongPause ? TimeSpan.Zero : Escalation.OverdueAt(now));

    /// <summary>
    /// What the "overdue by" column says: a running clock counts (in minutes and seconds); one that has ended says how
    /// late it ended, and that it is over; a long pause says how long past the limit it has stayed paused, counting.
    /// </summary>
    public string Figure(DateTimeOffset now, Words words)
    {
        if (IsLongPause && Ended is null)
        {
            var past = now > Escalation.EscalatedAt ? now - Escalation.EscalatedAt : TimeSpan.Zero;
            return words["desk.long-pause", ("figure", words["duration.m", ("m", (int)past.TotalMinutes), ("s", past.Seconds)])];
        }

        var overdue = OverdueAt(now);
        var figure = words["duration.m", ("m", (int)overdue.TotalMinutes), ("s", overdue.Seconds)];
        return Ended is { } end ? words[$"desk.ended.{end.How}", ("figure", figure)] : overdue == TimeSpan.Zero ? "—" : figure;
    }
}

/// <summary>What the chief sees: escalations, most overdue first, then newest; one row per incident and clock.</summary>
public sealed class Board
{
    private readonly Dictionary<string, BoardEntry> entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShiftReportMessage> reports = new(StringComparer.OrdinalIgnoreCase);
    private readonly object gate = new();

    public void Add(EscalationMessage escalation, DateTimeOffset receivedAt)
    {
        lock (gate)
        {
            // A higher level for the same incident and clock replaces the lower one; a long pause has a row of its own.
            var key = Key(escalation.IncidentId, escalation.Clock, escalation.Kind);
            if (!entries.TryGetValue(key, out var existing) || existing.Escalation.Level <= escalation.Level)
            {
                entries[key] = new BoardEntry(escalation, receivedAt);
            }
        }
    }

    public IReadOnlyList<BoardEntry> Rows(DateTimeOffset now, string? station)
    {
        lock (gate)
        {
            return entries.Values
                .Where(e => station is null || string.Equals(e.Escalation.Station, station, StringComparison.OrdinalIgnoreCase))
                .OrderBy(e => e.AcknowledgedBy is not null || e.Ended is not null)
                .ThenByDescending(e => e.OverdueAt(now))
                .ThenByDescending(e => e.Escalation.EscalatedAt)
                .ToList();
        }
    }

    /// <summary>Keeps each station's latest day: a report for an earlier day (a late resend) does not replace it.</summary>
    public void AddReport(ShiftReportMessage report)
    {
        lock (gate)
        {
            if (!reports.TryGetValue(report.Station, out var existing) || string.CompareOrdinal(existing.Day, report.Day) <= 0)
            {
                reports[report.Station] = report;
            }
        }
    }

    public IReadOnlyList<ShiftReportMessage> Reports(string? station)
    {
        lock (gate)
        {
            return [.. reports.Values.Where(r => station is null || string.Equals(r.Station, station, StringComparison.OrdinalIgnoreCase)).OrderBy(r => r.Station, StringComparer.Ordinal)];
        }
    }

    /// <summary>The incident and clock of every row whose clock may still be running.</summary>
    public IReadOnlyList<(string IncidentId, string Clock)> Running()
    {
        lock (gate)
        {
            return [.. entries.Values.Where(e => e.Ended is null && e.Escalation.Clock is not null).Select(e => (e.Escalation.IncidentId, e.Escalation.Clock!)).Distinct()];
        }
    }

    public void MarkEnded(string incidentId, string clock, ClockEnd end)
    {
        lock (gate)
        {
            foreach (var entry in entries.Values.Where(e => e.Escalation.IncidentId == incidentId && e.Escalation.Clock == clock))
            {
                entry.Ended = end;
            }
        }
    }

    private static string Key(string incidentId, string? clock, string kind) => kind == BoardEntry.LongPauseKind ? $"{incidentId}|{clock}|{kind}" : $"{incidentId}|{clock}";

    public void MarkAcknowledged(string incidentId, string by)
    {
        lock (gate)
        {
            foreach (var entry in entries.Values.Where(e => e.Escalation.IncidentId == incidentId))
            {
                entry.AcknowledgedBy = by;
            }
        }
    }
}
