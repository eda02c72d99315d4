using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using NodaTime;

namespace Dispatch.Bench;

/// <summary>
/// Where a sweep's wall-clock time goes: every call the sweep makes to its ports (the store, the due index, the outbox,
/// the publisher) is timed and its storage requests counted, by wrapping the ports. A step's busy time is the time at
/// least one of its calls was under way; its calls' summed time over that is how many ran at once, on average.
/// </summary>
public sealed class BurstProfile
{
    private readonly ConcurrentDictionary<string, Step> steps = new(StringComparer.Ordinal);
    private readonly long origin = Stopwatch.GetTimestamp();

    /// <summary>The steps, in the order they first began, with the time no storage call or send was under way.</summary>
    public IReadOnlyList<StepFigure> Figures(double sweepMs)
    {
        var figures = steps.Values.OrderBy(s => s.FirstStart).Select(s => s.Figure()).ToList();
        var all = Union(steps.Values.SelectMany(s => s.Intervals));
        figures.Add(new StepFigure("nothing under way (the app's own work: reading bodies, the policy, building rows; waits between steps)",
            sweepMs - all, 0, 0, 0));
        return figures;
    }

    public IIncidentStore Wrap(IIncidentStore store) => new ProfiledStore(store, this);

    public IDueIndex Wrap(IDueIndex index) => new ProfiledIndex(index, this);

    public INoticeOutbox Wrap(INoticeOutbox outbox) => new ProfiledOutbox(outbox, this);

    public INoticePublisher Wrap(INoticePublisher publisher) => new ProfiledPublisher(publisher, this);

    private async Task<T> TimeAsync<T>(string name, Func<Task<T>> call)
    {
        var step = steps.GetOrAdd(name, n => new Step(n));
        using var counted = RequestCounter.Begin();
        var started = Now();
        try
        {
            return await call();
        }
        finally
        {
            step.Add(started, Now(), counted.Requests);
        }
    }

    private async Task TimeAsync(string name, Func<Task> call) => await TimeAsync(name, async () =>
    {
        await call();
        return true;
    });

    private double Now() => Stopwatch.GetElapsedTime(origin).TotalMilliseconds;

    /// <summary>The length of the union of intervals.</summary>
    private static double Union(IEnumerable<(double Start, double End)> intervals)
    {
        double total = 0, end = double.NegativeInfinity;
        foreach (var (s, e) in intervals.OrderBy(i => i.Start))
        {
            if (e <= end)
            {
                continue;
            }

            total += e - Math.Max(s, end);
            end = e;
        }

        return total;
    }

    /// <summary>A step's figures: busy time, calls, their summed time, storage requests.</summary>
    public sealed record StepFigure(string Name, double BusyMs, int Calls, double SummedMs, int Requests)
    {
        public string InFlight => BusyMs > 0 && Calls > 0 ? (SummedMs / BusyMs).ToString("0.0", CultureInfo.InvariantCulture) : "—";
    }

    private sealed class Step(string name)
    {
        private readonly List<(double Start, double End)> intervals = [];
        private int requests;

        public double FirstStart { get; private set; } = double.PositiveInfinity;

        public IReadOnlyList<(double Start, double End)> Intervals
        {
            get
            {
                lock (intervals)
                {
                    return [.. intervals];
                }
            }
        }

        public void Add(double start, double end, int requestsMade)
        {
            lock (intervals)
            {
                intervals.Add((start, end));
                FirstStart = Math.Min(FirstStart, start);
                requests += requestsMade;
            }
        }

        public StepFigure Figure()
        {
            var all = Intervals;
            return new StepFigure(name, Union(all), all.Count, all.Sum(i => i.End - i.Start), requests);
        }
    }

    private sealed class ProfiledStore(IIncidentStore inner, BurstProfile profile) : IIncidentStore
    {
        public Task<CreateResult> CreateAsync(Transition opened, IdempotencyClaim? claim, Core.Audit.AuditRecord audit, CancellationToken cancellationToken) =>
            inner.CreateAsync(opened, claim, audit, cancellationToken);

        public Task<StoredIncident?> FindAsync(IncidentId id, CancellationToken cancellationToken) =>
            profile.TimeAsync("incident reads", () => inner.FindAsync(id, cancellationToken));

        public Task<StoredIncident> SaveAsync(StoredIncident previous, Transition change, Core.Audit.AuditRecord? audit, CancellationToken cancellationToken) =>
            profile.TimeAsync("single saves", () => inner.SaveAsync(previous, change, audit, cancellationToken));

        public Task<SaveAllResult> SaveAllAsync(IReadOnlyList<(StoredIncident Previous, Transition Change)> changes, CancellationToken cancellationToken) =>
            profile.TimeAsync("commits (a station's changes per transaction)", () => inner.SaveAllAsync(changes, cancellationToken));

        public Task CheckHealthAsync(CancellationToken cancellationToken) => inner.CheckHealthAsync(cancellationToken);
    }

    private sealed class ProfiledIndex(IDueIndex inner, BurstProfile profile) : IDueIndex
    {
        public Task AddAsync(IReadOnlyList<DueEntry> entries, CancellationToken cancellationToken) =>
            profile.TimeAsync("notices entries written (before the commits)", () => inner.AddAsync(entries, cancellationToken));

        public Task<IReadOnlyList<DueEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken) =>
            profile.TimeAsync("due-index queries", () => inner.DueAsync(now, max, cancellationToken));

        public Task ReplaceAsync(DueEntry old, DueEntry? replacement, CancellationToken cancellationToken) =>
            profile.TimeAsync("index entry replaced one by one", () => inner.ReplaceAsync(old, replacement, cancellationToken));

        public Task ReplaceAllAsync(IReadOnlyList<DueReplacement> replacements, CancellationToken cancellationToken) =>
            profile.TimeAsync(replacements.Count > 0 && replacements[0].Old.Reason == DueReason.Notices ? "notices entries retired (after the sends)" : "clock entries moved",
                () => inner.ReplaceAllAsync(replacements, cancellationToken));

        public Task<(int Count, Instant? OldestSince)> PendingNoticesAsync(CancellationToken cancellationToken) => inner.PendingNoticesAsync(cancellationToken);
    }

    private sealed class ProfiledOutbox(INoticeOutbox inner, BurstProfile profile) : INoticeOutbox
    {
        public Task<IReadOnlyList<PendingNotice>> PendingAsync(IncidentId incident, CancellationToken cancellationToken) =>
            profile.TimeAsync("outbox reads (recovery)", () => inner.PendingAsync(incident, cancellationToken));

        public Task RemoveAsync(IReadOnlyList<Notice> sent, CancellationToken cancellationToken) =>
            profile.TimeAsync("outbox removals", () => inner.RemoveAsync(sent, cancellationToken));

        public Task PostponeAsync(PendingNotice notice, Instant nextAttempt, CancellationToken cancellationToken) =>
            profile.TimeAsync("outbox postponements", () => inner.PostponeAsync(notice, nextAttempt, cancellationToken));
    }

    private sealed class ProfiledPublisher(INoticePublisher inner, BurstProfile profile) : INoticePublisher
    {
        public Task PublishAsync(Notice notice, CancellationToken cancellationToken) =>
            profile.TimeAsync("sends (counted, no broker)", () => inner.PublishAsync(notice, cancellationToken));
    }
}
