using NodaTime;

namespace Dispatch.Core.Incidents;

public sealed record RelayReport(int Sent, int Failed)
{
    public static RelayReport operator +(RelayReport a, RelayReport b) => new(a.Sent + b.Sent, a.Failed + b.Failed);
}

/// <summary>Notices one commit wrote to its incident's outbox, and the notices entry written before that commit.</summary>
public sealed record CommittedNotices(IncidentId Incident, IReadOnlyList<Notice> Notices, DueEntry Entry);

/// <summary>What sending many commits' notices did, and what each commit's notices entry becomes (removed, or moved to the retry).</summary>
public sealed record RelayedNotices(RelayReport Report, IReadOnlyList<DueReplacement> Entries);

/// <summary>
/// Sends notices and removes each from the outbox once sent. A failed send is kept and retried with
/// backoff; a crash between send and removal resends, and the broker's duplicate detection drops the copy.
/// </summary>
public sealed class NoticeRelay(INoticeOutbox outbox, INoticePublisher publisher, IDueIndex index, IClock clock)
{
    private static readonly Duration MaxBackoff = Duration.FromMinutes(5);

    /// <summary>
    /// How long a notices entry waits before a sweep looks at it: the writer sends at once, and a sweep must
    /// not find the outbox empty while the writer's commit is still on its way (requests have a few seconds).
    /// </summary>
    public static readonly Duration RecoveryDelay = Duration.FromSeconds(30);

    /// <summary>Sends notices just committed by the caller, then retires the notices entry written before that commit.</summary>
    public async Task<RelayReport> SendCommittedAsync(IncidentId incident, IReadOnlyList<Notice> notices, DueEntry entry, CancellationToken cancellationToken)
    {
        var relayed = await SendCommittedAsync([new CommittedNotices(incident, notices, entry)], parallelism: 1, cancellationToken);
        await index.ReplaceAllAsync(relayed.Entries, cancellationToken);
        return relayed.Report;
    }

    /// <summary>
    /// Sends the notices of many commits, a station at a time (several stations at once), and removes each station's
    /// sent notices from its outbox in one request as soon as they are out; those that fail are kept for a retry. The
    /// caller then retires or moves each commit's notices entry as <see cref="RelayedNotices.Entries"/> says: the outbox
    /// rows are gone first, so an entry never disappears while notices it points to wait unsent.
    /// </summary>
    public async Task<RelayedNotices> SendCommittedAsync(IReadOnlyList<CommittedNotices> committed, int parallelism, CancellationToken cancellationToken)
    {
        var failed = committed.Select(commit => new bool[commit.Notices.Count]).ToArray();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, committed.Count).GroupBy(i => committed[i].Incident.Station),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (station, ct) =>
            {
                var sent = new List<Notice>();
                foreach (var i in station)
                {
                    for (var j = 0; j < committed[i].Notices.Count; j++)
                    {
                        if (await TrySendAsync(committed[i].Notices[j], ct))
                        {
                            sent.Add(committed[i].Notices[j]);
                        }
                        else
                        {
                            failed[i][j] = true;
                        }
                    }
                }

                if (sent.Count > 0)
                {
                    await outbox.RemoveAsync(sent, ct);
                }
            });

        // In an outage every send fails: the postponements then go several at once, as the sends did.
        var next = clock.GetCurrentInstant() + Backoff(1);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, committed.Count).Where(i => failed[i].Any(f => f)),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var failedHere = committed[i].Notices.Where((_, j) => failed[i][j]).Select(n => n.MessageId).ToHashSet();
                foreach (var pending in (await outbox.PendingAsync(committed[i].Incident, ct)).Where(p => failedHere.Contains(p.Notice.MessageId)))
                {
                    await outbox.PostponeAsync(pending, next, ct);
                }
            });

        var failures = failed.Sum(f => f.Count(x => x));
        var entries = committed.Select((commit, i) => new DueReplacement(commit.Entry, failed[i].Any(f => f) ? commit.Entry.Later(next) : null)).ToList();
        return new RelayedNotices(new RelayReport(committed.Sum(c => c.Notices.Count) - failures, failures), entries);
    }

    /// <summary>
    /// Sends what an incident's outbox holds that is due (left by a process that died, or postponed by an
    /// outage), then retires the entry that pointed here, or moves it to the next attempt.
    /// </summary>
    public async Task<RelayReport> RecoverAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var pending = await outbox.PendingAsync(entry.Incident, cancellationToken);
        int sent = 0, failed = 0;
        var removed = new List<Notice>();
        Instant? next = null;
        foreach (var notice in pending)
        {
            if (notice.NextAttemptAt > now)
            {
                next = Earliest(next, notice.NextAttemptAt);
                continue;
            }

            if (await TrySendAsync(notice.Notice, cancellationToken))
            {
                sent++;
                removed.Add(notice.Notice);
                continue;
            }

            failed++;
            var retry = now + Backoff(notice.Attempts + 1);
            await outbox.PostponeAsync(notice, retry, cancellationToken);
            next = Earliest(next, retry);
        }

        if (removed.Count > 0)
        {
            await outbox.RemoveAsync(removed, cancellationToken);
        }

        await index.ReplaceAsync(entry, next is { } at ? entry.Later(at) : null, cancellationToken);
        return new RelayReport(sent, failed);
    }

    /// <summary>1 s, 2 s, 4 s, … up to 5 minutes.</summary>
    public static Duration Backoff(int attempts) =>
        Duration.FromSeconds(Math.Min(Math.Pow(2, Math.Clamp(attempts - 1, 0, 20)), MaxBackoff.TotalSeconds));

    private async Task<bool> TrySendAsync(Notice notice, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.PublishAsync(notice, cancellationToken);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the publisher's failure, the notice was not sent: it stays in the outbox.
            return false;
        }
    }

    private static Instant Earliest(Instant? a, Instant b) => a is { } x && x < b ? x : b;
}
