using System.Globalization;
using Dispatch.Core.Policy;
using NodaTime;

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

/// <summary>An incident after a change, the events that record it, and the notices it raised.</summary>
public sealed record Transition(Incident Incident, IReadOnlyList<IncidentEvent> Events, IReadOnlyList<Notice> Notices)
{
    public Transition(Incident incident, IncidentEvent recorded)
        : this(incident, [recorded], [])
    {
    }

    public bool IsEmpty => Events.Count == 0;
}

/// <summary>A change that the incident's current state does not allow (a 409 to a client).</summary>
public sealed class InvalidTransitionException(string message) : Exception(message);

/// <summary>
/// An incident and its milestones. Immutable: every change returns a new incident and the events that
/// record it. Milestone instants come only from the caller's clock, never from the client.
/// </summary>
public sealed record Incident
{
    /// <summary>The actor the sweep records in the timeline.</summary>
    public const string SweepActor = "sweep";

    public required IncidentId Id { get; init; }

    public required IncidentReport Report { get; init; }

    public required IncidentStatus Status { get; init; }

    public required string PolicyVersion { get; init; }

    public required EscalationPlan Plan { get; init; }

    /// <summary>The sequence number of the latest event; every event adds one.</summary>
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

    /// <summary>When the sweep next has work for this incident; null when it never will.</summary>
    public Instant? NextDueAt =>
        Clocks.Select(c => c.NextDueAt(Plan)).Where(d => d is not null).DefaultIfEmpty(null).Min();

    /// <summary>Open, with a clock past its deadline and not met.</summary>
    public bool IsOverdueAt(Instant now) => IsOpen && NextDeadline is { } next && next <= now;

    public ResponseClock ClockOf(ClockKind kind) => kind switch
    {
        ClockKind.Dispatch => DispatchClock,
        ClockKind.Arrival => ArrivalClock,
        _ => ResolutionClock,
    };

    public static Transition Open(IncidentId id, IncidentReport report, ResponsePolicy policy, Instant now, string actor)
    {
        var targets = policy.TargetsFor(report.Priority, report.Zone);
        var incident = new Incident
        {
            Id = id,
            Report = report,
            Status = IncidentStatus.Reported,
            PolicyVersion = policy.Version,
            Plan = policy.Plan,
            Version = 1,
            ReportedAt = now,
            ReportedBy = actor,
            DispatchClock = ResponseClock.Start(ClockKind.Dispatch, now, targets.Dispatch),
            ArrivalClock = ResponseClock.Start(ClockKind.Arrival, now, targets.Arrival),
            ResolutionClock = ResponseClock.Start(ClockKind.Resolution, now, targets.Resolution),
        };
        var events = new List<IncidentEvent>
        {
            incident.EventOf(1, EventKind.Reported, now, actor, new Dictionary<string, string>
            {
                ["priority"] = report.Priority.Name(),
                ["zone"] = report.Zone.Name(),
                ["category"] = report.Category,
                ["policyVersion"] = policy.Version,
            }),
        };
        var notices = new List<Notice>();
        if (policy.IsImmediate(report.Category))
        {
            // Major matters go to the chief when they are reported, without waiting for any clock.
            var notice = new Notice(id, report.Station, report.Category, report.Priority, null, NoticeKind.Immediate, 0, policy.Immediate.To,
                null, null, now, Duration.Zero, $"{report.Priority.Name()} {report.Category} reported at {report.Location.Address}");
            notices.Add(notice);
            incident = incident with { Version = 2 };
            events.Add(incident.EventOf(2, EventKind.Notified, now, SweepActor, NoticeDetails(notice)));
        }

        return new Transition(incident, events, notices);
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
        return new Transition(next, next.EventOf(next.Version, EventKind.Dispatched, now, actor, new Dictionary<string, string>
        {
            ["unit"] = unit,
            ["officer"] = officer,
        }));
    }

    public Transition Arrive(Instant now, string actor)
    {
        Require(IncidentStatus.Dispatched, "mark on scene");
        var next = Bump() with { Status = IncidentStatus.OnScene, OnSceneAt = now, ArrivalClock = ArrivalClock.Meet(now) };
        return new Transition(next, next.EventOf(next.Version, EventKind.OnScene, now, actor, new Dictionary<string, string>()));
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
        return new Transition(next, next.EventOf(next.Version, EventKind.Resolved, now, actor, new Dictionary<string, string> { ["outcome"] = outcome }));
    }

    public Transition Close(Instant now, string actor)
    {
        Require(IncidentStatus.Resolved, "close");
        var next = Bump() with { Status = IncidentStatus.Closed, ClosedAt = now };
        return new Transition(next, next.EventOf(next.Version, EventKind.Closed, now, actor, new Dictionary<string, string>()));
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
        return new Transition(next, next.EventOf(next.Version, EventKind.Cancelled, now, actor, new Dictionary<string, string> { ["reason"] = reason }));
    }

