using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Units;

/// <summary>What a unit is doing, one at a time (README, "Units").</summary>
public enum UnitStatus { Available, Dispatched, EnRoute, OnScene, OutOfService, OffDuty }

/// <summary>Why a unit's status changed: a person set it, or an incident's milestone moved it.</summary>
public enum UnitCause { Set, Dispatch, Reassign, Released, Arrive, Resolve, Cancel }

public static class UnitNames
{
    private static readonly NameTable<UnitStatus> Statuses = new(StringComparison.OrdinalIgnoreCase, new Dictionary<UnitStatus, string>
    {
        [UnitStatus.Available] = "available", [UnitStatus.Dispatched] = "dispatched", [UnitStatus.EnRoute] = "en-route",
        [UnitStatus.OnScene] = "on-scene", [UnitStatus.OutOfService] = "out-of-service", [UnitStatus.OffDuty] = "off-duty",
    });

    private static readonly NameTable<UnitCause> Causes = new(StringComparison.Ordinal, new Dictionary<UnitCause, string>
    {
        [UnitCause.Set] = "set", [UnitCause.Dispatch] = "dispatch", [UnitCause.Reassign] = "reassign", [UnitCause.Released] = "released",
        [UnitCause.Arrive] = "arrive", [UnitCause.Resolve] = "resolve", [UnitCause.Cancel] = "cancel",
    });

    /// <summary>The reasons for being out of service the catalogues word (README, "Units"); a person may give others in their own words.</summary>
    public static IReadOnlyList<string> Reasons { get; } = ["refuelling", "meal", "court", "repair"];

    /// <summary>The statuses a person sets; the others follow the incident the unit is on.</summary>
    public static IReadOnlyList<string> Settable => [.. new[] { UnitStatus.Available, UnitStatus.EnRoute, UnitStatus.OutOfService, UnitStatus.OffDuty }.Select(Name)];

    public static IReadOnlyList<string> AllStatuses => Statuses.Names;

    public static string Name(this UnitStatus value) => Statuses.Name(value);

    public static string Name(this UnitCause value) => Causes.Name(value);

    public static bool TryParse(string? text, out UnitStatus value) => Statuses.TryParse(text, out value);

    public static bool TryParse(string? text, out UnitCause value) => Causes.TryParse(text, out value);
}

/// <summary>
/// A station's unit (a patrol car, a foot patrol, a community officer): its name and kind as the station
/// declared them, and its status with since when, why (out of service) and on which incident.
/// </summary>
/// <param name="Id">As the roster rows name it (<c>patrol-7</c>); matched in any letter case, as the roster matches units.</param>
/// <param name="StatusSince">Null for a unit only the roster names, whose status nobody has changed yet.</param>
public sealed record Unit(StationId Station, string Id, string Name, string? Kind, UnitStatus Status, Instant? StatusSince, string? Reason, IncidentId? Incident)
{
    public const int MaxIdLength = 64;

    /// <summary>Dispatched, en route or on scene: it is some incident's.</summary>
    public bool IsOnIncident => Incident is not null && Status is UnitStatus.Dispatched or UnitStatus.EnRoute or UnitStatus.OnScene;

    /// <summary>Out of service or off duty: dispatching it needs an override reason.</summary>
    public bool IsUnavailable => Status is UnitStatus.OutOfService or UnitStatus.OffDuty;

    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>A unit the roster names and nobody declared: available, named by its id.</summary>
    public static Unit OnRoster(StationId station, string id) => new(station, id, id, null, UnitStatus.Available, null, null, null);

    public bool IsOn(IncidentId incident) => IsOnIncident && Incident == incident;

    /// <summary>
    /// A person sets the status: <paramref name="to"/> must be one a person sets; a unit on an incident only goes
    /// en route (its incident frees it), and only a dispatched unit goes en route.
    /// </summary>
    /// <exception cref="UnitStateException">The unit's status does not allow it (409).</exception>
    public UnitStatusChange Set(UnitStatus to, string? reason, Instant now, Person actor)
    {
        if (to is UnitStatus.Dispatched or UnitStatus.OnScene)
        {
            throw new UnitStateException($"Unit {Id} becomes {to.Name()} when it is dispatched to or arrives at an incident, not by setting it.")
            {
                Refusal = new("unit-status-follows-incident", ("unit", Id), ("to", to)),
            };
        }

        if (IsOnIncident && to != UnitStatus.EnRoute)
        {
            throw new UnitStateException(
                $"Unit {Id} is {Status.Name()} on incident {Incident}: resolve, cancel or reassign that incident before setting it {to.Name()}.")
            {
                Refusal = new("unit-on-incident", ("unit", Id), ("status", Status), ("incident", Incident!.Value.Value), ("to", to)),
            };
        }

        if (to == UnitStatus.EnRoute && (Status != UnitStatus.Dispatched || Incident is null))
        {
            throw new UnitStateException($"Unit {Id} is {Status.Name()}: only a dispatched unit goes en route.")
            {
                Refusal = new("unit-not-dispatched", ("unit", Id), ("status", Status)),
            };
        }

        return Change(to, UnitCause.Set, reason, to == UnitStatus.EnRoute ? Incident : null, now, actor);
    }

