using System.Text.Json;
using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>How an incident and its change become table rows.</summary>
internal static class IncidentRows
{
    /// <summary>The incident row's column naming the save that last wrote it (README, "State in tables").</summary>
    public const string WrittenBy = "WrittenBy";

    public static string BodyOf(Incident incident) => JsonSerializer.Serialize(IncidentDocument.From(incident), Json.Options);

    public static Incident Read(TableEntity entity) =>
        JsonSerializer.Deserialize<IncidentDocument>(entity.GetString("Body"), Json.Options)!.ToIncident();

    public static TableEntity Incident(Incident incident, string body) =>
        WithBody(new TableEntity(incident.Station.Value, TableKeys.IncidentRow(incident.Id)), incident, body);

    /// <summary>
    /// What an intake inserts into the station's partition: the incident, its first event(s), its outbox notices, its
    /// open-list entry and the audit record of the request (the station's version row and an idempotency record go
    /// with them in the intake's transaction). The incident row is marked <see cref="WrittenBy"/> <paramref name="write"/> when given.
    /// </summary>
    public static IEnumerable<TableTransactionAction> Created(Transition opened, AuditRecord audit, string? write = null)
    {
        var body = BodyOf(opened.Incident);
        var incident = Incident(opened.Incident, body);
        if (write is not null)
        {
            incident[WrittenBy] = write;
        }

        yield return new(TableTransactionActionType.Add, incident);
        foreach (var row in ChangeRows(opened, body))
        {
            yield return new(TableTransactionActionType.Add, row);
        }

        yield return new(TableTransactionActionType.Add, AuditRows.Row(audit));
    }

    /// <summary>The rows a change adds or replaces besides the incident: events, outbox notices, the open-list entry.</summary>
    public static IEnumerable<TableEntity> ChangeRows(Transition change, string body)
    {
        var incident = change.Incident;
        foreach (var e in change.Events)
        {
            yield return new TableEntity(incident.Station.Value, TableKeys.EventRow(e.IncidentId, e.Sequence))
            {
                ["Body"] = JsonSerializer.Serialize(EventDocument.From(e), Json.Options),
                ["Kind"] = e.Kind.Name(),
                ["At"] = e.At.ToDateTimeOffset(),
            };
        }

        foreach (var notice in change.Notices)
        {
            yield return new TableEntity(incident.Station.Value, TableKeys.OutboxRow(notice))
            {
                ["Body"] = JsonSerializer.Serialize(NoticeDocument.From(notice), Json.Options),
                ["Attempts"] = 0,
                ["NextAttemptAt"] = notice.At.ToDateTimeOffset(),
            };
        }

        if (incident.IsOpen)
        {
            yield return WithBody(new TableEntity(incident.Station.Value, TableKeys.OpenRow(incident.Id)), incident, body);
        }
    }

    /// <summary>The station's row in the register of stations known (added once: the first sight of the station stays).</summary>
    public static TableEntity StationRegistration(StationId station, Instant since) =>
        new(TableKeys.StationsPartition, station.Value) { [TableKeys.StationSince] = since.ToDateTimeOffset() };

    /// <summary>Replaced by every change of the station: its ETag tells a board whether anything changed.</summary>
    public static TableEntity StationVersion(StationId station) =>
        new(station.Value, TableKeys.StationVersionRow) { ["Change"] = Guid.NewGuid().ToString("N") };

    /// <summary>The incident's columns; <paramref name="body"/> is its JSON, serialized once for all the rows that carry it.</summary>
    private static TableEntity WithBody(TableEntity entity, Incident incident, string body)
    {
        entity["Body"] = body;
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
}
