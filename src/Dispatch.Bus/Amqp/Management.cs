using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;

namespace Dispatch.Bus.Amqp;

/// <summary>An entity's $management operations: renew lock, peek, schedule, cancel, and settling by lock token.</summary>
internal sealed class Management(MessageEntity? entity, IDestination? destination, TimeProvider time)
{
    private const string Prefix = "com.microsoft:";

    public AmqpMessage Handle(AmqpMessage request)
    {
        var operation = request.ApplicationProperties?.Map["operation"] as string ?? "";
        var body = request.ValueBody?.Value as AmqpMap ?? new AmqpMap();
        return operation switch
        {
            Prefix + "renew-lock" when entity is not null => RenewLock(body),
            Prefix + "peek-message" when entity is not null => Peek(body),
            Prefix + "update-disposition" when entity is not null => UpdateDisposition(body),
            Prefix + "receive-by-sequence-number" when entity is not null => ReceiveDeferred(body),
            Prefix + "schedule-message" when destination is not null => Schedule(body),
            Prefix + "cancel-scheduled-message" when destination is not null => Cancel(body),
            _ => Response(501, $"Operation '{operation}' is not supported by the local broker.", null),
        };
    }

    public static AmqpMessage Response(int status, string description, AmqpMap? body)
    {
        var response = body is null ? AmqpMessage.Create() : AmqpMessage.Create(new AmqpValue { Value = body });
        response.ApplicationProperties = new ApplicationProperties();
        response.ApplicationProperties.Map["statusCode"] = status;
        response.ApplicationProperties.Map["statusDescription"] = description;
        return response;
    }

    private AmqpMessage RenewLock(AmqpMap body)
    {
        var tokens = (Guid[])body[new MapKey("lock-tokens")];
        var expirations = new DateTime[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            var until = entity!.RenewLock(tokens[i]);
            if (until is null)
            {
                return LockLost();
            }

            expirations[i] = until.Value.UtcDateTime;
        }

        return Response(200, "OK", new AmqpMap { [new MapKey("expirations")] = expirations });
    }

    private AmqpMessage Peek(AmqpMap body)
    {
        var from = Convert.ToInt64(body[new MapKey("from-sequence-number")], System.Globalization.CultureInfo.InvariantCulture);
        var count = Convert.ToInt32(body[new MapKey("message-count")], System.Globalization.CultureInfo.InvariantCulture);
        var messages = entity!.Peek(from, count);
        if (messages.Count == 0)
        {
            return Response(204, "No messages", null);
        }

        var list = new List<AmqpMap>();
        foreach (var message in messages)
        {
            using var amqp = MessageCodec.ForDelivery(message, locked: false);
            list.Add(new AmqpMap { [new MapKey("message")] = new ArraySegment<byte>(MessageCodec.Encode(amqp)) });
        }

        return Response(200, "OK", new AmqpMap { [new MapKey("messages")] = list });
    }

    private AmqpMessage ReceiveDeferred(AmqpMap body)
    {
        var sequences = (long[])body[new MapKey("sequence-numbers")];
        var list = new List<AmqpMap>();
        foreach (var (message, token) in entity!.ReceiveDeferred(sequences))
        {
            using var amqp = MessageCodec.ForDelivery(message, locked: true);
            list.Add(new AmqpMap
            {
                [new MapKey("message")] = new ArraySegment<byte>(MessageCodec.Encode(amqp)),
                [new MapKey("lock-token")] = token,
            });
        }

        return list.Count == 0
            ? Response(404, "No deferred message has those sequence numbers.", null)
            : Response(200, "OK", new AmqpMap { [new MapKey("messages")] = list });
    }

    private AmqpMessage UpdateDisposition(AmqpMap body)
    {
        var status = body[new MapKey("disposition-status")] as string;
        var tokens = (Guid[])body[new MapKey("lock-tokens")];
        var changes = body[new MapKey("properties-to-modify")] is AmqpMap map
            ? map.ToDictionary(p => p.Key.Key.ToString()!, p => p.Value, StringComparer.Ordinal)
            : null;
        foreach (var token in tokens)
        {
            var result = status switch
            {
                "completed" => entity!.Complete(token),
                "abandoned" => entity!.Abandon(token, changes),
                "defered" => entity!.Defer(token, changes),
                "suspended" => entity!.DeadLetter(token, body[new MapKey("deadletter-reason")] as string, body[new MapKey("deadletter-description")] as string, changes),
                _ => throw new InvalidOperationException($"Unknown disposition status '{status}'."),
            };
            if (result == SettleResult.LockLost)
            {
                return LockLost();
            }
        }

        return Response(200, "OK", new AmqpMap());
    }

    private AmqpMessage Schedule(AmqpMap body)
    {
        var messages = (IEnumerable<object>)body[new MapKey("messages")];
        var sequences = new List<long>();
        foreach (AmqpMap entry in messages)
        {
            var stored = MessageCodec.ToStored(MessageCodec.Bytes(entry[new MapKey("message")]), time);
            sequences.Add(destination!.Accept(stored) ?? 0);
        }

        return Response(200, "OK", new AmqpMap { [new MapKey("sequence-numbers")] = sequences.ToArray() });
    }

    private AmqpMessage Cancel(AmqpMap body)
    {
        foreach (var sequence in (long[])body[new MapKey("sequence-numbers")])
        {
            destination!.CancelScheduled(sequence);
        }

        return Response(200, "OK", new AmqpMap());
    }

    private static AmqpMessage LockLost()
    {
        var response = Response(410, "The lock on the message was lost.", null);
        response.ApplicationProperties.Map["errorCondition"] = new AmqpSymbol(Consumer.LockLostCondition);
        return response;
    }
}
