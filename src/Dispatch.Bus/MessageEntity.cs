using Microsoft.Azure.Amqp;
using Microsoft.Extensions.Logging;

namespace Dispatch.Bus;

/// <summary>Something that takes messages from an entity: a receive link.</summary>
internal interface IConsumer
{
    /// <summary>How many more messages the consumer can take now, counting those assigned to it and not yet sent.</summary>
    int Credit { get; }

    bool ReceiveAndDelete { get; }

    /// <summary>Takes a delivery, under the entity's lock and in the entity's order; it is sent by <see cref="Flush"/>.</summary>
    void Assign(AssignedMessage message);

    /// <summary>Sends what was assigned, in order; called outside the entity's lock, from any thread.</summary>
    void Flush();
}

/// <summary>A message assigned to a consumer: what it shows, and the lock token it goes out with.</summary>
internal sealed record AssignedMessage(StoredMessage Message, Guid LockToken, MessageSnapshot Shown);

public enum SettleResult { Done, LockLost }

/// <summary>
/// A queue, a subscription, or the dead-letter queue of either: the messages it holds, their locks,
/// and the consumers it delivers to.
/// </summary>
/// <remarks>
/// One lock guards the entity's state, and nothing slow happens under it: a delivery is decided under the lock
/// (which message, to which consumer, with which lock token) and handed to the consumer, which encodes and
/// sends it after the lock is released, so senders, settlements and other receivers of the entity never wait
/// for a socket. Each consumer sends in the order its deliveries were decided. Finding the next available
/// message and the timers' work cost the same however many messages the entity holds.
/// </remarks>
internal sealed class MessageEntity(string path, EntityOptions options, MessageEntity? deadLetterQueue, TimeProvider time, ILogger logger)
{
    private readonly object gate = new();
    private readonly SortedDictionary<long, StoredMessage> messages = [];

    /// <summary>Sequence numbers of the messages that can be delivered now, oldest first.</summary>
    private readonly SortedSet<long> available = [];
    private readonly Dictionary<Guid, StoredMessage> locks = [];
    private readonly List<IConsumer> consumers = [];

    /// <summary>Consumers given deliveries under the lock, to be flushed once it is released.</summary>
    private readonly List<IConsumer> assigned = [];
    private volatile bool anyAssigned;
    private long lastSequence;
    private long deliveries;
    private int nextConsumer;

