using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// Where an incident stands in its lifecycle (reported → dispatched → on scene → resolved → closed, or cancelled
/// while open) and when it reached each milestone. Milestone instants come only from the server's clock.
/// </summary>
public sealed record Lifecycle(IncidentStatus Status)
{
    public Instant? DispatchedAt { get; init; }

    public Instant? OnSceneAt { get; init; }

    public Instant? ResolvedAt { get; init; }

    public Instant? ClosedAt { get; init; }

    public Instant? CancelledAt { get; init; }

    public string? Outcome { get; init; }

    public string? CancelReason { get; init; }

    public bool IsOpen => Status is not (IncidentStatus.Closed or IncidentStatus.Cancelled);

    /// <summary>Whether the status allows <paramref name="action"/>; an acknowledgement is the escalation ladder's to allow.</summary>
    public bool Allows(IncidentAction action) => action switch
    {
        IncidentAction.Dispatch => Status == IncidentStatus.Reported,
        IncidentAction.Reassign => Status is IncidentStatus.Dispatched or IncidentStatus.OnScene,
        IncidentAction.Arrive => Status == IncidentStatus.Dispatched,
        IncidentAction.Resolve => Status == IncidentStatus.OnScene,
        IncidentAction.Close => Status == IncidentStatus.Resolved,
        IncidentAction.Cancel => IsOpen,
        _ => false,
    };

    public Lifecycle Dispatched(Instant at) => this with { Status = IncidentStatus.Dispatched, DispatchedAt = at };

    public Lifecycle OnScene(Instant at) => this with { Status = IncidentStatus.OnScene, OnSceneAt = at };

    public Lifecycle Resolved(Instant at, string outcome) => this with { Status = IncidentStatus.Resolved, ResolvedAt = at, Outcome = outcome };

    public Lifecycle Closed(Instant at) => this with { Status = IncidentStatus.Closed, ClosedAt = at };

    public Lifecycle Cancelled(Instant at, string reason) => this with { Status = IncidentStatus.Cancelled, CancelledAt = at, CancelReason = reason };
}
