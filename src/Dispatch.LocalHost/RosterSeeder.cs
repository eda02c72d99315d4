using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.LocalHost;

/// <summary>Puts a roster file's people in at start, as the seeding system: every line recorded in the audit trail.</summary>
public static class RosterSeeder
{
    public static async Task SeedAsync(IRosterStore store, IReadOnlyList<RosterPerson> roster, string fileName, IClock clock)
    {
        var seeder = new Caller(Person.System("seed"), new HashSet<GlobalRole> { GlobalRole.Admin }, []);
        foreach (var membership in roster.SelectMany(p => p.Memberships))
        {
            var call = new ApiCall(seeder, new RequestInfo(Guid.NewGuid().ToString("N"), "SeedRoster", null, "seed"), clock.GetCurrentInstant())
            {
                Station = membership.Station,
                Change = $"roster put {membership.Person.Subject} as {membership.Role.Name()} (seeded from {fileName})",
            };
            await store.PutAsync(membership, call.Record(AuditOutcome.Changed), CancellationToken.None);
        }
    }
}
