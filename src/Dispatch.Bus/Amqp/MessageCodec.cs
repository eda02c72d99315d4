using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;

namespace Dispatch.Bus.Amqp;

/// <summary>Between AMQP messages on the wire and the bytes the broker stores.</summary>
internal static class MessageCodec
{
    /// <summary>Service Bus's batch format: each Data section of the outer message is one encoded message.</summary>
    public const uint BatchFormat = 0x80013700;

    public const string SequenceNumber = "x-opt-sequence-number";
    public const string EnqueuedTime = "x-opt-enqueued-time";
    public const string LockedUntil = "x-opt-locked-until";
    public const string ScheduledEnqueueTime = "x-opt-scheduled-enqueue-time";
    public const string DeadLetterSource = "x-opt-deadletter-source";
    public const string EnqueueSequenceNumber = "x-opt-enqueue-sequence-number";
    public const string MessageState = "x-opt-message-state";

    /// <summary>The encoded messages a transfer carries: one, or many for a batch.</summary>
    public static IEnumerable<byte[]> Unbatch(AmqpMessage incoming)
    {
        if (incoming.MessageFormat == BatchFormat)
        {
            foreach (var data in incoming.DataBody)
            {
                yield return Bytes(data.Value);
            }
        }
        else
        {
            yield return Encode(incoming);
        }
    }

    public static byte[] Encode(AmqpMessage message)
    {
        using var stream = message.ToStream();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static AmqpMessage Decode(byte[] encoded)
    {
        var message = AmqpMessage.CreateAmqpStreamMessage(new BufferListStream([new ArraySegment<byte>(encoded)]), true);
        message.Deserialize(SectionFlag.All);
        return message;
    }

    public static StoredMessage ToStored(byte[] encoded, TimeProvider time)
    {
        using var message = Decode(encoded);
        var system = new Dictionary<string, string>(StringComparer.Ordinal);
        string? messageId = null;
        if (Has(message, SectionFlag.Properties))
        {
            var p = message.Properties;
            messageId = p.MessageId?.ToString();
            Add(system, "MessageId", messageId);
            Add(system, "CorrelationId", p.CorrelationId?.ToString());
            Add(system, "To", p.To?.ToString());
            Add(system, "ReplyTo", p.ReplyTo?.ToString());
            Add(system, "Label", p.Subject);
            Add(system, "ContentType", p.ContentType.Value);
            Add(system, "SessionId", p.GroupId);
            Add(system, "ReplyToSessionId", p.ReplyToGroupId);
        }

        var application = new Dictionary<string, object>(StringComparer.Ordinal);
        if (Has(message, SectionFlag.ApplicationProperties))
        {
            foreach (var (key, value) in message.ApplicationProperties.Map)
            {
                application[key.Key.ToString()!] = value;
            }
        }

        TimeSpan? ttl = Has(message, SectionFlag.Header) && message.Header.Ttl is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
        DateTimeOffset? scheduled = null;
        if (Has(message, SectionFlag.MessageAnnotations)
            && message.MessageAnnotations.Map.TryGetValue(ScheduledEnqueueTime, out object? at) && at is DateTime when)
        {
            scheduled = new DateTimeOffset(DateTime.SpecifyKind(when, DateTimeKind.Utc));
        }

        return new StoredMessage
        {
            Encoded = encoded,
            Facts = new MessageFacts(messageId, system, application, ttl),
            ScheduledFor = scheduled is { } s && s > time.GetUtcNow() ? s : null,
        };
    }

    private static readonly Dictionary<string, object> EmptyChanges = [];

    /// <summary>A fresh message for one delivery: the client's sections plus the broker's annotations.</summary>
    public static AmqpMessage ForDelivery(MessageSnapshot stored, bool locked)
    {
        using var source = Decode(stored.Encoded);
        var message = source.BodyType switch
        {
            SectionFlag.Data => AmqpMessage.Create(source.DataBody.Select(d => new Data { Value = new ArraySegment<byte>(Bytes(d.Value)) }).ToList()),
            SectionFlag.AmqpValue => AmqpMessage.Create(new AmqpValue { Value = source.ValueBody.Value }),
            SectionFlag.AmqpSequence => AmqpMessage.Create(source.SequenceBody.Select(s => new AmqpSequence(s.List)).ToList()),
            _ => AmqpMessage.Create(),
        };

        if (Has(source, SectionFlag.Header))
        {
            message.Header.Durable = source.Header.Durable;
            message.Header.Priority = source.Header.Priority;
            message.Header.Ttl = source.Header.Ttl;
            message.Header.FirstAcquirer = source.Header.FirstAcquirer;
        }

        message.Header.DeliveryCount = (uint)stored.DeliveryCount;
        if (Has(source, SectionFlag.Properties))
        {
            var from = source.Properties;
            var to = message.Properties;
            to.MessageId = from.MessageId;
            to.UserId = from.UserId;
            to.To = from.To;
            to.Subject = from.Subject;
            to.ReplyTo = from.ReplyTo;
            to.CorrelationId = from.CorrelationId;
            to.ContentType = from.ContentType;
            to.ContentEncoding = from.ContentEncoding;
            to.AbsoluteExpiryTime = from.AbsoluteExpiryTime;
            to.CreationTime = from.CreationTime;
            to.GroupId = from.GroupId;
            to.GroupSequence = from.GroupSequence;
            to.ReplyToGroupId = from.ReplyToGroupId;
        }

        message.ApplicationProperties = new ApplicationProperties();
        if (Has(source, SectionFlag.ApplicationProperties))
        {
            foreach (var (key, value) in source.ApplicationProperties.Map)
            {
                message.ApplicationProperties.Map[key] = value;
            }
        }

        foreach (var (key, value) in stored.Changes ?? EmptyChanges)
        {
            message.ApplicationProperties.Map[key] = value;
        }

        message.MessageAnnotations = new MessageAnnotations();
        if (Has(source, SectionFlag.MessageAnnotations))
        {
            foreach (var (key, value) in source.MessageAnnotations.Map)
            {
                message.MessageAnnotations.Map[key] = value;
            }
        }

        var annotations = message.MessageAnnotations.Map;
        annotations[SequenceNumber] = stored.SequenceNumber;
        annotations[EnqueueSequenceNumber] = stored.SequenceNumber;
        annotations[EnqueuedTime] = stored.EnqueuedAt.UtcDateTime;
        if (locked)
        {
            annotations[LockedUntil] = stored.LockedUntil.UtcDateTime;
        }

        annotations[MessageState] = stored.State switch
        {
            Bus.MessageState.Scheduled => 2,
            Bus.MessageState.Deferred => 1,
            _ => 0,
        };
        if (stored.DeadLetterSource is not null)
        {
            annotations[DeadLetterSource] = stored.DeadLetterSource;
        }

        return message;
    }

    public static byte[] Bytes(object? value) => value switch
    {
        ArraySegment<byte> segment => segment.ToArray(),
        byte[] bytes => bytes,
        _ => throw new AmqpException(AmqpErrorCode.DecodeError, "expected binary data"),
    };

    private static bool Has(AmqpMessage message, SectionFlag section) => (message.Sections & section) != 0;

    private static void Add(Dictionary<string, string> map, string key, string? value)
    {
        if (value is not null)
        {
            map[key] = value;
        }
    }
}
