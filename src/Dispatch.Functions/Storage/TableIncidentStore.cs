using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Incidents in one Azure table, partitioned by station so that an incident, its events, its list
/// entries and its idempotency record always change in one entity-group transaction.
/// </summary>
/// <remarks>
/// Row keys within a station's partition (README, "State in tables"):
/// <c>incident|{newest-first}|{id}</c> the incident, which is also its entry in the list of all;
/// <c>event|{id}|{seq:D6}</c> its timeline; while open, <c>open|{newest-first}|{id}</c> its open-list entry;
/// <c>idempotency|{sha256(key)}</c> a client's Idempotency-Key; <c>due|{ticks}|{id}</c> the
/// sweep's index of when each incident next needs attention; <c>outbox|{message id}</c> notices not yet sent.
/// </remarks>
public sealed class TableIncidentStore(TableServiceClient service, IOptions<DispatchSettings> settings) : IIncidentStore, INoticeOutbox
{
    /// <summary>The partition that lists every station that has reported an incident, for the sweep.</summary>
    private const string StationsPartition = "_stations";

    private readonly TableClient table = service.GetTableClient(settings.Value.TableName);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> knownStations = new(StringComparer.Ordinal);
    private Task? tableCreation;

    public async Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, CancellationToken cancellationToken)
    {
        var incident = opened.Incident;
        await RegisterStationAsync(incident.Station, cancellationToken);
        var body = BodyOf(incident);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, IncidentRow(incident, body)) };
        actions.AddRange(ChangeRows(opened, body).Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
        if (DueRow(incident) is { } due)
        {
            actions.Add(new(TableTransactionActionType.Add, due));
        }

        var idempotencyKey = claim is null ? null : IdempotencyRowKey(claim.Key);
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
            var response = await Guard(() => table.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            var etag = response.Value[0].Headers.ETag!.Value.ToString();
            return new CreateResult(CreateOutcome.Created, new StoredIncident(incident, etag));
        }
        catch (TableTransactionFailedException e) when (claim is not null && e.Status == 409)
        {
            // The key was used before: the insert of its record is what failed, so nothing was written.
            var record = await Guard(() => table.GetEntityAsync<TableEntity>(incident.Station.Value, idempotencyKey, cancellationToken: cancellationToken), cancellationToken);
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
        var response = await Guard(() => table.GetEntityIfExistsAsync<TableEntity>(id.Station.Value, IncidentRowKey(id), cancellationToken: cancellationToken), cancellationToken);
        return response.HasValue ? new StoredIncident(ReadBody(response.Value!), response.Value!.ETag.ToString()) : null;
    }

    /// <summary>
    /// One entity-group transaction: the incident (conditional on its ETag), its new events, its outbox
    /// rows, its list entries and its due-index row all change together or not at all.
    /// </summary>
    public async Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, CancellationToken cancellationToken)
    {
        var incident = change.Incident;
        var body = BodyOf(incident);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, IncidentRow(incident, body), new ETag(previous.ETag)),
        };
        actions.AddRange(ChangeRows(change, body).Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, row)));
        if (!incident.IsOpen && previous.Incident.IsOpen)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(incident.Station.Value, OpenRowKey(incident)), ETag.All));
        }

        var oldDue = DueRowKey(previous.Incident);
        var newDue = DueRow(incident);
        if (oldDue is not null && oldDue != newDue?.RowKey)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(incident.Station.Value, oldDue), ETag.All));
        }

        if (newDue is not null && newDue.RowKey != oldDue)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, newDue));
        }

        try
        {
            var response = await Guard(() => table.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
            return new StoredIncident(incident, response.Value[0].Headers.ETag!.Value.ToString());
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409)
        {
            throw new ConcurrencyConflictException();
        }
    }

    public async IAsyncEnumerable<IncidentId> DueAsync(Instant now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var upTo = $"due|{(now.ToUnixTimeTicks() + 1).ToString("D19", CultureInfo.InvariantCulture)}";
        foreach (var station in await StationsAsync(cancellationToken))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {station} and RowKey ge {"due|"} and RowKey lt {upTo}");
            var rows = await Guard(async () =>
            {
                var list = new List<TableEntity>();
                await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, ["RowKey", "IncidentId"], cancellationToken))
                {
                    list.Add(row);
                }

                return list;
            }, cancellationToken);
            foreach (var row in rows)
            {
                yield return IncidentId.Parse(row.GetString("IncidentId"));
            }
        }
    }

    public async Task<IReadOnlyList<PendingNotice>> PendingAsync(StationId? station, Instant now, int max, CancellationToken cancellationToken)
    {
        var stations = station is { } one ? [one.Value] : await StationsAsync(cancellationToken);
        var pending = new List<PendingNotice>();
        foreach (var partition in stations)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {"outbox|"} and RowKey lt {"outbox}"} and NextAttemptAt le {now.ToDateTimeOffset()}");
            await Guard(async () =>
            {
                await foreach (var row in table.QueryAsync<TableEntity>(filter, max, ["Body", "Attempts"], cancellationToken))
                {
                    var notice = JsonSerializer.Deserialize<NoticeDocument>(row.GetString("Body"), Json.Options)!.ToNotice();
                    pending.Add(new PendingNotice(notice, row.GetInt32("Attempts") ?? 0, row.ETag.ToString()));
                    if (pending.Count >= max)
                    {
                        break;
                    }
                }

                return true;
            }, cancellationToken);
            if (pending.Count >= max)
            {
                break;
            }
        }

        return pending;
    }

    public Task RemoveAsync(PendingNotice notice, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            try
            {
                await table.DeleteEntityAsync(notice.Notice.Station.Value, OutboxRowKey(notice.Notice), new ETag(notice.ETag), cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Another relay sent and removed it first; the broker dropped the duplicate.
            }

            return true;
        }, cancellationToken);

    public Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            var row = new TableEntity(notice.Notice.Station.Value, OutboxRowKey(notice.Notice))
            {
                ["Attempts"] = notice.Attempts + 1,
                ["NextAttemptAt"] = nextAttempt.ToDateTimeOffset(),
            };
            try
            {
                await table.UpdateEntityAsync(row, new ETag(notice.ETag), TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Sent by another relay meanwhile.
            }

            return true;
        }, cancellationToken);

    public async Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        var prefix = query.Status is StatusFilter.Open or StatusFilter.Overdue ? "open|" : "incident|";
        var filters = new List<string>
        {
            TableClient.CreateQueryFilter($"PartitionKey eq {query.Station.Value} and RowKey gt {prefix} and RowKey lt {prefix[..^1] + "}"}"),
        };
        if (query.Status == StatusFilter.Overdue)
        {
            filters.Add(TableClient.CreateQueryFilter($"NextDeadline le {query.Now.ToDateTimeOffset()}"));
        }
        else if (query.Status == StatusFilter.Closed)
        {
            filters.Add(TableClient.CreateQueryFilter($"IsOpen eq {false}"));
        }

        if (query.Priority is { } priority)
        {
            filters.Add(TableClient.CreateQueryFilter($"Priority eq {priority.Name()}"));
        }

        var token = DecodeToken(query.ContinuationToken);
        var page = await Guard(async () =>
        {
            await foreach (var p in table.QueryAsync<TableEntity>(string.Join(" and ", filters), query.PageSize, ["Body"], cancellationToken)
                .AsPages(token, query.PageSize).WithCancellation(cancellationToken))
            {
                return p;
            }

            return null;
        }, cancellationToken);
        if (page is null)
        {
            return new IncidentPage([], null);
        }

        return new IncidentPage(page.Values.Select(ReadBody).ToList(), EncodeToken(page.ContinuationToken));
    }

    public async Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken)
    {
        var from = $"event|{id.Value}|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Station.Value} and RowKey gt {from} and RowKey lt {from + "~"}");
        return await Guard(async () =>
        {
            var events = new List<IncidentEvent>();
            await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, ["Body"], cancellationToken))
            {
                events.Add(JsonSerializer.Deserialize<EventDocument>(row.GetString("Body"), Json.Options)!.ToEvent());
            }

            return (IReadOnlyList<IncidentEvent>)events;
        }, cancellationToken);
    }

    /// <summary>A point read of a row that never exists: a round trip that costs the same however big the table is.</summary>
    public Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Guard(() => table.GetEntityIfExistsAsync<TableEntity>(StationsPartition, "_health", ["RowKey"], cancellationToken), cancellationToken);

    /// <summary>
    /// Newest first by the id's own timestamp, so a point read can compute the key from the id alone and
    /// a range over <c>incident|</c> lists a station's incidents newest first without a separate list row.
    /// </summary>
    internal static string IncidentRowKey(IncidentId id) => $"incident|{NewestFirst(id)}|{id.Value}";

    private static string NewestFirst(IncidentId id) =>
        (long.MaxValue - id.Timestamp.ToUnixTimeMilliseconds()).ToString("D19", CultureInfo.InvariantCulture);

    private static string OpenRowKey(Incident incident) => $"open|{NewestFirst(incident.Id)}|{incident.Id.Value}";

    private static string? DueRowKey(Incident incident) =>
        incident.NextDueAt is { } due ? $"due|{due.ToUnixTimeTicks().ToString("D19", CultureInfo.InvariantCulture)}|{incident.Id.Value}" : null;

    private static string OutboxRowKey(Notice notice) => $"outbox|{notice.MessageId}";

    private static string IdempotencyRowKey(string key) =>
        $"idempotency|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";

    private static TableEntity IncidentRow(Incident incident, string body) => WithBody(new TableEntity(incident.Station.Value, IncidentRowKey(incident.Id)), incident, body);

    private static string BodyOf(Incident incident) => JsonSerializer.Serialize(IncidentDocument.From(incident), Json.Options);

    private static TableEntity? DueRow(Incident incident) =>
        DueRowKey(incident) is { } key ? new TableEntity(incident.Station.Value, key) { ["IncidentId"] = incident.Id.Value } : null;

    /// <summary>The rows a change adds or replaces besides the incident: events, outbox notices, the open-list entry.</summary>
    private static IEnumerable<TableEntity> ChangeRows(Transition change, string body)
    {
        var incident = change.Incident;
        foreach (var e in change.Events)
        {
            yield return EventRow(e);
        }

        foreach (var notice in change.Notices)
        {
            yield return new TableEntity(incident.Station.Value, OutboxRowKey(notice))
            {
                ["Body"] = JsonSerializer.Serialize(NoticeDocument.From(notice), Json.Options),
                ["Attempts"] = 0,
                ["NextAttemptAt"] = notice.At.ToDateTimeOffset(),
            };
        }

        if (incident.IsOpen)
        {
            yield return WithBody(new TableEntity(incident.Station.Value, OpenRowKey(incident)), incident, body);
        }
    }

    private async Task RegisterStationAsync(StationId station, CancellationToken cancellationToken)
    {
        if (knownStations.ContainsKey(station.Value))
        {
            return;
        }

        await Guard(() => table.UpsertEntityAsync(new TableEntity(StationsPartition, station.Value), TableUpdateMode.Merge, cancellationToken), cancellationToken);
        knownStations[station.Value] = true;
    }

    private async Task<List<string>> StationsAsync(CancellationToken cancellationToken) =>
        await Guard(async () =>
        {
            var stations = new List<string>();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StationsPartition}");
            await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, ["RowKey"], cancellationToken))
            {
                stations.Add(row.RowKey);
            }

            return stations;
        }, cancellationToken);

    /// <summary>The incident's columns; <paramref name="body"/> is its JSON, serialized once for all the rows that carry it.</summary>
    private static TableEntity WithBody(TableEntity entity, Incident incident, string? body = null)
    {
        entity["Body"] = body ?? JsonSerializer.Serialize(IncidentDocument.From(incident), Json.Options);
        entity["Status"] = incident.Status.Name();
        entity["Priority"] = incident.Report.Priority.Name();
        entity["IsOpen"] = incident.IsOpen;
        entity["ReportedAt"] = incident.ReportedAt.ToDateTimeOffset();
        if (incident.IsOpen && incident.NextDeadline is { } next)
        {
            entity["NextDeadline"] = next.ToDateTimeOffset();
        }

        return entity;
    }

    private static TableEntity EventRow(IncidentEvent e) =>
        new(e.IncidentId.Station.Value, $"event|{e.IncidentId.Value}|{e.Sequence:D6}")
        {
            ["Body"] = JsonSerializer.Serialize(EventDocument.From(e), Json.Options),
            ["Kind"] = e.Kind.Name(),
            ["At"] = e.At.ToDateTimeOffset(),
        };

    private static Incident ReadBody(TableEntity entity) =>
        JsonSerializer.Deserialize<IncidentDocument>(entity.GetString("Body"), Json.Options)!.ToIncident();

    private static string? EncodeToken(string? token) =>
        token is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(token)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            // The SDK's tokens are "{next partition key} {next row key}"; anything else did not come from us.
            return decoded.Split(' ').Length == 2 ? decoded : throw new InvalidContinuationTokenException();
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException();
        }
    }

    /// <summary>Creates the table once, and turns "storage did not answer" into <see cref="StorageUnavailableException"/>.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureTableAsync(cancellationToken);
            return await operation();
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            // A deployment fault, not the caller's: the app's identity lacks its role on the table.
            throw new StorageUnavailableException($"Table storage refused the app's credentials ({e.Status} {e.ErrorCode}): check its role assignment on the table.", e);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            throw new StorageUnavailableException("Table storage did not answer.", e);
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        // Two callers racing here both call CreateIfNotExists, which is harmless; a failure is retried next time.
        var creation = tableCreation ??= CreateTableAsync();
        try
        {
            await creation.WaitAsync(cancellationToken);
        }
        catch
        {
            _ = Interlocked.CompareExchange(ref tableCreation, null, creation);
            throw;
        }
    }

    /// <remarks>
    /// In Azure the table comes with the deployment and the app's role is scoped to that one table, which does
    /// not cover creating tables: a 403 here means "provisioned by the deployment", and the data calls that
    /// follow show whether the role itself is there.
    /// </remarks>
    private async Task CreateTableAsync()
    {
        try
        {
            await table.CreateIfNotExistsAsync(CancellationToken.None);
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
        }
    }

    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        TableTransactionFailedException => false,
        RequestFailedException r => r.Status is 0 or 408 or 500 or 502 or 503 or 504,
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException a => a.InnerExceptions.All(inner => IsUnavailable(inner, cancellationToken)),
        _ => false,
    };
}
