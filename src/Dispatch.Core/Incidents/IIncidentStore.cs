using Dispatch.Core.Audit;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>An incident as stored, with the version tag a conditional update must present.</summary>
public sealed record StoredIncident(Incident Incident, string ETag);

/// <summary>A client's Idempotency-Key and a hash of what it asked for under that key.</summary>
public sealed record IdempotencyClaim(string Key, string RequestHash);

public enum CreateOutcome { Created, Replayed, KeyReusedWithDifferentRequest }

public sealed record CreateResult(CreateOutcome Outcome, StoredIncident? Stored);

public enum StatusFilter { Any, Open, Overdue, Closed }

public sealed record IncidentQuery(StationId Station, StatusFilter Status, Priority? Priority, Instant Now, int PageSize, string? ContinuationToken);

/// <summary>A page of a station's incidents, each as its readers show it at the query's <see cref="IncidentQuery.Now"/>.</summary>
public sealed record IncidentPage(IReadOnlyList<IncidentView> Items, string? ContinuationToken);

/// <summary>What became of one change of <see cref="IIncidentStore.SaveAllAsync"/>.</summary>
public enum SaveOutcome { Saved, Conflict, NotAttempted }

/// <summary>Each change's outcome, in order, and the storage failure that stopped the rest (null when none did).</summary>
public sealed record SaveAllResult(IReadOnlyList<SaveOutcome> Outcomes, Exception? Failure);

/// <summary>A conditional write lost to a concurrent one.</summary>
public sealed class ConcurrencyConflictException() : Exception("The incident was changed by someone else.");

/// <summary>Storage did not answer (in time); the client should retry later (503).</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A continuation token the store did not issue (400).</summary>
public sealed class InvalidContinuationTokenException() : Exception("The continuation token is not one this API issued.");

/// <summary>Durable home of incidents: the write side.</summary>
/// <remarks>
/// Every write is atomic: the incident, its new events, its list entries, its outbox notices, its
/// idempotency record and the audit record of the request that changed it commit together or not at all.
/// </remarks>
public interface IIncidentStore
{
    Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, AuditRecord audit, CancellationToken cancellationToken);

    Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken);

    /// <summary>Saves a change made to <paramref name="previous"/>, with its events, notices and audit record, if the incident has not changed since.</summary>
    /// <remarks>
    /// A save that storage committed is saved even when its answer was lost and the store's retry of it was refused
    /// by the rows that very save wrote: taking it for a lost race would re-apply a command already done, or hold back
    /// the sweep's notices.
    /// </remarks>
    /// <exception cref="ConcurrencyConflictException">The incident changed since it was read, by another write.</exception>
    Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, CancellationToken cancellationToken);

    /// <summary>
    /// Saves many changes that carry no audit record (the sweep's), each as <see cref="SaveAsync"/> would: its rows all or
    /// nothing, conditional on the ETag it was read with. Changes of one station may share a request, and a change that
    /// lost to a concurrent one is a <see cref="SaveOutcome.Conflict"/> that never stops the others. Storage failing stops
    /// every write not yet started (<see cref="SaveOutcome.NotAttempted"/>) and is returned, not thrown, so that the
    /// caller can finish what was saved first.
    /// </summary>
    Task<SaveAllResult> SaveAllAsync(IReadOnlyList<(StoredIncident Previous, Transition Change)> changes, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StorageUnavailableException"/> unless storage answers.</summary>
    Task CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A station and the instant it first had anything (its first incident or roster entry), so that nothing is
/// reported for days before it existed. Null for a station recorded before that instant was kept.
/// </summary>
public readonly record struct KnownStation(StationId Id, Instant? Since);

/// <summary>Lists, timelines and ranges for reports: the read side, apart from the writes.</summary>
public interface IIncidentQueries
{
    Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken);

    /// <summary>
    /// A station's incidents reported in [<paramref name="from"/>, <paramref name="until"/>), as the reports read them
    /// at <paramref name="asOf"/>: reads only those, never the station's whole history.
    /// </summary>
    IAsyncEnumerable<ReportedIncident> ReportedBetweenAsync(StationId station, Instant from, Instant until, Instant asOf, CancellationToken cancellationToken);

    /// <summary>Every station that has reported an incident or has a roster, with since when.</summary>
    Task<IReadOnlyList<KnownStation>> StationsAsync(CancellationToken cancellationToken);

    /// <summary>A token that changes whenever anything of the station changes (an incident, its roster); null before the first change.</summary>
    Task<string?> StationVersionAsync(StationId station, CancellationToken cancellationToken);
}
