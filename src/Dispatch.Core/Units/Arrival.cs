using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;

namespace Dispatch.Core.Units;

/// <summary>A point a device sent with a request: where, and how sure (metres).</summary>
public sealed record ReportedPoint(double Latitude, double Longitude, double Accuracy);

/// <summary>
/// Whether the map agrees with an arrival: within <paramref name="RadiusMeters"/> (the policy's radius plus the
/// reported accuracy) of the incident's coordinates it is verified; farther, or without a position, unverified
/// with the distance (null without one). Never a refusal: addresses are sometimes wrong.
/// </summary>
/// <param name="UnitDistanceMeters">How far the unit's latest position (reported on its own) was from the scene at the arrival; null without one.</param>
/// <param name="UnitFar">That latest position was farther than the radius (plus its own accuracy): recorded, as the arrival itself is.</param>
public sealed record ArrivalCheck(bool Verified, double? DistanceMeters, double RadiusMeters, double? UnitDistanceMeters, bool UnitFar)
{
    /// <param name="latest">The unit's latest position within retention, if any.</param>
    public static ArrivalCheck Of(Location scene, ReportedPoint? reported, Position? latest, UnitRules rules)
    {
        var radius = rules.ArrivalRadiusMeters + (reported?.Accuracy ?? 0);
        if (scene.Latitude is not { } latitude || scene.Longitude is not { } longitude)
        {
            return new ArrivalCheck(false, null, radius, null, false);
        }

        double? distance = reported is null ? null : Haversine.DistanceMeters(reported.Latitude, reported.Longitude, latitude, longitude);
        double? unitDistance = latest is null ? null : Haversine.DistanceMeters(latest.Latitude, latest.Longitude, latitude, longitude);
        return new ArrivalCheck(
            distance is { } d && d <= radius, distance, radius, unitDistance,
            unitDistance is { } u && u > rules.ArrivalRadiusMeters + latest!.Accuracy);
    }
}
