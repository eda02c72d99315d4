using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;

namespace Dispatch.Core.Identity;

/// <summary>The person may not do this (403).</summary>
public sealed class ForbiddenException(string message) : Exception(message), IRefused
{
    public Refusal? Refusal { get; init; }
}

/// <summary>
/// What the access rule reads of an incident: its station, whom it is dispatched to, the levels its unacknowledged
/// ladders stand at, and which actions its state allows at all. The incident judges requests by it, and an
/// incident's read shape lists the caller's actions by it, so both follow one rule.
/// </summary>
/// <param name="EscalatedLevels">The level of each running, escalated ladder not yet acknowledged.</param>
public sealed record IncidentAccess(
    StationId Station, EscalationPlan Plan, Person? Officer, string? Unit, IReadOnlyList<int> EscalatedLevels, IReadOnlySet<IncidentAction> Allowed);

/// <summary>
/// Who may do what (README, "Who may do what"). Station roles count only at their own station; an incident
/// of a station the caller may not read is reported as not found, so its existence is not revealed.
/// </summary>
public static class AccessPolicy
{
    public static bool CanRead(Caller caller, StationId station) =>
        caller.ServesAt(station) || caller.Has(GlobalRole.CommandCenter) || caller.Has(GlobalRole.Auditor);

    public static bool CanReport(Caller caller, StationId station) =>
        caller.Has(GlobalRole.CommandCenter) || DeskAt(caller, station);

    /// <summary>Dispatch, reassign and cancel.</summary>
    public static bool CanDispatch(Caller caller, StationId station) => CanReport(caller, station);

    /// <summary>Arrive and resolve: the officer it was dispatched to or a member of that unit; the station's duty officers and chief.</summary>
    public static bool CanWorkOnScene(Caller caller, IncidentAccess incident) =>
        caller.Is(StationRole.DutyOfficer, incident.Station) || caller.Is(StationRole.Chief, incident.Station)
        || incident.Officer?.Subject == caller.Person.Subject
        || (incident.Unit is { } unit && caller.At(incident.Station).Any(m => string.Equals(m.Unit, unit, StringComparison.OrdinalIgnoreCase)));

    public static bool CanClose(Caller caller, StationId station) =>
        caller.Is(StationRole.DutyOfficer, station) || caller.Is(StationRole.Chief, station);

    /// <summary>
    /// Pause and resume a clock (issue 28): the station's duty officers and chief, and the command center; not the
    /// dispatcher or the unit whose clock it is, who would be judging their own delay.
    /// </summary>
    public static bool CanPause(Caller caller, StationId station) =>
        caller.Has(GlobalRole.CommandCenter) || CanClose(caller, station);

    /// <summary>
    /// The audience of level <paramref name="level"/> or of a higher rung may acknowledge it: a duty officer the
    /// rungs addressed to duty officers, the chief those and the chief's, the command center any.
    /// </summary>
    public static bool CanAcknowledge(Caller caller, StationId station, EscalationPlan plan, int level)
    {
        var needed = level >= 1 && level <= plan.Ladder.Count ? plan.AudienceOf(level) : Audience.CommandCenter;
        return caller.Has(GlobalRole.CommandCenter)
            || (needed <= Audience.Chief && caller.Is(StationRole.Chief, station))
            || (needed <= Audience.DutyOfficer && caller.Is(StationRole.DutyOfficer, station));
    }

    /// <summary>
    /// An acknowledgement stops a clock's ladder only when the caller is entitled to the level that ladder has
    /// actually reached; what the caller says they saw is never what is judged.
    /// </summary>
    public static bool MayStop(Caller caller, IncidentAccess incident, int level) =>
        level > 0 && CanAcknowledge(caller, incident.Station, incident.Plan, level);

    /// <summary>
    /// Whether this caller may take <paramref name="action"/> on the incident now: the incident's state allows
    /// it and the caller's roles do. The API judges requests by this and lists it as the incident's <c>actions</c>.
    /// </summary>
    public static bool May(Caller caller, IncidentAccess incident, IncidentAction action) => incident.Allowed.Contains(action) && IsEntitledTo(caller, incident, action);

    /// <summary>The caller's part of <see cref="May"/>: whether their roles entitle them to the action on this incident, whatever its state.</summary>
    public static bool IsEntitledTo(Caller caller, IncidentAccess incident, IncidentAction action) => action switch
    {
        IncidentAction.Dispatch or IncidentAction.Reassign or IncidentAction.Cancel => CanDispatch(caller, incident.Station),
        IncidentAction.Arrive or IncidentAction.Resolve => CanWorkOnScene(caller, incident),
        IncidentAction.Close => CanClose(caller, incident.Station),
        IncidentAction.Acknowledge => incident.EscalatedLevels.Any(level => MayStop(caller, incident, level)),
        IncidentAction.Pause or IncidentAction.Resume => CanPause(caller, incident.Station),
        _ => false,
    };

    /// <summary>Everything the caller may do to the incident now, in a fixed order.</summary>
    public static IReadOnlyList<IncidentAction> ActionsOn(Caller caller, IncidentAccess incident) =>
        [.. Enum.GetValues<IncidentAction>().Where(action => May(caller, incident, action))];

    /// <summary>What the caller may do at a station as a whole: report there, and read its figures.</summary>
    public static IReadOnlyList<string> StationActions(Caller caller, StationId station) =>
        [.. new[] { ("report", CanReport(caller, station)), ("read-reports", CanReadReports(caller, station)) }.Where(a => a.Item2).Select(a => a.Item1)];

    public static bool CanReadRoster(Caller caller, StationId station) => caller.Has(GlobalRole.Admin) || caller.ServesAt(station);

    /// <summary>Whether the caller may change the station's roster at all: decided before anything is looked up, so a refusal reveals nothing.</summary>
    public static bool CanManageRosterAt(Caller caller, StationId station) => caller.Has(GlobalRole.Admin) || caller.Is(StationRole.Chief, station);

    /// <summary>Admins manage any station's roster; a chief adds and removes the dispatchers, officers and duty officers of his own.</summary>
    public static bool CanManageRoster(Caller caller, StationId station, StationRole role) =>
        caller.Has(GlobalRole.Admin) || (role != StationRole.Chief && caller.Is(StationRole.Chief, station));

    public static bool CanReadAudit(Caller caller) => caller.Has(GlobalRole.Auditor);

    /// <summary>A station's figures: its chief and duty officers; every station's: command center and auditors.</summary>
    public static bool CanReadReports(Caller caller, StationId? station) =>
        caller.Has(GlobalRole.CommandCenter) || caller.Has(GlobalRole.Auditor)
        || (station is { } s && (caller.Is(StationRole.Chief, s) || caller.Is(StationRole.DutyOfficer, s)));

    public static bool CanReadOperations(Caller caller) =>
        caller.Has(GlobalRole.Admin) || caller.Has(GlobalRole.Auditor) || caller.Has(GlobalRole.CommandCenter);

    private static bool DeskAt(Caller caller, StationId station) =>
        caller.Is(StationRole.Dispatcher, station) || caller.Is(StationRole.DutyOfficer, station) || caller.Is(StationRole.Chief, station);
}
