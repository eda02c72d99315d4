using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Http;

/// <summary>The audit trail, read-only: there is no function that writes, changes or deletes a record.</summary>
public sealed class AuditFunctions(AuditService audit, Endpoint endpoint, IClock clock)
{
    /// <summary>The range any query may name; every instant in it has a key, so a range inside it returns all it holds.</summary>
    private static readonly Instant Earliest = Instant.FromUtc(1, 1, 1, 0, 0);

    private static readonly Instant Latest = Instant.FromUtc(9999, 12, 31, 23, 59, 59);

    [Function("GetAuditTrail")]
    public Task<IActionResult> Query(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            var query = request.Query;
            StationId? station = null;
            if (query["station"].ToString() is { Length: > 0 } stationText)
            {
                if (StationId.TryParse(stationText, out var s))
                {
                    station = s;
                }
                else
                {
                    reader.Add("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
                }
            }

            var subject = query["subject"].ToString() is { Length: > 0 } subjectText ? subjectText : null;
            if (subject is not null && !Person.IsValidSubject(subject))
            {
                reader.Add("subject", Phrase.Of("field.subject", ("rule", Phrase.Of("rule.subject"))));
            }

            if (station is null && subject is null && !reader.HasErrors)
            {
                reader.Add("station", Phrase.Of("field.audit-who"));
            }

            var now = clock.GetCurrentInstant();
            var to = ReadInstant(reader, query["to"].ToString(), "to") ?? now;
            var from = ReadInstant(reader, query["from"].ToString(), "from") ?? to - Duration.FromDays(1);
            if (from >= to)
            {
                reader.Add("from", Phrase.Of("field.before-to"));
            }

            var pageSize = 100;
            if (query["pageSize"].ToString() is { Length: > 0 } size && (!int.TryParse(size, out pageSize) || pageSize is < 1 or > 500))
            {
                reader.Add("pageSize", Phrase.Of("field.whole-number", ("min", 1), ("max", 500)));
            }

            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var token = query["continuationToken"].ToString();
            var page = await audit.QueryAsync(call, station, subject, from, to, pageSize, token.Length == 0 ? null : token, ct);
            return new ApiResult(200, new AuditPageResource([.. page.Items.Select(AuditRecordResource.From)], page.ContinuationToken, from, to));
        });

    /// <summary>An instant (<c>2026-11-28T08:00:00Z</c>) or a UTC date (<c>2026-11-28</c>, its start).</summary>
    private static Instant? ReadInstant(RequestReader reader, string text, string field)
    {
        if (text.Length == 0)
        {
            return null;
        }

        Instant? parsed = InstantPattern.ExtendedIso.Parse(text) is { Success: true } instant ? instant.Value
            : LocalDatePattern.Iso.Parse(text) is { Success: true } date ? date.Value.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant()
            : null;
        if (parsed is null)
        {
            reader.Add(field, Phrase.Of("field.instant"));
            return null;
        }

        if (parsed < Earliest || parsed > Latest)
        {
            reader.Add(field, Phrase.Of("field.audit-years"));
            return null;
        }

        return parsed;
    }
}

public sealed record AuditRecordResource(
    string Id, Instant At, PersonResource Actor, IReadOnlyList<string> Roles, string Function, string? Station, string? IncidentId,
    string? Change, int Outcome, string? ClientAddress, string CorrelationId, int Count)
{
    public static AuditRecordResource From(AuditRecord r) => new(
        r.Id, r.At, new PersonResource(r.Subject, r.Name), r.Roles, r.Function, r.Station?.Value, r.Incident?.Value,
        string.IsNullOrEmpty(r.Change) ? null : r.Change, AuditStatus.Of(r.Outcome), string.IsNullOrEmpty(r.ClientAddress) ? null : r.ClientAddress, r.CorrelationId, r.Count);
}

public sealed record AuditPageResource(IReadOnlyList<AuditRecordResource> Items, string? ContinuationToken, Instant From, Instant To);
