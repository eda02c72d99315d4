using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>What one sweep did, for its log line and its metrics.</summary>
/// <param name="Entries">Index entries that had come due.</param>
/// <param name="Due">Incidents with a clock due that the sweep changed or found changed by another.</param>
/// <param name="Reindexed">Entries moved to their incident's later due time (stale, or after a change).</param>
public sealed record SweepReport(int Entries, int Due, int Changed, int Conflicts, int Notices, int Reindexed, RelayReport Relay, Duration Elapsed)
{
    /// <summary>True when the sweep stopped at its entry limit: more is due than one sweep takes.</summary>
    public bool Truncated { get; init; }
}

/// <summary>
/// The overdue sweep: reads what the due index says has come due, whichever station it is in, and works from
/// current state, not from tick history, so the first sweep after downtime catches up on everything that came
/// due meanwhile, and a sweep that dies half-way loses nothing (what it did not finish is still indexed).
/// </summary>
public sealed class Sweeper(IIncidentStore store, IDueIndex index, NoticeRelay relay, IClock clock)
{
    /// <summary>Entries one sweep takes at most; the rest wait for the next sweep.</summary>
    public const int MaxEntries = 20_000;

    /// <summary>
    /// How long an entry whose incident does not exist is kept: longer than any write can take to land
    /// (a request's budget, or storage's own server-side timeout), so a slow intake is never left unindexed.
    /// </summary>
    public static readonly Duration OrphanAfter = Duration.FromMinutes(2);

    /// <summary>Incidents handled at once: enough to clear a burst, few enough not to flood storage.</summary>
    public int Parallelism { get; init; } = 16;

    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var started = clock.GetCurrentInstant();
        var entries = await index.DueAsync(started, MaxEntries, cancellationToken);
        var tally = new Tally();
        await Parallel.ForEachAsync(
            entries.GroupBy(e => e.Incident),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (group, ct) => await SweepIncidentAsync(group.Key, [.. group], tally, ct));
        return new SweepReport(entries.Count, tally.Due, tally.Changed, tally.Conflicts, tally.Notices, tally.Reindexed,
            new RelayReport(tally.Sent, tally.Failed), clock.GetCurrentInstant() - started)
        {
            Truncated = entries.Count >= MaxEntries,
        };
    }

    private async Task SweepIncidentAsync(IncidentId id, List<DueEntry> entries, Tally tally, CancellationToken cancellationToken)
    {
        var stored = await store.FindAsync(id, cancellationToken);
        if (stored is null)
        {
            // Written before an intake whose commit never happened (a refused or failed report), or whose commit
            // is still on its way: only an entry long past its time is known to be an orphan.
            var checkedAt = clock.GetCurrentInstant();
            foreach (var entry in entries.Where(e => e.At + OrphanAfter < checkedAt))
            {
                await index.ReplaceAsync(entry, null, cancellationToken);
            }

            return;
        }

        foreach (var entry in entries.Where(e => e.Reason == DueReason.Notices))
        {
            tally.Add(await relay.RecoverAsync(entry, cancellationToken));
        }

        var clockEntries = entries.Where(e => e.Reason == DueReason.Clock).ToList();
        if (clockEntries.Count == 0)
        {
            return;
        }

        var incident = stored.Incident;
        var now = clock.GetCurrentInstant();
        if (incident.NextDueAt is { } due && due <= now)
        {
            Interlocked.Increment(ref tally.Due);
            var transition = incident.Sweep(now);
            if (!transition.Incident.Equals(incident))
            {
                // Written before the commit, so notices committed by a process that then dies are still found.
                DueEntry? noticesEntry = null;
                if (transition.Notices.Count > 0)
                {
                    noticesEntry = DueEntry.ForNotices(id, now + NoticeRelay.RecoveryDelay, now);
                    await index.AddAsync([noticesEntry], cancellationToken);
                }

                try
                {
                    // Conditional on the ETag read above: of two sweeps racing, only one records a level.
                    await store.SaveAsync(stored, transition, audit: null, cancellationToken);
                }
                catch (ConcurrencyConflictException)
                {
                    // The winner (or a later sweep) re-indexes; this sweep's entries stay as they are.
                    Interlocked.Increment(ref tally.Conflicts);
                    return;
                }

                Interlocked.Increment(ref tally.Changed);
                Interlocked.Add(ref tally.Notices, transition.Notices.Count);
                if (noticesEntry is not null)
                {
                    tally.Add(await relay.SendCommittedAsync(id, transition.Notices, noticesEntry, cancellationToken));
                }

                incident = transition.Incident;
            }
        }

        // The next entry goes in before the old ones come out: the incident is never without one.
        var next = incident.NextDueAt is { } at ? DueEntry.ForClock(id, at) : null;
        var replaced = false;
        foreach (var old in clockEntries.Where(e => e.At != next?.At))
        {
            await index.ReplaceAsync(old, replaced ? null : next, cancellationToken);
            replaced = true;
            Interlocked.Increment(ref tally.Reindexed);
        }
    }

    private sealed class Tally
    {
        public int Due;
        public int Changed;
        public int Conflicts;
        public int Notices;
        public int Reindexed;
        public int Sent;
        public int Failed;

        public void Add(RelayReport report)
        {
            Interlocked.Add(ref Sent, report.Sent);
            Interlocked.Add(ref Failed, report.Failed);
        }
    }
}
