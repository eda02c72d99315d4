using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Units;

/// <summary>A unit as a station's readers see it: its state and the roster's people in it.</summary>
public sealed record UnitView(Unit Unit, IReadOnlyList<Person> Members);

/// <summary>
/// The unit use cases: a station's units are those it declared (<c>PUT</c>) and those its roster rows name, so a
/// roster written before units existed keeps working; every change of status is the server's time, attributed and
/// audited, and kept as the unit's timeline.
/// </summary>
public sealed class UnitService(IUnitStore units, IRosterStore roster, IClock clock)
{
    private const int MaxConflictRetries = 8;

    public async Task<IReadOnlyList<UnitView>> ListAsync(ApiCall call, StationId station, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = "list units";
        if (!AccessPolicy.CanRead(call.Caller, station))
        {
            throw new ForbiddenException($"Only people on the roster of {station} (or the command center and auditors) may list its units.")
            {
                Refusal = new("may-not-list-units", ("station", station.Value)),
            };
        }

        var stored = units.ListAsync(station, cancellationToken);
        var members = await roster.RosterOfAsync(station, cancellationToken);
        var byId = (await stored).ToDictionary(u => u.Unit.Id, u => u.Unit, StringComparer.OrdinalIgnoreCase);
        foreach (var named in members.Select(m => m.Unit).OfType<string>())
        {
            byId.TryAdd(named, Unit.OnRoster(station, named));
        }

        return [.. byId.Values.OrderBy(u => u.Id, StringComparer.OrdinalIgnoreCase).Select(unit => new UnitView(unit,
            [.. members.Where(m => IsIn(m, unit.Id)).Select(m => m.Person).OrderBy(p => p.Name, StringComparer.Ordinal)]))];
    }

    /// <returns>True when the unit was declared by this request, false when its name and kind were replaced.</returns>
    public async Task<(bool Created, Unit Unit)> PutAsync(ApiCall call, StationId station, string id, string name, string? kind, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"unit put {id}";
        if (!AccessPolicy.CanManageUnits(call.Caller, station))
        {
            throw new ForbiddenException($"Only admins and the chief of {station} may declare its units.") { Refusal = new("may-not-declare-units", ("station", station.Value)) };
        }

        for (var attempt = 0; ; attempt++)
        {
            var previous = await units.FindAsync(station, id, cancellationToken);
            var unit = (previous?.Unit ?? Unit.OnRoster(station, id)) with { Name = name, Kind = kind };
            try
            {
                await units.PutAsync(previous, unit, call.Record(previous is null ? AuditOutcome.Created : AuditOutcome.Changed), cancellationToken);
                call.MarkAuditCommitted();
                return (previous is null, unit);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxConflictRetries)
            {
            }
        }
    }

    /// <summary>A person sets a unit's status (<see cref="Unit.Set"/>): its officers, or the station's desk.</summary>
    public async Task<Unit> SetStatusAsync(ApiCall call, StationId station, string id, UnitStatus status, string? reason, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"unit status {id} {status.Name()}";
        if (!AccessPolicy.CanSetUnitStatus(call.Caller, station, id))
        {
            throw new ForbiddenException($"Only the unit's officers and the dispatchers, duty officers and chief of {station} may set its status.")
            {
                Refusal = new("may-not-set-unit-status", ("station", station.Value)),
            };
        }

        for (var attempt = 0; ; attempt++)
        {
            var stored = await FindAsync(station, id, cancellationToken);
            var move = new UnitMove(stored, stored.Unit.Set(status, reason, clock.GetCurrentInstant(), call.Person));
            try
            {
                await units.MoveAsync(move, call.Record(AuditOutcome.Changed), cancellationToken);
                call.MarkAuditCommitted();
                return move.Next;
            }
            catch (ConcurrencyConflictException) when (attempt < MaxConflictRetries)
            {
            }
        }
    }

    public async Task<IReadOnlyList<UnitStatusChange>> TimelineAsync(ApiCall call, StationId station, string id, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"read unit timeline {id}";
        if (!AccessPolicy.CanRead(call.Caller, station))
        {
            throw new ForbiddenException($"Only people on the roster of {station} (or the command center and auditors) may read its units.")
            {
                Refusal = new("may-not-read-units", ("station", station.Value)),
            };
        }

        await FindAsync(station, id, cancellationToken);
        return await units.TimelineAsync(station, id, 200, cancellationToken);
    }

    /// <summary>The unit as stored, or as its roster rows name it (available, never changed).</summary>
    /// <exception cref="NotFoundException">Neither declared nor named on the roster (404).</exception>
    public async Task<StoredUnit> FindAsync(StationId station, string id, CancellationToken cancellationToken)
    {
        var stored = await units.FindAsync(station, id, cancellationToken);
        if (stored is not null)
        {
            return stored;
        }

        var members = await roster.RosterOfAsync(station, cancellationToken);
        return members.FirstOrDefault(m => IsIn(m, id)) is { Unit: { } named }
            ? new StoredUnit(Unit.OnRoster(station, named), null)
            : throw new NotFoundException($"Unit '{id}' is neither declared at {station} nor named on its roster.")
            {
                Refusal = new("unit-not-found", ("unit", id), ("station", station.Value)),
            };
    }

    private static bool IsIn(Membership member, string unit) => string.Equals(member.Unit, unit, StringComparison.OrdinalIgnoreCase);
}
