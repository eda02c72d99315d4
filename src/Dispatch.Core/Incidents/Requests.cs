using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// What a person asks of an incident, one sealed record per <see cref="IncidentAction"/>: typed, as the API read
/// it. The audit trail records it in the words of <see cref="AuditText"/>, whether the incident then allows it
/// or not; what the incident records when it does is an <see cref="EventDetails"/>.
/// </summary>
public abstract record IncidentRequest
{
    private const string Desk = "its dispatchers, duty officers and chief, or the command center";

    private const string OnScene = "the officer or unit it was dispatched to, its duty officers and chief";

    private IncidentRequest()
    {
    }

    public abstract IncidentAction Action { get; }

    /// <summary>
    /// The audit record's change: the action's name and the unit and officer it names. Outcomes and reasons are
    /// free text a person typed, so they stay in the timeline and out of the audit line.
    /// </summary>
    public virtual string AuditText => Action.Name();

    /// <summary>The officer the roster must know before the incident is changed, and the unit the request gives them.</summary>
    public virtual (string Officer, string Unit)? Assignee => null;

    /// <summary>
    /// Who may ask and for what, in the words of a refusal (<c>Only {who} may {verb} this incident.</c>), by the rule
    /// <see cref="AccessPolicy.IsEntitledTo"/>; null when the incident judges the caller itself (an acknowledgement,
    /// which is judged per clock against the level it reached).
    /// </summary>
    public abstract (string Who, string Verb)? Refusal { get; }

    /// <summary>The change the request makes to <paramref name="incident"/>; <paramref name="assignee"/> is the roster's person for <see cref="Assignee"/>.</summary>
    /// <exception cref="InvalidTransitionException">The incident's state does not allow it (409).</exception>
    public abstract Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller);

    public sealed record Dispatch(string Unit, string Officer) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Dispatch;

        public override string AuditText => $"dispatch unit={Unit} officer={Officer}";

        public override (string Officer, string Unit)? Assignee => (Officer, Unit);

        public override (string Who, string Verb)? Refusal => (Desk, "dispatch");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) =>
            incident.Dispatch(Unit, assignee!, now, caller.Person);
    }

    public sealed record Reassign(string Unit, string Officer, string? Reason) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Reassign;

        public override string AuditText => $"reassign unit={Unit} officer={Officer}";

        public override (string Officer, string Unit)? Assignee => (Officer, Unit);

        public override (string Who, string Verb)? Refusal => (Desk, "reassign");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) =>
            incident.Reassign(Unit, assignee!, Reason, now, caller.Person);
    }

    public sealed record Arrive : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Arrive;

        public override (string Who, string Verb)? Refusal => (OnScene, "mark arrival at");

        public override Transition ApplyTo(Incident incident, Person? assignee, Instant now, Caller caller) => incident.Arrive(now, caller.Person);
    }

    public sealed record Resolve(string Outcome) : IncidentRequest
    {
        public override IncidentAction Action => IncidentAction.Resolve;

        public override (string Who, string Verb)? Refusal => (OnScene, "resolve");

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
}
