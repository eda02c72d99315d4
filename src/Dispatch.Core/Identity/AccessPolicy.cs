using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;

namespace Dispatch.Core.Identity;

/// <summary>The person may not do this (403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);

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
    public static bool CanWorkOnScene(Caller caller, Incident incident) =>
        caller.Is(StationRole.DutyOfficer, incident.Station) || caller.Is(StationRole.Chief, incident.Station)
        || incident.Officer?.Subject == caller.Person.Subject
        || (incident.Unit is { } unit && caller.At(incident.Station).Any(m => string.Equals(m.Unit, unit, StringComparison.OrdinalIgnoreCase)));

    public static bool CanClose(Caller caller, StationId station) =>
        caller.Is(StationRole.DutyOfficer, station) || caller.Is(StationRole.Chief, station);

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

    public static bool CanReadRoster(Caller caller, StationId station) => caller.Has(GlobalRole.Admin) || caller.ServesAt(station);

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
