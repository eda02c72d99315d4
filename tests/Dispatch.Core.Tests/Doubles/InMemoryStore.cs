using System.Runtime.CompilerServices;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Core.Tests.Doubles;

/// <summary>
/// The incident store as a dictionary, with the same promises as the table store: ETag-conditional saves,
/// each change with its events, outbox notices and audit record all at once or not at all, idempotency keys
/// insert-only, lists in pages. <see cref="StoreContract.IncidentStoreContract"/> holds both to those promises.
/// Hooks let a test fail a write or hold two writers at the same point.
/// </summary>
public sealed class InMemoryStore : IIncidentStore, IIncidentQueries, INoticeOutbox
{
    private const string PageToken = "page:";

    private readonly object gate = new();
    private readonly Dictionary<IncidentId, (Incident Incident, int ETag)> incidents = [];
    private readonly Dictionary<IncidentId, List<IncidentEvent>> events = [];
    private readonly Dictionary<string, (Notice Notice, int Attempts, Instant NextAttempt, int ETag)> outbox = [];
    private readonly Dictionary<(StationId, string), (IncidentId Id, string Hash)> idempotency = [];
    private int etags;

    public List<AuditRecord> CommittedAudit { get; } = [];

    public int Saves { get; private set; }

    public int Finds { get; private set; }

    /// <summary>Called before each save is applied; throw to make the save fail as storage would.</summary>
    public Func<Transition, Task>? BeforeSave { get; set; }

    /// <summary>Called before each create is applied, to look at what was written ahead of the commit.</summary>
    public Action<Transition>? BeforeCreate { get; set; }

    /// <summary>Called after each read; a test can hold readers here until others catch up.</summary>
    public Func<IncidentId, Task>? AfterFind { get; set; }

