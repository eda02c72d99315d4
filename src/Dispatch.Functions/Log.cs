using Microsoft.Extensions.Logging;

namespace Dispatch.Functions;

/// <summary>Every log line the app writes, as compiled message templates. None carries personal data.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "Storage unavailable for {Method} {Path}")]
    public static partial void StorageUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(1002, LogLevel.Error, "Unhandled error for {Method} {Path}, trace {TraceId}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path, string traceId);

    [LoggerMessage(1003, LogLevel.Warning, "Health check: storage unavailable")]
    public static partial void HealthCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Information, "Sweep: {Due} due, {Changed} changed, {Conflicts} lost to another sweep, {Notices} notices; relay sent {Sent}, failed {Failed}")]
    public static partial void Swept(ILogger logger, int due, int changed, int conflicts, int notices, int sent, int failed);
}
