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
            throw new ForbiddenException($"Only people on the roster of {station}, and admins, may read it.");
        }

        return roster.RosterOfAsync(station, cancellationToken);
    }

    /// <returns>True when the person was added, false when their line was replaced.</returns>
    public async Task<bool> PutAsync(ApiCall call, Membership membership, CancellationToken cancellationToken)
    {
        call.Station = membership.Station;
        call.Change = $"roster put {membership.Person.Subject} as {membership.Role.Name()}{(membership.Unit is null ? "" : $" in {membership.Unit}")}";
        var existing = await roster.FindAsync(membership.Station, membership.Person.Subject, cancellationToken);
        if (!AccessPolicy.CanManageRoster(call.Caller, membership.Station, membership.Role)
            || (existing is not null && !AccessPolicy.CanManageRoster(call.Caller, membership.Station, existing.Role)))
        {
            throw new ForbiddenException(
                $"Only admins, and the chief of {membership.Station} for its dispatchers, officers and duty officers, may change its roster.");
        }

        await roster.PutAsync(membership, call.Record(existing is null ? AuditOutcome.Created : AuditOutcome.Changed), cancellationToken);
        call.MarkAuditCommitted();
        return existing is null;
    }

    public async Task RemoveAsync(ApiCall call, StationId station, string subject, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"roster remove {subject}";
        var existing = await roster.FindAsync(station, subject, cancellationToken);
        if (existing is null)
        {
            throw new FieldRefusedException("subject", $"'{subject}' is not on the roster of {station}.");
        }

        if (!AccessPolicy.CanManageRoster(call.Caller, station, existing.Role))
        {
            throw new ForbiddenException($"Only admins, and the chief of {station} for its dispatchers, officers and duty officers, may change its roster.");
        }

        await roster.RemoveAsync(station, subject, call.Record(AuditOutcome.Removed), cancellationToken);
        call.MarkAuditCommitted();
    }
}
