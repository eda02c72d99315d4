using System.Globalization;
using Dispatch.Core.Identity;
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
    Person Actor,
    IReadOnlyDictionary<string, string> Details);

/// <summary>An incident after a change, the events that record it, and the notices it raised.</summary>
public sealed record Transition(Incident Incident, IReadOnlyList<IncidentEvent> Events, IReadOnlyList<Notice> Notices)
{
    public Transition(Incident incident, IncidentEvent recorded)
        : this(incident, [recorded], [])
    {
    }
}

/// <summary>A change that the incident's current state does not allow (a 409 to a client).</summary>
public class InvalidTransitionException(string message) : Exception(message), IRefused
{
    protected InvalidTransitionException(string message, Refusal refusal)
        : this(message) => Refusal = refusal;

    public Refusal? Refusal { get; init; }
}

/// <summary>
/// An acknowledgement names a level the incident's ladder does not stand at: it has climbed since the caller
/// looked (or never got there). A 409 that tells the current level, so the caller can look again.
/// </summary>
public sealed class StaleLevelException(IncidentId id, int seen, int current) : InvalidTransitionException(seen < current
    ? $"Incident {id}'s escalation has climbed to level {current} since you saw level {seen}: look again before acknowledging."
    : $"Incident {id} has only reached escalation level {current}, not {seen}.",
    new Refusal(seen < current ? "escalation-climbed" : "escalation-not-reached", ("incident", id.Value), ("seen", seen), ("current", current)))
{
    public int CurrentLevel { get; } = current;
}

/// <summary>
/// An incident and its milestones. Immutable: every change returns a new incident and the events that
/// record it. Milestone instants come only from the caller's clock, never from the client; actors are
/// verified persons, never names a client typed.
/// </summary>
public sealed record Incident
{
    public required IncidentId Id { get; init; }

    public required IncidentReport Report { get; init; }

    public required IncidentStatus Status { get; init; }

    public required string PolicyVersion { get; init; }

    public required EscalationPlan Plan { get; init; }

    /// <summary>The sequence number of the latest event; every event adds one.</summary>
    public required int Version { get; init; }

    public required Instant ReportedAt { get; init; }

    public required Person ReportedBy { get; init; }

    public Instant? DispatchedAt { get; init; }

    public Instant? OnSceneAt { get; init; }

    public Instant? ResolvedAt { get; init; }

    public Instant? ClosedAt { get; init; }

    public Instant? CancelledAt { get; init; }

    /// <summary>The dispatch and every re-dispatch, oldest first: who held the incident from when.</summary>
    public IReadOnlyList<Assignment> Assignments { get; init; } = [];

    public string? Outcome { get; init; }

    public string? CancelReason { get; init; }

    public required ClockSet Clocks { get; init; }

    public StationId Station => Report.Station;

    public string? Unit => Assignments.Count == 0 ? null : Assignments[^1].Unit;

    public Person? Officer => Assignments.Count == 0 ? null : Assignments[^1].Officer;

    public bool IsOpen => Status is not (IncidentStatus.Closed or IncidentStatus.Cancelled);

    /// <summary>The earliest deadline among clocks still running, or null when none is.</summary>
    public Instant? NextDeadline =>
        Clocks.Where(c => c.IsOpen).Select(c => (Instant?)c.Deadline).DefaultIfEmpty(null).Min();

    /// <summary>When the sweep next has work for this incident; null when it never will.</summary>
    /// <remarks>
    /// Never earlier after a change than before it (meeting, stopping and acknowledging remove work; the sweep
    /// moves past now). The due index relies on this: an entry earlier than this instant is harmless.
    /// </remarks>
    public Instant? NextDueAt =>
        Clocks.Select(c => c.NextDueAt(Plan)).Where(d => d is not null).DefaultIfEmpty(null).Min();

    /// <summary>Open, with a clock past its deadline and not met.</summary>
    public bool IsOverdueAt(Instant now) => IsOpen && NextDeadline is { } next && next <= now;

