using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Chief;

/// <summary>An escalation message as the desk reads it (the body the Functions app sends to the topic).</summary>
public sealed record Escalation(
    string IncidentId,
    string Station,
    string Category,
    string Priority,
    string? Clock,
    string Kind,
    int Level,
    string Audience,
    DateTimeOffset? Deadline,
    DateTimeOffset? BreachedAt,
    DateTimeOffset EscalatedAt,
    string OverdueBy,
    string Summary,
    string Url)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Escalation Parse(BinaryData body) =>
        body.ToObjectFromJson<Escalation>(Json) ?? throw new JsonException("empty escalation body");

    /// <summary>How far past its deadline the incident is at <paramref name="now"/>; zero before it.</summary>
    public TimeSpan OverdueAt(DateTimeOffset now) => Deadline is { } deadline && now > deadline ? now - deadline : TimeSpan.Zero;
}

/// <summary>One line on the board: an escalation and whether the chief has acknowledged it.</summary>
public sealed record BoardEntry(Escalation Escalation, DateTimeOffset ReceivedAt)
{
    public string? AcknowledgedBy { get; set; }
}

/// <summary>What the chief sees: escalations, most overdue first, then newest; one row per incident and clock.</summary>
public sealed class Board
{
    private readonly Dictionary<string, BoardEntry> entries = new(StringComparer.Ordinal);
    private readonly object gate = new();

    public void Add(Escalation escalation, DateTimeOffset receivedAt)
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
