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
    string? ReporterContact)
{
    /// <summary>The audit record's change for this report (the description and the reporter's contact stay out of it).</summary>
    public string AuditText => $"report {Priority.Name()} {Category} ({Zone.Name()})";
}

/// <summary>
/// An incident: what was reported, and three parts with one owner each: its <see cref="Lifecycle"/> (status and
/// milestones), its <see cref="Ownership"/> (who held which phase) and its <see cref="Ladder"/> (the clocks and
/// their escalation). Immutable: every change returns a new incident with the events that record it and the
/// notices it raised. Milestone instants come only from the caller's clock; actors are verified persons.
/// </summary>
public sealed record Incident
{
    public required IncidentId Id { get; init; }

    public required IncidentReport Report { get; init; }

    public required string PolicyVersion { get; init; }

    /// <summary>The sequence number of the latest event; every event adds one.</summary>
    public required int Version { get; init; }

    public required Instant ReportedAt { get; init; }

    public required Lifecycle Lifecycle { get; init; }

    public required Ownership Ownership { get; init; }

    public required EscalationLadder Ladder { get; init; }

    public StationId Station => Report.Station;

    public IncidentStatus Status => Lifecycle.Status;

    public bool IsOpen => Lifecycle.IsOpen;

    public Instant? DispatchedAt => Lifecycle.DispatchedAt;

    public Instant? OnSceneAt => Lifecycle.OnSceneAt;

    public Instant? ResolvedAt => Lifecycle.ResolvedAt;

    public Instant? ClosedAt => Lifecycle.ClosedAt;

    public Instant? CancelledAt => Lifecycle.CancelledAt;

    public string? Outcome => Lifecycle.Outcome;

    public string? CancelReason => Lifecycle.CancelReason;

    public Person ReportedBy => Ownership.Desk;

    /// <summary>The dispatch and every re-dispatch, oldest first: who held the incident from when.</summary>
    public IReadOnlyList<Assignment> Assignments => Ownership.Assignments;

    public string? Unit => Ownership.Unit;

    public Person? Officer => Ownership.Officer;

    public EscalationPlan Plan => Ladder.Plan;

    public ClockSet Clocks => Ladder.Clocks;

    /// <inheritdoc cref="EscalationLadder.NextDeadline"/>
    public Instant? NextDeadline => Ladder.NextDeadline;

    /// <inheritdoc cref="EscalationLadder.NextDueAt"/>
    public Instant? NextDueAt => Ladder.NextDueAt;

    /// <inheritdoc cref="EscalationLadder.Escalated"/>
    public IReadOnlyList<ResponseClock> Escalated => Ladder.Escalated;

    /// <inheritdoc cref="EscalationLadder.ReachedLevel"/>
    public int ReachedLevel => Ladder.ReachedLevel;

    /// <summary>What the access rule reads of this incident (<see cref="AccessPolicy"/>).</summary>
    public IncidentAccess Access => new(
        Station, Plan, Officer, Unit, [.. Escalated.Select(c => c.Level)], Enum.GetValues<IncidentAction>().Where(Allows).ToHashSet());

    /// <summary>Open, with a clock past its deadline and not met.</summary>
    public bool IsOverdueAt(Instant now) => IsOpen && NextDeadline is { } next && next <= now;

    public static Transition Open(IncidentId id, IncidentReport report, ResponsePolicy policy, Instant now, Person actor)
    {
        var incident = new Incident
        {
            Id = id,
            Report = report,
            PolicyVersion = policy.Version,
            Version = 1,
            ReportedAt = now,
            Lifecycle = new Lifecycle(IncidentStatus.Reported),
            Ownership = new Ownership(actor, []),
            Ladder = EscalationLadder.Start(policy.Plan, policy.TargetsFor(report.Priority, report.Zone), now),
        };
        var events = new List<IncidentEvent>
        {
            incident.EventOf(1, now, actor, new EventDetails.Reported(report.Priority, report.Zone, report.Category, policy.Version)),
        };
        var notices = new List<Notice>();
        if (policy.IsImmediate(report.Category))
        {
            // Major matters go to the chief when they are reported, without waiting for any clock.
            var notice = new Notice(id, report.Station, report.Category, report.Priority, report.Location.Address, null, NoticeKind.Immediate, 0,
                policy.Immediate.To, null, null, now, Duration.Zero, actor);
            notices.Add(notice);
            incident = incident with { Version = 2 };
            events.Add(incident.EventOf(2, now, actor, EventDetails.Of(notice)));
        }

        return new Transition(incident, events, notices);
    }

