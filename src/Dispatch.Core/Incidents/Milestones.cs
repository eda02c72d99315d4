using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

// What the timeline records and what a person may ask, each kind once: its name, its typed record, in which state
// it may be asked and the change it makes. A new milestone is added here and in one file of each other layer
// (docs/adding-a-milestone.md).

public enum EventKind { Reported, Dispatched, Reassigned, OnScene, Resolved, Closed, Cancelled, Warned, Escalated, Acknowledged, Notified, Paused, Resumed }

/// <summary>What a person may ask of an incident (each a POST route of the API); reads are not actions.</summary>
public enum IncidentAction { Dispatch, Reassign, Arrive, Resolve, Close, Cancel, Acknowledge, Pause, Resume }

public static partial class WireNames
{
    private static readonly NameTable<EventKind> Events = Table(new Dictionary<EventKind, string>
    {
        [EventKind.Reported] = "reported", [EventKind.Dispatched] = "dispatched", [EventKind.Reassigned] = "reassigned", [EventKind.OnScene] = "on-scene",
        [EventKind.Resolved] = "resolved", [EventKind.Closed] = "closed", [EventKind.Cancelled] = "cancelled",
        [EventKind.Warned] = "warned", [EventKind.Escalated] = "escalated", [EventKind.Acknowledged] = "acknowledged",
        [EventKind.Notified] = "notified", [EventKind.Paused] = "paused", [EventKind.Resumed] = "resumed",
    });

    private static readonly NameTable<IncidentAction> Actions = Table(new Dictionary<IncidentAction, string>
    {
        [IncidentAction.Dispatch] = "dispatch", [IncidentAction.Reassign] = "reassign", [IncidentAction.Arrive] = "arrive",
        [IncidentAction.Resolve] = "resolve", [IncidentAction.Close] = "close", [IncidentAction.Cancel] = "cancel",
        [IncidentAction.Acknowledge] = "acknowledge", [IncidentAction.Pause] = "pause", [IncidentAction.Resume] = "resume",
    });

    public static string Name(this EventKind value) => Events.Name(value);

    /// <summary>The action's name in an incident's <c>actions</c> and in its route (<c>/incidents/{id}/{name}</c>).</summary>
    public static string Name(this IncidentAction value) => Actions.Name(value);

    public static bool TryParse(string? text, out EventKind value) => Events.TryParse(text, out value);
}

/// <summary>Who did what to an incident, when; the incident's timeline is the list of these.</summary>
/// <param name="Details">What happened, typed by its kind.</param>
public sealed record IncidentEvent(IncidentId IncidentId, int Sequence, Instant At, Person Actor, EventDetails Details)
{
    public EventKind Kind => Details.Kind;
}

/// <summary>
/// What one timeline event records, one sealed record per <see cref="EventKind"/>: typed facts (people, clocks,
/// audiences, priorities), never words. The edge writes them for storage and the API under the keys rows have
/// always had, and for people in their language; the domain only says what happened.
/// </summary>
public abstract record EventDetails
{
    private EventDetails()
    {
    }

    public abstract EventKind Kind { get; }

    /// <summary>What recording <paramref name="notice"/> adds to the timeline.</summary>
    public static EventDetails Of(Notice notice) => notice.Kind switch
    {
        NoticeKind.Warning => new Warned(notice.Clock!.Value, notice.Level, notice.Audience, notice.MessageId),
        NoticeKind.Escalation => new Escalated(notice.Clock!.Value, notice.Level, notice.Audience, notice.MessageId),
        NoticeKind.LongPause => new Notified(notice.Audience, notice.MessageId) { Notice = NoticeKind.LongPause, Clock = notice.Clock },
        _ => new Notified(notice.Audience, notice.MessageId),
    };

    /// <summary>Reported, with what decided its clocks: priority, zone, category and the policy's version.</summary>
    public sealed record Reported(Priority Priority, Zone Zone, string Category, string PolicyVersion) : EventDetails
    {
        public override EventKind Kind => EventKind.Reported;
    }

    /// <summary>A unit and its officer, as the roster has them, took the incident.</summary>
    public sealed record Dispatched(string Unit, Person Officer) : EventDetails
    {
        public override EventKind Kind => EventKind.Dispatched;
    }

    /// <summary>Handed from one unit to another; <paramref name="FromOfficer"/> is the subject of the officer who held it.</summary>
    public sealed record Reassigned(string Unit, Person Officer, string FromUnit, string FromOfficer, string? Reason) : EventDetails
    {
        public override EventKind Kind => EventKind.Reassigned;
    }

