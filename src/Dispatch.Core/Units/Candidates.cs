using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Units;

/// <summary>Great-circle distance on a sphere.</summary>
public static class Haversine
{
    /// <summary>
    /// The mean Earth radius R1 = (2a + b) / 3 of GRS 80 (Moritz, "Geodetic Reference System 1980", J. Geodesy 74,
    /// 2000: 6,371,008.7714 m), rounded to the decimetre.
    /// </summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>
    /// The haversine formula (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 1984):
    /// a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2), d = 2R asin √a. On a sphere it is exact; against the ellipsoid
    /// it errs by up to about 0.5 %, far below what a road factor already approximates.
    /// </summary>
    public static double DistanceMeters(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        var phi1 = Radians(latitude1);
        var phi2 = Radians(latitude2);
        var sinHalfPhi = Math.Sin((phi2 - phi1) / 2);
        var sinHalfLambda = Math.Sin(Radians(longitude2 - longitude1) / 2);
        var a = (sinHalfPhi * sinHalfPhi) + (Math.Cos(phi1) * Math.Cos(phi2) * sinHalfLambda * sinHalfLambda);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private static double Radians(double degrees) => degrees * Math.PI / 180;
}

/// <summary>
/// One unit as a candidate for an incident: its status, and, when both it and the incident have a position, the
/// straight-line distance, the estimated minutes (distance × road factor ÷ the zone's speed) and whether it would
/// arrive before the arrival clock's deadline.
/// </summary>
public sealed record Candidate(Unit Unit, double? DistanceMeters, double? EtaMinutes, Duration? PositionAge, bool Stale, bool? WithinArrivalWindow);

/// <summary>The ranking, or why there is none (the incident has no coordinates: the available units, unranked).</summary>
/// <param name="Unranked">Why the list is not ranked, as a code the edge words (<see cref="NoCoordinates"/>); null when it is ranked.</param>
public sealed record CandidateList(IncidentId Incident, string? Unranked, UnitRules Rules, IReadOnlyList<Candidate> Candidates)
{
    /// <summary>The incident has no coordinates, so no distance can be estimated.</summary>
    public const string NoCoordinates = "no-coordinates";

    public bool Ranked => Unranked is null;
}

/// <summary>Who is free and how far: the station's units ranked for one incident (README, "Units").</summary>
public sealed class CandidateService(IIncidentStore incidents, UnitService units, IPositionStore positions, IClock clock, ResponsePolicy policy)
{
    public async Task<CandidateList> RankAsync(ApiCall call, IncidentId id, CancellationToken cancellationToken)
    {
        call.Station = id.Station;
        call.Incident = id;
        call.Change = "read candidates";
        if (!AccessPolicy.CanRead(call.Caller, id.Station))
        {
            throw new IncidentNotFoundException(id);
        }

        if (!AccessPolicy.CanDispatch(call.Caller, id.Station))
        {
            throw new ForbiddenException($"Only those who may dispatch at {id.Station} may ask whom to send.")
            {
                Refusal = new("may-not-ask-candidates", ("station", id.Station.Value)),
            };
        }

        var stored = await incidents.FindAsync(id, cancellationToken) ?? throw new IncidentNotFoundException(id);
        var rules = policy.UnitRules;
        var now = clock.GetCurrentInstant();
        var list = units.ListAsync(call, id.Station, cancellationToken);
        var latest = await positions.LatestAsync(id.Station, now - rules.TrailRetention, cancellationToken);
        call.Change = "read candidates";
        return Rank(stored.Incident, [.. (await list).Select(v => v.Unit)], latest, rules, now);
    }

    /// <summary>
    /// Available units first; within each group, fresh positions by estimated time, then stale ones by estimated time
    /// (marked), then units without a position. Ties keep the units' id order.
    /// </summary>
    public static CandidateList Rank(Incident incident, IReadOnlyList<Unit> units, IReadOnlyDictionary<string, Position> latest, UnitRules rules, Instant now)
    {
        var location = incident.Report.Location;
        if (location.Latitude is not { } latitude || location.Longitude is not { } longitude)
        {
            return new CandidateList(incident.Id, CandidateList.NoCoordinates, rules,
                [.. units.Where(u => u.Status == UnitStatus.Available).OrderBy(u => u.Id, StringComparer.OrdinalIgnoreCase)
                    .Select(u => Unplaced(u, latest, rules, now))]);
        }

        var speedKmh = rules.SpeedsKmh[incident.Report.Zone];
        var deadline = incident.Clocks[ClockKind.Arrival].Deadline;
        var candidates = units.Select(unit =>
        {
            if (!latest.TryGetValue(unit.Id, out var position))
            {
                return new Candidate(unit, null, null, null, false, null);
            }

            var distance = Haversine.DistanceMeters(position.Latitude, position.Longitude, latitude, longitude);
            var minutes = distance * rules.RoadFactor / 1000 / speedKmh * 60;
            return new Candidate(unit, distance, minutes, position.AgeAt(now), position.IsStaleAt(now, rules),
                now + Duration.FromSeconds(minutes * 60) <= deadline);
        });
        return new CandidateList(incident.Id, null, rules,
        [
            .. candidates
                .OrderBy(c => c.Unit.Status == UnitStatus.Available ? 0 : 1)
                .ThenBy(c => c.EtaMinutes is null ? 2 : c.Stale ? 1 : 0)
                .ThenBy(c => c.EtaMinutes ?? 0)
                .ThenBy(c => c.Unit.Id, StringComparer.OrdinalIgnoreCase),
        ]);
    }

    private static Candidate Unplaced(Unit unit, IReadOnlyDictionary<string, Position> latest, UnitRules rules, Instant now) =>
        latest.TryGetValue(unit.Id, out var position)
            ? new Candidate(unit, null, null, position.AgeAt(now), position.IsStaleAt(now, rules), null)
            : new Candidate(unit, null, null, null, false, null);
}
