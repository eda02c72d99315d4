using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Core.Units;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Positions in the station's partition: the latest per unit (<c>pos|</c>) and its trail (<c>trail|</c>, newest first).
/// Each report writes both and deletes the unit's trail points past retention in the same transaction; an expired
/// latest point is deleted by the next read of the station's positions.
/// </summary>
public sealed class TablePositionStore(DispatchTable table) : IPositionStore
{
    /// <summary>Room left in one transaction beside the latest point and the new trail point.</summary>
    private const int MaxExpiredPerReport = DispatchTable.MaxBatchActions - 2;

    public async Task RecordAsync(StationId station, string unit, Position position, Instant keepFrom, CancellationToken cancellationToken)
    {
        var (_, boundary, end) = TableKeys.TrailRange(unit, keepFrom);
        var expired = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {boundary} and RowKey lt {end}"), ["PartitionKey", "RowKey"], cancellationToken, MaxExpiredPerReport);
        var latest = Row(station, TableKeys.PositionRow(unit), unit, position);
        var point = Row(station, TableKeys.TrailRow(unit, position.At), unit, position);
        List<TableTransactionAction> Actions(bool withDeletes) =>
        [
            new(TableTransactionActionType.UpsertReplace, latest),
            new(TableTransactionActionType.Add, point),
            .. withDeletes ? expired.Select(row => new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All)) : [],
        ];
        try
        {
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(Actions(withDeletes: true), cancellationToken), cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 404 && expired.Count > 0)
        {
            // Another report of the unit deleted the same expired points first: the point still has to be kept.
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(Actions(withDeletes: false), cancellationToken), cancellationToken);
        }
    }

    public async Task<IReadOnlyDictionary<string, Position>> LatestAsync(StationId station, Instant keepFrom, CancellationToken cancellationToken)
    {
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {"pos|"} and RowKey lt {"pos}"}"), null, cancellationToken);
        var latest = new Dictionary<string, Position>(StringComparer.OrdinalIgnoreCase);
        var expired = new List<TableEntity>();
        foreach (var row in rows)
        {
            var position = Read(row);
            if (position.At < keepFrom)
            {
                expired.Add(row);
            }
            else
            {
                latest[row.GetString("Unit")] = position;
            }
        }

        if (expired.Count > 0)
        {
            await table.SubmitInBatchesAsync(
                expired.Chunk(DispatchTable.MaxBatchActions).Select(chunk => (IReadOnlyList<TableTransactionAction>)
                    [.. chunk.Select(row => new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All))]),
                cancellationToken);
        }

        return latest;
    }

    public async Task<IReadOnlyList<Position>> TrailAsync(StationId station, string unit, Instant keepFrom, CancellationToken cancellationToken)
    {
        var (start, boundary, _) = TableKeys.TrailRange(unit, keepFrom);
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {start} and RowKey lt {boundary}"), null, cancellationToken, 1000);
        return [.. rows.Select(Read)];
    }

    private static TableEntity Row(StationId station, string key, string unit, Position position) => new(station.Value, key)
    {
        ["Unit"] = unit,
        ["Latitude"] = position.Latitude,
        ["Longitude"] = position.Longitude,
        ["Accuracy"] = position.Accuracy,
        ["At"] = position.At.ToDateTimeOffset(),
    };

    private static Position Read(TableEntity row) => new(
        row.GetDouble("Latitude") ?? 0, row.GetDouble("Longitude") ?? 0, row.GetDouble("Accuracy") ?? 0, Instant.FromDateTimeOffset(row.GetDateTimeOffset("At")!.Value));
}
