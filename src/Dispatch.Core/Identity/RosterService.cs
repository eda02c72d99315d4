using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;

namespace Dispatch.Core.Identity;

/// <summary>The roster use cases: who serves at a station, kept by its admins and its chief.</summary>
public sealed class RosterService(IRosterStore roster)
{
    public Task<IReadOnlyList<Membership>> ListAsync(ApiCall call, StationId station, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = "read roster";
        if (!AccessPolicy.CanReadRoster(call.Caller, station))
        {
            throw new ForbiddenException($"Only people on the roster of {station}, and admins, may read it.") { Refusal = new("may-not-read-roster", ("station", station.Value)) };
        }

        return roster.RosterOfAsync(station, cancellationToken);
    }

    /// <returns>True when the person was added, false when their line was replaced.</returns>
    public async Task<bool> PutAsync(ApiCall call, Membership membership, CancellationToken cancellationToken)
    {
        call.Station = membership.Station;
        call.Change = $"roster put {membership.Person.Subject} as {membership.Role.Name()}{(membership.Unit is null ? "" : $" in {membership.Unit}")}";
        RequireManager(call, membership.Station);
        var existing = await roster.FindAsync(membership.Station, membership.Person.Subject, cancellationToken);
        if (!AccessPolicy.CanManageRoster(call.Caller, membership.Station, membership.Role)
            || (existing is not null && !AccessPolicy.CanManageRoster(call.Caller, membership.Station, existing.Role)))
        {
            throw new ForbiddenException(ManagersOnly(membership.Station)) { Refusal = new("may-not-change-roster", ("station", membership.Station.Value)) };
        }

        if (existing?.Role == StationRole.Chief && membership.Role != StationRole.Chief)
        {
            await RequireAnotherChiefAsync(membership.Station, existing.Person.Subject, "make", cancellationToken);
        }

        await roster.PutAsync(membership, call.Record(existing is null ? AuditOutcome.Created : AuditOutcome.Changed), cancellationToken);
        call.MarkAuditCommitted();
        return existing is null;
    }

    public async Task RemoveAsync(ApiCall call, StationId station, string subject, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"roster remove {subject}";
        // Permission before any lookup: whether someone is on the roster is not for a caller who may not change it.
        RequireManager(call, station);
        var existing = await roster.FindAsync(station, subject, cancellationToken)
            ?? throw new NotFoundException($"'{subject}' is not on the roster of {station}.") { Refusal = new("not-on-roster", ("subject", subject), ("station", station.Value)) };
        if (!AccessPolicy.CanManageRoster(call.Caller, station, existing.Role))
        {
            throw new ForbiddenException(ManagersOnly(station)) { Refusal = new("may-not-change-roster", ("station", station.Value)) };
        }

        if (existing.Role == StationRole.Chief)
        {
            await RequireAnotherChiefAsync(station, subject, "remove", cancellationToken);
        }

        await roster.RemoveAsync(station, subject, call.Record(AuditOutcome.Removed), cancellationToken);
        call.MarkAuditCommitted();
    }

    private static void RequireManager(ApiCall call, StationId station)
    {
        if (!AccessPolicy.CanManageRosterAt(call.Caller, station))
        {
            throw new ForbiddenException(ManagersOnly(station)) { Refusal = new("may-not-change-roster", ("station", station.Value)) };
        }
    }

    /// <summary>A station without a chief has nobody on the ladder's second rung: its last chief stays until another is named.</summary>
    private async Task RequireAnotherChiefAsync(StationId station, string subject, string verb, CancellationToken cancellationToken)
    {
        var members = await roster.RosterOfAsync(station, cancellationToken);
        if (!members.Any(m => m.Role == StationRole.Chief && m.Person.Subject != subject))
        {
            throw new RosterConflictException(verb == "remove"
                ? $"'{subject}' is the only chief of {station}: name another chief first, or the chief's rung of its escalations reaches nobody."
                : $"'{subject}' is the only chief of {station}: name another chief before giving this one another role, or the chief's rung of its escalations reaches nobody.")
            {
                Refusal = new(verb == "remove" ? "last-chief-removed" : "last-chief-changed", ("subject", subject), ("station", station.Value)),
            };
        }
    }

    private static string ManagersOnly(StationId station) =>
        $"Only admins, and the chief of {station} for its dispatchers, officers and duty officers, may change its roster.";
}

/// <summary>A roster change the station's roster as it stands does not allow (409).</summary>
public sealed class RosterConflictException(string message) : Exception(message), IRefused
{
    public Refusal? Refusal { get; init; }
}