    /// <summary>
    /// Does everything that has come due by <paramref name="now"/>: warnings at each warning point while
    /// the deadline is still ahead, the breach (level 1) at the deadline, and each further level once its
    /// delay since the breach has passed. After downtime every missed rung is recorded at once; a warning
    /// whose deadline has already passed is moot and is passed over.
    /// </summary>
    public Transition Sweep(Instant now)
    {
        var events = new List<IncidentEvent>();
        var notices = new List<Notice>();
        var version = Version;
        var clocks = new Dictionary<ClockKind, ResponseClock>();
        foreach (var original in Clocks)
        {
            var clock = original;
            while (clock.IsOpen && clock.NextDueAt(Plan) is { } due && due <= now)
            {
                Notice notice;
                if (clock.WarningsSent < Plan.WarnAt.Count && clock.WarningAt(Plan.WarnAt[clock.WarningsSent]) < clock.Deadline)
                {
                    var index = clock.WarningsSent;
                    clock = clock with { WarningsSent = index + 1 };
                    if (now >= clock.Deadline)
                    {
                        continue;
                    }

                    notice = NoticeFor(clock, NoticeKind.Warning, index + 1, Audience.DutyOfficer, now,
                        $"{Pct(Plan.WarnAt[index])} of the {clock.Kind.Name()} window used; deadline {clock.Deadline}");
                    events.Add(EventOf(++version, EventKind.Warned, now, SweepActor, NoticeDetails(notice)));
                }
                else
                {
                    var level = clock.Level + 1;
                    clock = clock with { Level = level, WarningsSent = Plan.WarnAt.Count };
                    notice = NoticeFor(clock, NoticeKind.Escalation, level, Plan.AudienceOf(level), now,
                        $"{clock.Kind.Name()} deadline missed by {Overdue(now - clock.Deadline)}; escalated to level {level}");
                    events.Add(EventOf(++version, EventKind.Escalated, now, SweepActor, NoticeDetails(notice)));
                }

                notices.Add(notice);
            }

            clocks[clock.Kind] = clock;
        }

        var next = this with
        {
            Version = version,
            DispatchClock = clocks[ClockKind.Dispatch],
            ArrivalClock = clocks[ClockKind.Arrival],
            ResolutionClock = clocks[ClockKind.Resolution],
        };
        return new Transition(next, events, notices);
    }

    /// <summary>
    /// Records that someone has taken charge of the escalated clocks: their ladders stop climbing.
    /// With <paramref name="level"/>, that level must have been reached.
    /// </summary>
    public Transition Acknowledge(string by, int? level, Instant now, string actor)
    {
        var escalated = Clocks.Where(c => c.Level > 0 && c.AcknowledgedAt is null && c.IsOpen).ToList();
        if (escalated.Count == 0)
        {
            throw new InvalidTransitionException($"Incident {Id} has nothing escalated to acknowledge.");
        }

        var reached = escalated.Max(c => c.Level);
        if (level is { } l && l > reached)
        {
            throw new InvalidTransitionException($"Incident {Id} has only reached escalation level {reached}, not {l}.");
        }

        ResponseClock Ack(ResponseClock c) => escalated.Contains(c) ? c with { AcknowledgedAt = now, AcknowledgedBy = by } : c;
        var next = Bump() with
        {
            DispatchClock = Ack(DispatchClock),
            ArrivalClock = Ack(ArrivalClock),
            ResolutionClock = Ack(ResolutionClock),
        };
        return new Transition(next, next.EventOf(next.Version, EventKind.Acknowledged, now, actor, new Dictionary<string, string>
        {
            ["by"] = by,
            ["level"] = (level ?? reached).ToString(CultureInfo.InvariantCulture),
            ["clocks"] = string.Join(",", escalated.Select(c => c.Kind.Name())),
        }));
    }

    private Notice NoticeFor(ResponseClock clock, NoticeKind kind, int level, Audience audience, Instant now, string summary) =>
        new(Id, Station, Report.Category, Report.Priority, clock.Kind, kind, level, audience, clock.Deadline,
            kind == NoticeKind.Escalation ? clock.Deadline : null, now,
            now > clock.Deadline ? now - clock.Deadline : Duration.Zero,
            $"{Report.Priority.Name()} {Report.Category} at {Report.Location.Address}: {summary}");

    private static Dictionary<string, string> NoticeDetails(Notice notice)
    {
        var details = new Dictionary<string, string>
        {
            ["kind"] = notice.Kind.Name(),
            ["audience"] = notice.Audience.Name(),
            ["level"] = notice.Level.ToString(CultureInfo.InvariantCulture),
            ["messageId"] = notice.MessageId,
        };
        if (notice.Clock is { } clock)
        {
            details["clock"] = clock.Name();
        }

        return details;
    }

    private static string Pct(double fraction) => fraction.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);

    private static string Overdue(Duration duration) =>
        duration < Duration.FromMinutes(1) ? $"{(int)duration.TotalSeconds}s" : $"{(int)duration.TotalMinutes}m{duration.Seconds}s";

    private void Require(IncidentStatus expected, string action)
    {
        if (Status != expected)
        {
            throw new InvalidTransitionException(
                $"Cannot {action} incident {Id}: it is {Status.Name()}, and only a {expected.Name()} incident can be.");
        }
    }

    private Incident Bump() => this with { Version = Version + 1 };

    private IncidentEvent EventOf(int sequence, EventKind kind, Instant at, string actor, IReadOnlyDictionary<string, string> details) =>
        new(Id, sequence, kind, at, actor, details);
}
