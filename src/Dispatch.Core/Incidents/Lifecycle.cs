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

    /// <summary>Whether the map agreed with the arrival (null for one recorded before arrivals were checked).</summary>
    public Units.ArrivalCheck? Arrival { get; init; }

    public bool IsOpen => Status is not (IncidentStatus.Closed or IncidentStatus.Cancelled);

    public Lifecycle Dispatched(Instant at) => this with { Status = IncidentStatus.Dispatched, DispatchedAt = at };

    public Lifecycle OnScene(Instant at, Units.ArrivalCheck? arrival = null) => this with { Status = IncidentStatus.OnScene, OnSceneAt = at, Arrival = arrival };

    public Lifecycle Resolved(Instant at, string outcome) => this with { Status = IncidentStatus.Resolved, ResolvedAt = at, Outcome = outcome };

    public Lifecycle Closed(Instant at) => this with { Status = IncidentStatus.Closed, ClosedAt = at };

    public Lifecycle Cancelled(Instant at, string reason) => this with { Status = IncidentStatus.Cancelled, CancelledAt = at, CancelReason = reason };
}
