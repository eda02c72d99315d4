using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Units;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using NodaTime;

namespace Dispatch.Functions.Http;

/// <summary>A station's units: who is free, what each is doing since when, and its timeline.</summary>
public sealed class UnitFunctions(UnitService units, PositionService positions, CandidateService candidates, Endpoint endpoint, IClock clock)
{
    [Function("ListUnits")]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stations/{station}/units")] HttpRequest request, string station) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!StationId.TryParse(station, out var stationId))
            {
                return Problem.Field("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
            }

            var list = await units.ListAsync(call, stationId, ct);
            var latest = await positions.LatestAsync(call, stationId, ct);
            var now = clock.GetCurrentInstant();
            return new ApiResult(200, new UnitListResource(stationId.Value, now,
                [.. list.Select(view => UnitResource.From(view, AccessPolicy.UnitActions(call.Caller, stationId, view.Unit.Id))
                    with { Position = latest is not null && latest.TryGetValue(view.Unit.Id, out var at) ? PositionResource.Of(at, now, positions.Rules) : null })],
                AccessPolicy.CanManageUnits(call.Caller, stationId) ? ["declare"] : []));
        });

    [Function("PutUnit")]
    public Task<IActionResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "stations/{station}/units/{unit}")] HttpRequest request, string station, string unit) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = Route(station, unit, out var stationId);
            var (body, failure) = await RequestReader.ReadObjectAsync(request, optional: false, ct);
            if (failure is not null)
            {
                return failure;
            }

            reader.RejectUnknown(body, "", ["name", "kind"], ["id", "status", "statusSince", "members", "position"]);
            var name = reader.Text(body, "name", required: true, maxLength: 100);
            var kind = reader.Text(body, "kind", required: false, maxLength: 64);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var (created, saved) = await units.PutAsync(call, stationId, unit, name!, kind, ct);
            return new ApiResult(created ? 201 : 200, UnitResource.From(new UnitView(saved, []), AccessPolicy.UnitActions(call.Caller, stationId, saved.Id)));
        });

    [Function("SetUnitStatus")]
    public Task<IActionResult> SetStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stations/{station}/units/{unit}/status")] HttpRequest request, string station, string unit) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = Route(station, unit, out var stationId);
            var (body, failure) = await RequestReader.ReadObjectAsync(request, optional: false, ct);
            if (failure is not null)
            {
                return failure;
            }

            reader.RejectUnknown(body, "", ["status", "reason"], ["statusSince", "by", "actor"]);
            var status = reader.Choice<UnitStatus>(body, "status", UnitNames.TryParse, UnitNames.Settable);
            if (status is UnitStatus.Dispatched or UnitStatus.OnScene)
            {
                reader.Add("status", Phrase.Of("field.unit-status-follows", ("status", Phrase.Of($"unit-status.{status.Value.Name()}")), ("allowed", string.Join(", ", UnitNames.Settable))));
            }

            var reason = reader.Text(body, "reason", required: status == UnitStatus.OutOfService, maxLength: 200);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var moved = await units.SetStatusAsync(call, stationId, unit, status!.Value, reason, ct);
            return new ApiResult(200, UnitResource.From(new UnitView(moved, []), AccessPolicy.UnitActions(call.Caller, stationId, moved.Id)));
        });

    [Function("ReportUnitPosition")]
    public Task<IActionResult> ReportPosition(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "stations/{station}/units/{unit}/position")] HttpRequest request, string station, string unit) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = Route(station, unit, out var stationId);
            var (body, failure) = await RequestReader.ReadObjectAsync(request, optional: false, ct);
            if (failure is not null)
            {
                return failure;
            }

            reader.RejectUnknown(body, "", ["latitude", "longitude", "accuracy"], ["at", "age", "stale"]);
            var latitude = reader.Number(body, "latitude", -90, 90);
            var longitude = reader.Number(body, "longitude", -180, 180);
            var accuracy = reader.Number(body, "accuracy", 0, Position.MaxAccuracy);
            foreach (var (name, value) in new[] { ("latitude", latitude), ("longitude", longitude), ("accuracy", accuracy) })
            {
                if (value is null && !reader.Errors.ContainsKey(name))
                {
                    reader.Add(name, Phrase.Of("field.required"));
                }
            }

            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var recorded = await positions.ReportAsync(call, stationId, unit, latitude!.Value, longitude!.Value, accuracy!.Value, ct);
            return new ApiResult(200, PositionResource.Of(recorded, clock.GetCurrentInstant(), positions.Rules));
        });

    /// <summary>The unit's trail within retention, newest first: the station's dispatchers, duty officers and chief only.</summary>
    [Function("GetUnitPositions")]
    public Task<IActionResult> Trail(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stations/{station}/units/{unit}/positions")] HttpRequest request, string station, string unit) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = Route(station, unit, out var stationId);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var trail = await positions.TrailAsync(call, stationId, unit, ct);
            var now = clock.GetCurrentInstant();
            return new ApiResult(200, new TrailResource(stationId.Value, unit, [.. trail.Select(p => PositionResource.Of(p, now, positions.Rules))]));
        });

    /// <summary>Who to send: the station's units ranked for the incident, available first, by estimated travel time.</summary>
    [Function("GetIncidentCandidates")]
    public Task<IActionResult> Candidates(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents/{id}/candidates")] HttpRequest request, string id) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!Endpoint.TryParseId(id, out var incidentId, out var failure))
            {
                return failure!;
            }

            var ranked = await candidates.RankAsync(call, incidentId, ct);
            return new ApiResult(200, CandidateListResource.From(ranked, Words.For(ApiLanguage.Of(request.HttpContext))));
        });

    [Function("GetUnitTimeline")]
    public Task<IActionResult> Timeline(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stations/{station}/units/{unit}/timeline")] HttpRequest request, string station, string unit) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = Route(station, unit, out var stationId);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var changes = await units.TimelineAsync(call, stationId, unit, ct);
            return new ApiResult(200, new UnitTimelineResource(stationId.Value, unit, [.. changes.Select(UnitChangeResource.Of)]));
        });

    private static RequestReader Route(string station, string unit, out StationId stationId)
    {
        var reader = new RequestReader();
        if (!StationId.TryParse(station, out stationId))
        {
            reader.Add("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
        }

        if (!Unit.IsValidId(unit))
        {
            reader.Add("unit", Phrase.Of("field.unit", ("rule", Phrase.Of("rule.unit"))));
        }

        return reader;
    }
}

