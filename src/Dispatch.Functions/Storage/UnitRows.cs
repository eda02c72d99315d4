using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Units;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>How a unit and its timeline become rows of the station's partition (README, "State in tables").</summary>
internal static class UnitRows
{
    /// <summary>The unit written conditionally on the tag it was read with, or added when it was never stored.</summary>
    public static TableTransactionAction Write(StoredUnit? previous, Unit unit) => previous?.ETag is { } etag
        ? new(TableTransactionActionType.UpdateReplace, Row(unit), new ETag(etag))
        : new(TableTransactionActionType.Add, Row(unit));

    /// <summary>A move's rows: the unit, and its timeline entry.</summary>
    public static IEnumerable<TableTransactionAction> Of(UnitMove move) =>
        [Write(move.Previous, move.Next), new(TableTransactionActionType.Add, LogRow(move.Change))];

    public static TableEntity Row(Unit unit)
    {
        var row = new TableEntity(unit.Station.Value, TableKeys.UnitRow(unit.Id))
        {
            ["Id"] = unit.Id,
            ["Name"] = unit.Name,
            ["Status"] = unit.Status.Name(),
        };
        Optional(row, "Kind", unit.Kind);
        Optional(row, "Reason", unit.Reason);
        Optional(row, "Incident", unit.Incident?.Value);
        if (unit.StatusSince is { } since)
        {
            row["StatusSince"] = since.ToDateTimeOffset();
        }

        return row;
    }

    public static StoredUnit Read(TableEntity row)
    {
        var id = row.GetString("Id");
        return new StoredUnit(new Unit(
            StationId.Parse(row.PartitionKey),
            id,
            row.GetString("Name") ?? id,
            row.GetString("Kind"),
            UnitNames.TryParse(row.GetString("Status"), out UnitStatus status) ? status : throw new InvalidDataException($"Unit row {row.RowKey} has an unknown status."),
            row.GetDateTimeOffset("StatusSince") is { } since ? Instant.FromDateTimeOffset(since) : null,
            row.GetString("Reason"),
            row.GetString("Incident") is { Length: > 0 } incident ? IncidentId.Parse(incident) : null), row.ETag.ToString());
    }

    public static TableEntity LogRow(UnitStatusChange change)
    {
        var row = new TableEntity(change.Station.Value, TableKeys.UnitLogRow(change.Unit, change.At))
        {
            ["Unit"] = change.Unit,
            ["At"] = change.At.ToDateTimeOffset(),
            ["ActorSubject"] = change.Actor.Subject,
            ["ActorName"] = change.Actor.Name,
            ["From"] = change.From.Name(),
            ["To"] = change.To.Name(),
            ["Cause"] = change.Cause.Name(),
        };
        Optional(row, "Reason", change.Reason);
        Optional(row, "Incident", change.Incident?.Value);
        Optional(row, "DivertedFrom", change.DivertedFrom?.Value);
        return row;
    }

    public static UnitStatusChange ReadLog(TableEntity row) =>
        new(StationId.Parse(row.PartitionKey), row.GetString("Unit"), Instant.FromDateTimeOffset(row.GetDateTimeOffset("At")!.Value),
            new Person(row.GetString("ActorSubject"), row.GetString("ActorName")),
            Status(row, "From"), Status(row, "To"),
            UnitNames.TryParse(row.GetString("Cause"), out UnitCause cause) ? cause : throw new InvalidDataException($"Unit timeline row {row.RowKey} has an unknown cause."),
            row.GetString("Reason"),
            row.GetString("Incident") is { Length: > 0 } incident ? IncidentId.Parse(incident) : null)
        {
            DivertedFrom = row.GetString("DivertedFrom") is { Length: > 0 } from ? IncidentId.Parse(from) : null,
        };

    private static UnitStatus Status(TableEntity row, string key) =>
        UnitNames.TryParse(row.GetString(key), out UnitStatus status) ? status : throw new InvalidDataException($"Unit timeline row {row.RowKey} has an unknown '{key}'.");

    private static void Optional(TableEntity row, string key, string? value)
    {
        if (value is not null)
        {
            row[key] = value;
        }
    }
}

/// <summary>A station's units in its own partition, beside its roster; every change with its audit record in one transaction.</summary>
public sealed class TableUnitStore(DispatchTable table, TableIncidentStore stations) : IUnitStore
{
    public async Task<IReadOnlyList<StoredUnit>> ListAsync(StationId station, CancellationToken cancellationToken)
    {
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {"unit|"} and RowKey lt {"unit}"}"), null, cancellationToken);
        return [.. rows.Select(UnitRows.Read)];
    }

    public async Task<StoredUnit?> FindAsync(StationId station, string unit, CancellationToken cancellationToken)
    {
        var response = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(station.Value, TableKeys.UnitRow(unit), cancellationToken: cancellationToken), cancellationToken);
        return response.HasValue ? UnitRows.Read(response.Value!) : null;
    }

    public async Task PutAsync(StoredUnit? previous, Unit unit, Core.Audit.AuditRecord audit, CancellationToken cancellationToken)
    {
        await stations.RegisterStationAsync(unit.Station, audit.At, cancellationToken);
        await SubmitAsync(unit.Station, [UnitRows.Write(previous, unit), new(TableTransactionActionType.Add, AuditRows.Row(audit))], cancellationToken);
    }

    public Task MoveAsync(UnitMove move, Core.Audit.AuditRecord audit, CancellationToken cancellationToken) =>
        SubmitAsync(move.Change.Station, [.. UnitRows.Of(move), new(TableTransactionActionType.Add, AuditRows.Row(audit))], cancellationToken);

    public async Task<IReadOnlyList<UnitStatusChange>> TimelineAsync(StationId station, string unit, int limit, CancellationToken cancellationToken)
    {
        var prefix = TableKeys.UnitLogPrefix(unit);
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {prefix} and RowKey lt {prefix + "~"}"), null, cancellationToken, limit);
        return [.. rows.Select(UnitRows.ReadLog)];
    }

    /// <summary>The rows and the station's change marker (a board polling the station sees the unit move) together.</summary>
    private async Task SubmitAsync(StationId station, List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        actions.Add(new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(station)));
        try
        {
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(actions, cancellationToken), cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409 or 404)
        {
            throw new ConcurrencyConflictException();
        }
    }
}
