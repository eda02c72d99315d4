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

    [LoggerMessage(1005, LogLevel.Information, "Unauthenticated request to {Function}: {Error}")]
    public static partial void Unauthenticated(ILogger logger, string function, string error);

    [LoggerMessage(1006, LogLevel.Error, "Audit record of {Function} (outcome {Outcome}) could not be written")]
    public static partial void AuditNotWritten(ILogger logger, Exception exception, string function, int outcome);

    [LoggerMessage(1007, LogLevel.Warning, "{Method} {Path} ran out of its {Budget} budget")]
    public static partial void OverBudget(ILogger logger, string method, string path, TimeSpan budget);

    [LoggerMessage(1004, LogLevel.Information, "Sweep: {Entries} entries came due, {Due} incidents due, {Changed} changed, {Conflicts} lost to another sweep, {Notices} notices, {Reindexed} re-indexed; relay sent {Sent}, failed {Failed}; {Requests} storage requests in {ElapsedMs} ms; more waiting: {Truncated}")]
    public static partial void Swept(ILogger logger, int entries, int due, int changed, int conflicts, int notices, int reindexed, int sent, int failed, int requests, long elapsedMs, bool truncated);
}