    public Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, AuditRecord audit, CancellationToken cancellationToken)
    {
        BeforeCreate?.Invoke(opened);
        lock (gate)
        {
            var incident = opened.Incident;
            if (claim is not null && idempotency.TryGetValue((incident.Station, claim.Key), out var used))
            {
                return Task.FromResult(used.Hash != claim.RequestHash
                    ? new CreateResult(CreateOutcome.KeyReusedWithDifferentRequest, null)
                    : new CreateResult(CreateOutcome.Replayed, Stored(used.Id)));
            }

            if (claim is not null)
            {
                idempotency[(incident.Station, claim.Key)] = (incident.Id, claim.RequestHash);
            }

            incidents[incident.Id] = (incident, ++etags);
            events[incident.Id] = [.. opened.Events];
            AddNotices(opened.Notices);
            CommittedAudit.Add(audit);
            return Task.FromResult(new CreateResult(CreateOutcome.Created, Stored(incident.Id)));
        }
    }

    public async Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken)
    {
        StoredIncident? found;
        lock (gate)
        {
            Finds++;
            found = incidents.ContainsKey(id) ? Stored(id) : null;
        }

        if (AfterFind is { } hook)
        {
            await hook(id);
        }

        return found;
    }

    public async Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, CancellationToken cancellationToken)
    {
        if (BeforeSave is { } hook)
        {
            await hook(change);
        }

        lock (gate)
        {
            var id = change.Incident.Id;
            if (!incidents.TryGetValue(id, out var current) || current.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture) != previous.ETag)
            {
                throw new ConcurrencyConflictException();
            }

            Saves++;
            incidents[id] = (change.Incident, ++etags);
            events[id].AddRange(change.Events);
            AddNotices(change.Notices);
            if (audit is not null)
            {
                CommittedAudit.Add(audit);
            }

            return Stored(id);
        }
    }

    /// <summary>One save after another, each through <see cref="BeforeSave"/>, stopping at the first storage failure.</summary>
    public async Task<SaveAllResult> SaveAllAsync(IReadOnlyList<(StoredIncident Previous, Transition Change)> changes, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            SaveAlls++;
        }

        var outcomes = Enumerable.Repeat(SaveOutcome.NotAttempted, changes.Count).ToArray();
        for (var i = 0; i < changes.Count; i++)
        {
            try
            {
                await SaveAsync(changes[i].Previous, changes[i].Change, null, cancellationToken);
                outcomes[i] = SaveOutcome.Saved;
            }
            catch (ConcurrencyConflictException)
            {
                outcomes[i] = SaveOutcome.Conflict;
            }
            catch (StorageUnavailableException e)
            {
                return new SaveAllResult(outcomes, e);
            }
        }

        return new SaveAllResult(outcomes, null);
    }

    /// <summary>Calls of <see cref="SaveAllAsync"/>.</summary>
    public int SaveAlls { get; private set; }

    public Task CheckHealthAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var items = incidents.Values.Select(i => i.Incident).Where(i => i.Station == query.Station)
                .Where(i => query.Status switch
                {
                    StatusFilter.Open => i.IsOpen,
                    StatusFilter.Overdue => i.IsOverdueAt(query.Now),
                    StatusFilter.Closed => !i.IsOpen,
                    _ => true,
                })
                .Where(i => query.Priority is null || i.Report.Priority == query.Priority)
                .OrderByDescending(i => i.ReportedAt).ToList();
            var start = PageStart(query.ContinuationToken);
            var page = items.Skip(start).Take(query.PageSize).ToList();
            var next = start + page.Count < items.Count ? $"{PageToken}{start + page.Count}" : null;
            return Task.FromResult(new IncidentPage([.. page.Select(i => IncidentView.Of(i, query.Now))], next));
        }
    }

    /// <summary>Where a page starts: tokens are this store's own, like the table store's, and any other is refused.</summary>
    private static int PageStart(string? token) =>
        token is null ? 0
        : token.StartsWith(PageToken, StringComparison.Ordinal) && int.TryParse(token.AsSpan(PageToken.Length), out var start) ? start
        : throw new InvalidContinuationTokenException();

    public Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<IncidentEvent>>(events.TryGetValue(id, out var list) ? [.. list] : []);
        }
    }

    public async IAsyncEnumerable<ReportedIncident> ReportedBetweenAsync(
        StationId station, Instant from, Instant until, Instant asOf, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<Incident> found;
        lock (gate)
        {
            found = [.. incidents.Values.Select(i => i.Incident).Where(i => i.Station == station && i.ReportedAt >= from && i.ReportedAt < until)];
        }

        foreach (var incident in found)
        {
            await Task.Yield();
            yield return ReportedIncident.Of(incident, asOf);
        }
    }

    public Task<string?> StationVersionAsync(StationId station, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var versions = incidents.Values.Where(i => i.Incident.Station == station).Select(i => $"{i.Incident.Id}:{i.ETag}").Order(StringComparer.Ordinal).ToList();
            return Task.FromResult(versions.Count == 0 ? null : string.Join(",", versions).GetHashCode(StringComparison.Ordinal).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Each station since its first incident's report.</summary>
    public Task<IReadOnlyList<KnownStation>> StationsAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<KnownStation>>([.. incidents.Values.GroupBy(i => i.Incident.Station)
                .Select(g => new KnownStation(g.Key, g.Min(i => i.Incident.ReportedAt)))]);
        }
    }

    public Task<IReadOnlyList<PendingNotice>> PendingAsync(IncidentId incident, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<PendingNotice>>([.. outbox.Values.Where(o => o.Notice.IncidentId == incident)
                .Select(o => new PendingNotice(o.Notice, o.Attempts, o.NextAttempt, o.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        }
    }

    /// <summary>Calls of <see cref="RemoveAsync"/>, each with the stations of the notices it removed.</summary>
    public List<IReadOnlyList<StationId>> Removals { get; } = [];

    public Task RemoveAsync(IReadOnlyList<Notice> sent, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Removals.Add([.. sent.Select(n => n.Station).Distinct()]);
            foreach (var notice in sent)
            {
                outbox.Remove(notice.MessageId);
            }
        }

        return Task.CompletedTask;
    }

    public Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (outbox.TryGetValue(notice.Notice.MessageId, out var row) && row.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture) == notice.ETag)
            {
                outbox[notice.Notice.MessageId] = (row.Notice, notice.Attempts + 1, nextAttempt, ++etags);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Notices still waiting in the outbox, all incidents.</summary>
    public IReadOnlyList<(Notice Notice, int Attempts, Instant NextAttempt)> Outbox
    {
        get
        {
            lock (gate)
            {
                return [.. outbox.Values.Select(o => (o.Notice, o.Attempts, o.NextAttempt))];
            }
        }
    }

    public Incident Get(IncidentId id)
    {
        lock (gate)
        {
            return incidents[id].Incident;
        }
    }

    public IReadOnlyList<IncidentEvent> Events(IncidentId id)
    {
        lock (gate)
        {
            return [.. events[id]];
        }
    }

    /// <summary>Puts an incident in as if stored before this version of the app (no outcome facts kept).</summary>
    public void Put(Incident incident)
    {
        lock (gate)
        {
            incidents[incident.Id] = (incident, ++etags);
            events[incident.Id] = [];
        }
    }

    private void AddNotices(IEnumerable<Notice> notices)
    {
        foreach (var notice in notices)
        {
            outbox[notice.MessageId] = (notice, 0, notice.At, ++etags);
        }
    }

    private StoredIncident Stored(IncidentId id) => new(incidents[id].Incident, incidents[id].ETag.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
