using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Dispatch.Functions.Operations;

/// <summary>What the app depends on, by the name an operator reads in its logs.</summary>
public static class Dependencies
{
    public const string TableStorage = "Table storage";

    public const string ServiceBus = "Service Bus";
}

/// <summary>One dependency as the app last saw it.</summary>
/// <param name="Since">When it stopped answering; null while it answers.</param>
public sealed record DependencyState(string Name, bool Up, Instant? Since, long FailedCalls, int InFlight, string? LastError);

/// <summary>
/// Turns a dependency's failures into a few useful lines instead of one stack trace per call: a warning when an
/// outage starts (what, since when, why), a reminder with the count every 30 seconds while it lasts, and one
/// line when it ends. It also knows how many calls are waiting on each dependency, for a run that overruns.
/// </summary>
public sealed partial class DependencyMonitor(IClock clock, ILogger<DependencyMonitor> logger)
{
    private static readonly Duration ReminderEvery = Duration.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Tracked> dependencies = new(StringComparer.Ordinal);

    /// <summary>Marks one call to <paramref name="dependency"/> in flight until disposed.</summary>
    public InFlightCall Begin(string dependency)
    {
        var tracked = Of(dependency);
        Interlocked.Increment(ref tracked.InFlight);
        return new InFlightCall(tracked);
    }

    public void Succeeded(string dependency)
    {
        var tracked = Of(dependency);
        if (tracked.Since is null)
        {
            return;
        }

        lock (tracked)
        {
            if (tracked.Since is not { } since)
            {
                return;
            }

            LogRecovered(logger, dependency, (clock.GetCurrentInstant() - since).ToTimeSpan(), tracked.FailedCalls);
            tracked.Since = null;
            tracked.FailedCalls = 0;
            tracked.LastError = null;
        }
    }

    public void Failed(string dependency, string reason)
    {
        var tracked = Of(dependency);
        var now = clock.GetCurrentInstant();
        lock (tracked)
        {
            tracked.FailedCalls++;
            tracked.LastError = reason;
            if (tracked.Since is null)
            {
                tracked.Since = now;
                tracked.RemindedAt = now;
                LogOutage(logger, dependency, reason);
            }
            else if (now - tracked.RemindedAt >= ReminderEvery)
            {
                tracked.RemindedAt = now;
                LogStillDown(logger, dependency, (now - tracked.Since.Value).ToTimeSpan(), tracked.FailedCalls, reason);
            }
        }
    }

    public IReadOnlyList<DependencyState> States =>
        [.. new[] { Dependencies.TableStorage, Dependencies.ServiceBus }.Concat(dependencies.Keys).Distinct().Order(StringComparer.Ordinal).Select(name =>
        {
            var t = Of(name);
            lock (t)
            {
                return new DependencyState(name, t.Since is null, t.Since, t.FailedCalls, Volatile.Read(ref t.InFlight), t.LastError);
            }
        })];

    /// <summary>"Table storage: 3 calls waiting; Service Bus: 1", or "nothing" — what a run that ran out of time was waiting on.</summary>
    public string WaitingOn()
    {
        var waiting = dependencies.Where(d => Volatile.Read(ref d.Value.InFlight) > 0).Select(d => $"{d.Key}: {d.Value.InFlight} call(s) waiting").ToList();
        return waiting.Count == 0 ? "nothing (the run itself was slow)" : string.Join("; ", waiting);
    }

    private Tracked Of(string dependency) => dependencies.GetOrAdd(dependency, _ => new Tracked());

    [LoggerMessage(1101, LogLevel.Warning, "{Dependency} is not answering: {Reason}. Requests that need it get 503 until it is back.")]
    private static partial void LogOutage(ILogger logger, string dependency, string reason);

    [LoggerMessage(1102, LogLevel.Warning, "{Dependency} still not answering after {Duration}: {FailedCalls} calls failed; last: {Reason}")]
    private static partial void LogStillDown(ILogger logger, string dependency, TimeSpan duration, long failedCalls, string reason);

    [LoggerMessage(1103, LogLevel.Warning, "{Dependency} is answering again after {Duration}; {FailedCalls} calls failed meanwhile")]
    private static partial void LogRecovered(ILogger logger, string dependency, TimeSpan duration, long failedCalls);

    public sealed class Tracked
    {
        internal int InFlight;

        internal Instant? Since { get; set; }

        internal Instant RemindedAt { get; set; }

        internal long FailedCalls { get; set; }

        internal string? LastError { get; set; }
    }

    public readonly struct InFlightCall(Tracked tracked) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref tracked.InFlight);
    }
}
