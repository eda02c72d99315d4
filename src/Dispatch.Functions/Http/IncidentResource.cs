using System.Globalization;
using Dispatch.Core;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Functions.Http;

/// <summary>A verified person as the API shows one.</summary>
public sealed record PersonResource(string Id, string Name)
{
    public static PersonResource From(Person person) => new(person.Subject, person.Name);

    public static PersonResource? Maybe(Person? person) => person is null ? null : new(person.Subject, person.Name);
}

/// <summary>
/// The incident as the API shows it, with each clock's state as of the moment of the response; <c>reachedLevel</c>
/// is where its unacknowledged escalation stands (what an acknowledgement names as seen), <c>actions</c> what the
/// caller may do now.
/// </summary>
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
    PersonResource ReportedBy,
    Instant? DispatchedAt,
    Instant? OnSceneAt,
    Instant? ResolvedAt,
    Instant? ClosedAt,
    Instant? CancelledAt,
    string? Unit,
    PersonResource? Officer,
    IReadOnlyList<AssignmentResource> Assignments,
    string? Outcome,
    string? CancelReason,
    bool Overdue,
    ClocksResource Clocks,
    int ReachedLevel,
    IReadOnlyList<string> Actions)
{
    /// <summary>Whether the map agreed with the arrival: <c>verified</c>, <c>distanceMeters</c> (null without a position), <c>radiusMeters</c>; null before arrival.</summary>
    public ArrivalResource? Arrival { get; init; }

    /// <param name="caller">Whose answer this is: <c>actions</c> lists what they may do now, by the rule that judges their requests.</param>
    public static IncidentResource From(IncidentView i, Caller caller) => new(
        i.Id.Value, i.Station.Value, i.Report.Category, i.Report.Priority.Name(), i.Report.Zone.Name(), i.Report.Channel.Name(),
        i.Status.Name(), new LocationResource(i.Report.Location.Address, i.Report.Location.Latitude, i.Report.Location.Longitude),
        i.Report.Description, i.Report.ReporterContact, i.PolicyVersion, i.Version, i.ReportedAt, PersonResource.From(i.ReportedBy),
        i.DispatchedAt, i.OnSceneAt, i.ResolvedAt, i.ClosedAt, i.CancelledAt, i.Unit, PersonResource.Maybe(i.Officer),
        [.. i.Assignments.Select(a => new AssignmentResource(a.At, a.Unit, PersonResource.From(a.Officer), PersonResource.From(a.By)))],
        i.Outcome, i.CancelReason, i.Overdue,
        new ClocksResource(ClockResource.From(i[ClockKind.Dispatch]), ClockResource.From(i[ClockKind.Arrival]), ClockResource.From(i[ClockKind.Resolution])),
        i.ReachedLevel,
        [.. AccessPolicy.ActionsOn(caller, i.Access).Select(a => a.Name())])
    {
        Arrival = ArrivalResource.Of(i.Arrival),
    };
}

/// <param name="UnitDistanceMeters">How far the unit's own latest position was from the scene when it arrived; <c>unitFar</c> when beyond the radius.</param>
public sealed record ArrivalResource(bool Verified, double? DistanceMeters, double RadiusMeters, double? UnitDistanceMeters, bool UnitFar)
{
    public static ArrivalResource? Of(Core.Units.ArrivalCheck? check) => check is null ? null : new(
        check.Verified, check.DistanceMeters is { } d ? Math.Round(d) : null, Math.Round(check.RadiusMeters, 1),
        check.UnitDistanceMeters is { } u ? Math.Round(u) : null, check.UnitFar);
}

public sealed record LocationResource(string Address, double? Latitude, double? Longitude);

public sealed record AssignmentResource(Instant At, string Unit, PersonResource Officer, PersonResource By);

public sealed record ClocksResource(ClockResource Dispatch, ClockResource Arrival, ClockResource Resolution);