    public sealed record OnScene : EventDetails
    {
        public override EventKind Kind => EventKind.OnScene;
    }

    public sealed record Resolved(string Outcome) : EventDetails
    {
        public override EventKind Kind => EventKind.Resolved;
    }

    public sealed record Closed : EventDetails
    {
        public override EventKind Kind => EventKind.Closed;
    }

    public sealed record Cancelled(string Reason) : EventDetails
    {
        public override EventKind Kind => EventKind.Cancelled;
    }

    /// <summary>The <paramref name="Warning"/>th warning before a clock's deadline went to <paramref name="Audience"/>.</summary>
    public sealed record Warned(ClockKind Clock, int Warning, Audience Audience, string MessageId) : EventDetails
    {
        public override EventKind Kind => EventKind.Warned;
    }

    /// <summary>A clock's ladder reached <paramref name="Level"/> (1 is the breach) and its audience was told.</summary>
    public sealed record Escalated(ClockKind Clock, int Level, Audience Audience, string MessageId) : EventDetails
    {
        public override EventKind Kind => EventKind.Escalated;
    }

    /// <summary>
    /// <paramref name="Audience"/> was told of something no clock's ladder raised: a major matter when it was reported,
    /// or (<see cref="Notice"/> <see cref="NoticeKind.LongPause"/>) a clock paused past the policy's limit.
    /// </summary>
    public sealed record Notified(Audience Audience, string MessageId) : EventDetails
    {
        public override EventKind Kind => EventKind.Notified;

        public NoticeKind Notice { get; init; } = NoticeKind.Immediate;

        public ClockKind? Clock { get; init; }
    }

    /// <summary>
    /// A clock was paused for <paramref name="Reason"/> (a name from the policy's list) by the event's actor; it resumes by
    /// itself at <paramref name="ResumesBy"/> at the latest. <paramref name="Note"/> is the person's own words, if any.
    /// </summary>
    public sealed record Paused(ClockKind Clock, string Reason, Instant ResumesBy, string? Note) : EventDetails
    {
        public override EventKind Kind => EventKind.Paused;
    }

    /// <summary>
    /// A paused clock ran again from <paramref name="ResumedAt"/> (by the event's actor, or by the sweep at the pause's
    /// maximum: <paramref name="Automatic"/>), after <paramref name="PausedFor"/>; its deadline is now <paramref name="Deadline"/>.
    /// </summary>
    public sealed record Resumed(ClockKind Clock, string Reason, Instant ResumedAt, Duration PausedFor, Instant Deadline, bool Automatic) : EventDetails
    {
        public override EventKind Kind => EventKind.Resumed;

        public static Resumed Of(ResponseClock clock, ClockPause pause, bool automatic) =>
            new(clock.Kind, pause.Reason, pause.ResumedAt!.Value, pause.ResumedAt.Value - pause.At, clock.Deadline, automatic);
    }

    /// <summary>Someone took charge: the ladders of <paramref name="Clocks"/> stopped climbing, the highest at <paramref name="Level"/>.</summary>
    public sealed record Acknowledged(int Level, IReadOnlyList<ClockKind> Clocks) : EventDetails
    {
        public override EventKind Kind => EventKind.Acknowledged;
    }
}

/// <summary>
/// What a person asks of an incident, one sealed record per <see cref="IncidentAction"/>, typed as the API read it:
/// the words of its audit line (<see cref="AuditText"/>, recorded whether or not it is allowed), the words of its
/// refusal, and the change it makes. Who may ask is <see cref="AccessPolicy.IsEntitledTo"/>'s to say.
/// </summary>
public abstract record IncidentRequest
{
    private const string Desk = "its dispatchers, duty officers and chief, or the command center";

    private const string Command = "its duty officers and chief, or the command center";

    private const string OnSceneCrew = "the officer or unit it was dispatched to, its duty officers and chief";

    private IncidentRequest()
    {
    }

    public abstract IncidentAction Action { get; }

    /// <summary>The audit line: the action and the unit and officer it names; outcomes and reasons are a person's free text and stay out.</summary>
    public virtual string AuditText => Action.Name();

    /// <summary>The officer the roster must know before the incident is changed, and the unit the request gives them.</summary>
    public virtual (string Officer, string Unit)? Assignee => null;

    /// <summary>
    /// The words of a refusal (<c>Only {who} may {verb} this incident.</c>); null when the incident judges the caller
    /// itself (an acknowledgement, judged per clock against the level its ladder reached).
    /// </summary>
    public abstract (string Who, string Verb)? Refusal { get; }

