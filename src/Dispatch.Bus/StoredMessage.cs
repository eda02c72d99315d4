namespace Dispatch.Bus;

internal enum MessageState { Scheduled, Available, Locked, Deferred }

/// <summary>What a filter may look at: a message's system and application properties, read once when it is sent.</summary>
internal sealed record MessageFacts(
    string? MessageId,
    IReadOnlyDictionary<string, string> SystemProperties,
    IReadOnlyDictionary<string, object> ApplicationProperties,
    TimeSpan? TimeToLive);

/// <summary>
/// A message held by a queue or subscription: the sections as the client sent them, plus the broker's
/// bookkeeping. Annotations that change per delivery are added when the message is sent out.
/// </summary>
internal sealed class StoredMessage
{
    public required byte[] Encoded { get; init; }

    public required MessageFacts Facts { get; init; }

    public long SequenceNumber { get; set; }

    public DateTimeOffset EnqueuedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ScheduledFor { get; set; }

    public MessageState State { get; set; }

    /// <summary>Deliveries before the current one (AMQP header delivery-count).</summary>
    public int DeliveryCount { get; set; }

    public Guid LockToken { get; set; }

    public DateTimeOffset LockedUntil { get; set; }

    /// <summary>Application properties changed by abandon or dead-letter, applied over the original ones.</summary>
    public Dictionary<string, object> Changes { get; } = new(StringComparer.Ordinal);

    public string? DeadLetterSource { get; set; }

    /// <summary>What a receiver or a peek is shown, taken under the entity's lock so it can be encoded outside it.</summary>
    public MessageSnapshot Snapshot() =>
        new(Encoded, SequenceNumber, EnqueuedAt, LockedUntil, State, DeliveryCount, Changes.Count == 0 ? null : new Dictionary<string, object>(Changes, StringComparer.Ordinal), DeadLetterSource);
}

/// <summary>A stored message as it stood at one instant: a delivery, a peek, a receive of a deferred message.</summary>
/// <param name="DeliveryCount">Deliveries before this one (AMQP header delivery-count).</param>
/// <param name="Changes">Application properties changed by abandon or dead-letter; null when none were.</param>
internal sealed record MessageSnapshot(
    byte[] Encoded,
    long SequenceNumber,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset LockedUntil,
    MessageState State,
    int DeliveryCount,
    IReadOnlyDictionary<string, object>? Changes,
    string? DeadLetterSource);