    public Transition Dispatch(string unit, Person officer, Instant now, Person actor)
    {
        Require(IncidentAction.Dispatch, "dispatch", IncidentStatus.Reported);
        var owners = Ownership.HandTo(new Assignment(now, unit, officer, actor));
        return Record(now, actor, new EventDetails.Dispatched(unit, officer), this with
        {
            Lifecycle = Lifecycle.Dispatched(now),
            Ownership = owners,
            Ladder = Ladder.Meet(ClockKind.Dispatch, now, owners),
        });
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

        return Record(now, actor, new EventDetails.Reassigned(unit, officer, Unit!, Officer!.Subject, reason),
            this with { Ownership = Ownership.HandTo(new Assignment(now, unit, officer, actor)) });
    }

    public Transition Arrive(Instant now, Person actor)
    {
        Require(IncidentAction.Arrive, "mark on scene", IncidentStatus.Dispatched);
        return Record(now, actor, new EventDetails.OnScene(),
            this with { Lifecycle = Lifecycle.OnScene(now), Ladder = Ladder.Meet(ClockKind.Arrival, now, Ownership) });
    }

    public Transition Resolve(string outcome, Instant now, Person actor)
    {
        Require(IncidentAction.Resolve, "resolve", IncidentStatus.OnScene);
        return Record(now, actor, new EventDetails.Resolved(outcome),
            this with { Lifecycle = Lifecycle.Resolved(now, outcome), Ladder = Ladder.Meet(ClockKind.Resolution, now, Ownership) });
    }

    public Transition Close(Instant now, Person actor)
    {
        Require(IncidentAction.Close, "close", IncidentStatus.Resolved);
        return Record(now, actor, new EventDetails.Closed(), this with { Lifecycle = Lifecycle.Closed(now) });
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

        return Record(now, actor, new EventDetails.Cancelled(reason),
            this with { Lifecycle = Lifecycle.Cancelled(now, reason), Ladder = Ladder.StopAll(now, Ownership) });
    }

    /// <summary>
    /// Pauses a running clock for <paramref name="reason"/> until someone resumes it or its maximum pause has passed.
    /// Never after its deadline (a pause does not erase a breach), never twice at once, never once its phase has ended;
    /// notices already sent stand.
    /// </summary>
    /// <param name="tellChiefAfter">The policy's limit: a pause still on after it is reported to the station's chief.</param>
    public Transition Pause(ClockKind kind, PauseReason reason, string? note, Instant now, Person actor, Duration? tellChiefAfter = null)
    {
        if (!IsOpen)
        {
            Require(IncidentAction.Pause, "pause a clock of", IncidentStatus.Reported, IncidentStatus.Dispatched, IncidentStatus.OnScene);
        }

        var clock = Clocks[kind];
        if (!clock.IsOpen)
        {
            throw Refused($"Cannot pause the {kind.Name()} clock of incident {Id}: its phase ended at {clock.EndedAt}.", "clock-ended", kind);
        }

        if (clock.Pause is { } current)
        {
            throw Refused($"The {kind.Name()} clock of incident {Id} is already paused ({current.Reason}) since {current.At}.", "clock-already-paused", kind, ("since", current.At));
        }

        if (now >= clock.Deadline)
        {
            throw Refused($"Cannot pause the {kind.Name()} clock of incident {Id}: its deadline passed at {clock.Deadline}, and a pause does not erase a breach.",
                "clock-past-deadline", kind, ("deadline", clock.Deadline));
        }

        var resumesBy = now + reason.MaxPause;
        var pause = new ClockPause(reason.Name, now, actor, Unit, resumesBy, now + tellChiefAfter < resumesBy ? now + tellChiefAfter : null);
        return Record(now, actor, new EventDetails.Paused(kind, reason.Name, pause.ResumesBy, note), this with { Ladder = Ladder.Pause(kind, pause) });
    }

    /// <summary>Runs a paused clock again: its deadline moves by exactly the time it was paused.</summary>
    public Transition Resume(ClockKind kind, Instant now, Person actor)
    {
        if (!Clocks[kind].IsPaused)
        {
            throw Refused($"The {kind.Name()} clock of incident {Id} is not paused.", "clock-not-paused", kind);
        }

        var ladder = Ladder.Resume(kind, now, actor);
        var clock = ladder.Clocks[kind];
        return Record(now, actor, EventDetails.Resumed.Of(clock, clock.Pauses.Items[^1], automatic: false), this with { Ladder = ladder });
    }

