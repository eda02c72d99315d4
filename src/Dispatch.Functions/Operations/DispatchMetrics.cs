using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Operations;

/// <summary>
/// The app's own metrics (meter <c>Dispatch</c>), exported by OpenTelemetry to Application Insights or OTLP
/// (README, "Operations"). Tags carry kinds, levels, functions and status codes; never a person, an address or a contact.
/// </summary>
public sealed class DispatchMetrics : IDisposable
{
    public const string MeterName = "Dispatch";

    private readonly Meter meter;
    private readonly Histogram<double> sweepDuration;
    private readonly Counter<long> sweepRuns;
    private readonly Counter<long> sweepDue;
    private readonly Counter<long> sweepChanged;
    private readonly Counter<long> sweepConflicts;
    private readonly Counter<long> noticesSent;
    private readonly Counter<long> noticesFailed;
    private readonly Histogram<double> escalationLateness;
    private readonly Histogram<double> immediateLatency;
    private readonly Counter<long> httpRequests;
    private readonly RequestRates rates = new();
    private (long Count, double OldestAgeSeconds) outbox;
    private Instant outboxMeasuredAt = Instant.MinValue;

    public DispatchMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        sweepDuration = meter.CreateHistogram<double>("dispatch.sweep.duration", "s", "How long one sweep run took, relay included.");
        sweepRuns = meter.CreateCounter<long>("dispatch.sweep.runs", "{run}", "Sweep runs by result: ok, over-budget, storage-unavailable.");
        sweepDue = meter.CreateCounter<long>("dispatch.sweep.due", "{incident}", "Incidents the sweep found due.");
        sweepChanged = meter.CreateCounter<long>("dispatch.sweep.changed", "{incident}", "Incidents the sweep changed (a warning or a level recorded).");
        sweepConflicts = meter.CreateCounter<long>("dispatch.sweep.conflicts", "{incident}", "Incidents another writer changed first; retried on fresh state.");
        noticesSent = meter.CreateCounter<long>("dispatch.notices.sent", "{message}", "Notices sent to the escalations topic, by kind and audience.");
        noticesFailed = meter.CreateCounter<long>("dispatch.notices.failed", "{message}", "Sends that failed; the notice stays in the outbox.");
        escalationLateness = meter.CreateHistogram<double>("dispatch.escalation.lateness", "s", "From the instant a warning or a rung was due to its message being sent.");
        immediateLatency = meter.CreateHistogram<double>("dispatch.immediate.latency", "s", "From the report of a major matter to its message being sent.");
        httpRequests = meter.CreateCounter<long>("dispatch.http.requests", "{request}", "API requests by function and status (401 and 403 included).");
        meter.CreateObservableGauge("dispatch.outbox.backlog", () => Volatile.Read(ref outbox.Count), "{notice}", "Notices committed and not yet confirmed sent.");
        meter.CreateObservableGauge("dispatch.outbox.oldest_age", () => outbox.OldestAgeSeconds, "s", "Age of the oldest notice not yet confirmed sent.");
    }

    public RequestRates Rates => rates;

    public void Swept(SweepReport report)
    {
        sweepRuns.Add(1, new KeyValuePair<string, object?>("result", "ok"));
        sweepDuration.Record(report.Elapsed.TotalSeconds);
        sweepDue.Add(report.Due);
        sweepChanged.Add(report.Changed);
        sweepConflicts.Add(report.Conflicts);
    }

    public void SweepFailed(string result) => sweepRuns.Add(1, new KeyValuePair<string, object?>("result", result));

    public void NoticeSent(Notice notice, Instant sentAt)
    {
        var kind = new KeyValuePair<string, object?>("kind", notice.Kind.Name());
        noticesSent.Add(1, kind, new KeyValuePair<string, object?>("audience", Core.Policy.AudienceNames.Name(notice.Audience)));
        var late = Math.Max(0, (sentAt - notice.DueAt).TotalSeconds);
        if (notice.Kind == NoticeKind.Immediate)
        {
            immediateLatency.Record(late);
        }
        else
        {
            escalationLateness.Record(late, kind);
        }
    }

    public void NoticeFailed(Notice notice) => noticesFailed.Add(1, new KeyValuePair<string, object?>("kind", notice.Kind.Name()));

    public void Request(string function, int status, Instant at)
    {
        httpRequests.Add(1, new KeyValuePair<string, object?>("function", function), new KeyValuePair<string, object?>("status", status));
        rates.Add(function, status, at);
    }

    public void Outbox(long count, Duration? oldest, Instant at)
    {
        outbox = (count, oldest?.TotalSeconds ?? 0);
        outboxMeasuredAt = at;
    }

    /// <summary>True when the outbox gauge is more than 30 seconds old.</summary>
    public bool OutboxDue(Instant now) => now - outboxMeasuredAt >= Duration.FromSeconds(30);

    public void Dispose() => meter.Dispose();
}

/// <summary>Requests of the last minute by function and status, for the operator's status view (this instance only).</summary>
public sealed class RequestRates
{
    private readonly ConcurrentQueue<(Instant At, string Function, int Status)> recent = new();

    public void Add(string function, int status, Instant at)
    {
        recent.Enqueue((at, function, status));
        while (recent.TryPeek(out var oldest) && at - oldest.At > Duration.FromMinutes(1))
        {
            recent.TryDequeue(out _);
        }
    }

    public IReadOnlyList<(string Function, int Status, int Count)> LastMinute(Instant now) =>
        [.. recent.Where(r => now - r.At <= Duration.FromMinutes(1)).GroupBy(r => (r.Function, r.Status))
            .Select(g => (g.Key.Function, g.Key.Status, g.Count())).OrderBy(r => r.Function, StringComparer.Ordinal).ThenBy(r => r.Status)];
}
