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

/// <summary>A notice waiting in the outbox, with how often sending it has failed.</summary>
public sealed record PendingNotice(Notice Notice, int Attempts, string ETag);

/// <summary>Notices written with the changes that raised them, until they are sent.</summary>
public interface INoticeOutbox
{
    /// <summary>Notices whose next attempt is due, oldest first; one station's, or every station's when null.</summary>
    Task<IReadOnlyList<PendingNotice>> PendingAsync(StationId? station, Instant now, int max, CancellationToken cancellationToken);

    Task RemoveAsync(PendingNotice notice, CancellationToken cancellationToken);

    Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken);
}

/// <summary>Sends a notice to its audience (Service Bus in production).</summary>
/// <remarks>The notice's <see cref="Notice.MessageId"/> must go with it so the broker can drop a resend.</remarks>
public interface INoticePublisher
{
    Task PublishAsync(Notice notice, CancellationToken cancellationToken);
}

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

    /// <summary>Saves a change made to <paramref name="previous"/>, with its events and notices, if the incident has not changed since.</summary>
    /// <exception cref="ConcurrencyConflictException">The incident changed since it was read.</exception>
    Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, CancellationToken cancellationToken);

    /// <summary>Incidents whose <see cref="Incident.NextDueAt"/> is at or before <paramref name="now"/>, across all stations.</summary>
    /// <remarks>Reads a due index, so its cost follows what is due, not how many incidents are open.</remarks>
    IAsyncEnumerable<IncidentId> DueAsync(Instant now, CancellationToken cancellationToken);

    Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken);

    Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StorageUnavailableException"/> unless storage answers.</summary>
    Task CheckHealthAsync(CancellationToken cancellationToken);
}
