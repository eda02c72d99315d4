using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The due index in its own table and partitions, spread over <c>DISPATCH_INDEX_SHARDS</c> of them by incident: clock
/// entries in <c>due-{n}</c>, notices entries in <c>outbox-{n}</c>. A sweep reads each partition's range up to
/// now, so what it costs follows what is due, never the number of stations or running incidents.
/// </summary>
public sealed class TableDueIndex(DueIndexTable index, IOptions<DispatchSettings> settings) : IDueIndex
{
    private readonly DispatchTable table = index.Table;
    private readonly int shards = settings.Value.IndexShards;

    /// <summary>Entries of one partition in transactions of up to 100, the partitions' requests at once.</summary>
    public Task AddAsync(IReadOnlyList<DueEntry> entries, CancellationToken cancellationToken) =>
        table.SubmitInBatchesAsync(entries.Select(entry => (IReadOnlyList<TableTransactionAction>)[Upsert(Row(entry))]), cancellationToken);

    public async Task<IReadOnlyList<DueEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken)
    {
        var upTo = TableKeys.DueUpTo(now);
        var partitions = Enumerable.Range(0, shards).SelectMany(shard => new[] { TableKeys.DuePartition(DueReason.Clock, shard), TableKeys.DuePartition(DueReason.Notices, shard) });
        var pages = await Task.WhenAll(partitions.Select(partition => table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {upTo}"), ["PartitionKey", "RowKey", "Since"], cancellationToken, max)));
        return [.. pages.SelectMany(rows => rows).Select(Parse).OfType<DueEntry>().OrderBy(e => e.At).Take(max)];
    }

    public async Task ReplaceAsync(DueEntry old, DueEntry? replacement, CancellationToken cancellationToken)
    {
        var oldRow = Row(old);
        if (replacement is not null)
        {
            var newRow = Row(replacement);
            if (newRow.PartitionKey == oldRow.PartitionKey && newRow.RowKey != oldRow.RowKey)
            {
                try
                {
                    // One transaction: the new entry is in before the old one is gone, and never the other way round.
                    await table.RunAsync(() => table.Client.SubmitTransactionAsync(
                        [new(TableTransactionActionType.UpsertReplace, newRow), new(TableTransactionActionType.Delete, oldRow, ETag.All)], cancellationToken), cancellationToken);
                    return;
                }
                catch (TableTransactionFailedException e) when (e.Status == 404)
                {
                    // Another sweep removed the old entry first; still make sure the new one is in.
                }
            }

            await table.RunAsync(() => table.Client.UpsertEntityAsync(newRow, TableUpdateMode.Replace, cancellationToken), cancellationToken);
            if (newRow.PartitionKey == oldRow.PartitionKey && newRow.RowKey == oldRow.RowKey)
            {
                return;
            }
        }

        await table.RunAsync(async () =>
        {
            try
            {
                await table.Client.DeleteEntityAsync(oldRow.PartitionKey, oldRow.RowKey, ETag.All, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A replacement within one partition is one pair of actions (the new entry upserted, the old one deleted) that
    /// always shares a transaction, so it is whole or not at all; pairs and removals of one partition go up to 50 to a
    /// transaction. A replacement into another partition writes the new entry first and deletes the old one only
    /// once every such write is in.
    /// </remarks>
    public async Task ReplaceAllAsync(IReadOnlyList<DueReplacement> replacements, CancellationToken cancellationToken)
    {
        var first = new List<IReadOnlyList<TableTransactionAction>>();
        var then = new List<IReadOnlyList<TableTransactionAction>>();
        foreach (var (old, replacement) in replacements)
        {
            var oldRow = Row(old);
            var newRow = replacement is null ? null : Row(replacement);
            if (newRow is null)
            {
                first.Add([Delete(oldRow)]);
            }
            else if (newRow.PartitionKey != oldRow.PartitionKey)
            {
                first.Add([Upsert(newRow)]);
                then.Add([Delete(oldRow)]);
            }
            else
            {
                first.Add(newRow.RowKey == oldRow.RowKey ? [Upsert(newRow)] : [Upsert(newRow), Delete(oldRow)]);
            }
        }

        await table.SubmitInBatchesAsync(first, cancellationToken);
        await table.SubmitInBatchesAsync(then, cancellationToken);
    }

    public async Task<(int Count, Instant? OldestSince)> PendingNoticesAsync(CancellationToken cancellationToken)
    {
        var pages = await Task.WhenAll(Enumerable.Range(0, shards).Select(shard => table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.DuePartition(DueReason.Notices, shard)}"), ["PartitionKey", "RowKey", "Since"], cancellationToken)));
        var entries = pages.SelectMany(rows => rows).Select(Parse).OfType<DueEntry>().ToList();
        return (entries.Count, entries.Select(e => e.Since).Where(s => s is not null).DefaultIfEmpty(null).Min());
    }

    private static TableTransactionAction Upsert(TableEntity row) => new(TableTransactionActionType.UpsertReplace, row);

    private static TableTransactionAction Delete(TableEntity row) => new(TableTransactionActionType.Delete, row, ETag.All);

    private TableEntity Row(DueEntry entry)
    {
        var row = new TableEntity(TableKeys.DuePartition(entry.Reason, TableKeys.ShardOf(entry.Incident, shards)), TableKeys.DueRow(entry));
        if (entry.Since is { } since)
        {
            row["Since"] = since.ToDateTimeOffset();
        }

        return row;
    }

    /// <summary>An entry from its row key (<c>{ticks}|{incident}|clock</c> or <c>…|{key}</c>); null for a row that is not one.</summary>
    private static DueEntry? Parse(TableEntity row)
    {
        var parts = row.RowKey.Split('|');
        if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || !IncidentId.TryParse(parts[1], out var id))
        {
            return null;
        }

        var at = Instant.FromUnixTimeTicks(ticks);
        var since = row.GetDateTimeOffset("Since") is { } s ? Instant.FromDateTimeOffset(s) : (Instant?)null;
        return row.PartitionKey.StartsWith("due-", StringComparison.Ordinal)
            ? DueEntry.ForClock(id, at)
            : new DueEntry(id, at, DueReason.Notices, parts[2], since);
    }
}
