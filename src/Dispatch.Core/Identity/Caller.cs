using Dispatch.Core.Incidents;

namespace Dispatch.Core.Identity;

/// <summary>One line of a station's roster: who serves there, as what, in which unit.</summary>
public sealed record Membership(StationId Station, Person Person, StationRole Role, string? Unit);

/// <summary>
/// Who is calling: the person the token proved, the global roles it carries, and the stations the roster
/// says they serve at. Every permission is decided from this and nothing else.
/// </summary>
public sealed record Caller(Person Person, IReadOnlySet<GlobalRole> Roles, IReadOnlyList<Membership> Memberships)
{
    public bool Has(GlobalRole role) => Roles.Contains(role);

    public IEnumerable<Membership> At(StationId station) => Memberships.Where(m => m.Station == station);

    public bool Is(StationRole role, StationId station) => At(station).Any(m => m.Role == role);

    public bool ServesAt(StationId station) => At(station).Any();

    public IEnumerable<StationId> Stations => Memberships.Select(m => m.Station).Distinct();
}
