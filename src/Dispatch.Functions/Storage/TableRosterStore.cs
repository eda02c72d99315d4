using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The roster twice: per station (<c>roster|{subject}</c> rows, listed and changed with the audit record in
/// one transaction) and per person (<c>member|{subject}</c>, read on every request to decide what the caller
/// may do). The two are written in the order that fails safe: a grant is listed before it takes effect, and
/// a removal takes effect before it is unlisted, so a crash in between never leaves extra access.
/// </summary>
public sealed class TableRosterStore(DispatchTable table, TableIncidentStore stations) : IRosterStore
{
    public async Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken)
    {
        var rows = await table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.MemberPartition(subject)}"), null, cancellationToken);
        return [.. rows.Select(row => Read(StationId.Parse(row.RowKey), subject, row)).OfType<Membership>()];
    }

    public async Task<IReadOnlyList<Membership>> RosterOfAsync(StationId station, CancellationToken cancellationToken)
    {
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {"roster|"} and RowKey lt {"roster}"}"), null, cancellationToken);
        return [.. rows.Select(row => Read(station, row.RowKey["roster|".Length..], row)).OfType<Membership>()];
    }

    public async Task<Membership?> FindAsync(StationId station, string subject, CancellationToken cancellationToken)
    {
        if (!Person.IsValidSubject(subject))
        {
            return null;
        }

        var response = await table.RunAsync(() => table.Client.GetEntityIfExistsAsync<TableEntity>(station.Value, TableKeys.RosterRow(subject), cancellationToken: cancellationToken), cancellationToken);
        return response.HasValue ? Read(station, subject, response.Value!) : null;
    }

    public async Task PutAsync(Membership membership, AuditRecord audit, CancellationToken cancellationToken)
    {
        await stations.RegisterStationAsync(membership.Station, cancellationToken);
        var station = membership.Station.Value;
        await table.RunAsync(() => table.Client.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpsertReplace, Row(station, TableKeys.RosterRow(membership.Person.Subject), membership)),
            new(TableTransactionActionType.Add, AuditRows.Row(audit)),
            new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(membership.Station)),
        ], cancellationToken), cancellationToken);
        await table.RunAsync(() => table.Client.UpsertEntityAsync(Row(TableKeys.MemberPartition(membership.Person.Subject), station, membership), TableUpdateMode.Replace, cancellationToken), cancellationToken);
    }

    public async Task<bool> RemoveAsync(StationId station, string subject, AuditRecord audit, CancellationToken cancellationToken)
    {
        await table.RunAsync(async () =>
        {
            try
            {
                await table.Client.DeleteEntityAsync(TableKeys.MemberPartition(subject), station.Value, ETag.All, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }
        }, cancellationToken);
        try
        {
            await table.RunAsync(() => table.Client.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.Delete, new TableEntity(station.Value, TableKeys.RosterRow(subject)), ETag.All),
                new(TableTransactionActionType.Add, AuditRows.Row(audit)),
                new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(station)),
            ], cancellationToken), cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static TableEntity Row(string partition, string row, Membership membership)
    {
        var entity = new TableEntity(partition, row)
        {
            ["Subject"] = membership.Person.Subject,
            ["Name"] = membership.Person.Name,
            ["Role"] = membership.Role.Name(),
        };
        if (membership.Unit is not null)
        {
            entity["Unit"] = membership.Unit;
        }

        return entity;
    }

    private static Membership? Read(StationId station, string subject, TableEntity row) =>
        RoleNames.TryParse(row.GetString("Role"), out StationRole role)
            ? new Membership(station, new Person(subject, row.GetString("Name") ?? subject), role, row.GetString("Unit"))
            : null;
}
