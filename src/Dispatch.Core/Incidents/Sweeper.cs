using NodaTime;

namespace Dispatch.Core.Incidents;

public sealed record SweepReport(int Due, int Changed, int Conflicts, int Notices, RelayReport Relay);

public sealed record RelayReport(int Sent, int Failed);

/// <summary>
/// The overdue sweep: works from current state, not from tick history, so the first sweep after
/// downtime catches up on everything that came due meanwhile, and a sweep that dies half-way loses
/// nothing (what it did not commit is still due).
/// </summary>
public sealed class Sweeper(IIncidentStore store, NoticeRelay relay, IClock clock)
{
    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        int due = 0, changed = 0, conflicts = 0, notices = 0;
        await foreach (var id in store.DueAsync(now, cancellationToken))
        {
            due++;
            var stored = await store.FindAsync(id, cancellationToken);
            if (stored is null)
            {
                continue;
            }

            var transition = stored.Incident.Sweep(now);
            if (transition.Incident.Equals(stored.Incident))
            {
                // Another sweep got here first, or a change since the index was read left nothing due.
                continue;
            }

            try
            {
                // Conditional on the ETag read above: of two sweeps racing, only one records a level.
                await store.SaveAsync(stored, transition, cancellationToken);
                changed++;
                notices += transition.Notices.Count;
            }
            catch (ConcurrencyConflictException)
            {
                conflicts++;
            }
        }

        var relayed = await relay.RelayAsync(null, cancellationToken);
        return new SweepReport(due, changed, conflicts, notices, relayed);
    }
}

/// <summary>
/// Sends outbox notices and removes each once sent. A failed send is retried with backoff; a crash
/// between send and removal resends, and the broker's duplicate detection drops the copy.
/// </summary>
public sealed class NoticeRelay(INoticeOutbox outbox, INoticePublisher publisher, IClock clock)
{
    private static readonly Duration MaxBackoff = Duration.FromMinutes(5);

    public async Task<RelayReport> RelayAsync(StationId? station, CancellationToken cancellationToken)
    {
        int sent = 0, failed = 0;
        while (true)
        {
            var pending = await outbox.PendingAsync(station, clock.GetCurrentInstant(), 100, cancellationToken);
            var progressed = false;
            foreach (var notice in pending)
            {
                try
                {
                    await publisher.PublishAsync(notice.Notice, cancellationToken);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever the publisher's failure, the notice was not sent: keep it and try again later.
                    failed++;
                    await outbox.PostponeAsync(notice, clock.GetCurrentInstant() + Backoff(notice.Attempts + 1), cancellationToken);
                    continue;
                }

                sent++;
                progressed = true;
                await outbox.RemoveAsync(notice, cancellationToken);
            }

            if (pending.Count < 100 || !progressed)
            {
                return new RelayReport(sent, failed);
            }
        }
    }

    /// <summary>1 s, 2 s, 4 s, … up to 5 minutes.</summary>
    public static Duration Backoff(int attempts) =>
        Duration.FromSeconds(Math.Min(Math.Pow(2, Math.Min(attempts - 1, 20)), MaxBackoff.TotalSeconds));
}