    /// <summary>
    /// Does everything that has come due by <paramref name="now"/> (<see cref="EscalationLadder.Sweep"/>): each pause
    /// ended at its maximum an event, each rung a notice and an event.
    /// </summary>
    public Transition Sweep(Instant now)
    {
        var (ladder, rungs, resumed) = Ladder.Sweep(now, Ownership);
        var notices = rungs.Select(rung => NoticeFor(rung, now)).ToList();
        var events = resumed.Select(r => EventDetails.Resumed.Of(r.Clock, r.Pause, automatic: true) as EventDetails)
            .Concat(notices.Select(EventDetails.Of))
            .Select((details, i) => EventOf(Version + i + 1, now, Person.Sweep, details)).ToList();
        return new Transition(this with { Version = Version + events.Count, Ladder = ladder }, events, notices);
    }

    /// <summary>
    /// Whether the incident's state allows <paramref name="action"/> at all, whoever asks. Who may ask is
    /// <see cref="AccessPolicy"/>'s to say; an acknowledgement also needs a ladder the caller may stop.
    /// </summary>
    public bool Allows(IncidentAction action) => IncidentRequest.IsAllowed(action, this);

    /// <summary>Records that someone has taken charge (<see cref="EscalationLadder.Acknowledge"/>).</summary>
    /// <param name="mayStop">Whether the caller is entitled to the level this clock's ladder stands at (<see cref="AccessPolicy.MayStop"/>).</param>
    public Transition Acknowledge(int? seen, Func<ResponseClock, bool> mayStop, Instant now, Person actor)
    {
        var (ladder, stopped) = Ladder.Acknowledge(Id, seen, mayStop, now, actor);
        return Record(now, actor, new EventDetails.Acknowledged(stopped.Max(c => c.Level), [.. stopped.Select(c => c.Kind)]), this with { Ladder = ladder });
    }

    /// <inheritdoc cref="ResponseClock.OutcomeOf"/>
    public ClockOutcome? OutcomeOf(ClockKind kind) => Clocks[kind].OutcomeOf(Ownership);

    /// <summary>Who held the clock's phase at <paramref name="at"/>.</summary>
    public Holder HolderAt(ClockKind kind, Instant at) => Ownership.HolderAt(kind, Clocks[kind].StartedAt, at);

    /// <inheritdoc cref="Ownership.PeriodsOf"/>
    public IReadOnlyList<Holding> PeriodsOf(ClockKind kind, Instant start, Instant end) => Ownership.PeriodsOf(kind, start, end);

    private Notice NoticeFor(Rung rung, Instant now) =>
        new(Id, Station, Report.Category, Report.Priority, Report.Location.Address, rung.Clock.Kind, rung.Kind, rung.Level, rung.Audience, rung.Clock.Deadline,
            rung.Kind == NoticeKind.Escalation ? rung.Clock.Deadline : null, now,
            now > rung.Clock.Deadline && rung.Kind != NoticeKind.LongPause ? now - rung.Clock.Deadline : Duration.Zero, Person.Sweep)
        {
            DueAt = rung.DueAt,
        };

    /// <summary>Refuses (409) an action the incident's state does not allow (<see cref="IncidentRequest.IsAllowed"/>).</summary>
    internal void Require(IncidentAction action, string verb, params IncidentStatus[] expected)
    {
        if (!Allows(action))
        {
            throw new InvalidTransitionException($"Cannot {verb} incident {Id}: it is {Status.Name()}, and only a {string.Join(" or ", expected.Select(s => s.Name()))} incident can be.")
            {
                Refusal = new("wrong-state", ("action", action), ("incident", Id.Value), ("status", Status), ("expected", expected)),
            };
        }
    }

    /// <summary>A 409 about one clock of this incident: the English message for logs, the code and its arguments for the caller's words.</summary>
    private InvalidTransitionException Refused(string message, string code, ClockKind clock, params (string Name, object Value)[] more) =>
        new(message) { Refusal = new(code, [("clock", clock), ("incident", Id.Value), .. more]) };

    /// <summary><paramref name="next"/> (this incident, changed or not) with one more event recording the change.</summary>
    internal static Transition Record(Instant at, Person actor, EventDetails details, Incident next)
    {
        var recorded = next with { Version = next.Version + 1 };
        return new Transition(recorded, recorded.EventOf(recorded.Version, at, actor, details));
    }

    private IncidentEvent EventOf(int sequence, Instant at, Person actor, EventDetails details) => new(Id, sequence, at, actor, details);
}
