using Microsoft.Extensions.Logging;

namespace Dispatch.Bus;

internal static partial class Log
{
    [LoggerMessage(2001, LogLevel.Debug, "{Entity}: message {SequenceNumber} enqueued ({State})")]
    public static partial void Enqueued(ILogger logger, string entity, long sequenceNumber, MessageState state);

    [LoggerMessage(2002, LogLevel.Debug, "{Entity}: message {SequenceNumber} completed")]
    public static partial void Completed(ILogger logger, string entity, long sequenceNumber);

    [LoggerMessage(2003, LogLevel.Debug, "{Entity}: lock on message {SequenceNumber} expired")]
    public static partial void LockExpired(ILogger logger, string entity, long sequenceNumber);

    [LoggerMessage(2004, LogLevel.Debug, "{Entity}: message {SequenceNumber} expired and was dropped")]
    public static partial void Expired(ILogger logger, string entity, long sequenceNumber);

    [LoggerMessage(2005, LogLevel.Debug, "{Entity}: message {SequenceNumber} dead-lettered ({Reason})")]
    public static partial void DeadLettered(ILogger logger, string entity, long sequenceNumber, string reason);

    [LoggerMessage(2006, LogLevel.Debug, "{Entity}: duplicate message {MessageId} dropped")]
    public static partial void Duplicate(ILogger logger, string entity, string messageId);

    [LoggerMessage(2007, LogLevel.Debug, "Link {Link} attached to {Address}")]
    public static partial void LinkAttached(ILogger logger, string link, string address);

    [LoggerMessage(2008, LogLevel.Warning, "Link attach to {Address} refused: {Reason}")]
    public static partial void LinkRefused(ILogger logger, string address, string reason);

    [LoggerMessage(2009, LogLevel.Warning, "Request on {Node} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(2011, LogLevel.Warning, "{Entity}: delivery of message {SequenceNumber} failed")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception, string entity, long sequenceNumber);

    [LoggerMessage(2010, LogLevel.Debug, "Connection {Connection} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connection);
}
