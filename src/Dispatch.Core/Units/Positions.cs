using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Units;

/// <summary>Where a unit's device said it was, how sure it was (metres), and when the server received it.</summary>
public sealed record Position(double Latitude, double Longitude, double Accuracy, Instant At)
{
    /// <summary>The largest accuracy radius a report may claim: beyond it the point says nothing useful about a unit.</summary>
    public const double MaxAccuracy = 10_000;

    public Duration AgeAt(Instant now) => now - At;

    public bool IsStaleAt(Instant now, UnitRules rules) => AgeAt(now) > rules.StaleAfter;
}

/// <summary>Unit positions: the latest per unit and a short trail, both kept no longer than the policy says.</summary>
public interface IPositionStore
{
    /// <summary>Records the unit's latest position and a trail point, and removes the unit's trail from before <paramref name="keepFrom"/>.</summary>
    Task RecordAsync(StationId station, string unit, Position position, Instant keepFrom, CancellationToken cancellationToken);

    /// <summary>The latest position of each unit of the station reported since <paramref name="keepFrom"/>, by unit id (any case).</summary>
    Task<IReadOnlyDictionary<string, Position>> LatestAsync(StationId station, Instant keepFrom, CancellationToken cancellationToken);

    /// <summary>The unit's trail since <paramref name="keepFrom"/>, newest first.</summary>
    Task<IReadOnlyList<Position>> TrailAsync(StationId station, string unit, Instant keepFrom, CancellationToken cancellationToken);
}

/// <summary>
/// Positions are personal data (PIPL art. 28 names 行踪轨迹): reported by the unit's members or a dispatcher, read
/// only by the station's dispatchers, duty officers and chief, kept as long as the policy says, and never put in
/// an audit line, a log or telemetry (the audit line names the unit, not the point).
/// </summary>
public sealed class PositionService(IPositionStore positions, UnitService units, IClock clock, ResponsePolicy policy)
{
    public UnitRules Rules => policy.UnitRules;

    public async Task<Position> ReportAsync(ApiCall call, StationId station, string unit, double latitude, double longitude, double accuracy, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"position {unit}";
        if (!AccessPolicy.CanReportPosition(call.Caller, station, unit))
        {
            throw new ForbiddenException($"Only the unit's officers and the dispatchers, duty officers and chief of {station} may report its position.")
            {
                Refusal = new("may-not-report-position", ("station", station.Value)),
            };
        }

        var found = (await units.FindAsync(station, unit, cancellationToken)).Unit;
        if (found.Status == UnitStatus.OffDuty)
        {
            // Positions are collected for dispatching, and an off-duty unit is not dispatched: where its officers go
            // then is their own (PIPL art. 6, no more than the purpose needs). A device still sending is refused.
            throw new UnitStateException($"Unit {found.Id} is off duty: its position is not recorded while it is off duty.")
            {
                Refusal = new("unit-off-duty-position", ("unit", found.Id)),
            };
        }

        var now = clock.GetCurrentInstant();
        var position = new Position(latitude, longitude, accuracy, now);
        await positions.RecordAsync(station, unit, position, now - Rules.TrailRetention, cancellationToken);
        return position;
    }

    /// <summary>The latest position per unit, or null when the caller may not see positions (who may is <see cref="AccessPolicy.CanReadPositions"/>).</summary>
    public async Task<IReadOnlyDictionary<string, Position>?> LatestAsync(ApiCall call, StationId station, CancellationToken cancellationToken) =>
        AccessPolicy.CanReadPositions(call.Caller, station)
            ? await positions.LatestAsync(station, clock.GetCurrentInstant() - Rules.TrailRetention, cancellationToken)
            : null;

    public async Task<IReadOnlyList<Position>> TrailAsync(ApiCall call, StationId station, string unit, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"read positions {unit}";
        if (!AccessPolicy.CanReadPositions(call.Caller, station))
        {
            throw new ForbiddenException($"Only the dispatchers, duty officers and chief of {station} may read where its units have been.")
            {
                Refusal = new("may-not-read-positions", ("station", station.Value)),
            };
        }

        await units.FindAsync(station, unit, cancellationToken);
        return await positions.TrailAsync(station, unit, clock.GetCurrentInstant() - Rules.TrailRetention, cancellationToken);
    }
}
