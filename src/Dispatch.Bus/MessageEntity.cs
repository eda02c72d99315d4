using Microsoft.Azure.Amqp;
using Microsoft.Extensions.Logging;

namespace Dispatch.Bus;

/// <summary>Something that takes messages from an entity: a receive link.</summary>
internal interface IConsumer
{
    /// <summary>How many more messages the consumer can take now.</summary>
    int Credit { get; }

    bool ReceiveAndDelete { get; }

    void Deliver(StoredMessage message, Guid lockToken);
}

public enum SettleResult { Done, LockLost }

/// <summary>
/// A queue, a subscription, or the dead-letter queue of either: the messages it holds, their locks,
/// and the consumers it delivers to.
/// </summary>
internal sealed class MessageEntity(string path, EntityOptions options, MessageEntity? deadLetterQueue, TimeProvider time, ILogger logger)
{
    private readonly object gate = new();
    private readonly SortedDictionary<long, StoredMessage> messages = [];
    private readonly Dictionary<Guid, StoredMessage> locks = [];
    private readonly List<IConsumer> consumers = [];
    private long lastSequence;
    private long deliveries;
    private int nextConsumer;

    public string Path => path;

    public EntityOptions Options => options;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return messages.Count;
            }
        }
    }

    public long Deliveries => Interlocked.Read(ref deliveries);

    public int LockedCount
    {
        get
        {
            lock (gate)
            {
                return locks.Count;
            }
        }
    }

    public long NextSequenceNumber() => Interlocked.Increment(ref lastSequence);

    /// <summary>Adds a message sent to this entity; a sequence number of 0 means "assign one".</summary>
    public long Enqueue(StoredMessage message, long sequenceNumber = 0)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            message.SequenceNumber = sequenceNumber == 0 ? NextSequenceNumber() : sequenceNumber;
            message.EnqueuedAt = message.ScheduledFor is { } at && at > now ? at : now;
            var ttl = Min(message.Facts.TimeToLive ?? TimeSpan.MaxValue, options.DefaultMessageTimeToLive);
            message.ExpiresAt = ttl >= DateTimeOffset.MaxValue - message.EnqueuedAt ? DateTimeOffset.MaxValue : message.EnqueuedAt + ttl;
            message.State = message.ScheduledFor is { } due && ReleaseAt(due) > now ? MessageState.Scheduled : MessageState.Available;
            messages[message.SequenceNumber] = message;
            Log.Enqueued(logger, path, message.SequenceNumber, message.State);
            Pump(now);
            return message.SequenceNumber;
        }
    }

    public void Attach(IConsumer consumer)
    {
        lock (gate)
        {
            consumers.Add(consumer);
        }
    }

    /// <summary>Removes a consumer. Its locked messages stay locked until their locks expire, as in Service Bus.</summary>
    public void Detach(IConsumer consumer)
    {
        lock (gate)
        {
            consumers.Remove(consumer);
        }
    }

    /// <summary>Delivers available messages to consumers with credit, oldest first, round robin.</summary>
    public void Pump()
    {
        lock (gate)
        {
            Pump(time.GetUtcNow());
        }
    }

    public SettleResult Complete(Guid lockToken)
    {
        lock (gate)
        {
            if (!TryTakeLock(lockToken, out var message))
            {
                return SettleResult.LockLost;
            }

            messages.Remove(message.SequenceNumber);
            Log.Completed(logger, path, message.SequenceNumber);
            return SettleResult.Done;
        }
    }

    public SettleResult Abandon(Guid lockToken, IReadOnlyDictionary<string, object>? changes)
    {
        lock (gate)
        {
            if (!TryTakeLock(lockToken, out var message))
            {
                return SettleResult.LockLost;
            }

            Apply(message, changes);
            Release(message, time.GetUtcNow());
            return SettleResult.Done;
        }
    }

    /// <summary>Takes back a message the client never handed to its application: not a delivery attempt, so the count is undone.</summary>
    public SettleResult ReleaseUndelivered(Guid lockToken)
    {
        lock (gate)
        {
            if (!TryTakeLock(lockToken, out var message))
            {
                return SettleResult.LockLost;
            }

            message.DeliveryCount = Math.Max(0, message.DeliveryCount - 1);
            Release(message, time.GetUtcNow());
            return SettleResult.Done;
        }
    }

    public SettleResult Defer(Guid lockToken, IReadOnlyDictionary<string, object>? changes)
    {
        lock (gate)
        {
            if (!TryTakeLock(lockToken, out var message))
            {
                return SettleResult.LockLost;
            }

            Apply(message, changes);
            message.State = MessageState.Deferred;
            return SettleResult.Done;
        }
    }

    public SettleResult DeadLetter(Guid lockToken, string? reason, string? description, IReadOnlyDictionary<string, object>? changes)
    {
        lock (gate)
        {
            if (!TryTakeLock(lockToken, out var message))
            {
                return SettleResult.LockLost;
            }

            Apply(message, changes);
            MoveToDeadLetter(message, reason, description);
            return SettleResult.Done;
        }
    }

    /// <summary>Extends a lock by the lock duration; null when the lock is already lost.</summary>
    public DateTimeOffset? RenewLock(Guid lockToken)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (!locks.TryGetValue(lockToken, out var message) || message.LockedUntil <= now)
            {
                return null;
            }

            message.LockedUntil = now + options.LockDuration;
            return message.LockedUntil;
        }
    }

    /// <summary>Locks deferred messages by sequence number for a receive-by-sequence-number request.</summary>
    public IReadOnlyList<(StoredMessage Message, Guid LockToken)> ReceiveDeferred(IEnumerable<long> sequenceNumbers)
    {
        lock (gate)
        {
            var result = new List<(StoredMessage, Guid)>();
            var now = time.GetUtcNow();
            foreach (var sequence in sequenceNumbers)
            {
                if (messages.TryGetValue(sequence, out var message) && message.State == MessageState.Deferred)
                {
                    result.Add((message, Lock(message, now)));
                }
            }

            return result;
        }
    }

    /// <summary>Every message still held, scheduled and locked ones included, from a sequence number on.</summary>
    public IReadOnlyList<StoredMessage> Peek(long fromSequenceNumber, int count)
    {
        lock (gate)
        {
            return messages.Values.Where(m => m.SequenceNumber >= fromSequenceNumber).Take(count).ToList();
        }
    }

    public bool CancelScheduled(long sequenceNumber)
    {
        lock (gate)
        {
            return messages.TryGetValue(sequenceNumber, out var message) && message.State == MessageState.Scheduled
                && messages.Remove(sequenceNumber);
        }
    }

    /// <summary>Expires locks and messages and releases scheduled messages that are due.</summary>
    public void Tick()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            foreach (var message in locks.Values.Where(m => m.LockedUntil <= now).ToList())
            {
                locks.Remove(message.LockToken);
                Log.LockExpired(logger, path, message.SequenceNumber);
                Release(message, now);
            }

            foreach (var message in messages.Values.Where(m => m.State != MessageState.Locked && m.ExpiresAt <= now).ToList())
            {
                Expire(message);
            }

            foreach (var message in messages.Values.Where(m => m.State == MessageState.Scheduled && ReleaseAt(m.ScheduledFor!.Value) <= now))
            {
                message.State = MessageState.Available;
            }

            Pump(now);
        }
    }

    internal void AcceptDeadLettered(StoredMessage message)
    {
        lock (gate)
        {
            message.State = MessageState.Available;
            message.ExpiresAt = DateTimeOffset.MaxValue;
            message.DeliveryCount = 0;
            messages[message.SequenceNumber] = message;
            lastSequence = Math.Max(lastSequence, message.SequenceNumber);
            Pump(time.GetUtcNow());
        }
    }

    private void Pump(DateTimeOffset now)
    {
        while (consumers.Count > 0)
        {
            var message = messages.Values.FirstOrDefault(m => m.State == MessageState.Available);
            if (message is null)
            {
                return;
            }

            if (message.ExpiresAt <= now)
            {
                Expire(message);
                continue;
            }

            var consumer = NextConsumerWithCredit();
            if (consumer is null)
            {
                return;
            }

            var token = consumer.ReceiveAndDelete ? Guid.NewGuid() : Lock(message, now);
            // Counted before it leaves: once it is on the wire the client may act on it, and whoever asks the
            // count then must see this delivery in it.
            Interlocked.Increment(ref deliveries);
            try
            {
                consumer.Deliver(message, token);
            }
            catch (Exception e) when (e is AmqpException or ObjectDisposedException or InvalidOperationException or InvalidCastException)
            {
                // The link failed under us: the message stays where it was, and that consumer gets no more.
                Interlocked.Decrement(ref deliveries);
                Log.DeliveryFailed(logger, e, path, message.SequenceNumber);
                locks.Remove(token);
                message.State = MessageState.Available;
                consumers.Remove(consumer);
                continue;
            }

            if (consumer.ReceiveAndDelete)
            {
                messages.Remove(message.SequenceNumber);
            }

            message.DeliveryCount++;
        }
    }

    private Guid Lock(StoredMessage message, DateTimeOffset now)
    {
        message.State = MessageState.Locked;
        message.LockToken = Guid.NewGuid();
        message.LockedUntil = now + options.LockDuration;
        locks[message.LockToken] = message;
        return message.LockToken;
    }

    private IConsumer? NextConsumerWithCredit()
    {
        for (var i = 0; i < consumers.Count; i++)
        {
            var consumer = consumers[(nextConsumer + i) % consumers.Count];
            if (consumer.Credit > 0)
            {
                nextConsumer = (nextConsumer + i + 1) % consumers.Count;
                return consumer;
            }
        }

        return null;
    }

    private bool TryTakeLock(Guid lockToken, out StoredMessage message)
    {
        if (locks.Remove(lockToken, out message!) && message.LockedUntil > time.GetUtcNow())
        {
            return true;
        }

        if (message is not null)
        {
            // The lock ran out before the settlement arrived: the message goes back, as on expiry.
            Release(message, time.GetUtcNow());
        }

        message = null!;
        return false;
    }

    /// <summary>Back to available after an abandon or an expired lock, or to the dead-letter queue once delivered too often.</summary>
    private void Release(StoredMessage message, DateTimeOffset now)
    {
        if (deadLetterQueue is not null && message.DeliveryCount >= options.MaxDeliveryCount)
        {
            MoveToDeadLetter(message, "MaxDeliveryCountExceeded", $"Message could not be consumed after {options.MaxDeliveryCount} delivery attempts.");
            return;
        }

        message.State = MessageState.Available;
        Pump(now);
    }

    private void Expire(StoredMessage message)
    {
        if (deadLetterQueue is not null && options.DeadLetteringOnMessageExpiration)
        {
            MoveToDeadLetter(message, "TTLExpiredException", "The message expired and was dead lettered.");
        }
        else
        {
            messages.Remove(message.SequenceNumber);
            Log.Expired(logger, path, message.SequenceNumber);
        }
    }

    private void MoveToDeadLetter(StoredMessage message, string? reason, string? description)
    {
        messages.Remove(message.SequenceNumber);
        if (deadLetterQueue is null)
        {
            return;
        }

        if (reason is not null)
        {
            message.Changes["DeadLetterReason"] = reason;
        }

        if (description is not null)
        {
            message.Changes["DeadLetterErrorDescription"] = description;
        }

        message.DeadLetterSource = path;
        Log.DeadLettered(logger, path, message.SequenceNumber, reason ?? "");
        deadLetterQueue.AcceptDeadLettered(message);
    }

    private static void Apply(StoredMessage message, IReadOnlyDictionary<string, object>? changes)
    {
        foreach (var (key, value) in changes ?? new Dictionary<string, object>())
        {
            message.Changes[key] = value;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// AMQP carries the scheduled time in whole milliseconds, so the sender's instant may lie up to a millisecond
    /// after what arrives: a message is released only once that whole millisecond has passed, never before its time.
    /// </summary>
    private static DateTimeOffset ReleaseAt(DateTimeOffset scheduled) => scheduled.AddMilliseconds(1);
}
