using Dispatch.Core.Units;

namespace Dispatch.Core.Tests;

/// <summary>
/// The distance the recommendation ranks by, checked against a hand computation of the haversine formula
/// (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2):159, 1984) with the GRS 80 mean radius
/// R1 = 6,371,008.8 m (H. Moritz, "Geodetic Reference System 1980", J. Geodesy 74, 2000), and against the published
/// check value of shared/notes/units-and-dispatch.md: Xi'an Bell Tower to the South Gate is about 1.1 km.
/// </summary>
public sealed class HaversineTests
{
    [Fact]
    public void Bell_tower_to_south_gate_is_the_hand_computed_1107_metres()
    {
        // Bell Tower 34.2610 N 108.9423 E; South Gate 34.2518 N 108.9469 E.
        // Δφ = -0.0092° = -1.605703e-4 rad, Δλ = 0.0046° = 8.028515e-5 rad
        // sin²(Δφ/2) = 6.445705e-9; cos φ1 · cos φ2 = 0.8264817 · 0.8265721 = 0.6831467; sin²(Δλ/2) = 1.611426e-9
        // a = 6.445705e-9 + 0.6831467 · 1.611426e-9 = 7.546545e-9; √a = 8.687085e-5; asin √a = 8.687085e-5
        // d = 2 · 6,371,008.8 m · 8.687085e-5 = 1,106.91 m
        var distance = Haversine.DistanceMeters(34.2610, 108.9423, 34.2518, 108.9469);

        Assert.Equal(1106.91, distance, 0.01);
        Assert.InRange(distance, 1050, 1150); // "about 1.1 km"
    }

    [Fact]
    public void The_distance_is_symmetric_zero_at_a_point_and_half_the_circumference_to_the_antipode()
    {
        Assert.Equal(
            Haversine.DistanceMeters(34.2610, 108.9423, 34.2630, 108.9395),
            Haversine.DistanceMeters(34.2630, 108.9395, 34.2610, 108.9423), 1e-9);
        Assert.Equal(0, Haversine.DistanceMeters(34.2610, 108.9423, 34.2610, 108.9423));
        // π · R: 3.14159265 · 6,371,008.8 m = 20,015,114.4 m
        Assert.Equal(20_015_114.4, Haversine.DistanceMeters(0, 0, 0, 180), 0.1);
    }
}
