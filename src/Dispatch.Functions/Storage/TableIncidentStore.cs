using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Incidents in the station's partition, so that an incident, its events, its list entry, its outbox, its
/// idempotency record and the audit record of the request always change in one entity-group transaction.
/// </summary>
public sealed class TableIncidentStore(DispatchTable table) : IIncidentStore, INoticeOutbox
{
    private readonly ConcurrentDictionary<string, bool> knownStations = new(StringComparer.Ordinal);

    public async Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, AuditRecord audit, CancellationToken cancellationToken)
    {
        var incident = opened.Incident;
        await RegisterStationAsync(incident.Station, audit.At, cancellationToken);
        var body = IncidentRows.BodyOf(incident);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, IncidentRows.Incident(incident, body)) };
        actions.AddRange(IncidentRows.ChangeRows(opened, body).Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
        actions.Add(new(TableTransactionActionType.Add, AuditRows.Row(audit)));
        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(incident.Station)));
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
        catch (TableTransactionFailedException e) when (claim is not null && e.Status == 409)
        {
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
    public async Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, AuditRecord? audit, CancellationToken cancellationToken)
    {
        var incident = change.Incident;
        var body = IncidentRows.BodyOf(incident);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, IncidentRows.Incident(incident, body), new ETag(previous.ETag)),
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

        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(incident.Station)));
        try
        {
            var response = await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            return new StoredIncident(incident, response.Value[0].Headers.ETag!.Value.ToString());
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409 or 404)
        {
            throw new ConcurrencyConflictException();
        }
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

    public async Task RemoveAsync(IncidentId incident, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var station = incident.Station.Value;
        var actions = messageIds.Select(id => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(station, $"outbox|{id}"), ETag.All)).ToList();
        try
        {
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // Another relay removed one of them first: remove the rest one by one.
            foreach (var action in actions)
            {
                await table.RunAsync(() => table.Client.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken), cancellationToken);
            }
        }
    }

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
                () => table.Client.AddEntityAsync(new TableEntity(TableKeys.StationsPartition, station.Value) { [TableKeys.StationSince] = at.ToDateTimeOffset() }, cancellationToken),
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Known already: its first sight stays.
        }

        knownStations[station.Value] = true;
    }
}
