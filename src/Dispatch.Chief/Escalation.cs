using Dispatch.Contracts;

namespace Dispatch.Chief;

/// <summary>One line on the board: an escalation and whether the chief has acknowledged it.</summary>
public sealed record BoardEntry(EscalationMessage Escalation, DateTimeOffset ReceivedAt)
{
    public string? AcknowledgedBy { get; set; }
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
            // A higher level for the same incident and clock replaces the lower one.
            var key = $"{escalation.IncidentId}|{escalation.Clock}";
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
                .OrderBy(e => e.AcknowledgedBy is not null)
                .ThenByDescending(e => e.Escalation.OverdueAt(now))
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
