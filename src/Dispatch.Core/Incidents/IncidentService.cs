using System.Security.Cryptography;
using System.Text;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

public sealed class IncidentNotFoundException(IncidentId id) : Exception($"Incident {id} does not exist.");

/// <summary>The If-Match a client sent is not the incident's current version (412).</summary>
public sealed class PreconditionFailedException(IncidentId id, string current)
    : Exception($"Incident {id} has changed since you read it; its current ETag is {current}.")
{
    public string CurrentETag { get; } = current;
}

/// <summary>The use cases of the incident lifecycle: every milestone is stamped here with the server's clock.</summary>
public sealed class IncidentService(IIncidentStore store, IClock clock, ResponsePolicy policy, NoticeRelay relay)
{
    private const int MaxConflictRetries = 8;

    public async Task<CreateResult> ReportAsync(IncidentReport report, string actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var opened = Incident.Open(IncidentId.New(report.Station, now), report, policy, now, actor);
        var claim = idempotencyKey is null ? null : new IdempotencyClaim(idempotencyKey, HashOf(report));
        var result = await store.CreateAsync(opened, claim, cancellationToken);
        if (result.Outcome == CreateOutcome.Created && opened.Notices.Count > 0)
        {
            await SendNowAsync(report.Station, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Major matters go out with the intake rather than at the next sweep. The incident is already
    /// committed with its outbox row, so this is best effort within a short budget: if Service Bus or
    /// storage is slow, the sweep sends it, and the dispatcher still gets the 201 at once.
    /// </summary>
    private async Task SendNowAsync(StationId station, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ImmediateSendBudget);
        try
        {
            await relay.RelayAsync(station, budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (StorageUnavailableException)
        {
        }
    }

    private static readonly TimeSpan ImmediateSendBudget = TimeSpan.FromSeconds(3);

    public Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken) => store.FindAsync(id, cancellationToken);

    public Task<StoredIncident> DispatchAsync(IncidentId id, string unit, string officer, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Dispatch(unit, officer, now, actor), cancellationToken);

    public Task<StoredIncident> ArriveAsync(IncidentId id, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Arrive(now, actor), cancellationToken);

    public Task<StoredIncident> ResolveAsync(IncidentId id, string outcome, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Resolve(outcome, now, actor), cancellationToken);

    public Task<StoredIncident> CloseAsync(IncidentId id, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Close(now, actor), cancellationToken);

    public Task<StoredIncident> CancelAsync(IncidentId id, string reason, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Cancel(reason, now, actor), cancellationToken);

    public Task<StoredIncident> AcknowledgeAsync(IncidentId id, string by, int? level, string actor, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(id, ifMatch, (incident, now) => incident.Acknowledge(by, level, now, actor), cancellationToken);

    public Task<IncidentPage> ListAsync(StationId station, StatusFilter status, Priority? priority, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        store.ListAsync(new IncidentQuery(station, status, priority, clock.GetCurrentInstant(), pageSize, continuationToken), cancellationToken);

    public async Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken)
    {
        var events = await store.TimelineAsync(id, cancellationToken);
        return events.Count > 0 ? events : throw new IncidentNotFoundException(id);
    }

    /// <summary>
    /// Reads, changes and conditionally writes the incident. With If-Match the client's version must be
    /// current; without it a lost race is retried on fresh state, so no concurrent update is ever lost.
    /// </summary>
    private async Task<StoredIncident> ChangeAsync(IncidentId id, string? ifMatch, Func<Incident, Instant, Transition> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stored = await store.FindAsync(id, cancellationToken) ?? throw new IncidentNotFoundException(id);
            if (ifMatch is not null && ifMatch != "*" && ifMatch != stored.ETag)
            {
                throw new PreconditionFailedException(id, stored.ETag);
            }

            var transition = change(stored.Incident, clock.GetCurrentInstant());
            try
            {
                return await store.SaveAsync(stored, transition, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (ifMatch is null or "*" && attempt < MaxConflictRetries)
            {
                // Someone else changed it between our read and write: re-read and re-apply.
            }
            catch (ConcurrencyConflictException) when (ifMatch is not null and not "*")
            {
                var current = await store.FindAsync(id, cancellationToken);
                throw new PreconditionFailedException(id, current?.ETag ?? "");
            }
        }
    }

    /// <summary>A stable hash of what was reported, so a retry with the same key can be told from a different request.</summary>
    public static string HashOf(IncidentReport report)
    {
        var canonical = string.Join('\u001f',
            report.Station.Value, report.Category, report.Priority.Name(), report.Zone.Name(),
            report.Location.Address, report.Location.Latitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            report.Location.Longitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            report.Description, report.Channel.Name(), report.ReporterContact ?? "");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
