using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>Who did what to an incident, when; the incident's timeline is the list of these.</summary>
/// <param name="Details">What happened, typed by its kind.</param>
public sealed record IncidentEvent(IncidentId IncidentId, int Sequence, Instant At, Person Actor, EventDetails Details)
{
    public EventKind Kind => Details.Kind;
}

/// <summary>
/// What one timeline event records, one sealed record per <see cref="EventKind"/>: typed facts (people, instants,
/// clocks, audiences), never words. The edge names them for storage and the API (with today's keys) and for
/// people (in their language); the domain only says what happened.
/// </summary>
public abstract record EventDetails
{
    private EventDetails()
    {
    }

    public abstract EventKind Kind { get; }

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

    /// <summary>A major matter went to <paramref name="Audience"/> when it was reported, with no clock involved.</summary>
    public sealed record Notified(Audience Audience, string MessageId) : EventDetails
    {
        public override EventKind Kind => EventKind.Notified;
    }

    /// <summary>Someone took charge: the ladders of <paramref name="Clocks"/> stopped climbing, the highest at <paramref name="Level"/>.</summary>
    public sealed record Acknowledged(int Level, IReadOnlyList<ClockKind> Clocks) : EventDetails
    {
        public override EventKind Kind => EventKind.Acknowledged;
    }

    /// <summary>What recording <paramref name="notice"/> adds to the timeline.</summary>
    public static EventDetails Of(Notice notice) => notice.Kind switch
    {
        NoticeKind.Warning => new Warned(notice.Clock!.Value, notice.Level, notice.Audience, notice.MessageId),
        NoticeKind.Escalation => new Escalated(notice.Clock!.Value, notice.Level, notice.Audience, notice.MessageId),
        _ => new Notified(notice.Audience, notice.MessageId),
    };
}
