using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Http;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The audit trail: each record in its station's partition (or <c>_audit</c> when it names none), where a
/// change commits it in its own transaction, and a copy under the person (<c>auditby|{subject}</c>) for
/// "what did this officer do". Rows are only ever added; nothing in the app updates or deletes them.
/// </summary>
public sealed class TableAuditTrail(DispatchTable table) : IAuditTrail
{
    public Task PrepareAsync(AuditRecord record, CancellationToken cancellationToken) =>
        table.RunAsync(() => table.Client.UpsertEntityAsync(AuditRows.ByPerson(record, pending: true), TableUpdateMode.Replace, cancellationToken), cancellationToken);

    public Task RecordAsync(AuditRecord record, CancellationToken cancellationToken) =>
        Task.WhenAll(
            table.RunAsync(() => table.Client.UpsertEntityAsync(AuditRows.Row(record), TableUpdateMode.Replace, cancellationToken), cancellationToken),
            table.RunAsync(() => table.Client.UpsertEntityAsync(AuditRows.ByPerson(record, pending: false), TableUpdateMode.Replace, cancellationToken), cancellationToken));

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        string filter;
        if (query.Station is { } station)
        {
            var (after, before) = TableKeys.AuditRange(query.From, query.To);
            filter = TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {after} and RowKey lt {before}");
            if (query.Subject is { } subject)
            {
                filter += " and " + TableClient.CreateQueryFilter($"Subject eq {subject}");
            }
        }
        else
        {
            var (after, before) = TableKeys.AuditByRange(query.From, query.To);
            filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.AuditByPartition(query.Subject!)} and RowKey gt {after} and RowKey lt {before}");
        }

        var token = ContinuationTokens.Decode(query.ContinuationToken);
        var page = await table.RunAsync(async () =>
        {
            await foreach (var p in table.Client.QueryAsync<TableEntity>(filter, query.PageSize, null, cancellationToken).AsPages(token, query.PageSize).WithCancellation(cancellationToken))
            {
                return p;
            }

            return null;
        }, cancellationToken);
        if (page is null)
        {
            return new AuditPage([], null);
        }

        var records = await Task.WhenAll(page.Values.Select(row => ResolveAsync(row, cancellationToken)));
        return new AuditPage(records, ContinuationTokens.Encode(page.ContinuationToken));
    }

    /// <summary>
    /// A by-person copy written before its change committed says "pending": the record in the station's
    /// partition tells what happened. If there is none, the request never finished, and the copy is shown
    /// with outcome 0 rather than hidden.
    /// </summary>
    private async Task<AuditRecord> ResolveAsync(TableEntity row, CancellationToken cancellationToken)
    {
        if (row.GetBoolean("Pending") != true)
        {
            return AuditRows.Read(row);
        }

        var source = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(row.GetString("SourcePartition"), row.GetString("SourceRow"), cancellationToken: cancellationToken), cancellationToken);
        return source.HasValue ? AuditRows.Read(source.Value!) : AuditRows.Read(row) with { Outcome = AuditStatus.Read(0) };
    }
}

/// <summary>How an audit record becomes rows.</summary>
internal static class AuditRows
{
    public static TableEntity Row(AuditRecord record) =>
        Fill(new TableEntity(record.Station?.Value ?? TableKeys.GlobalAuditPartition, TableKeys.AuditRow(record.At, record.Id)), record);

    public static TableEntity ByPerson(AuditRecord record, bool pending)
    {
        var source = Row(record);
        var row = Fill(new TableEntity(TableKeys.AuditByPartition(record.Subject), TableKeys.AuditByRow(record.At, record.Id)), record);
        row["Pending"] = pending;
        row["SourcePartition"] = source.PartitionKey;
        row["SourceRow"] = source.RowKey;
        return row;
    }

    public static AuditRecord Read(TableEntity row) => new(
        row.GetString("Id"),
        Instant.FromDateTimeOffset(row.GetDateTimeOffset("At")!.Value),
        row.GetString("Subject"),
        row.GetString("Name"),
        (row.GetString("Roles") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
        row.GetString("Function"),
        row.GetString("Station") is { Length: > 0 } s ? StationId.Parse(s) : null,
        row.GetString("IncidentId") is { Length: > 0 } i ? IncidentId.Parse(i) : null,
        row.GetString("Change"),
        AuditStatus.Read(row.GetInt32("Outcome") ?? 0),
        row.GetString("ClientAddress"),
        row.GetString("CorrelationId") ?? "")
    {
        Count = row.GetInt32("Count") ?? 1,
    };

    private static TableEntity Fill(TableEntity row, AuditRecord record)
    {
        row["Id"] = record.Id;
        row["At"] = record.At.ToDateTimeOffset();
        row["Subject"] = record.Subject;
        row["Name"] = record.Name;
        row["Roles"] = string.Join(',', record.Roles);
        row["Function"] = record.Function;
        row["Station"] = record.Station?.Value ?? "";
        row["IncidentId"] = record.Incident?.Value ?? "";
        row["Change"] = record.Change ?? "";
        row["Outcome"] = AuditStatus.Of(record.Outcome);
        row["ClientAddress"] = record.ClientAddress ?? "";
        row["CorrelationId"] = record.CorrelationId;
        row["Count"] = record.Count;
        return row;
    }
}