    /// <summary>Whether the incident's state allows <paramref name="action"/> at all, whoever asks.</summary>
    public static bool IsAllowed(IncidentAction action, Incident incident) => action switch
    {
        IncidentAction.Dispatch => incident.Status == IncidentStatus.Reported,
        IncidentAction.Reassign => incident.Status is IncidentStatus.Dispatched or IncidentStatus.OnScene,
        IncidentAction.Arrive => incident.Status == IncidentStatus.Dispatched,
        IncidentAction.Resolve => incident.Status == IncidentStatus.OnScene,
        IncidentAction.Close => incident.Status == IncidentStatus.Resolved,
        IncidentAction.Cancel => incident.IsOpen,
        IncidentAction.Acknowledge => incident.Escalated.Count > 0,
        // Whether the pausable clock is still before its deadline is judged when it is asked (a 409 past it).
        IncidentAction.Pause => incident.IsOpen && incident.Clocks.Any(c => c.IsOpen && !c.IsPaused && c.Breach is null),
        IncidentAction.Resume => incident.Clocks.Any(c => c.IsPaused),
        _ => false,
    };

    /// <summary>The change the request makes; <paramref name="assignee"/> is the roster's person for <see cref="Assignee"/>.</summary>
    /// <exception cref="InvalidTransitionException">The incident's state does not allow it (409).</exception>
    public abstract Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller);

    public sealed record Dispatch(string Unit, string Officer) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Dispatch;

        public override string AuditText => $"dispatch unit={Unit} officer={Officer}";

        public override (string Officer, string Unit)? Assignee => (Officer, Unit);

        public override (string Who, string Verb)? Refusal => (Desk, "dispatch");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Dispatch(Unit, assignee!, now, caller.Person);
    }

    public sealed record Reassign(string Unit, string Officer, string? Reason) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Reassign;

        public override string AuditText => $"reassign unit={Unit} officer={Officer}";

        public override (string Officer, string Unit)? Assignee => (Officer, Unit);

        public override (string Who, string Verb)? Refusal => (Desk, "reassign");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Reassign(Unit, assignee!, Reason, now, caller.Person);
    }

    public sealed record Arrive : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Arrive;

        public override (string Who, string Verb)? Refusal => (OnSceneCrew, "mark arrival at");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Arrive(now, caller.Person);
    }

    public sealed record Resolve(string Outcome) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Resolve;

        public override (string Who, string Verb)? Refusal => (OnSceneCrew, "resolve");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Resolve(Outcome, now, caller.Person);
    }

    public sealed record Close : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Close;

        public override (string Who, string Verb)? Refusal => ("its duty officers and chief", "close");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Close(now, caller.Person);
    }

    public sealed record Cancel(string Reason) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Cancel;

        public override (string Who, string Verb)? Refusal => (Desk, "cancel");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Cancel(Reason, now, caller.Person);
    }

    /// <param name="Level">The level the caller saw, if they said; what is judged is the level each ladder has reached.</param>
    public sealed record Acknowledge(int? Level) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Acknowledge;

        public override string AuditText => Level is null ? "acknowledge" : $"acknowledge level {Level}";

        public override (string Who, string Verb)? Refusal => null;

        // Each clock is judged on its own, by the level its ladder has reached (README, "Who may do what").
        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller)
        {
            var access = incident.Access;
            return incident.Acknowledge(Level, clock => AccessPolicy.MayStop(caller, access, clock.Level), now, caller.Person);
        }
    }

    /// <summary>
    /// Pauses one running clock for a reason from the policy's list (issue 28), resolved by the edge with its maximum
    /// pause; the note is a person's free text and stays out of the audit line.
    /// </summary>
    public sealed record PauseClock(ClockKind Clock, PauseReason Reason, string? Note) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Pause;

        public override string AuditText => $"pause {Clock.Name()} reason={Reason.Name}";

        public override (string Who, string Verb)? Refusal => (Command, "pause a clock of");

        /// <summary>The policy's limit after which the chief is told the clock is still paused; set by the service from its policy.</summary>
        public Duration? TellChiefAfter { get; init; }

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) =>
            incident.Pause(Clock, Reason, Note, now, caller.Person, TellChiefAfter);
    }

    public sealed record ResumeClock(ClockKind Clock) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Resume;

        public override string AuditText => $"resume {Clock.Name()}";

        public override (string Who, string Verb)? Refusal => (Command, "resume a clock of");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Resume(Clock, now, caller.Person);
    }
}
