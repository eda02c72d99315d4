using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Units;

/// <summary>
/// How an incident's milestones move its units: a dispatch or reassignment makes the unit it names dispatched (and
/// frees the unit it leaves), an arrival puts it on scene, a resolution or cancellation frees it. A unit moves only
/// when it is this incident's: a unit already diverted elsewhere stays where it is.
/// </summary>
public sealed class UnitFollower(IUnitStore units, IIncidentStore incidents, IPositionStore positions, Policy.UnitRules rules)
{
    /// <summary>
    /// The read of the unit a dispatch or reassignment names, started by the caller at the same time as the incident's own
    /// read (the request names the unit, so it need not wait for the incident): one round trip to storage instead of two
    /// in a row. Null when the request names no unit.
    /// </summary>
    public Task<StoredUnit?>? ReadTarget(StationId station, IncidentRequest request, CancellationToken cancellationToken) =>
        TargetOf(request).Unit is { } target ? units.FindAsync(station, target, cancellationToken) : null;

    /// <summary>
    /// Applies <paramref name="request"/> to <paramref name="before"/>, with the unit moves it makes and, for a unit
    /// pulled off another open incident, that incident's record of the diversion.
    /// </summary>
    /// <param name="targetRead">
    /// <see cref="ReadTarget"/> of the same request, started before <paramref name="before"/> was read; null to read the
    /// unit now (a retry after a lost race reads it afresh: the unit's row is written conditional on what was read).
    /// </param>
    /// <exception cref="UnitUnavailableException">The unit named is out of service or off duty and no override reason was given (409).</exception>
    public async Task<Transition> ApplyAsync(
        Incident before, IncidentRequest request, Person? assignee, Instant now, Caller caller, Task<StoredUnit?>? targetRead, CancellationToken cancellationToken)
    {
        var station = before.Station;
        var (target, overrideReason) = TargetOf(request);
        var current = before.Unit is { } held && !SameUnit(held, target) ? held : null;
        var currentRead = current is null ? null : units.FindAsync(station, current, cancellationToken);
        StoredUnit? targetUnit = null;
        IncidentId? divertedFrom = null;
        if (target is not null)
        {
            targetUnit = await (targetRead ?? units.FindAsync(station, target, cancellationToken)) ?? new StoredUnit(Unit.OnRoster(station, target), null);
            if (targetUnit.Unit.IsUnavailable && overrideReason is null)
            {
                throw new UnitUnavailableException(targetUnit.Unit);
            }

            divertedFrom = targetUnit.Unit.IsOnIncident && targetUnit.Unit.Incident != before.Id ? targetUnit.Unit.Incident : null;
            request = request switch
            {
                IncidentRequest.Dispatch d => d with { DivertedFrom = divertedFrom },
                IncidentRequest.Reassign r => r with { DivertedFrom = divertedFrom },
                _ => request,
            };
        }

        if (request is IncidentRequest.Arrive arrive)
        {
            // The unit's own latest position, reported apart from the arrival: where it was when it said it was there.
            var latest = before.Unit is { } unit ? (await positions.LatestAsync(station, now - rules.TrailRetention, cancellationToken)).GetValueOrDefault(unit) : null;
            request = arrive with { Check = ArrivalCheck.Of(before.Report.Location, arrive.Reported, latest, rules) };
        }

        var transition = request.ApplyTo(before, assignee, now, caller);
        var moves = new List<UnitMove>();
        if (targetUnit is not null && !targetUnit.Unit.IsOn(before.Id))
        {
            var cause = request.Action == IncidentAction.Dispatch ? UnitCause.Dispatch : UnitCause.Reassign;
            moves.Add(new UnitMove(targetUnit, targetUnit.Unit.Change(UnitStatus.Dispatched, cause, overrideReason, before.Id, now, caller.Person) with { DivertedFrom = divertedFrom }));
        }

        if (currentRead is not null && await currentRead is { } left && left.Unit.IsOn(before.Id) && MoveOf(request.Action) is { } move)
        {
            moves.Add(new UnitMove(left, left.Unit.Change(move.To, move.Cause, null, before.Id, now, caller.Person)));
        }

        var alongside = new List<(StoredIncident, Transition)>();
        if (divertedFrom is { } pulledOff && await incidents.FindAsync(pulledOff, cancellationToken) is { } other
            && other.Incident.IsOpen && SameUnit(other.Incident.Unit, target))
        {
            alongside.Add((other, other.Incident.Divert(target!, before.Id, now, caller.Person)));
        }

        return transition with { UnitMoves = moves, Alongside = alongside };
    }

    /// <summary>The unit a dispatch or reassignment names, and the reason given for sending it though unavailable.</summary>
    private static (string? Unit, string? Override) TargetOf(IncidentRequest request) => request switch
    {
        IncidentRequest.Dispatch d => (d.Unit, d.Override),
        IncidentRequest.Reassign r => (r.Unit, r.Override),
        _ => (null, null),
    };

    /// <summary>What the milestone does to the unit the incident had.</summary>
    private static (UnitStatus To, UnitCause Cause)? MoveOf(IncidentAction action) => action switch
    {
        IncidentAction.Reassign => (UnitStatus.Available, UnitCause.Released),
        IncidentAction.Arrive => (UnitStatus.OnScene, UnitCause.Arrive),
        IncidentAction.Resolve => (UnitStatus.Available, UnitCause.Resolve),
        IncidentAction.Cancel => (UnitStatus.Available, UnitCause.Cancel),
        _ => null,
    };

    private static bool SameUnit(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
