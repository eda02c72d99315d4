using NodaTime;
using Dispatch.Core.Policy;

namespace Dispatch.Core.Incidents;

public sealed record Location(string Address, double? Latitude, double? Longitude);

/// <summary>What a dispatcher reports; everything the server does not stamp itself.</summary>
public sealed record IncidentReport(
    StationId Station,
    string Category,
    Priority Priority,
    Zone Zone,
    Location Location,
    string Description,
    Channel Channel,
    string? ReporterContact);

/// <summary>Who did what to an incident, when; the incident's timeline is the list of these.</summary>
public sealed record IncidentEvent(
    IncidentId IncidentId,
    int Sequence,
    EventKind Kind,
    Instant At,
    string Actor,
    IReadOnlyDictionary<string, string> Details);

/// <summary>An incident after a change, with the event that records the change.</summary>
public sealed record Transition(Incident Incident, IncidentEvent Event);

/// <summary>A change that the incident's current state does not allow (a 409 to a client).</summary>
public sealed class InvalidTransitionException(string message) : Exception(message);

/// <summary>
/// An incident and its milestones. Immutable: every change returns a new incident and the event that
/// records it. Milestone instants come only from the caller's clock, never from the client.
/// </summary>
public sealed record Incident
{
    public required IncidentId Id { get; init; }

    public required IncidentReport Report { get; init; }

    public required IncidentStatus Status { get; init; }

    public required string PolicyVersion { get; init; }

    /// <summary>Incremented by every change; the sequence number of the latest event.</summary>
    public required int Version { get; init; }

    public required Instant ReportedAt { get; init; }

    public required string ReportedBy { get; init; }

    public Instant? DispatchedAt { get; init; }

    public Instant? OnSceneAt { get; init; }

    public Instant? ResolvedAt { get; init; }

    public Instant? ClosedAt { get; init; }

    public Instant? CancelledAt { get; init; }

    public string? Unit { get; init; }

    public string? Officer { get; init; }

    public string? Outcome { get; init; }

    public string? CancelReason { get; init; }

    public required ResponseClock DispatchClock { get; init; }

    public required ResponseClock ArrivalClock { get; init; }

    public required ResponseClock ResolutionClock { get; init; }

    public StationId Station => Report.Station;

    public IReadOnlyList<ResponseClock> Clocks => [DispatchClock, ArrivalClock, ResolutionClock];

    public bool IsOpen => Status is not (IncidentStatus.Closed or IncidentStatus.Cancelled);

    /// <summary>The earliest deadline among clocks still running, or null when none is.</summary>
    public Instant? NextDeadline =>
        Clocks.Where(c => c.IsOpen).Select(c => (Instant?)c.Deadline).DefaultIfEmpty(null).Min();

    /// <summary>Open, with a clock past its deadline and not met.</summary>
    public bool IsOverdueAt(Instant now) => IsOpen && NextDeadline is { } next && next <= now;

    public static Transition Open(IncidentId id, IncidentReport report, ClockTargets targets, string policyVersion, Instant now, string actor)
    {
        var incident = new Incident
        {
            Id = id,
            Report = report,
            Status = IncidentStatus.Reported,
            PolicyVersion = policyVersion,
            Version = 1,
            ReportedAt = now,
            ReportedBy = actor,
            DispatchClock = ResponseClock.Start(ClockKind.Dispatch, now, targets.Dispatch),
            ArrivalClock = ResponseClock.Start(ClockKind.Arrival, now, targets.Arrival),
            ResolutionClock = ResponseClock.Start(ClockKind.Resolution, now, targets.Resolution),
        };
        return new Transition(incident, incident.EventOf(EventKind.Reported, now, actor, new Dictionary<string, string>
        {
            ["priority"] = report.Priority.Name(),
            ["zone"] = report.Zone.Name(),
            ["category"] = report.Category,
            ["policyVersion"] = policyVersion,
        }));
    }

    public Transition Dispatch(string unit, string officer, Instant now, string actor)
    {
        Require(IncidentStatus.Reported, "dispatch");
        var next = Bump() with
        {
            Status = IncidentStatus.Dispatched,
            DispatchedAt = now,
            Unit = unit,
            Officer = officer,
            DispatchClock = DispatchClock.Meet(now),
        };
        return new Transition(next, next.EventOf(EventKind.Dispatched, now, actor, new Dictionary<string, string>
        {
            ["unit"] = unit,
            ["officer"] = officer,
        }));
    }

    public Transition Arrive(Instant now, string actor)
    {
        Require(IncidentStatus.Dispatched, "mark on scene");
        var next = Bump() with { Status = IncidentStatus.OnScene, OnSceneAt = now, ArrivalClock = ArrivalClock.Meet(now) };
        return new Transition(next, next.EventOf(EventKind.OnScene, now, actor, new Dictionary<string, string>()));
    }

    public Transition Resolve(string outcome, Instant now, string actor)
    {
        Require(IncidentStatus.OnScene, "resolve");
        var next = Bump() with
        {
            Status = IncidentStatus.Resolved,
            ResolvedAt = now,
            Outcome = outcome,
            ResolutionClock = ResolutionClock.Meet(now),
        };
        return new Transition(next, next.EventOf(EventKind.Resolved, now, actor, new Dictionary<string, string> { ["outcome"] = outcome }));
    }

    public Transition Close(Instant now, string actor)
    {
        Require(IncidentStatus.Resolved, "close");
        var next = Bump() with { Status = IncidentStatus.Closed, ClosedAt = now };
        return new Transition(next, next.EventOf(EventKind.Closed, now, actor, new Dictionary<string, string>()));
    }

    /// <summary>Cancels an open incident. Clocks still running stop; a clock already past its deadline stays breached.</summary>
    public Transition Cancel(string reason, Instant now, string actor)
    {
        if (!IsOpen)
        {
            throw new InvalidTransitionException($"Cannot cancel incident {Id}: it is already {Status.Name()}.");
        }

        var next = Bump() with
        {
            Status = IncidentStatus.Cancelled,
            CancelledAt = now,
            CancelReason = reason,
            DispatchClock = DispatchClock.Stop(now),
            ArrivalClock = ArrivalClock.Stop(now),
            ResolutionClock = ResolutionClock.Stop(now),
        };
        return new Transition(next, next.EventOf(EventKind.Cancelled, now, actor, new Dictionary<string, string> { ["reason"] = reason }));
    }

    private void Require(IncidentStatus expected, string action)
    {
        if (Status != expected)
        {
            throw new InvalidTransitionException(
                $"Cannot {action} incident {Id}: it is {Status.Name()}, and only a {expected.Name()} incident can be.");
        }
    }

    private Incident Bump() => this with { Version = Version + 1 };

    private IncidentEvent EventOf(EventKind kind, Instant at, string actor, IReadOnlyDictionary<string, string> details) =>
        new(Id, Version, kind, at, actor, details);
}
