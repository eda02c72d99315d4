using System.Collections.Concurrent;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;

namespace Dispatch.Bus.Amqp;

/// <summary>Where a client's sender delivers: a queue or a topic.</summary>
internal interface IDestination
{
    string Path { get; }

    /// <summary>Stores the message and returns its sequence number, or null when it was a duplicate and was dropped.</summary>
    long? Accept(StoredMessage message);

    void CancelScheduled(long sequenceNumber);
}

internal sealed class QueueDestination(MessageEntity queue, DuplicateDetector duplicates, ILogger logger) : IDestination
{
    public string Path => queue.Path;

    public long? Accept(StoredMessage message)
    {
        if (duplicates.IsDuplicate(message.Facts.MessageId))
        {
            Log.Duplicate(logger, queue.Path, message.Facts.MessageId!);
            return null;
        }

        return queue.Enqueue(message);
    }

    public void CancelScheduled(long sequenceNumber) => queue.CancelScheduled(sequenceNumber);
}

internal sealed class TopicDestination(Topic topic, ILogger logger) : IDestination
{
    public string Path => topic.Path;

    public long? Accept(StoredMessage message)
    {
        if (topic.Duplicates.IsDuplicate(message.Facts.MessageId))
        {
            Log.Duplicate(logger, topic.Path, message.Facts.MessageId!);
            return null;
        }

        return topic.Publish(message);
    }

    public void CancelScheduled(long sequenceNumber) => topic.CancelScheduled(sequenceNumber);
}

/// <summary>A client's sender: every transfer (or batch) is stored, then accepted.</summary>
internal sealed class Publisher
{
    private readonly ReceivingAmqpLink link;
    private readonly IDestination destination;
    private readonly TimeProvider time;

    public Publisher(ReceivingAmqpLink link, IDestination destination, TimeProvider time)
    {
        this.link = link;
        this.destination = destination;
        this.time = time;
        link.RegisterMessageListener(OnMessage);
    }

    private void OnMessage(AmqpMessage message)
    {
        try
        {
            foreach (var encoded in MessageCodec.Unbatch(message))
            {
                destination.Accept(MessageCodec.ToStored(encoded, time));
            }

            link.AcceptMessage(message, false);
        }
        catch (Exception e) when (e is AmqpException or InvalidOperationException or FormatException or InvalidCastException)
        {
            link.RejectMessage(message, e);
        }
        finally
        {
            message.Dispose();
        }
    }
}

/// <summary>A client's receiver: gets messages while it has credit and settles them by lock token.</summary>
internal sealed class Consumer : IConsumer
{
    public const string LockLostCondition = "com.microsoft:message-lock-lost";
    private readonly SendingAmqpLink link;
    private readonly MessageEntity entity;
    private readonly ConcurrentQueue<AssignedMessage> outgoing = new();

    /// <summary>Assigned by the entity and not yet handed to the link, which has not taken their credit yet.</summary>
    private int unsent;
    private int flushing;

    public Consumer(SendingAmqpLink link, MessageEntity entity)
    {
        this.link = link;
        this.entity = entity;
        link.RegisterCreditListener((_, _, _) => entity.Pump());
        link.RegisterDispositionListener(OnDisposition);
        link.Closed += (_, _) =>
        {
            entity.Detach(this);
            // Whatever was assigned and not yet sent goes back to the entity.
            Flush();
        };
        entity.Attach(this);
    }

    public int Credit => link.State == AmqpObjectState.Opened ? (int)link.LinkCredit - Volatile.Read(ref unsent) : 0;

    public bool ReceiveAndDelete => link.Settings.SettleType == SettleMode.SettleOnSend;

    public void Assign(AssignedMessage message)
    {
        Interlocked.Increment(ref unsent);
        outgoing.Enqueue(message);
    }

    /// <summary>One thread at a time sends, in the order the entity assigned; a caller that finds another sending leaves it to that one.</summary>
    public void Flush()
    {
        while (!outgoing.IsEmpty && Interlocked.CompareExchange(ref flushing, 1, 0) == 0)
        {
            while (outgoing.TryDequeue(out var message))
            {
                try
                {
                    Send(message);
                }
                catch (Exception e) when (e is AmqpException or ObjectDisposedException or InvalidOperationException or InvalidCastException)
                {
                    entity.ReturnUndelivered(this, message, e);
                }
                finally
                {
                    Interlocked.Decrement(ref unsent);
                }
            }

            Volatile.Write(ref flushing, 0);
        }
    }

    private void Send(AssignedMessage message)
    {
        if (link.State != AmqpObjectState.Opened)
        {
            throw new InvalidOperationException($"The link is {link.State}.");
        }

        var amqp = MessageCodec.ForDelivery(message.Shown, locked: !ReceiveAndDelete);
        link.SendMessageNoWait(amqp, new ArraySegment<byte>(message.LockToken.ToByteArray()), default);
    }

    private void OnDisposition(Delivery delivery)
    {
        if (delivery.DeliveryTag.Count != 16)
        {
            link.DisposeDelivery(delivery, true, new Accepted());
            return;
        }

        var lockToken = new Guid(delivery.DeliveryTag.AsSpan());
        var (result, reply) = Settle(entity, lockToken, delivery.State);
        link.DisposeDelivery(delivery, true, result == SettleResult.Done ? reply : LockLost());
    }

    /// <summary>Applies a client's outcome; the reply echoes it (a dead-letter is acknowledged with a plain Rejected).</summary>
    /// <remarks>
    /// <c>released</c> is how the client hands back a message it never gave to the application (one that
    /// arrived after its receive call had given up, or was still buffered when the receiver closed). AMQP 1.0
    /// (3.4.4) does not count a release as a failed delivery attempt, and neither does Service Bus, so it
    /// goes back with its delivery count unchanged. <c>modified</c> is the client's abandon: Service Bus
    /// counts it, although the client does not set <c>delivery-failed</c>.
    /// </remarks>
    public static (SettleResult Result, DeliveryState Reply) Settle(MessageEntity entity, Guid lockToken, DeliveryState? state) => state switch
    {
        Accepted => (entity.Complete(lockToken), new Accepted()),
        Modified { UndeliverableHere: true } modified => (entity.Defer(lockToken, ToChanges(modified.MessageAnnotations)), modified),
        Modified modified => (entity.Abandon(lockToken, ToChanges(modified.MessageAnnotations)), modified),
        Rejected rejected => (DeadLetter(entity, lockToken, rejected.Error?.Info), new Rejected()),
        _ => (entity.ReleaseUndelivered(lockToken), new Released()),
    };

    public static Rejected LockLost() => new()
    {
        Error = new Error { Condition = LockLostCondition, Description = "The lock on the message was lost: it expired or the message was already settled." },
    };

    private static SettleResult DeadLetter(MessageEntity entity, Guid lockToken, Fields? info)
    {
        var changes = ToChanges(info) ?? new Dictionary<string, object>();
        changes.Remove("DeadLetterReason", out var reason);
        changes.Remove("DeadLetterErrorDescription", out var description);
        return entity.DeadLetter(lockToken, reason as string, description as string, changes);
    }

    private static Dictionary<string, object>? ToChanges(Fields? fields) =>
        fields?.ToDictionary(f => f.Key.Key.ToString()!, f => f.Value, StringComparer.Ordinal);
}
