using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// Something the right person must be told: a warning before a deadline, an escalation after one, or a
/// major matter reported at once. Written to the outbox with the change that raised it. It carries facts
/// only; the words a person reads are the sender's business.
/// </summary>
/// <param name="RaisedBy">Whose action raised it: the reporting person for a major matter, the sweep otherwise.</param>
public sealed record Notice(
    IncidentId IncidentId,
    StationId Station,
    string Category,
    Priority Priority,
    string Address,
    ClockKind? Clock,
    NoticeKind Kind,
    int Level,
    Audience Audience,
    Instant? Deadline,
    Instant? BreachedAt,
    Instant At,
    Duration OverdueBy,
    Person RaisedBy)
{
    /// <summary>When it was due: the report for a major matter, the warning point or the rung's time for the rest. Lateness is measured from here.</summary>
    public Instant DueAt { get; init; } = At;

    /// <summary>
    /// Derived from what the notice is, never from when it was sent, so a resend after a crash has the
    /// same id and the topic's duplicate detection drops it.
    /// </summary>
    public string MessageId => Kind switch
    {
        NoticeKind.Immediate => $"{IncidentId.Value}:immediate",
        _ => $"{IncidentId.Value}:{Clock!.Value.Name()}:{Kind.Name()}:{Level}",
    };
}
