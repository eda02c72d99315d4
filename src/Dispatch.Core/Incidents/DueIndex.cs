using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>Why the sweep must look at an incident: a clock comes due, or notices may be waiting to be sent.</summary>
public enum DueReason { Clock, Notices }

/// <summary>One entry of the due index: "look at this incident at this instant".</summary>
/// <param name="Key">Tells apart two notices entries of one incident and instant; empty for clock entries.</param>
/// <param name="Since">For a notices entry, when its notices were raised: how long sending them has been behind.</param>
public sealed record DueEntry(IncidentId Incident, Instant At, DueReason Reason, string Key = "", Instant? Since = null)
{
    public static DueEntry ForClock(IncidentId incident, Instant at) => new(incident, at, DueReason.Clock);

    public static DueEntry ForNotices(IncidentId incident, Instant at, Instant since) =>
        new(incident, at, DueReason.Notices, Guid.NewGuid().ToString("N")[..12], since);

    /// <summary>The same notices, next looked at <paramref name="at"/>.</summary>
    public DueEntry Later(Instant at) => this with { At = at, Key = Guid.NewGuid().ToString("N")[..12] };
}

/// <summary>An entry replaced by a later one, or removed (no replacement): the replacement is in before the old entry is gone.</summary>
public sealed record DueReplacement(DueEntry Old, DueEntry? Replacement);

/// <summary>
/// Where the sweep finds what is due, whichever station it is in, at a cost that follows what is due and not
/// how many stations or incidents there are. It lives outside the incidents' partitions, so it cannot share
/// their transactions; the protocol around it (README, "Escalation") makes a stale entry harmless and a
/// missing one impossible.
/// </summary>
public interface IDueIndex
{
    /// <summary>Writes entries, in as few requests as storage allows (entries that share a partition go together).</summary>
    /// <remarks>When it throws, some entries may be in and others not; an entry written twice is one entry.</remarks>
    Task AddAsync(IReadOnlyList<DueEntry> entries, CancellationToken cancellationToken);

    /// <summary>Entries at or before <paramref name="now"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<DueEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="replacement"/> (when given), then removes <paramref name="old"/>: never the other way round.</summary>
    Task ReplaceAsync(DueEntry old, DueEntry? replacement, CancellationToken cancellationToken);

    /// <summary>
    /// Many replacements, each in <see cref="ReplaceAsync"/>'s order, in as few requests as storage allows: those that
    /// share a partition go together. An old entry already gone is not an error.
    /// </summary>
    /// <remarks>When it throws, some replacements may have happened and others not, but no old entry is gone whose replacement is not in.</remarks>
    Task ReplaceAllAsync(IReadOnlyList<DueReplacement> replacements, CancellationToken cancellationToken);

    /// <summary>How many notices entries wait, and since when the oldest was raised: how far sending is behind.</summary>
    Task<(int Count, Instant? OldestSince)> PendingNoticesAsync(CancellationToken cancellationToken);
}

/// <summary>A notice waiting in the outbox, with how often sending it has failed.</summary>
public sealed record PendingNotice(Notice Notice, int Attempts, Instant NextAttemptAt, string ETag);

/// <summary>Notices written with the changes that raised them (in the incident's own transaction), until they are sent.</summary>
public interface INoticeOutbox
{
    /// <summary>The incident's notices not yet sent.</summary>
    Task<IReadOnlyList<PendingNotice>> PendingAsync(IncidentId incident, CancellationToken cancellationToken);

    /// <summary>
    /// Removes sent notices, of one incident or many, in as few requests as storage allows (a station's go together);
    /// one already removed by another relay is not an error.
    /// </summary>
    Task RemoveAsync(IReadOnlyList<Notice> sent, CancellationToken cancellationToken);

    Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken);
}

/// <summary>Sends a notice to its audience (Service Bus in production).</summary>
/// <remarks>The notice's <see cref="Notice.MessageId"/> must go with it so the broker can drop a resend.</remarks>
public interface INoticePublisher
{
    Task PublishAsync(Notice notice, CancellationToken cancellationToken);
}
