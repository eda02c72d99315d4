using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The roster twice: per station (<c>roster|{subject}</c> rows, listed and changed with the audit record in
/// one transaction) and per person (one <c>member|{subject}</c> entity listing every station the person
/// serves at, read with one point read on every request to decide what the caller may do). The two are
/// written in the order that fails safe: a grant is listed before it takes effect, and a removal takes effect
/// before it is unlisted, so a crash in between never leaves extra access.
/// </summary>
public sealed class TableRosterStore(DispatchTable table, TableIncidentStore stations) : IRosterStore
{
    private const string MembershipsRow = "stations";

    private const int MaxConflictRetries = 8;

    public async Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken)
    {
        var (memberships, _) = await ReadMembershipsAsync(subject, cancellationToken);
        return [.. memberships.Select(m => m.ToMembership(subject)).OfType<Membership>()];
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
        await stations.RegisterStationAsync(membership.Station, audit.At, cancellationToken);
        var station = membership.Station.Value;
        await table.RunAsync(() => table.Client.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpsertReplace, Row(station, TableKeys.RosterRow(membership.Person.Subject), membership)),
            new(TableTransactionActionType.Add, AuditRows.Row(audit)),
            new(TableTransactionActionType.UpsertReplace, IncidentRows.StationVersion(membership.Station)),
        ], cancellationToken), cancellationToken);
        await ChangeMembershipsAsync(membership.Person.Subject, list =>
        {
            list.RemoveAll(m => m.Station == station);
            list.Add(new StoredMembership(station, membership.Person.Name, membership.Role.Name(), membership.Unit));
        }, cancellationToken);
    }

    public async Task<bool> RemoveAsync(StationId station, string subject, AuditRecord audit, CancellationToken cancellationToken)
    {
        await ChangeMembershipsAsync(subject, list => list.RemoveAll(m => m.Station == station.Value), cancellationToken);
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

    private async Task<(List<StoredMembership> List, ETag? ETag)> ReadMembershipsAsync(string subject, CancellationToken cancellationToken)
    {
        var response = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(TableKeys.MemberPartition(subject), MembershipsRow, cancellationToken: cancellationToken), cancellationToken);
        if (!response.HasValue)
        {
            return ([], null);
        }

        var json = response.Value!.GetString("Memberships");
        return (json is null ? [] : JsonSerializer.Deserialize(json, RosterJson.Default.ListStoredMembership) ?? [], response.Value.ETag);
    }

    /// <summary>Read, change, write back on the ETag read: two changes for one person at two stations both land.</summary>
    private async Task ChangeMembershipsAsync(string subject, Action<List<StoredMembership>> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (list, etag) = await ReadMembershipsAsync(subject, cancellationToken);
            change(list);
            var entity = new TableEntity(TableKeys.MemberPartition(subject), MembershipsRow) { ["Memberships"] = JsonSerializer.Serialize(list, RosterJson.Default.ListStoredMembership) };
            try
            {
                await table.RunAsync(
                    () => etag is { } e ? table.Client.UpdateEntityAsync(entity, e, TableUpdateMode.Replace, cancellationToken) : table.Client.AddEntityAsync(entity, cancellationToken),
                    cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxConflictRetries)
            {
            }
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

internal sealed record StoredMembership(string Station, string Name, string Role, string? Unit)
{
    public Membership? ToMembership(string subject) =>
        StationId.TryParse(Station, out var station) && RoleNames.TryParse(Role, out StationRole role)
            ? new Membership(station, new Person(subject, Name), role, Unit)
            : null;
}

[JsonSerializable(typeof(List<StoredMembership>))]
internal sealed partial class RosterJson : JsonSerializerContext;
