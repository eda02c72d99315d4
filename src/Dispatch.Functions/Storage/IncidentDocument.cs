using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The stored form of an incident: plain values with wire names, so a renamed C# member never breaks
/// rows already written.
/// </summary>
internal sealed record IncidentDocument(
    string Id,
    string Station,
    string Category,
    string Priority,
    string Zone,
    string Channel,
    string Address,
    double? Latitude,
    double? Longitude,
    string Description,
    string? ReporterContact,
    string Status,
    string PolicyVersion,
    PlanDocument Plan,
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
    ClockDocument Dispatch,
    ClockDocument Arrival,
    ClockDocument Resolution)
{
    public static IncidentDocument From(Incident incident) => new(
        incident.Id.Value,
        incident.Station.Value,
        incident.Report.Category,
        incident.Report.Priority.Name(),
        incident.Report.Zone.Name(),
        incident.Report.Channel.Name(),
        incident.Report.Location.Address,
        incident.Report.Location.Latitude,
        incident.Report.Location.Longitude,
        incident.Report.Description,
        incident.Report.ReporterContact,
        incident.Status.Name(),
        incident.PolicyVersion,
        PlanDocument.From(incident.Plan),
        incident.Version,
        incident.ReportedAt,
        incident.ReportedBy,
        incident.DispatchedAt,
        incident.OnSceneAt,
        incident.ResolvedAt,
        incident.ClosedAt,
        incident.CancelledAt,
        incident.Unit,
        incident.Officer,
        incident.Outcome,
        incident.CancelReason,
        ClockDocument.From(incident.DispatchClock),
        ClockDocument.From(incident.ArrivalClock),
        ClockDocument.From(incident.ResolutionClock));

    public Incident ToIncident()
    {
        if (!WireNames.TryParse(Priority, out Priority priority) || !WireNames.TryParse(Zone, out Zone zone)
            || !WireNames.TryParse(Channel, out Channel channel) || !WireNames.TryParse(Status, out IncidentStatus status))
        {
            throw new InvalidDataException($"Stored incident {Id} has an unknown priority, zone, channel or status.");
        }

        var report = new IncidentReport(
            StationId.Parse(Station), Category, priority, zone, new Location(Address, Latitude, Longitude), Description, channel, ReporterContact);
        return new Incident
        {
            Id = IncidentId.Parse(Id),
            Report = report,
            Status = status,
            PolicyVersion = PolicyVersion,
            Plan = Plan.ToPlan(),
            Version = Version,
            ReportedAt = ReportedAt,
            ReportedBy = ReportedBy,
            DispatchedAt = DispatchedAt,
            OnSceneAt = OnSceneAt,
            ResolvedAt = ResolvedAt,
            ClosedAt = ClosedAt,
            CancelledAt = CancelledAt,
            Unit = Unit,
            Officer = Officer,
            Outcome = Outcome,
            CancelReason = CancelReason,
            DispatchClock = Dispatch.ToClock(ClockKind.Dispatch),
            ArrivalClock = Arrival.ToClock(ClockKind.Arrival),
            ResolutionClock = Resolution.ToClock(ClockKind.Resolution),
        };
    }
}

internal sealed record ClockDocument(
    long TargetSeconds, Instant Deadline, Instant? MetAt, Instant? StoppedAt, int WarningsSent, int Level, Instant? AcknowledgedAt, string? AcknowledgedBy)
{
    public static ClockDocument From(ResponseClock clock) =>
        new((long)clock.Target.TotalSeconds, clock.Deadline, clock.MetAt, clock.StoppedAt, clock.WarningsSent, clock.Level, clock.AcknowledgedAt, clock.AcknowledgedBy);

    public ResponseClock ToClock(ClockKind kind) => new(kind, Duration.FromSeconds(TargetSeconds), Deadline, MetAt, StoppedAt)
    {
        WarningsSent = WarningsSent,
        Level = Level,
        AcknowledgedAt = AcknowledgedAt,
        AcknowledgedBy = AcknowledgedBy,
    };
}

internal sealed record PlanDocument(double[] WarnAt, LevelDocument[] Ladder)
{
    public static PlanDocument From(EscalationPlan plan) =>
        new([.. plan.WarnAt], [.. plan.Ladder.Select(l => new LevelDocument(l.Level, (long)l.After.TotalSeconds, l.To.Name()))]);

    public EscalationPlan ToPlan() => new(WarnAt, [.. Ladder.Select(l => new EscalationLevel(l.Level, Duration.FromSeconds(l.AfterSeconds), AudienceNames.Parse(l.To)))]);
}

internal sealed record LevelDocument(int Level, long AfterSeconds, string To);

/// <summary>
/// A notice as the outbox stores it, and as the body of a message on the <c>escalations</c> topic,
/// which adds <see cref="Url"/>, the incident's API link.
/// </summary>
public sealed record NoticeDocument(
    string IncidentId,
    string Station,
    string Category,
    string Priority,
    string? Clock,
    string Kind,
    int Level,
    string Audience,
    Instant? Deadline,
    Instant? BreachedAt,
    Instant EscalatedAt,
    string OverdueBy,
    string Summary)
{
    public string? Url { get; init; }

    public static NoticeDocument From(Notice n) => new(
        n.IncidentId.Value, n.Station.Value, n.Category, n.Priority.Name(), n.Clock?.Name(), n.Kind.Name(), n.Level, n.Audience.Name(),
        n.Deadline, n.BreachedAt, n.At, Http.IsoDuration.Format(n.OverdueBy), n.Summary);

    public Notice ToNotice()
    {
        ClockKind? clock = null;
        if (Clock is not null && WireNames.TryParse(Clock, out ClockKind parsed))
        {
            clock = parsed;
        }

        if (!WireNames.TryParse(Priority, out Priority priority) || !WireNames.TryParse(Kind, out NoticeKind kind))
        {
            throw new InvalidDataException($"Stored notice for {IncidentId} has an unknown priority or kind.");
        }

        return new Notice(Core.Incidents.IncidentId.Parse(IncidentId), StationId.Parse(Station), Category, priority, clock, kind, Level,
            AudienceNames.Parse(Audience), Deadline, BreachedAt, EscalatedAt,
            NodaTime.Text.PeriodPattern.NormalizingIso.Parse(OverdueBy).Value.ToDuration(), Summary);
    }
}

internal sealed record EventDocument(string IncidentId, int Sequence, string Kind, Instant At, string Actor, Dictionary<string, string> Details)
{
    public static EventDocument From(IncidentEvent e) =>
        new(e.IncidentId.Value, e.Sequence, e.Kind.Name(), e.At, e.Actor, new Dictionary<string, string>(e.Details));

    public IncidentEvent ToEvent() =>
        WireNames.TryParse(Kind, out EventKind kind)
            ? new IncidentEvent(Core.Incidents.IncidentId.Parse(IncidentId), Sequence, kind, At, Actor, Details)
            : throw new InvalidDataException($"Stored event {IncidentId}#{Sequence} has an unknown kind '{Kind}'.");
}
