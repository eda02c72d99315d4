using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// One clock as an incident answer shows it at an instant: its state then, how far past its deadline it is (or
/// was, when it ended late), its ladder, and the facts frozen when it ended (reconstructed for old rows).
/// <see cref="Deadline"/> is the deadline as it stands then: while paused, where it would be were the clock resumed then.
/// </summary>
public sealed record ClockView(
    ClockKind Kind, ClockState State, Duration Target, Instant Deadline, Instant? MetAt, Instant? StoppedAt, Duration? OverdueBy,
    int Level, Instant? AcknowledgedAt, Person? AcknowledgedBy, BreachFact? Breach, ClockOutcome? Outcome)
{
    /// <summary>The pause holding it then, if one does (issue 28).</summary>
    public ClockPause? Pause { get; init; }

    /// <summary>How long pauses have held it by then, the current one included.</summary>
    public Duration PausedTime { get; init; }

    public int PauseCount { get; init; }

    /// <summary>The business hours outside which the clock does not run (issue 28, P4), null for a clock that runs round the clock.</summary>
    public Policy.BusinessCalendar? BusinessHours { get; init; }
}

/// <summary>
/// An incident as its readers show it at an instant (<see cref="AsOf"/>): what the board's list and an incident
/// answer hold, typed. Built once from the incident where its row is read (<see cref="Of"/>), so the aggregate
/// can change shape without every reader following; the caller's actions come from <see cref="Access"/> by
/// <see cref="AccessPolicy.ActionsOn"/>, the rule that judges requests.
/// </summary>
public sealed record IncidentView(
    IncidentId Id, IncidentReport Report, IncidentStatus Status, string PolicyVersion, int Version, Instant ReportedAt, Person ReportedBy,
    Instant? DispatchedAt, Instant? OnSceneAt, Instant? ResolvedAt, Instant? ClosedAt, Instant? CancelledAt,
    string? Unit, Person? Officer, IReadOnlyList<Assignment> Assignments, string? Outcome, string? CancelReason,
    bool Overdue, IReadOnlyList<ClockView> Clocks, int ReachedLevel, IncidentAccess Access, Instant AsOf)
{
    public StationId Station => Report.Station;

    /// <inheritdoc cref="Lifecycle.Arrival"/>
    public Units.ArrivalCheck? Arrival { get; init; }

    public ClockView this[ClockKind kind] => Clocks.Single(c => c.Kind == kind);

    public static IncidentView Of(Incident incident, Instant asOf) => new(
        incident.Id, incident.Report, incident.Status, incident.PolicyVersion, incident.Version, incident.ReportedAt, incident.ReportedBy,
        incident.DispatchedAt, incident.OnSceneAt, incident.ResolvedAt, incident.ClosedAt, incident.CancelledAt, incident.Unit, incident.Officer,
        incident.Assignments, incident.Outcome, incident.CancelReason, incident.IsOverdueAt(asOf),
        [.. incident.Clocks.Select(clock => ViewOf(incident, clock, asOf))], incident.ReachedLevel, incident.Access, asOf)
    {
        Arrival = incident.Lifecycle.Arrival,
    };

    private static ClockView ViewOf(Incident incident, ResponseClock clock, Instant asOf)
    {
        var state = clock.StateAt(asOf);
        var deadline = clock.DeadlineAt(asOf);
        Duration? overdueBy = state == ClockState.Breached ? (clock.EndedAt ?? asOf) - deadline : null;
        return new ClockView(clock.Kind, state, clock.Target, deadline, clock.MetAt, clock.StoppedAt, overdueBy,
            clock.Level, clock.AcknowledgedAt, clock.AcknowledgedBy, clock.Breach, incident.OutcomeOf(clock.Kind))
        {
            Pause = clock.Pause,
            PausedTime = clock.PausedTimeAt(clock.EndedAt ?? asOf),
            PauseCount = clock.Pauses.Items.Count,
            BusinessHours = clock.Calendar,
        };
    }
}
