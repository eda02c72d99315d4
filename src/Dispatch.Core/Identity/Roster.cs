using Dispatch.Core.Incidents;

namespace Dispatch.Core.Identity;

/// <summary>Who serves at which station: the roster the app keeps (Table Storage in production).</summary>
public interface IRosterStore
{
    /// <summary>Every station the person serves at, with role and unit.</summary>
    Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken);

    Task<IReadOnlyList<Membership>> RosterOfAsync(StationId station, CancellationToken cancellationToken);

    Task<Membership?> FindAsync(StationId station, string subject, CancellationToken cancellationToken);

    /// <summary>Adds or replaces a person's line, and records the change in the audit trail in the same transaction.</summary>
    Task PutAsync(Membership membership, Audit.AuditRecord audit, CancellationToken cancellationToken);

    /// <summary>Removes a person's line, with its audit record; false when there was none.</summary>
    Task<bool> RemoveAsync(StationId station, string subject, Audit.AuditRecord audit, CancellationToken cancellationToken);
}