public sealed record UnitListResource(string Station, Instant At, IReadOnlyList<UnitResource> Units, IReadOnlyList<string> Actions);

/// <param name="StatusSince">Null for a unit only the roster names, whose status nobody has changed.</param>
public sealed record UnitResource(
    string Id, string Name, string? Kind, IReadOnlyList<PersonResource> Members, string Status, Instant? StatusSince, string? Reason, string? Incident,
    IReadOnlyList<string> Actions)
{
    /// <summary>The latest position, only for those who may read positions (<see cref="AccessPolicy.CanReadPositions"/>); null otherwise or when none is kept.</summary>
    public PositionResource? Position { get; init; }

    public static UnitResource From(UnitView view, IReadOnlyList<string> actions) => new(
        view.Unit.Id, view.Unit.Name, view.Unit.Kind, [.. view.Members.Select(PersonResource.From)], view.Unit.Status.Name(), view.Unit.StatusSince,
        view.Unit.Reason, view.Unit.Incident?.Value, actions);
}

public sealed record UnitTimelineResource(string Station, string Unit, IReadOnlyList<UnitChangeResource> Changes);

public sealed record UnitChangeResource(
    Instant At, PersonResource By, string From, string To, string Cause, string? Reason, string? Incident, string? DivertedFrom)
{
    public static UnitChangeResource Of(UnitStatusChange change) => new(
        change.At, PersonResource.From(change.Actor), change.From.Name(), change.To.Name(), change.Cause.Name(), change.Reason, change.Incident?.Value,
        change.DivertedFrom?.Value);
}

/// <summary>A position with its age by the server's clock; <c>stale</c> once older than the policy's limit.</summary>
public sealed record PositionResource(double Latitude, double Longitude, double Accuracy, Instant At, string Age, bool Stale)
{
    public static PositionResource Of(Position position, Instant now, Core.Policy.UnitRules rules) => new(
        position.Latitude, position.Longitude, position.Accuracy, position.At, Core.IsoDuration.Format(position.AgeAt(now)), position.IsStaleAt(now, rules));
}

public sealed record TrailResource(string Station, string Unit, IReadOnlyList<PositionResource> Positions);

/// <param name="Reason">Why the list is not ranked, worded in the request's language (Accept-Language); null when it is ranked.</param>
/// <param name="Estimate">How the minutes are estimated: straight-line distance × <c>roadFactor</c> ÷ the zone's speed; an estimate, not a route.</param>
public sealed record CandidateListResource(string Incident, bool Ranked, string? Reason, EstimateResource Estimate, IReadOnlyList<CandidateResource> Candidates)
{
    public static CandidateListResource From(CandidateList list, Words words) => new(
        list.Incident.Value, list.Ranked, list.Unranked is { } why ? words[$"candidates.unranked.{why}"] : null,
        new EstimateResource(words["candidates.method"], list.Rules.RoadFactor, list.Rules.SpeedsKmh.ToDictionary(s => s.Key.Name(), s => s.Value)),
        [.. list.Candidates.Select(CandidateResource.From)]);
}

public sealed record EstimateResource(string Method, double RoadFactor, IReadOnlyDictionary<string, double> SpeedsKmh);

/// <param name="DistanceMeters">Straight-line, rounded to the metre; null without a position (or without the incident's coordinates).</param>
/// <param name="EtaMinutes">Estimated minutes, to a tenth.</param>
public sealed record CandidateResource(
    string Unit, string Name, string Status, double? DistanceMeters, double? EtaMinutes, string? PositionAge, bool Stale, bool? WithinArrivalWindow)
{
    public static CandidateResource From(Candidate c) => new(
        c.Unit.Id, c.Unit.Name, c.Unit.Status.Name(), c.DistanceMeters is { } d ? Math.Round(d) : null, c.EtaMinutes is { } m ? Math.Round(m, 1) : null,
        c.PositionAge is { } age ? Core.IsoDuration.Format(age) : null, c.Stale, c.WithinArrivalWindow);
}