/// <summary>
/// One clock; <c>overdueBy</c> is how far past the deadline it is (or was, when met late), else null;
/// <c>level</c> is the escalation level reached (0 before a breach); <c>outcome</c> the facts frozen when it
/// ended (who held it, in which periods), <c>breach</c> who held it when its deadline passed. <c>paused</c> is the
/// pause holding it now (null when none does), <c>pausedTime</c> how long pauses have held it, <c>pauses</c> how many
/// there were; while paused, <c>deadline</c> is where it would be were the clock resumed at the moment of the response.
/// <c>businessHours</c> is the calendar a P4 clock counts in (its target and deadline are business time), else null.
/// </summary>
public sealed record ClockResource(
    string State, string Target, Instant Deadline, Instant? MetAt, Instant? StoppedAt, string? OverdueBy,
    int Level, Instant? AcknowledgedAt, PersonResource? AcknowledgedBy, BreachResource? Breach, OutcomeResource? Outcome,
    PauseResource? Paused, string PausedTime, int Pauses, BusinessHoursResource? BusinessHours)
{
    public static ClockResource From(ClockView clock) =>
        new(clock.State.Name(), IsoDuration.Format(clock.Target), clock.Deadline, clock.MetAt, clock.StoppedAt,
            clock.OverdueBy is { } overdue ? IsoDuration.Format(overdue) : null,
            clock.Level, clock.AcknowledgedAt, PersonResource.Maybe(clock.AcknowledgedBy),
            clock.Breach is { } b ? new BreachResource(b.At, HolderResource.From(b.Holder), b.RecordedAt) : null,
            clock.Outcome is { } o ? OutcomeResource.From(o, clock.Target) : null,
            clock.Pause is { } p ? new PauseResource(p.Reason, p.At, PersonResource.From(p.By), p.Unit, p.ResumesBy) : null,
            IsoDuration.Format(clock.PausedTime), clock.PauseCount, BusinessHoursResource.Maybe(clock.BusinessHours));
}

/// <summary>A clock's business hours as the policy wrote them: days by name, local opening and closing times, holidays, and the time zone they are in.</summary>
public sealed record BusinessHoursResource(string Zone, IReadOnlyList<string> Days, string Opens, string Closes, IReadOnlyList<LocalDate> Holidays)
{
    public static BusinessHoursResource? Maybe(BusinessCalendar? calendar) => calendar is null ? null : new(
        calendar.Zone.Id,
        calendar.DayNamesInOrder,
        calendar.Opens.ToString("HH:mm", CultureInfo.InvariantCulture), // a policy gives them as HH:mm, no seconds
        calendar.Closes.ToString("HH:mm", CultureInfo.InvariantCulture),
        [.. calendar.Holidays.Order()]);
}

/// <summary>A pause holding a clock: why, since when, by whom, the unit that held the incident then, and when it resumes by itself.</summary>
public sealed record PauseResource(string Reason, Instant Since, PersonResource By, string? Unit, Instant ResumesBy);

public sealed record HolderResource(string Kind, PersonResource Person, string? Unit)
{
    public static HolderResource From(Holder h) => new(h.Kind.Name(), PersonResource.From(h.Person), h.Unit);
}

public sealed record BreachResource(Instant At, HolderResource Holder, Instant RecordedAt);

/// <summary>One ownership period: who held the phase, how long, and what share of the target that was.</summary>
public sealed record PeriodResource(HolderResource Holder, Instant From, Instant To, string Duration, double ShareOfTarget);

public sealed record OutcomeResource(string Result, Instant EndedAt, string Elapsed, string OverdueBy, HolderResource Accountable, IReadOnlyList<PeriodResource> Periods, bool Derived)
{
    public static OutcomeResource From(ClockOutcome o, Duration target) => new(
        o.Result.Name(), o.EndedAt, IsoDuration.Format(o.Elapsed), IsoDuration.Format(o.OverdueBy), HolderResource.From(o.Accountable),
        [.. o.Periods.Select(p => new PeriodResource(HolderResource.From(p.Holder), p.From, p.To, IsoDuration.Format(p.Duration),
            target == Duration.Zero ? 0 : Math.Round(p.Duration / target, 4)))],
        o.Derived);
}

/// <summary>One timeline event; <c>details</c> are its typed details as text, under the keys its stored row has (<see cref="Storage.EventDetailsText"/>).</summary>
public sealed record EventResource(int Sequence, string Kind, Instant At, PersonResource Actor, IReadOnlyDictionary<string, string> Details)
{
    public static EventResource From(IncidentEvent e) => new(e.Sequence, e.Kind.Name(), e.At, PersonResource.From(e.Actor), Storage.EventDetailsText.Of(e.Details));
}

public sealed record TimelineResource(string IncidentId, IReadOnlyList<EventResource> Events);

public sealed record IncidentListResource(IReadOnlyList<IncidentResource> Items, string? ContinuationToken, string? Next);

/// <summary>The stations the caller may read, and per station what the caller may do there as a whole (<c>report</c>, <c>read-reports</c>).</summary>
public sealed record StationsResource(IReadOnlyList<string> Stations, IReadOnlyDictionary<string, IReadOnlyList<string>> Actions);
