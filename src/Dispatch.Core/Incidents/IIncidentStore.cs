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

public sealed record IncidentPage(IReadOnlyList<Incident> Items, string? ContinuationToken);

/// <summary>A conditional write lost to a concurrent one.</summary>
public sealed class ConcurrencyConflictException() : Exception("The incident was changed by someone else.");

/// <summary>Storage did not answer; the client should retry later (503).</summary>
public sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>A continuation token the store did not issue (400).</summary>
public sealed class InvalidContinuationTokenException() : Exception("The continuation token is not one this API issued.");

/// <summary>Durable home of incidents and their timelines.</summary>
/// <remarks>
/// Every write is atomic: the incident, its new event, its list entries and its idempotency record
/// change together or not at all.
/// </remarks>
public interface IIncidentStore
{
    Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, CancellationToken cancellationToken);

    Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken);

    /// <summary>Saves a change made to the incident read with <paramref name="etag"/>.</summary>
    /// <exception cref="ConcurrencyConflictException">The incident changed since it was read.</exception>
    Task<StoredIncident> SaveAsync(Transition change, string etag, CancellationToken cancellationToken);

    Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StorageUnavailableException"/> unless storage answers.</summary>
    Task CheckHealthAsync(CancellationToken cancellationToken);
}
