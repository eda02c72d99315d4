using System.Runtime.ExceptionServices;
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
/// <remarks>
/// Due incidents are taken in batches of <see cref="BatchSize"/>, a station's next to each other, and a batch goes
/// through the steps together so that writes which share a partition share a request: every incident is read; the
/// notices entries of the whole batch are written (before any commit, so notices committed by a process that then
/// dies are still found); the incidents commit, each conditional on the ETag it was read with (of two sweeps racing,
/// only one records a level), a station's together where they fit in one transaction; the notices are sent and each
/// station's outbox rows removed in one request, while the clock entries move to their next due times; last, the
/// notices entries are retired.
/// </remarks>
public sealed class Sweeper(IIncidentStore store, IDueIndex index, NoticeRelay relay, IClock clock)
{
    /// <summary>Entries one sweep takes at most; the rest wait for the next sweep.</summary>
    public const int MaxEntries = 20_000;

    /// <summary>
    /// How long an entry whose incident does not exist is kept: longer than any write can take to land
    /// (a request's budget, or storage's own server-side timeout), so a slow intake is never left unindexed.
    /// </summary>
    public static readonly Duration OrphanAfter = Duration.FromMinutes(2);

    /// <summary>Requests in flight at once: enough to clear a burst, few enough not to flood storage.</summary>
    public int Parallelism { get; init; } = 16;

    /// <summary>Incidents that go through the steps together; the larger, the more writes share a request.</summary>
    public int BatchSize { get; init; } = 500;

    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var started = clock.GetCurrentInstant();
        var entries = await index.DueAsync(started, MaxEntries, cancellationToken);
        var tally = new Tally();
        // A station's incidents in the same batch as far as they fit: its commits and outbox removals then share requests.
        foreach (var batch in entries.GroupBy(e => e.Incident).OrderBy(g => g.Key.Station.Value, StringComparer.Ordinal).Chunk(BatchSize))
        {
            await SweepBatchAsync(batch, tally, cancellationToken);
        }

        return new SweepReport(entries.Count, tally.Due, tally.Changed, tally.Conflicts, tally.Notices, tally.Reindexed,
            new RelayReport(tally.Sent, tally.Failed), clock.GetCurrentInstant() - started)
        {
            Truncated = entries.Count >= MaxEntries,
        };
    }

    private async Task SweepBatchAsync(IGrouping<IncidentId, DueEntry>[] batch, Tally tally, CancellationToken cancellationToken)
    {
        var found = new StoredIncident?[batch.Length];
        await ForEachAsync(Enumerable.Range(0, batch.Length), async (i, ct) => found[i] = await store.FindAsync(batch[i].Key, ct), cancellationToken);

        var now = clock.GetCurrentInstant();
        var indexChanges = new List<DueReplacement>();
        var recoveries = new List<DueEntry>();
        var changes = new List<Change>();
        for (var i = 0; i < batch.Length; i++)
        {
            if (found[i] is not { } stored)
            {
                // Written before an intake whose commit never happened (a refused or failed report), or whose commit
                // is still on its way: only an entry long past its time is known to be an orphan.
                indexChanges.AddRange(batch[i].Where(e => e.At + OrphanAfter < now).Select(e => new DueReplacement(e, null)));
                continue;
            }

            recoveries.AddRange(batch[i].Where(e => e.Reason == DueReason.Notices));
            var clockEntries = batch[i].Where(e => e.Reason == DueReason.Clock).ToList();
            if (clockEntries.Count == 0)
            {
                continue;
            }

            if (stored.Incident.NextDueAt is { } due && due <= now)
            {
                tally.Due++;
                var transition = stored.Incident.Sweep(now);
                if (!transition.Incident.Equals(stored.Incident))
                {
                    var noticesEntry = transition.Notices.Count > 0 ? DueEntry.ForNotices(stored.Incident.Id, now + NoticeRelay.RecoveryDelay, now) : null;
                    changes.Add(new Change(stored, transition, clockEntries, noticesEntry));
                    continue;
                }
            }

            indexChanges.AddRange(Reindex(stored.Incident, clockEntries, tally));
        }

        // Notices an earlier run committed and did not send: before this batch commits more to the same outboxes.
        await ForEachAsync(recoveries, async (entry, ct) => tally.Add(await relay.RecoverAsync(entry, ct)), cancellationToken);

        var noticesEntries = changes.Select(c => c.NoticesEntry).OfType<DueEntry>().ToList();
        if (noticesEntries.Count > 0)
        {
            await index.AddAsync(noticesEntries, cancellationToken);
        }

        var failure = await CommitAsync(changes, tally, cancellationToken);
        var committed = changes.Where(c => c.Committed).ToList();
        foreach (var change in committed)
        {
            indexChanges.AddRange(Reindex(change.Transition.Incident, change.ClockEntries, tally));
        }

        var relaying = relay.SendCommittedAsync(
            [.. committed.Where(c => c.NoticesEntry is not null).Select(c => new CommittedNotices(c.Transition.Incident.Id, c.Transition.Notices, c.NoticesEntry!))],
            Parallelism, cancellationToken);
        // The clock entries move while the notices go out: neither waits for the other.
        await Task.WhenAll(relaying, index.ReplaceAllAsync(indexChanges, cancellationToken));
        var relayed = await relaying;
        tally.Add(relayed.Report);
        await index.ReplaceAllAsync(relayed.Entries, cancellationToken);
        failure?.Throw();
    }

    /// <summary>
    /// Commits the changes (a station's may share a request). A commit that fails for want of storage stops those not
    /// yet started, but the ones already committed are still sent and re-indexed before the failure is passed on.
    /// </summary>
    private async Task<ExceptionDispatchInfo?> CommitAsync(List<Change> changes, Tally tally, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return null;
        }

        var result = await store.SaveAllAsync([.. changes.Select(c => (c.Stored, c.Transition))], cancellationToken);
        for (var i = 0; i < changes.Count; i++)
        {
            switch (result.Outcomes[i])
            {
                case SaveOutcome.Saved:
                    changes[i].Committed = true;
                    tally.Changed++;
                    tally.Notices += changes[i].Transition.Notices.Count;
                    break;
                case SaveOutcome.Conflict:
                    // The winner (or a later sweep) re-indexes; this sweep's entries stay as they are.
                    tally.Conflicts++;
                    break;
            }
        }

        return result.Failure is null ? null : ExceptionDispatchInfo.Capture(result.Failure);
    }

    /// <summary>The incident's next entry goes in before its old ones come out: it is never without one.</summary>
    private static List<DueReplacement> Reindex(Incident incident, List<DueEntry> clockEntries, Tally tally)
    {
        var next = incident.NextDueAt is { } at ? DueEntry.ForClock(incident.Id, at) : null;
        var replacements = clockEntries.Where(e => e.At != next?.At).Select((old, i) => new DueReplacement(old, i == 0 ? next : null)).ToList();
        Interlocked.Add(ref tally.Reindexed, replacements.Count);
        return replacements;
    }

    private Task ForEachAsync<T>(IEnumerable<T> items, Func<T, CancellationToken, ValueTask> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, body);

    /// <summary>An incident the sweep changes: what it read, what it will commit, the entries to move after, and its notices entry.</summary>
    private sealed class Change(StoredIncident stored, Transition transition, List<DueEntry> clockEntries, DueEntry? noticesEntry)
    {
        public StoredIncident Stored => stored;

        public Transition Transition => transition;

        public List<DueEntry> ClockEntries => clockEntries;

        public DueEntry? NoticesEntry => noticesEntry;

        public bool Committed { get; set; }
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
