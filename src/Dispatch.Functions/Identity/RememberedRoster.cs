using System.Collections.Concurrent;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>
/// The roster, with each person's memberships remembered for <see cref="Freshness"/> after they were read, so a
/// person whose board polls every second costs one membership read per <see cref="Freshness"/>, not one per request.
/// </summary>
/// <remarks>
/// The bound: memberships used for a request were read at most <see cref="Freshness"/> before it (on the app's
/// clock). A roster change made through this instance forgets the person at once, so here it takes effect on the
/// next request (a read already under way when it was made counts from when it began); one made through another
/// instance of the app takes effect here within <see cref="Freshness"/>.
/// Everything else (the station's roster, one line of it, changes) goes to storage every time.
/// </remarks>
public sealed class RememberedRoster(IRosterStore store, IClock clock) : IRosterStore
{
    public static readonly Duration Freshness = Duration.FromSeconds(5);

    /// <summary>People remembered at most; past it, those read longest ago are let go first.</summary>
    private const int Capacity = 50_000;

    private readonly ConcurrentDictionary<string, (IReadOnlyList<Membership> Memberships, Instant ReadAt)> people = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken)
    {
        // The instant before the read: what was read is at least this fresh.
        var now = clock.GetCurrentInstant();
        if (people.TryGetValue(subject, out var remembered) && now < remembered.ReadAt + Freshness && now >= remembered.ReadAt)
        {
            return remembered.Memberships;
        }

        var memberships = await store.MembershipsOfAsync(subject, cancellationToken);
        if (people.Count >= Capacity)
        {
            foreach (var stale in people.Where(p => now >= p.Value.ReadAt + Freshness).Select(p => p.Key).ToList())
            {
                people.TryRemove(stale, out _);
            }
        }

        people[subject] = (memberships, now);
        return memberships;
    }

    public Task<IReadOnlyList<Membership>> RosterOfAsync(StationId station, CancellationToken cancellationToken) => store.RosterOfAsync(station, cancellationToken);

    public Task<Membership?> FindAsync(StationId station, string subject, CancellationToken cancellationToken) => store.FindAsync(station, subject, cancellationToken);

    public async Task PutAsync(Membership membership, AuditRecord audit, CancellationToken cancellationToken)
    {
        people.TryRemove(membership.Person.Subject, out _);
        await store.PutAsync(membership, audit, cancellationToken);
        people.TryRemove(membership.Person.Subject, out _);
    }

    public async Task<bool> RemoveAsync(StationId station, string subject, AuditRecord audit, CancellationToken cancellationToken)
    {
        // Forgotten before and after: a request that read the old list while the change was under way does not keep it.
        people.TryRemove(subject, out _);
        var removed = await store.RemoveAsync(station, subject, audit, cancellationToken);
        people.TryRemove(subject, out _);
        return removed;
    }
}