    /// <summary>No message expires, and no scheduled one is released, before this: the timer looks at messages only from then on.</summary>
    private DateTimeOffset nextTimedEvent = DateTimeOffset.MaxValue;

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
            messages[message.SequenceNumber] = message;
            SetState(message, message.ScheduledFor is { } due && ReleaseAt(due) > now ? MessageState.Scheduled : MessageState.Available);
            Log.Enqueued(logger, path, message.SequenceNumber, message.State);
            Pump(now);
        }

        FlushAssigned();
        return message.SequenceNumber;
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

        FlushAssigned();
    }

    public SettleResult Complete(Guid lockToken) => Settle(lockToken, message =>
    {
        Remove(message);
        Log.Completed(logger, path, message.SequenceNumber);
    });

    public SettleResult Abandon(Guid lockToken, IReadOnlyDictionary<string, object>? changes) => Settle(lockToken, message =>
    {
        Apply(message, changes);
        Release(message, time.GetUtcNow());
    });

    /// <summary>Takes back a message the client never handed to its application: not a delivery attempt, so the count is undone.</summary>
    public SettleResult ReleaseUndelivered(Guid lockToken) => Settle(lockToken, message =>
    {
        message.DeliveryCount = Math.Max(0, message.DeliveryCount - 1);
        Release(message, time.GetUtcNow());
    });

    public SettleResult Defer(Guid lockToken, IReadOnlyDictionary<string, object>? changes) => Settle(lockToken, message =>
    {
        Apply(message, changes);
        SetState(message, MessageState.Deferred);
    });

    public SettleResult DeadLetter(Guid lockToken, string? reason, string? description, IReadOnlyDictionary<string, object>? changes) => Settle(lockToken, message =>
    {
        Apply(message, changes);
        MoveToDeadLetter(message, reason, description);
    });

    /// <summary>
    /// Takes back a delivery its consumer could not send (the link failed under it): the message is where it was,
    /// its delivery is not counted, and that consumer gets no more.
    /// </summary>
    public void ReturnUndelivered(IConsumer consumer, AssignedMessage delivery, Exception error)
    {
        lock (gate)
        {
            Interlocked.Decrement(ref deliveries);
            Log.DeliveryFailed(logger, error, path, delivery.Message.SequenceNumber);
            consumers.Remove(consumer);
            var message = delivery.Message;
            var stillOurs = consumer.ReceiveAndDelete
                ? messages.TryAdd(message.SequenceNumber, message)
                : locks.Remove(delivery.LockToken);
            if (stillOurs)
            {
                message.DeliveryCount = Math.Max(0, message.DeliveryCount - 1);
                SetState(message, MessageState.Available);
                Pump(time.GetUtcNow());
            }
        }

        FlushAssigned();
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

    /// <summary>Locks deferred messages by sequence number for a receive-by-sequence-number request; each counts as a delivery.</summary>
    public IReadOnlyList<(MessageSnapshot Message, Guid LockToken)> ReceiveDeferred(IEnumerable<long> sequenceNumbers)
    {
        lock (gate)
        {
            var result = new List<(MessageSnapshot, Guid)>();
            var now = time.GetUtcNow();
            foreach (var sequence in sequenceNumbers)
            {
                if (messages.TryGetValue(sequence, out var message) && message.State == MessageState.Deferred)
                {
                    var token = Lock(message, now);
                    result.Add((message.Snapshot(), token));
                    message.DeliveryCount++;
                }
            }

            return result;
        }
    }

    /// <summary>Every message still held, scheduled and locked ones included, from a sequence number on.</summary>
    public IReadOnlyList<MessageSnapshot> Peek(long fromSequenceNumber, int count)
    {
        lock (gate)
        {
            return [.. messages.Values.Where(m => m.SequenceNumber >= fromSequenceNumber).Take(count).Select(m => m.Snapshot())];
        }
    }

    public bool CancelScheduled(long sequenceNumber)
    {
        lock (gate)
        {
            if (!messages.TryGetValue(sequenceNumber, out var message) || message.State != MessageState.Scheduled)
            {
                return false;
            }

            Remove(message);
            return true;
        }
    }

    /// <summary>Expires locks and messages and releases scheduled messages that are due.</summary>
    public void Tick()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            List<StoredMessage>? lapsed = null;
            foreach (var message in locks.Values)
            {
                if (message.LockedUntil <= now)
                {
                    (lapsed ??= []).Add(message);
                }
            }

            foreach (var message in lapsed ?? [])
            {
                locks.Remove(message.LockToken);
                Log.LockExpired(logger, path, message.SequenceNumber);
                Release(message, now);
            }

            if (nextTimedEvent <= now)
            {
                RunTimedEvents(now);
            }

            Pump(now);
        }

        FlushAssigned();
    }

    /// <summary>Takes a message its entity dead-lettered, under that entity's lock; that entity flushes what this assigns.</summary>
    internal void AcceptDeadLettered(StoredMessage message)
    {
        lock (gate)
        {
            message.ExpiresAt = DateTimeOffset.MaxValue;
            message.DeliveryCount = 0;
            // Whatever state it had was the other entity's: here it starts out available.
            message.State = MessageState.Available;
            messages[message.SequenceNumber] = message;
            available.Add(message.SequenceNumber);
            lastSequence = Math.Max(lastSequence, message.SequenceNumber);
            Pump(time.GetUtcNow());
        }
    }

    private SettleResult Settle(Guid lockToken, Action<StoredMessage> settle)
    {
        SettleResult result;
        lock (gate)
        {
            if (TryTakeLock(lockToken, out var message))
            {
                settle(message);
                result = SettleResult.Done;
            }
            else
            {
                result = SettleResult.LockLost;
            }
        }

        FlushAssigned();
        return result;
    }

    /// <summary>
    /// Sends, outside the lock, what <see cref="Pump(DateTimeOffset)"/> assigned under it, here and in the
    /// dead-letter queue (which a settlement or an expiry here may have fed).
    /// </summary>
    private void FlushAssigned()
    {
        if (anyAssigned)
        {
            IConsumer[] flushing;
            lock (gate)
            {
                flushing = [.. assigned];
                assigned.Clear();
                anyAssigned = false;
            }

            foreach (var consumer in flushing)
            {
                consumer.Flush();
            }
        }

        deadLetterQueue?.FlushAssigned();
    }

    /// <summary>Expires messages past their time to live and releases scheduled ones that are due, then notes when to look again.</summary>
    private void RunTimedEvents(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        List<StoredMessage>? expired = null;
        foreach (var message in messages.Values)
        {
            if (message.State == MessageState.Scheduled)
            {
                if (ReleaseAt(message.ScheduledFor!.Value) <= now)
                {
                    SetState(message, MessageState.Available);
                }
                else
                {
                    next = Min(next, ReleaseAt(message.ScheduledFor!.Value));
                }
            }

            if (message.State != MessageState.Locked && message.ExpiresAt <= now)
            {
                (expired ??= []).Add(message);
            }
            else
            {
                // A locked message expires once it is released; until then it keeps the timer looking.
                next = Min(next, message.ExpiresAt);
            }
        }

        foreach (var message in expired ?? [])
        {
            Expire(message);
        }

        nextTimedEvent = next;
    }

    private void Pump(DateTimeOffset now)
    {
        while (consumers.Count > 0 && available.Count > 0)
        {
            var message = messages[available.Min];
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
            var shown = message.Snapshot();
            if (consumer.ReceiveAndDelete)
            {
                Remove(message);
            }

            message.DeliveryCount++;
            // Counted before it leaves: once it is on the wire the client may act on it, and whoever asks the
            // count then must see this delivery in it.
            Interlocked.Increment(ref deliveries);
            consumer.Assign(new AssignedMessage(message, token, shown));
            if (!assigned.Contains(consumer))
            {
                assigned.Add(consumer);
                anyAssigned = true;
            }
        }
    }

    private Guid Lock(StoredMessage message, DateTimeOffset now)
    {
        SetState(message, MessageState.Locked);
        message.LockToken = Guid.NewGuid();
        message.LockedUntil = now + options.LockDuration;
        locks[message.LockToken] = message;
        return message.LockToken;
    }

    private void SetState(StoredMessage message, MessageState state)
    {
        if (message.State == MessageState.Available)
        {
            available.Remove(message.SequenceNumber);
        }

        message.State = state;
        switch (state)
        {
            case MessageState.Available:
                available.Add(message.SequenceNumber);
                break;
            case MessageState.Scheduled:
                nextTimedEvent = Min(nextTimedEvent, ReleaseAt(message.ScheduledFor!.Value));
                break;
        }

        nextTimedEvent = Min(nextTimedEvent, message.ExpiresAt);
    }

    /// <summary>Takes a message out of the entity (completed, expired, dead-lettered, cancelled, or delivered in receive-and-delete mode).</summary>
    private void Remove(StoredMessage message)
    {
        messages.Remove(message.SequenceNumber);
        available.Remove(message.SequenceNumber);
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

        SetState(message, MessageState.Available);
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
            Remove(message);
            Log.Expired(logger, path, message.SequenceNumber);
        }
    }

    private void MoveToDeadLetter(StoredMessage message, string? reason, string? description)
    {
        Remove(message);
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

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>
    /// AMQP carries the scheduled time in whole milliseconds, so the sender's instant may lie up to a millisecond
    /// after what arrives: a message is released only once that whole millisecond has passed, never before its time.
    /// </summary>
    private static DateTimeOffset ReleaseAt(DateTimeOffset scheduled) => scheduled.AddMilliseconds(1);
}
