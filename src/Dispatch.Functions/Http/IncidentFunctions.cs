using System.Text.Json;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Dispatch.Core.Audit;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Functions.Http;

/// <summary>The incident API: each function reads the request, calls one use case and maps its result.</summary>
public sealed class IncidentFunctions(IncidentService incidents, Endpoint endpoint, IClock clock, ResponsePolicy policy)
{
    private static readonly string[] ReportFields = ["station", "category", "priority", "zone", "location", "description", "channel", "reporterContact"];

    /// <summary>Fields the server stamps or takes from the caller's token; a client that sends them is told so.</summary>
    private static readonly string[] ServerOwnedFields =
        ["id", "status", "reportedAt", "reportedBy", "dispatchedAt", "onSceneAt", "resolvedAt", "closedAt", "cancelledAt", "clocks", "version", "policyVersion", "by", "actor"];

    [Function("ReportIncident")]
    public Task<IActionResult> Report(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var idempotencyKey = request.Headers["Idempotency-Key"].ToString().Trim();
            if (idempotencyKey.Length > 255 || idempotencyKey.Any(char.IsControl))
            {
                return Problem.Field("Idempotency-Key", Phrase.Of("field.idempotency-key"));
            }

            var (body, readFailure) = await RequestReader.ReadObjectAsync(request, optional: false, ct);
            if (readFailure is not null)
            {
                return readFailure;
            }

            var reader = new RequestReader();
            var report = ReadReport(reader, body);
            if (reader.HasErrors || report is null)
            {
                return Problem.Validation(reader.Errors);
            }

            var result = await incidents.ReportAsync(call, report, idempotencyKey.Length == 0 ? null : idempotencyKey, ct);
            if (result.Outcome == CreateOutcome.KeyReusedWithDifferentRequest)
            {
                return Problem.Unprocessable("Idempotency-Key", Phrase.Of("field.idempotency-key-reused"));
            }

            var stored = result.Stored!;
            // Relative links (RFC 9110 §10.2.2): built from the request's Host header they could point anywhere (issue 23).
            var response = Incident(call, stored, 201).WithHeader("Location", ApiRoute.Path($"incidents/{stored.Incident.Id}"));
            return result.Outcome == CreateOutcome.Replayed ? response.WithHeader("Idempotent-Replayed", "true") : response;
        });

    [Function("GetIncident")]
    public Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents/{id}")] HttpRequest request, string id) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!Endpoint.TryParseId(id, out var incidentId, out var failure))
            {
                return failure!;
            }

            return Incident(call, await incidents.FindAsync(call, incidentId, ct), 200);
        });

    [Function("ListIncidents")]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            var query = request.Query;
            if (!StationId.TryParse(query["station"].ToString(), out var station))
            {
                reader.Add("station", Phrase.Of("field.station-to-list", ("rule", Phrase.Of("rule.station"))));
            }

            // No status lists every incident; "any" is the filter's name in the audit line, not a value to send.
            var statusText = query["status"].ToString();
            StatusFilter? status = statusText.Length == 0 ? StatusFilter.Any
                : WireNames.TryParse(statusText, out StatusFilter named) && named != StatusFilter.Any ? named : null;
            if (status is null)
            {
                reader.Add("status", Phrase.Of("field.status-filter"));
            }

            Priority? priority = null;
            var priorityText = query["priority"].ToString();
            if (priorityText.Length > 0)
            {
                if (WireNames.TryParse(priorityText, out Priority p))
                {
                    priority = p;
                }
                else
                {
                    reader.Add("priority", Phrase.Of("field.priority"));
                }
            }

            var pageSize = 25;
            var pageSizeText = query["pageSize"].ToString();
            if (pageSizeText.Length > 0 && (!int.TryParse(pageSizeText, out pageSize) || pageSize is < 1 or > 100))
            {
                reader.Add("pageSize", Phrase.Of("field.whole-number", ("min", 1), ("max", 100)));
            }

            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var token = query["continuationToken"].ToString();
            // A board polls with If-None-Match: one point read answers "nothing of the station changed" (304).
            var version = await incidents.ListVersionAsync(call, station, status!.Value, priority, ct);
            var etag = version is null ? null : ListETag(version, request.QueryString.Value ?? "", call);
            if (etag is not null && request.Headers.IfNoneMatch.ToString() == etag)
            {
                return new ApiResult(304, null).WithHeader("ETag", etag);
            }

            var page = await incidents.ListAsync(call, station, status.Value, priority, pageSize, token.Length == 0 ? null : token, ct);
            string? next = null;
            if (page.ContinuationToken is not null)
            {
                var parameters = query.Where(q => q.Key != "continuationToken")
                    .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
                    .Append($"continuationToken={page.ContinuationToken}");
                next = ApiRoute.Path($"incidents?{string.Join('&', parameters)}");
            }

            var list = new ApiResult(200, new IncidentListResource(page.Items.Select(i => IncidentResource.From(i, call.Caller)).ToList(), page.ContinuationToken, next));
            return etag is null ? list : list.WithHeader("ETag", etag);
        });

    /// <summary>The stations the caller may read (a board's station picker), and what the caller may do at each.</summary>
    [Function("ListStations")]
    public Task<IActionResult> Stations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stations")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var stations = await incidents.StationsAsync(call, ct);
            return new ApiResult(200, new StationsResource(
                [.. stations.Select(s => s.Value)], stations.ToDictionary(s => s.Value, s => AccessPolicy.StationActions(call.Caller, s))));
        });

    /// <summary>
    /// Weak: the body also carries states computed at the moment of the response, which can change with time
    /// alone; what the tag promises is that no incident or roster line of the station changed.
    /// </summary>
    /// <remarks>
    /// The caller is part of the tag: each item lists what this caller may do, so another person's (or another
    /// token's roles') answer is another body. Roster changes at the station move its version already.
    /// </remarks>
    private static string ListETag(string version, string query, ApiCall call) =>
        $"W/\"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{version}|{query}|{call.Person.Subject}|{string.Join(',', call.Caller.Roles.Order())}")))[..24]}\"";

    [Function("GetIncidentTimeline")]
    public Task<IActionResult> Timeline(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents/{id}/timeline")] HttpRequest request, string id) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!Endpoint.TryParseId(id, out var incidentId, out var failure))
            {
                return failure!;
            }

            var events = await incidents.TimelineAsync(call, incidentId, ct);
            return new ApiResult(200, new TimelineResource(incidentId.Value, events.Select(EventResource.From).ToList()));
        });

    [Function("DispatchIncident")]
    public Task<IActionResult> Dispatch(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/dispatch")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["unit", "officer"], (reader, body) =>
        {
            var unit = reader.Text(body, "unit", required: true, maxLength: 64);
            var officer = reader.Subject(body, "officer", required: true);
            return new IncidentRequest.Dispatch(unit!, officer!);
        });

    [Function("ReassignIncident")]
    public Task<IActionResult> Reassign(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/reassign")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["unit", "officer", "reason"], (reader, body) =>
        {
            var unit = reader.Text(body, "unit", required: true, maxLength: 64);
            var officer = reader.Subject(body, "officer", required: true);
            var reason = reader.Text(body, "reason", required: false, maxLength: 500);
            return new IncidentRequest.Reassign(unit!, officer!, reason);
        });

    [Function("ArriveAtIncident")]
    public Task<IActionResult> Arrive(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/arrive")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: true, [], (_, _) => new IncidentRequest.Arrive());

    [Function("ResolveIncident")]
    public Task<IActionResult> Resolve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/resolve")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["outcome"], (reader, body) =>
        {
            var outcome = reader.Text(body, "outcome", required: true, maxLength: 500);
            return new IncidentRequest.Resolve(outcome!);
        });

    [Function("CloseIncident")]
    public Task<IActionResult> Close(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/close")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: true, [], (_, _) => new IncidentRequest.Close());

    [Function("CancelIncident")]
    public Task<IActionResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/cancel")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["reason"], (reader, body) =>
        {
            var reason = reader.Text(body, "reason", required: true, maxLength: 500);
            return new IncidentRequest.Cancel(reason!);
        });

    [Function("AcknowledgeIncident")]
    public Task<IActionResult> Acknowledge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/acknowledge")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: true, ["level"], (reader, body) =>
        {
            var level = reader.WholeNumber(body, "level", 1, 20);
            return new IncidentRequest.Acknowledge(level);
        });

    /// <summary>Pauses a running clock for a reason from the policy's list (issue 28); the answer's clock shows the pause.</summary>
    [Function("PauseIncidentClock")]
    public Task<IActionResult> Pause(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/pause")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["clock", "reason", "note"], (reader, body) =>
        {
            var clockKind = reader.Choice<ClockKind>(body, "clock", WireNames.TryParse, WireNames.Names<ClockKind>());
            var reasonText = reader.Text(body, "reason", required: true, maxLength: 64);
            var reason = policy.PauseRules.Find(reasonText);
            if (reasonText is not null && reason is null)
            {
                reader.Add("reason", Phrase.Of("field.choice", ("value", reasonText), ("allowed", string.Join(", ", policy.PauseRules.Reasons.Select(r => r.Name)))));
            }

            var note = reader.Text(body, "note", required: false, maxLength: 500);
            // Read only when the reader found no error: a missing clock or reason never reaches the use case.
            return new IncidentRequest.PauseClock(clockKind ?? default, reason!, note) { TellChiefAfter = policy.PauseRules.TellChiefAfter };
        });

    [Function("ResumeIncidentClock")]
    public Task<IActionResult> Resume(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents/{id}/resume")] HttpRequest request, string id) =>
        ChangeAsync(request, id, optionalBody: false, ["clock"], (reader, body) =>
            new IncidentRequest.ResumeClock(reader.Choice<ClockKind>(body, "clock", WireNames.TryParse, WireNames.Names<ClockKind>()) ?? default));

    /// <summary>Reads the body into the typed request <paramref name="bind"/> makes; a wrong field is a 400 before the use case sees it.</summary>
    private Task<IActionResult> ChangeAsync(HttpRequest request, string id, bool optionalBody, string[] fields, Func<RequestReader, JsonElement, IncidentRequest> bind) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!Endpoint.TryParseId(id, out var incidentId, out var failure))
            {
                return failure!;
            }

            var (body, readFailure) = await RequestReader.ReadObjectAsync(request, optionalBody, ct);
            if (readFailure is not null)
            {
                return readFailure;
            }

            var reader = new RequestReader();
            reader.RejectUnknown(body, "", fields, ServerOwnedFields);
            var change = bind(reader, body);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var stored = await incidents.ChangeAsync(call, incidentId, change, Endpoint.IfMatch(request), ct);
            return Incident(call, stored, 200);
        });

    private static IncidentReport? ReadReport(RequestReader reader, JsonElement body)
    {
        reader.RejectUnknown(body, "", ReportFields, ServerOwnedFields);
        var stationText = reader.Text(body, "station", required: true, maxLength: StationId.MaxLength);
        StationId station = default;
        if (stationText is not null && !StationId.TryParse(stationText, out station))
        {
            reader.Add("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
        }

        var category = reader.Text(body, "category", required: true, maxLength: 64)?.ToLowerInvariant();
        var priority = reader.Choice<Priority>(body, "priority", WireNames.TryParse, WireNames.Names<Priority>());
        var zone = reader.Choice<Zone>(body, "zone", WireNames.TryParse, WireNames.Names<Zone>());
        var channel = reader.Choice<Channel>(body, "channel", WireNames.TryParse, WireNames.Names<Channel>());
        var description = reader.Text(body, "description", required: false, maxLength: 4000) ?? "";
        var contact = reader.Text(body, "reporterContact", required: false, maxLength: 200);

        Location? location = null;
        if (reader.Nested(body, "location", required: true) is { } locationElement)
        {
            reader.RejectUnknown(locationElement, "location.", ["address", "latitude", "longitude"]);
            var address = reader.Text(locationElement, "address", required: true, maxLength: 500, prefix: "location.");
            var latitude = reader.Number(locationElement, "latitude", -90, 90, "location.");
            var longitude = reader.Number(locationElement, "longitude", -180, 180, "location.");
            if (latitude.HasValue != longitude.HasValue && !reader.HasErrors)
            {
                reader.Add(latitude.HasValue ? "location.longitude" : "location.latitude", Phrase.Of("field.lat-long"));
            }

            location = address is null ? null : new Location(address, latitude, longitude);
        }

        return reader.HasErrors || stationText is null || category is null || priority is null || zone is null || channel is null || location is null
            ? null
            : new IncidentReport(station, category, priority.Value, zone.Value, location, description, channel.Value, contact);
    }

    private ApiResult Incident(ApiCall call, StoredIncident stored, int status) =>
        new ApiResult(status, IncidentResource.From(IncidentView.Of(stored.Incident, clock.GetCurrentInstant()), call.Caller)).WithHeader("ETag", stored.ETag);
}