    /// <summary>The change that takes this unit to <paramref name="to"/> on <paramref name="incident"/> (null: on none).</summary>
    public UnitStatusChange Change(UnitStatus to, UnitCause cause, string? reason, IncidentId? incident, Instant now, Person actor) =>
        new(Station, Id, now, actor, Status, to, cause, reason, incident);

    /// <summary>This unit after <paramref name="change"/>.</summary>
    public Unit After(UnitStatusChange change) => this with
    {
        Status = change.To,
        StatusSince = change.At,
        Reason = change.Reason,
        Incident = change.To is UnitStatus.Dispatched or UnitStatus.EnRoute or UnitStatus.OnScene ? change.Incident : null,
    };
}

/// <summary>A unit as stored, with the version tag a conditional write must present; null for a unit only the roster names.</summary>
public sealed record StoredUnit(Unit Unit, string? ETag);

/// <summary>One entry of a unit's timeline: who moved it from what to what, when (the server's clock), why.</summary>
/// <param name="Reason">A person's reason: out of service (meal, court), or the override of a dispatch to an unavailable unit.</param>
/// <param name="Incident">The incident the unit is on after the change, or was freed from.</param>
public sealed record UnitStatusChange(
    StationId Station, string Unit, Instant At, Person Actor, UnitStatus From, UnitStatus To, UnitCause Cause, string? Reason, IncidentId? Incident)
{
    /// <summary>The incident the unit was pulled off by this dispatch (a diversion).</summary>
    public IncidentId? DivertedFrom { get; init; }
}

/// <summary>A change the unit's status does not allow (409).</summary>
public class UnitStateException(string message) : InvalidTransitionException(message);

/// <summary>Dispatching a unit that is out of service or off duty without an override reason (409).</summary>
public sealed class UnitUnavailableException : UnitStateException
{
    public UnitUnavailableException(Unit unit)
        : base($"Unit {unit.Id} is {unit.Status.Name()}{(unit.Reason is null ? "" : $" ({unit.Reason})")}: give an override reason to send it anyway.") =>
        Refusal = unit.Reason is null
            ? new("unit-unavailable", ("unit", unit.Id), ("status", unit.Status))
            : new("unit-unavailable-because", ("unit", unit.Id), ("status", unit.Status), ("reason", new UnitReason(unit.Reason)));
}

/// <summary>A person's reason for a unit's status (out of service: refuelling, meal, court, repair, or their own words), for the edge to word.</summary>
public readonly record struct UnitReason(string Text);

/// <summary>A unit's change and the stored unit it was made to, for a conditional write.</summary>
public sealed record UnitMove(StoredUnit Previous, UnitStatusChange Change)
{
    public Unit Next => Previous.Unit.After(Change);
}

/// <summary>The units of a station as stored: declared ones and those whose status changed.</summary>
public interface IUnitStore
{
    Task<IReadOnlyList<StoredUnit>> ListAsync(StationId station, CancellationToken cancellationToken);

    Task<StoredUnit?> FindAsync(StationId station, string unit, CancellationToken cancellationToken);

    /// <summary>Writes the unit's name and kind with the audit record, conditional on <paramref name="previous"/>'s tag (added when it has none).</summary>
    /// <exception cref="ConcurrencyConflictException">The unit changed since it was read.</exception>
    Task PutAsync(StoredUnit? previous, Unit unit, Audit.AuditRecord audit, CancellationToken cancellationToken);

    /// <summary>A person's change of status: the unit, its timeline entry and the audit record together.</summary>
    /// <exception cref="ConcurrencyConflictException">The unit changed since it was read.</exception>
    Task MoveAsync(UnitMove move, Audit.AuditRecord audit, CancellationToken cancellationToken);

    /// <summary>The unit's status changes, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<UnitStatusChange>> TimelineAsync(StationId station, string unit, int limit, CancellationToken cancellationToken);
}
