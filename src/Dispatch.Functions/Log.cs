using Microsoft.Extensions.Logging;

namespace Dispatch.Functions;

/// <summary>Every log line the app writes, as compiled message templates. None carries personal data.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Debug, "503 for {Method} {Path}: {Reason}")]
    public static partial void StorageUnavailable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(1002, LogLevel.Error, "Unhandled error for {Method} {Path}, trace {TraceId}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path, string traceId);

    [LoggerMessage(1003, LogLevel.Debug, "Health check: storage unavailable ({Reason})")]
    public static partial void HealthCheckFailed(ILogger logger, string reason);

    [LoggerMessage(1005, LogLevel.Information, "Unauthenticated request to {Function}: {Error}")]
    public static partial void Unauthenticated(ILogger logger, string function, string error);

    [LoggerMessage(1006, LogLevel.Error, "Audit record of {Function} (outcome {Outcome}) could not be written")]
    public static partial void AuditNotWritten(ILogger logger, Exception exception, string function, int outcome);

    [LoggerMessage(1007, LogLevel.Warning, "{Method} {Path} ran out of its {Budget} budget")]
    public static partial void OverBudget(ILogger logger, string method, string path, TimeSpan budget);

    [LoggerMessage(1008, LogLevel.Warning, "Sweep ran out of its {Budget} budget; it was waiting on {WaitingOn}. What it did not finish is still due and is taken up by the next run.")]
    public static partial void SweepOverBudget(ILogger logger, TimeSpan budget, string waitingOn);

    [LoggerMessage(1009, LogLevel.Information, "Sweep skipped: {Reason}")]
    public static partial void SweepSkipped(ILogger logger, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Sweep: {Entries} entries came due, {Due} incidents due, {Changed} changed, {Conflicts} lost to another sweep, {Notices} notices, {Reindexed} re-indexed; relay sent {Sent}, failed {Failed}; {Requests} storage requests in {ElapsedMs} ms; more waiting: {Truncated}")]
    public static partial void Swept(ILogger logger, int entries, int due, int changed, int conflicts, int notices, int reindexed, int sent, int failed, int requests, long elapsedMs, bool truncated);
}