    public static Transition Open(IncidentId id, IncidentReport report, ResponsePolicy policy, Instant now, Person actor)
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
            Clocks = new ClockSet(
                ResponseClock.Start(ClockKind.Dispatch, now, targets.Dispatch),
                ResponseClock.Start(ClockKind.Arrival, now, targets.Arrival),
                ResponseClock.Start(ClockKind.Resolution, now, targets.Resolution)),
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
            var notice = new Notice(id, report.Station, report.Category, report.Priority, report.Location.Address, null, NoticeKind.Immediate, 0,
                policy.Immediate.To, null, null, now, Duration.Zero, actor);
            notices.Add(notice);
            incident = incident with { Version = 2 };
            events.Add(incident.EventOf(2, EventKind.Notified, now, actor, NoticeDetails(notice)));
        }

        return new Transition(incident, events, notices);
    }

    public Transition Dispatch(string unit, Person officer, Instant now, Person actor)
    {
        Require(IncidentAction.Dispatch, "dispatch", IncidentStatus.Reported);
        var assigned = this with { Assignments = [.. Assignments, new Assignment(now, unit, officer, actor)] };
        var next = assigned.Bump() with
        {
            Status = IncidentStatus.Dispatched,
            DispatchedAt = now,
            Clocks = Clocks.With(assigned.Meet(Clocks.Dispatch, now)),
        };
        return new Transition(next, next.EventOf(next.Version, EventKind.Dispatched, now, actor, new Dictionary<string, string>
        {
            ["unit"] = unit,
            ["officer"] = officer.Subject,
            ["officerName"] = officer.Name,
        }));
    }

    /// <summary>Hands the incident to another unit: the phases under way split into ownership periods at this instant.</summary>
    public Transition Reassign(string unit, Person officer, string? reason, Instant now, Person actor)
    {
        Require(IncidentAction.Reassign, "reassign", IncidentStatus.Dispatched, IncidentStatus.OnScene);

        if (string.Equals(unit, Unit, StringComparison.OrdinalIgnoreCase) && officer.Subject == Officer!.Subject)
        {
            throw new InvalidTransitionException($"Incident {Id} is already with {unit} and {officer.Name}.")
            {
                Refusal = new("already-assigned", ("incident", Id.Value), ("unit", unit), ("officer", officer.Name)),
            };
        }

        var details = new Dictionary<string, string>
        {
            ["unit"] = unit,
            ["officer"] = officer.Subject,
            ["officerName"] = officer.Name,
            ["fromUnit"] = Unit!,
            ["fromOfficer"] = Officer!.Subject,
        };
        if (reason is not null)
        {
            details["reason"] = reason;
        }

        var next = Bump() with { Assignments = [.. Assignments, new Assignment(now, unit, officer, actor)] };
        return new Transition(next, next.EventOf(next.Version, EventKind.Reassigned, now, actor, details));
    }

    public Transition Arrive(Instant now, Person actor)
    {
        Require(IncidentAction.Arrive, "mark on scene", IncidentStatus.Dispatched);
        var next = Bump() with { Status = IncidentStatus.OnScene, OnSceneAt = now, Clocks = Clocks.With(Meet(Clocks.Arrival, now)) };
        return new Transition(next, next.EventOf(next.Version, EventKind.OnScene, now, actor, new Dictionary<string, string>()));
    }

    public Transition Resolve(string outcome, Instant now, Person actor)
    {
        Require(IncidentAction.Resolve, "resolve", IncidentStatus.OnScene);
        var next = Bump() with
        {
            Status = IncidentStatus.Resolved,
            ResolvedAt = now,
            Outcome = outcome,
            Clocks = Clocks.With(Meet(Clocks.Resolution, now)),
        };
        return new Transition(next, next.EventOf(next.Version, EventKind.Resolved, now, actor, new Dictionary<string, string> { ["outcome"] = outcome }));
    }

    public Transition Close(Instant now, Person actor)
    {
        Require(IncidentAction.Close, "close", IncidentStatus.Resolved);
        var next = Bump() with { Status = IncidentStatus.Closed, ClosedAt = now };
        return new Transition(next, next.EventOf(next.Version, EventKind.Closed, now, actor, new Dictionary<string, string>()));
    }

    /// <summary>Cancels an open incident. Clocks still running stop; a clock already past its deadline stays breached.</summary>
    public Transition Cancel(string reason, Instant now, Person actor)
    {
        if (!Allows(IncidentAction.Cancel))
        {
            throw new InvalidTransitionException($"Cannot cancel incident {Id}: it is already {Status.Name()}.")
            {
                Refusal = new("already-ended", ("incident", Id.Value), ("status", Status)),
            };
        }

        var next = Bump() with
        {
            Status = IncidentStatus.Cancelled,
            CancelledAt = now,
            CancelReason = reason,
            Clocks = Clocks.Select(c => Stop(c, now)),
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
        var clocks = Clocks;
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

                    notice = NoticeFor(clock, NoticeKind.Warning, index + 1, Audience.DutyOfficer, now) with { DueAt = due };
                    events.Add(EventOf(++version, EventKind.Warned, now, Person.Sweep, NoticeDetails(notice)));
                }
                else
                {
                    var level = clock.Level + 1;
                    clock = clock with
                    {
                        Level = level,
                        WarningsSent = Plan.WarnAt.Count,
                        Breach = clock.Breach ?? new BreachFact(clock.Deadline, HolderAt(clock.Kind, clock.Deadline), now),
                    };
                    notice = NoticeFor(clock, NoticeKind.Escalation, level, Plan.AudienceOf(level), now) with { DueAt = due };
                    events.Add(EventOf(++version, EventKind.Escalated, now, Person.Sweep, NoticeDetails(notice)));
                }

                notices.Add(notice);
            }

            clocks = clocks.With(clock);
        }

        return new Transition(this with { Version = version, Clocks = clocks }, events, notices);
    }

    /// <summary>The clocks whose ladder an acknowledgement could stop now: running, escalated, not yet acknowledged.</summary>
    public IReadOnlyList<ResponseClock> Escalated => [.. Clocks.Where(c => c.Level > 0 && c.AcknowledgedAt is null && c.IsOpen)];

    /// <summary>The highest escalation level an unacknowledged ladder stands at; 0 when none is escalated.</summary>
    public int ReachedLevel => Escalated.Select(c => c.Level).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Whether the incident's state allows <paramref name="action"/> at all, whoever asks. Who may ask is
    /// <see cref="AccessPolicy"/>'s to say; an acknowledgement also needs a ladder the caller may stop.
    /// </summary>
    public bool Allows(IncidentAction action) => action switch
    {
        IncidentAction.Dispatch => Status == IncidentStatus.Reported,
        IncidentAction.Reassign => Status is IncidentStatus.Dispatched or IncidentStatus.OnScene,
        IncidentAction.Arrive => Status == IncidentStatus.Dispatched,
        IncidentAction.Resolve => Status == IncidentStatus.OnScene,
        IncidentAction.Close => Status == IncidentStatus.Resolved,
        IncidentAction.Cancel => IsOpen,
        IncidentAction.Acknowledge => Escalated.Count > 0,
        _ => false,
    };

    /// <summary>
    /// Records that someone has taken charge: the ladder of each escalated clock that <paramref name="mayStop"/>
    /// allows stops climbing; every other clock is judged on its own and keeps climbing.
    /// </summary>
    /// <param name="seen">The level the caller saw, if they said; what is judged is the level each ladder has actually reached.</param>
    /// <param name="mayStop">Whether the caller is entitled to the level this clock's ladder stands at (<see cref="AccessPolicy.MayStop"/>).</param>
    /// <exception cref="InvalidTransitionException">Nothing is escalated (409).</exception>
    /// <exception cref="StaleLevelException">The ladder stands at another level than the caller saw (409).</exception>
    /// <exception cref="ForbiddenException">No escalated ladder stands at a level the caller is entitled to (403).</exception>
    public Transition Acknowledge(int? seen, Func<ResponseClock, bool> mayStop, Instant now, Person actor)
    {
        var escalated = Escalated;
        if (escalated.Count == 0)
        {
            throw new InvalidTransitionException($"Incident {Id} has nothing escalated to acknowledge.") { Refusal = new("nothing-escalated", ("incident", Id.Value)) };
        }

        var reached = ReachedLevel;
        if (seen is { } level && level != reached)
        {
            throw new StaleLevelException(Id, level, reached);
        }

        var stopped = escalated.Where(mayStop).ToList();
        if (stopped.Count == 0)
        {
            var lowest = escalated.Min(c => c.Level);
            throw new ForbiddenException(
                $"Only the audience of level {lowest} or above ({Plan.AudienceOf(lowest).Name()} and up) may acknowledge escalation level {lowest} of this incident.")
            {
                Refusal = new("may-not-acknowledge", ("level", lowest), ("audience", Plan.AudienceOf(lowest))),
            };
        }

        var next = Bump() with
        {
            Clocks = Clocks.Select(c => stopped.Contains(c) ? c with { AcknowledgedAt = now, AcknowledgedBy = actor } : c),
        };
        return new Transition(next, next.EventOf(next.Version, EventKind.Acknowledged, now, actor, new Dictionary<string, string>
        {
            ["level"] = stopped.Max(c => c.Level).ToString(CultureInfo.InvariantCulture),
            ["clocks"] = string.Join(",", stopped.Select(c => c.Kind.Name())),
        }));
    }

    /// <summary>
    /// The clock's outcome as recorded when it ended, or for an incident stored before outcomes were kept,
    /// reconstructed from its milestones and marked <see cref="ClockOutcome.Derived"/>. Null while it runs.
    /// </summary>
    public ClockOutcome? OutcomeOf(ClockKind kind)
    {
        var clock = Clocks[kind];
        return clock.Outcome ?? (clock.EndedAt is { } end ? OutcomeAt(clock, end, stopped: clock.MetAt is null) with { Derived = true } : null);
    }

    /// <summary>Who held the clock's phase at <paramref name="at"/>.</summary>
    public Holder HolderAt(ClockKind kind, Instant at)
    {
        var periods = PeriodsOf(kind, Clocks[kind].StartedAt, Instant.Max(at, Clocks[kind].StartedAt));
        return periods.LastOrDefault(p => p.From <= at)?.Holder ?? periods[0].Holder;
    }

    /// <summary>
    /// The ownership periods of a clock's phase from its start to <paramref name="end"/>: the dispatch phase is
    /// the reporting dispatcher's; arrival and resolution are the desk's until a unit is dispatched, then each
    /// assigned unit's until the next handoff.
    /// </summary>
    public IReadOnlyList<Holding> PeriodsOf(ClockKind kind, Instant start, Instant end)
    {
        var desk = new Holder(HolderKind.Dispatcher, ReportedBy, null);
        if (kind == ClockKind.Dispatch)
        {
            return [new Holding(desk, start, end)];
        }

        var periods = new List<Holding>();
        var from = start;
        var holder = desk;
        foreach (var assignment in Assignments.Where(a => a.At < end))
        {
            if (assignment.At > from)
            {
                periods.Add(new Holding(holder, from, assignment.At));
            }

            from = Instant.Max(from, assignment.At);
            holder = new Holder(HolderKind.Unit, assignment.Officer, assignment.Unit);
        }

        periods.Add(new Holding(holder, from, end));
        return periods;
    }

    private ResponseClock Meet(ResponseClock clock, Instant at) =>
        clock.IsOpen ? clock with { MetAt = at, Outcome = OutcomeAt(clock, at, stopped: false) } : clock;

    private ResponseClock Stop(ResponseClock clock, Instant at) =>
        clock.IsOpen ? clock with { StoppedAt = at, Outcome = OutcomeAt(clock, at, stopped: true) } : clock;

    private ClockOutcome OutcomeAt(ResponseClock clock, Instant end, bool stopped)
    {
        var result = stopped
            ? end < clock.Deadline ? ClockResult.Stopped : ClockResult.Breached
            : end <= clock.Deadline ? ClockResult.Met : ClockResult.Breached;
        var overdue = end > clock.Deadline ? end - clock.Deadline : Duration.Zero;
        return new ClockOutcome(result, end, end - clock.StartedAt, overdue, PeriodsOf(clock.Kind, clock.StartedAt, end),
            HolderAt(clock.Kind, Instant.Min(end, clock.Deadline)), Derived: false);
    }

    private Notice NoticeFor(ResponseClock clock, NoticeKind kind, int level, Audience audience, Instant now) =>
        new(Id, Station, Report.Category, Report.Priority, Report.Location.Address, clock.Kind, kind, level, audience, clock.Deadline,
            kind == NoticeKind.Escalation ? clock.Deadline : null, now,
            now > clock.Deadline ? now - clock.Deadline : Duration.Zero, Person.Sweep);

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

    private void Require(IncidentAction action, string verb, params IncidentStatus[] expected)
    {
        if (!Allows(action))
        {
            throw new InvalidTransitionException($"Cannot {verb} incident {Id}: it is {Status.Name()}, and only a {string.Join(" or ", expected.Select(s => s.Name()))} incident can be.")
            {
                Refusal = new("wrong-state", ("action", action), ("incident", Id.Value), ("status", Status), ("expected", expected)),
            };
        }
    }

    private Incident Bump() => this with { Version = Version + 1 };

    private IncidentEvent EventOf(int sequence, EventKind kind, Instant at, Person actor, IReadOnlyDictionary<string, string> details) =>
        new(Id, sequence, kind, at, actor, details);
}
