using System.Collections.Concurrent;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>
/// The roster, with each person's memberships, and each station line a dispatch names, remembered for
/// <see cref="Freshness"/> after they were read: a person whose board polls every second costs one membership read per
/// <see cref="Freshness"/>, not one per request, and dispatching the same officer again reads their line once.
/// </summary>
/// <remarks>
/// The bound: memberships used for a request were read at most <see cref="Freshness"/> before it (on the app's
/// clock). A roster change made through this instance forgets the person at once, so here it takes effect on the
/// next request (a read already under way when it was made counts from when it began); one made through another
/// instance of the app takes effect here within <see cref="Freshness"/>.
/// The station's whole roster (the roster API) and every change go to storage every time.
/// </remarks>
public sealed class RememberedRoster(IRosterStore store, IClock clock) : IRosterStore
{
    public static readonly Duration Freshness = Duration.FromSeconds(5);

    /// <summary>People remembered at most; past it, those read longest ago are let go first.</summary>
    private const int Capacity = 50_000;

    private readonly ConcurrentDictionary<string, (IReadOnlyList<Membership> Memberships, Instant ReadAt)> people = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(StationId Station, string Subject), (Membership? Line, Instant ReadAt)> lines = new();

    public async Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken)
    {
        // The instant before the read: what was read is at least this fresh.
        var now = clock.GetCurrentInstant();
        if (people.TryGetValue(subject, out var remembered) && now < remembered.ReadAt + Freshness && now >= remembered.ReadAt)
        {
            return remembered.Memberships;
        }

        var memberships = await store.MembershipsOfAsync(subject, cancellationToken);
        Remember(people, subject, (Memberships: memberships, ReadAt: now), now, p => p.ReadAt);
        return memberships;
    }

    public Task<IReadOnlyList<Membership>> RosterOfAsync(StationId station, CancellationToken cancellationToken) => store.RosterOfAsync(station, cancellationToken);

    public async Task<Membership?> FindAsync(StationId station, string subject, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        if (lines.TryGetValue((station, subject), out var remembered) && now < remembered.ReadAt + Freshness && now >= remembered.ReadAt)
        {
            return remembered.Line;
        }

        var line = await store.FindAsync(station, subject, cancellationToken);
        Remember(lines, (station, subject), (Line: line, ReadAt: now), now, l => l.ReadAt);
        return line;
    }

    public async Task PutAsync(Membership membership, AuditRecord audit, CancellationToken cancellationToken)
    {
        Forget(membership.Station, membership.Person.Subject);
        await store.PutAsync(membership, audit, cancellationToken);
        Forget(membership.Station, membership.Person.Subject);
    }

    public async Task<bool> RemoveAsync(StationId station, string subject, AuditRecord audit, CancellationToken cancellationToken)
    {
        Forget(station, subject);
        var removed = await store.RemoveAsync(station, subject, audit, cancellationToken);
        Forget(station, subject);
        return removed;
    }

    /// <summary>Before and after a change: a read that began while the change was under way is not kept past it.</summary>
    private void Forget(StationId station, string subject)
    {
        people.TryRemove(subject, out _);
        lines.TryRemove((station, subject), out _);
    }

    private static void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> memory, TKey key, TValue value, Instant now, Func<TValue, Instant> readAt)
        where TKey : notnull
    {
        if (memory.Count >= Capacity)
        {
            foreach (var stale in memory.Where(m => now >= readAt(m.Value) + Freshness).Select(m => m.Key).ToList())
            {
                memory.TryRemove(stale, out _);
            }
        }

        memory[key] = value;
    }
}
