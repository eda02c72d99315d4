using Dispatch.Core.Incidents;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Http;

/// <summary>The incident as the API shows it, with each clock's state as of the moment of the response.</summary>
public sealed record IncidentResource(
    string Id,
    string Station,
    string Category,
    string Priority,
    string Zone,
    string Channel,
    string Status,
    LocationResource Location,
    string Description,
    string? ReporterContact,
    string PolicyVersion,
    int Version,
    Instant ReportedAt,
    string ReportedBy,
    Instant? DispatchedAt,
    Instant? OnSceneAt,
    Instant? ResolvedAt,
    Instant? ClosedAt,
    Instant? CancelledAt,
    string? Unit,
    string? Officer,
    string? Outcome,
    string? CancelReason,
    bool Overdue,
    ClocksResource Clocks)
{
    public static IncidentResource From(Incident i, Instant now) => new(
        i.Id.Value, i.Station.Value, i.Report.Category, i.Report.Priority.Name(), i.Report.Zone.Name(), i.Report.Channel.Name(),
        i.Status.Name(), new LocationResource(i.Report.Location.Address, i.Report.Location.Latitude, i.Report.Location.Longitude),
        i.Report.Description, i.Report.ReporterContact, i.PolicyVersion, i.Version, i.ReportedAt, i.ReportedBy,
        i.DispatchedAt, i.OnSceneAt, i.ResolvedAt, i.ClosedAt, i.CancelledAt, i.Unit, i.Officer, i.Outcome, i.CancelReason,
        i.IsOverdueAt(now),
        new ClocksResource(ClockResource.From(i.DispatchClock, now), ClockResource.From(i.ArrivalClock, now), ClockResource.From(i.ResolutionClock, now)));
}

public sealed record LocationResource(string Address, double? Latitude, double? Longitude);

public sealed record ClocksResource(ClockResource Dispatch, ClockResource Arrival, ClockResource Resolution);

/// <summary>
/// One clock; <c>overdueBy</c> is how far past the deadline it is (or was, when met late), else null;
/// <c>level</c> is the escalation level reached (0 before a breach).
/// </summary>
public sealed record ClockResource(
    string State, string Target, Instant Deadline, Instant? MetAt, Instant? StoppedAt, string? OverdueBy,
    int Level, Instant? AcknowledgedAt, string? AcknowledgedBy)
{
    public static ClockResource From(ResponseClock clock, Instant now)
    {
        var state = clock.StateAt(now);
        var end = clock.MetAt ?? clock.StoppedAt ?? now;
        var overdueBy = state == ClockState.Breached ? IsoDuration.Format(end - clock.Deadline) : null;
        return new ClockResource(state.Name(), IsoDuration.Format(clock.Target), clock.Deadline, clock.MetAt, clock.StoppedAt, overdueBy,
            clock.Level, clock.AcknowledgedAt, clock.AcknowledgedBy);
    }
}

public sealed record EventResource(int Sequence, string Kind, Instant At, string Actor, IReadOnlyDictionary<string, string> Details)
{
    public static EventResource From(IncidentEvent e) => new(e.Sequence, e.Kind.Name(), e.At, e.Actor, e.Details);
}

public sealed record TimelineResource(string IncidentId, IReadOnlyList<EventResource> Events);

public sealed record IncidentListResource(IReadOnlyList<IncidentResource> Items, string? ContinuationToken, string? Next);

public static class IsoDuration
{
    /// <summary>ISO-8601, normalised to days, hours, minutes and seconds (PT5M, P3D, PT1M30S).</summary>
    public static string Format(Duration duration) =>
        duration < Duration.FromSeconds(1)
            ? "PT0S"
            : PeriodPattern.NormalizingIso.Format(Period.FromSeconds((long)Math.Floor(duration.TotalSeconds)).Normalize());
}
