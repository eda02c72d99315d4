using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Incidents in the station's partition, so that an incident, its events, its list entry, its outbox, its
/// idempotency record and the audit record of the request always change in one entity-group transaction.
/// </summary>
/// <remarks>
/// Each transaction also marks the digest of each changed incident's day as changed (<see cref="TableDayDigests"/>), so no
/// report reads a digest older than a change; and just before it, the copy of that digest in the day's partition, when the
/// day may have ended by the time the transaction commits (<see cref="TableDayDigests.MayBeCopied"/>).
/// </remarks>
public sealed class TableIncidentStore(DispatchTable table, ResponsePolicy policy, IClock clock) : IIncidentStore, INoticeOutbox
{
    private readonly ConcurrentDictionary<string, bool> knownStations = new(StringComparer.Ordinal);

    public async Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, AuditRecord audit, CancellationToken cancellationToken)
    {
        var incident = opened.Incident;
        await RegisterStationAsync(incident.Station, audit.At, cancellationToken);
        var write = NewWrite();
        var actions = IncidentRows.Created(opened, audit, write).ToList();
        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(incident.Station)));
        actions.Add(DigestChanged(incident));
        await MarkCopiesAsync([incident], cancellationToken);
        var idempotencyKey = claim is null ? null : TableKeys.IdempotencyRow(claim.Key);
        if (claim is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(incident.Station.Value, idempotencyKey)
            {
                ["IncidentId"] = incident.Id.Value,
                ["RequestHash"] = claim.RequestHash,
            }));
        }

        try
        {
            var response = await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            return new CreateResult(CreateOutcome.Created, new StoredIncident(incident, response.Value[0].Headers.ETag!.Value.ToString()));
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            if (await OwnCommitAsync(incident, write, cancellationToken) is { } own)
            {
                // Committed, its answer lost: the SDK's retry was refused by the rows its first attempt added.
                return new CreateResult(CreateOutcome.Created, own);
            }

            if (claim is null)
            {
                throw;
            }

            // The key was used before: the insert of its record is what failed, so nothing was written.
            var record = await table.RunAsync(() => table.Client.GetEntityAsync<TableEntity>(incident.Station.Value, idempotencyKey, cancellationToken: cancellationToken), cancellationToken);
            if (record.Value.GetString("RequestHash") != claim.RequestHash)
            {
                return new CreateResult(CreateOutcome.KeyReusedWithDifferentRequest, null);
            }

            var original = await FindAsync(IncidentId.Parse(record.Value.GetString("IncidentId")), cancellationToken)
                ?? throw new InvalidDataException($"Idempotency record {idempotencyKey} names an incident that does not exist.");
            return new CreateResult(CreateOutcome.Replayed, original);
        }
    }

    public async Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken)
    {
        var response = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(id.Station.Value, TableKeys.IncidentRow(id), ["Body"], cancellationToken), cancellationToken);
        return response.HasValue ? new StoredIncident(IncidentRows.Read(response.Value!), response.Value!.ETag.ToString()) : null;
    }

    /// <summary>
    /// One entity-group transaction: the incident (conditional on its ETag), its new events, its outbox rows,
    /// its list entry, the request's audit record and the station's change marker, together or not at all.
    /// </summary>
    public Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, CancellationToken cancellationToken) =>
        SaveAsync(previous, change, audit, NewWrite(), cancellationToken);

    /// <remarks>
    /// A refusal (412, 409, 404) is a lost race only if the row does not carry <paramref name="write"/>: when storage
    /// committed the transaction but its answer was lost (the client's network timeout), the SDK sends the same
    /// transaction again, and that retry is refused by the very rows its first attempt wrote.
    /// </remarks>
    private async Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, string write, CancellationToken cancellationToken)
    {
        var actions = SaveActions(previous, change, audit, write);
        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(change.Incident.Station)));
        actions.AddRange(DigestsChanged([change]));
        await MarkCopiesAsync(Touched(change), cancellationToken);
        try
        {
            var response = await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            return new StoredIncident(change.Incident, response.Value[0].Headers.ETag!.Value.ToString());
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409 or 404)
        {
            return await OwnCommitAsync(change.Incident, write, cancellationToken) ?? throw new ConcurrencyConflictException();
        }
    }

    /// <summary>
    /// The incident as <paramref name="write"/> left it, when its row still carries that write (the transaction
    /// committed, whatever answer reached us); null when another write is there instead.
    /// </summary>
    /// <remarks>
    /// A transaction is all or nothing, so its incident row speaks for all its rows. If another change overwrote the
    /// row between our lost answer and this read, ours is taken for a conflict: for the sweep that delays its notices
    /// to their recovery (the notices entry), it never loses them.
    /// </remarks>
    private async Task<StoredIncident?> OwnCommitAsync(Incident incident, string write, CancellationToken cancellationToken)
    {
        var row = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(incident.Station.Value, TableKeys.IncidentRow(incident.Id), [IncidentRows.WrittenBy], cancellationToken), cancellationToken);
        return row.HasValue && row.Value!.GetString(IncidentRows.WrittenBy) == write ? new StoredIncident(incident, row.Value.ETag.ToString()) : null;
    }

    /// <summary>Names one save of an incident row, so that the save can recognise its own commit.</summary>
    private static string NewWrite() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// A station's changes share transactions (up to 100 rows, the station's change marker once in each); when one of
    /// them lost to a concurrent write, the transaction fails whole and its changes are saved one by one instead, so
    /// that only the loser is a conflict.
    /// </summary>
    public async Task<SaveAllResult> SaveAllAsync(IReadOnlyList<(StoredIncident Previous, Transition Change)> changes, CancellationToken cancellationToken)
    {
        var outcomes = new SaveOutcome[changes.Count];
        Array.Fill(outcomes, SaveOutcome.NotAttempted);
        Exception? failure = null;
        var writes = changes.Select(_ => NewWrite()).ToArray();
        var actionsOf = changes.Select((c, i) => SaveActions(c.Previous, c.Change, null, writes[i])).ToArray();
        var transactions = new List<List<int>>();
        foreach (var station in Enumerable.Range(0, changes.Count).GroupBy(i => changes[i].Change.Incident.Station))
        {
            var (batch, rows) = (new List<int>(), 1);
            foreach (var i in station)
            {
                var size = actionsOf[i].Count + 1; // and its day's digest marker, at most one per change
                if (batch.Count > 0 && rows + size > DispatchTable.MaxBatchActions)
                {
                    transactions.Add(batch);
                    (batch, rows) = ([], 1);
                }

                batch.Add(i);
                rows += size;
            }

            transactions.Add(batch);
        }

        await Parallel.ForEachAsync(transactions, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (batch, ct) =>
        {
            if (Volatile.Read(ref failure) is not null)
            {
                return;
            }

            try
            {
                if (batch.Count > 1)
                {
                    await MarkCopiesAsync(batch.SelectMany(i => Touched(changes[i].Change)), ct);
                }

                if (batch.Count > 1 && (await TrySaveTogetherAsync([.. batch.SelectMany(i => actionsOf[i]), .. DigestsChanged(batch.Select(i => changes[i].Change))], changes[batch[0]].Change.Incident.Station, ct)
                    || await OwnCommitAsync(changes[batch[0]].Change.Incident, writes[batch[0]], ct) is not null))
                {
                    // Saved, or refused only because its own first attempt had committed (its answer lost, the SDK sent it again).
                    foreach (var i in batch)
                    {
                        outcomes[i] = SaveOutcome.Saved;
                    }

                    return;
                }

                foreach (var i in batch)
                {
                    try
                    {
                        await SaveAsync(changes[i].Previous, changes[i].Change, null, writes[i], ct);
                        outcomes[i] = SaveOutcome.Saved;
                    }
                    catch (ConcurrencyConflictException)
                    {
                        outcomes[i] = SaveOutcome.Conflict;
                    }
                }
            }
            catch (StorageUnavailableException e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        });
        return new SaveAllResult(outcomes, failure);
    }

    /// <returns>False when one of the changes lost to a concurrent write, and so none was saved.</returns>
    private async Task<bool> TrySaveTogetherAsync(List<TableTransactionAction> actions, StationId station, CancellationToken cancellationToken)
    {
        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(station)));
        try
        {
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409 or 404)
        {
            return false;
        }
    }

    /// <summary>
    /// The day digests the changes touch: each incident's own day and the day of every incident changed alongside it
    /// (a diverted unit's earlier incident may belong to a day whose digest is already written), each marked once.
    /// </summary>
    private IEnumerable<TableTransactionAction> DigestsChanged(IEnumerable<Transition> changes) =>
        changes.SelectMany(Touched).Select(DigestChanged).DistinctBy(action => action.Entity.RowKey);

    /// <summary>The incidents a change writes: its own and those changed alongside it.</summary>
    private static IEnumerable<Incident> Touched(Transition change) => change.Alongside.Select(other => other.Change.Incident).Prepend(change.Incident);

    /// <summary>
    /// Before a transaction: marks the copy of the digest of each day it touches that may have ended by the time it commits,
    /// in the day's partition (which the transaction cannot reach), so no report uses that copy until it is written again.
    /// A mark whose change never commits only sends that station-day to the station's own digest for a while.
    /// </summary>
    private Task MarkCopiesAsync(IEnumerable<Incident> incidents, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var marks = incidents.Select(incident => (incident.Station, Day: ReportRange.DayOf(incident.ReportedAt, policy.TimeZone, policy.ReportRules.DayStartsAt)))
            .Distinct().Where(touched => TableDayDigests.MayBeCopied(touched.Day, now, policy))
            .Select(touched => (IReadOnlyList<TableTransactionAction>)[new(TableTransactionActionType.UpsertMerge, TableDayDigests.Mark(touched.Station, touched.Day, now))])
            .ToList();
        return marks.Count == 0 ? Task.CompletedTask : table.SubmitInBatchesAsync(marks, cancellationToken);
    }

    private TableTransactionAction DigestChanged(Incident incident) => new(TableTransactionActionType.UpsertMerge,
        TableDayDigests.ChangedMarker(incident.Station, ReportRange.DayOf(incident.ReportedAt, policy.TimeZone, policy.ReportRules.DayStartsAt)));

    /// <summary>
    /// A change's rows besides the station's change marker: the incident conditional on its ETag (and marked with
    /// <paramref name="write"/>), its events, outbox rows, list entry, audit record.
    /// </summary>
    private static List<TableTransactionAction> SaveActions(StoredIncident previous, Transition change, AuditRecord? audit, string write)
    {
        var incident = change.Incident;
        var body = IncidentRows.BodyOf(incident);
        var incidentRow = IncidentRows.Incident(incident, body);
        incidentRow[IncidentRows.WrittenBy] = write;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, incidentRow, new ETag(previous.ETag)),
        };
        foreach (var row in IncidentRows.ChangeRows(change, body))
        {
            // The open-list entry is replaced on every change; events and notices are new rows.
            var replaces = row.RowKey.StartsWith("open|", StringComparison.Ordinal);
            actions.Add(new(replaces ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add, row));
        }

        if (!incident.IsOpen && previous.Incident.IsOpen)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(incident.Station.Value, TableKeys.OpenRow(incident.Id)), ETag.All));
        }

        if (audit is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, AuditRows.Row(audit)));
        }

        // The units the change moves and the incident a diverted unit left commit with it, or nothing does; one
        // transaction, so one write id marks every incident row in it.
        actions.AddRange(change.UnitMoves.SelectMany(UnitRows.Of));
        foreach (var (otherPrevious, otherChange) in change.Alongside)
        {
            actions.AddRange(SaveActions(otherPrevious, otherChange, null, write));
        }

        return actions;
    }

    public async Task<IReadOnlyList<PendingNotice>> PendingAsync(IncidentId incident, CancellationToken cancellationToken)
    {
        var (from, to) = TableKeys.OutboxRange(incident);
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {incident.Station.Value} and RowKey ge {from} and RowKey lt {to}"),
            ["Body", "Attempts", "NextAttemptAt"], cancellationToken);
        return [.. rows.Select(row => new PendingNotice(
            JsonSerializer.Deserialize<NoticeDocument>(row.GetString("Body"), Json.Options)!.ToNotice(),
            row.GetInt32("Attempts") ?? 0,
            Instant.FromDateTimeOffset(row.GetDateTimeOffset("NextAttemptAt") ?? DateTimeOffset.MinValue),
            row.ETag.ToString()))];
    }

    /// <summary>A station's sent notices in transactions of up to 100 deletes; the stations' requests at once.</summary>
    public Task RemoveAsync(IReadOnlyList<Notice> sent, CancellationToken cancellationToken) =>
        table.SubmitInBatchesAsync(
            sent.DistinctBy(notice => notice.MessageId).Select(notice => (IReadOnlyList<TableTransactionAction>)
                [new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(notice.Station.Value, TableKeys.OutboxRow(notice)), ETag.All)]),
            cancellationToken);

    public Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken) =>
        table.RunAsync(async () =>
        {
            var row = new TableEntity(notice.Notice.Station.Value, TableKeys.OutboxRow(notice.Notice))
            {
                ["Attempts"] = notice.Attempts + 1,
                ["NextAttemptAt"] = nextAttempt.ToDateTimeOffset(),
            };
            try
            {
                await table.Client.UpdateEntityAsync(row, new ETag(notice.ETag), TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Sent by another relay meanwhile.
            }
        }, cancellationToken);

    /// <summary>A point read of a row that never exists: a round trip that costs the same however big the table is.</summary>
    public Task CheckHealthAsync(CancellationToken cancellationToken) =>
        table.RunAsync(() => table.Client.GetEntityIfExistsAsync<TableEntity>(TableKeys.StationsPartition, "_health", ["RowKey"], cancellationToken), cancellationToken);

    /// <summary>
    /// Records the station in <c>_stations</c> the first time it has anything, with that instant as <c>Since</c>.
    /// Insert-only, so the first sight is never moved by a later one (another process, a restart).
    /// </summary>
    internal async Task RegisterStationAsync(StationId station, Instant at, CancellationToken cancellationToken)
    {
        if (knownStations.ContainsKey(station.Value))
        {
            return;
        }

        try
        {
            await table.RunAsync(
                () => table.Client.AddEntityAsync(IncidentRows.StationRegistration(station, at), cancellationToken),
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Known already: its first sight stays.
        }

        knownStations[station.Value] = true;
    }
}
