using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Audit;

/// <summary>
/// One decision about one request, allowed or refused: when (server time), who, with which roles, what
/// (function, station, incident, the change), its outcome, from where, and its correlation id.
/// Append-only: nothing in the API changes or deletes a record.
/// </summary>
public sealed record AuditRecord(
    string Id,
    Instant At,
    string Subject,
    string Name,
    IReadOnlyList<string> Roles,
    string Function,
    StationId? Station,
    IncidentId? Incident,
    string? Change,
    AuditOutcome Outcome,
    string? ClientAddress,
    string CorrelationId)
{
    /// <summary>How many requests the record stands for: 1, but for the summary of a minute's refused tokens from one source.</summary>
    public int Count { get; init; } = 1;
}

public sealed record AuditQuery(StationId? Station, string? Subject, Instant From, Instant To, int PageSize, string? ContinuationToken);

public sealed record AuditPage(IReadOnlyList<AuditRecord> Items, string? ContinuationToken);

/// <summary>The audit trail (Table Storage in production).</summary>
/// <remarks>
/// A change and its record commit together: the record of a change rides in the change's own transaction
/// (<see cref="IIncidentStore"/>, <see cref="IRosterStore"/>). Before that commit, <see cref="PrepareAsync"/>
/// writes the by-person copy that lets an auditor find the record by subject; a copy whose change never
/// committed is recognised and left out when read.
/// </remarks>
public interface IAuditTrail
{
    Task PrepareAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Records a decision that changed nothing: a read, a refusal, a failure.</summary>
    Task RecordAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Newest first; by station, by subject, or both.</summary>
    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken);
}
