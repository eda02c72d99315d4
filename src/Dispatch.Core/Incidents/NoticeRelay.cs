using NodaTime;

namespace Dispatch.Core.Incidents;

public sealed record RelayReport(int Sent, int Failed)
{
    public static RelayReport operator +(RelayReport a, RelayReport b) => new(a.Sent + b.Sent, a.Failed + b.Failed);
}

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
        var sent = new List<string>();
        var failed = new List<Notice>();
        foreach (var notice in notices)
        {
            if (await TrySendAsync(notice, cancellationToken))
            {
                sent.Add(notice.MessageId);
            }
            else
            {
                failed.Add(notice);
            }
        }

        if (sent.Count > 0)
        {
            await outbox.RemoveAsync(incident, sent, cancellationToken);
        }

        if (failed.Count == 0)
        {
            await index.ReplaceAsync(entry, null, cancellationToken);
        }
        else
        {
            var next = clock.GetCurrentInstant() + Backoff(1);
            foreach (var pending in (await outbox.PendingAsync(incident, cancellationToken)).Where(p => failed.Any(f => f.MessageId == p.Notice.MessageId)))
            {
                await outbox.PostponeAsync(pending, next, cancellationToken);
            }

            await index.ReplaceAsync(entry, entry.Later(next), cancellationToken);
        }

        return new RelayReport(sent.Count, failed.Count);
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
        var removed = new List<string>();
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
                removed.Add(notice.Notice.MessageId);
                continue;
            }

            failed++;
            var retry = now + Backoff(notice.Attempts + 1);
            await outbox.PostponeAsync(notice, retry, cancellationToken);
            next = Earliest(next, retry);
        }

        if (removed.Count > 0)
        {
            await outbox.RemoveAsync(entry.Incident, removed, cancellationToken);
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
